//! Retention: unqualified, nurture and disqualified leads without activity expire after
//! the SLA's period (through DynamoDB's TTL); leads sales works on never do.

use crate::common::{Persona, T0};
use leadflow::{Activity, Scorer, Sla, Stage, Trigger};

#[test]
fn ttl_is_set_exactly_on_the_stages_the_sla_names() {
    let scorer = Scorer::new(Sla::default_sla());
    let r = scorer.sla().retention;

    let mut reader = Persona {
        email: "reader@alpenwerk.at",
        answered_days_ago: 3,
        activities: vec![("newsletter", 3)],
        ..Persona::default()
    }
    .lead(&scorer);
    scorer.refresh(&mut reader, T0).unwrap();
    assert_eq!(reader.stage, Stage::Unqualified);
    // Counted from the last activity, three days before T0.
    assert_eq!(reader.expires_at, Some(T0.plus_days(-3).plus_days(r.unqualified_days.into())));
    // New activity pushes it out.
    scorer.record_activity(&mut reader, Activity { kind: "newsletter".into(), at: T0, source: "web".into() });
    scorer.refresh(&mut reader, T0).unwrap();
    assert_eq!(reader.expires_at, Some(T0.plus_days(r.unqualified_days.into())));

    let mut student = Persona { email: "max@stud.tu-darmstadt.de", ..Persona::default() }.lead(&scorer);
    scorer.refresh(&mut student, T0).unwrap();
    assert_eq!(student.stage, Stage::Disqualified);
    assert_eq!(student.expires_at, Some(T0.plus_days(r.disqualified_days.into())));

    let mut buyer = Persona {
        email: "ceo@nordwind-logistik.de",
        job_title: Some("CEO"),
        company_size: Some(250),
        country: Some("DE"),
        timeframe: Some("within_3_months"),
        budget_role: Some("decision_maker"),
        inquiry_type: Some("sales"),
        activities: vec![("demo_request", 0)],
        ..Persona::default()
    }
    .lead(&scorer);
    scorer.refresh(&mut buyer, T0).unwrap();
    assert_eq!(buyer.stage, Stage::Mql);
    assert_eq!(buyer.expires_at, None, "an MQL does not expire");
    for (to, trigger) in [(Stage::Sql, Trigger::Handover), (Stage::Sal, Trigger::Acceptance)] {
        buyer.move_to(to, trigger, "sales", "test", None, T0).unwrap();
        scorer.refresh(&mut buyer, T0).unwrap();
        assert_eq!(buyer.expires_at, None, "{to} never expires");
    }

    // Sent back to marketing: the period runs from the move.
    let mut later = buyer.clone();
    later.stage = Stage::Sql;
    let back = T0.plus_days(10);
    later.move_to(Stage::Nurture, Trigger::Acceptance, "sales", "no_project", None, back).unwrap();
    scorer.refresh(&mut later, back).unwrap();
    assert_eq!(later.stage, Stage::Nurture);
    assert_eq!(later.expires_at, Some(back.plus_days(r.nurture_days.into())));
}
