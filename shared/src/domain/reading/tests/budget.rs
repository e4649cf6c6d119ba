use super::{check, reader};
use crate::domain::reading::BudgetRole::{self, Decides, Influences};

const NONE: Option<BudgetRole> = Some(BudgetRole::None);

#[test]
fn budget_roles() {
    check(
        &[
            ("Entscheider", Some(Decides)),
            ("Entscheiderin", Some(Decides)),
            ("Entscheidungsträger", Some(Decides)),
            ("Ich entscheide", Some(Decides)),
            ("I sign off", Some(Decides)),
            ("budget owner", Some(Decides)),
            ("I have the final say", Some(Decides)),
            ("Budgetverantwortlich", Some(Decides)),
            ("Ich bin Budgetverantwortliche", Some(Decides)),
            ("Ja", Some(Decides)),
            ("yes", Some(Decides)),
            ("Yes, I am the decision maker", Some(Decides)),
            ("decision_maker", Some(Decides)),
            ("Die Entscheidung liegt bei mir", Some(Decides)),
            ("Ich bin Geschäftsführer", Some(Decides)),
            ("Ich entscheide mit", Some(Influences)),
            ("Mitentscheider", Some(Influences)),
            ("I recommend, our CFO signs off", Some(Influences)),
            ("part of the buying committee", Some(Influences)),
            ("buying_committee", Some(Influences)),
            ("influencer", Some(Influences)),
            ("Ich empfehle, der Vorstand entscheidet", Some(Influences)),
            ("Ich bereite die Entscheidung vor", Some(Influences)),
            ("Ja, zusammen mit dem CFO", Some(Influences)),
            ("Yes, together with my boss", Some(Influences)),
            ("My boss decides", Some(Influences)),
            ("Mein Chef entscheidet", Some(Influences)),
            ("The final decision lies with our board", Some(Influences)),
            ("Ich entscheide nicht allein", Some(Influences)),
            ("Yes, but my CFO has to approve", Some(Influences)),
            ("Entscheidung durch die Geschäftsführung", Some(Influences)),
            ("We decide as a team", Some(Influences)),
            ("No, my boss decides", Some(Influences)),
            ("nein", NONE),
            ("no", NONE),
            ("keine", NONE),
            ("not involved", NONE),
            ("Ich sammle nur Informationen", NONE),
            ("I am not the decision maker", NONE),
            ("Ich entscheide nicht", NONE),
            ("no_influence", NONE),
            ("Nicht meine Entscheidung", NONE),
            ("", None),
            ("vielleicht", None),
            ("n/a", None),
        ],
        |a| reader().budget_role(a),
    );
}
