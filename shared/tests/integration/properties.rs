//! Properties of the scoring engine over generated leads.

use crate::common::{Persona, T0};
use leadflow::{Activity, Lead, Scorer, Sla, Timestamp};
use proptest::prelude::*;

const TITLES: &[&str] = &[
    "CEO",
    "Head of IT",
    "Marketing Manager",
    "Werkstudent",
    "Geschäftsführer",
    "Assistant",
    "Einkaufsleiterin",
    "Redakteur",
];
const TIMEFRAMES: &[&str] = &["within_3_months", "3_6_months", "6_12_months", "just_looking", "sofort"];
const ROLES: &[&str] = &["decision_maker", "influencer", "no_influence", "Entscheider"];
const KINDS: &[&str] = &[
    "demo_request",
    "contact_request",
    "pricing_page",
    "whitepaper_download",
    "webinar",
    "newsletter",
    "trial_signup",
    "quote_request",
];
const DOMAINS: &[&str] =
    &["nordwind-logistik.de", "gmail.com", "alpenwerk.at", "stud.uni-hamburg.de", "heise.de"];

fn lead_strategy() -> impl Strategy<Value = Lead> {
    (
        0..TITLES.len(),
        prop::option::of(0..TIMEFRAMES.len()),
        prop::option::of(0..ROLES.len()),
        0..DOMAINS.len(),
        prop::option::of(1u32..20_000),
        0i64..250,
        prop::collection::vec((0..KINDS.len(), 0i64..200), 0..8),
        any::<bool>(),
    )
        .prop_map(|(title, timeframe, role, domain, size, answered, activities, sales)| {
            let scorer = Scorer::new(Sla::default_sla());
            let email: &'static str = Box::leak(format!("person@{}", DOMAINS[domain]).into_boxed_str());
            Persona {
                email,
                job_title: Some(TITLES[title]),
                company_size: size,
                country: Some("DE"),
                timeframe: timeframe.map(|i| TIMEFRAMES[i]),
                budget_role: role.map(|i| ROLES[i]),
                inquiry_type: sales.then_some("sales"),
                answered_days_ago: answered,
                activities: activities.into_iter().map(|(k, d)| (KINDS[k], d)).collect(),
                ..Persona::default()
            }
            .lead(&scorer)
        })
}

fn decision(scorer: &Scorer, lead: &Lead, t: Timestamp) -> (bool, Option<String>) {
    let s = scorer.score(lead, t);
    (s.mql, s.disqualification.map(|d| d.rule))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn decay_never_raises_a_score(lead in lead_strategy(), a in 0i64..400 * 86_400, b in 0i64..400 * 86_400) {
        let scorer = Scorer::new(Sla::default_sla());
        let (early, late) = (T0.plus_seconds(a.min(b)), T0.plus_seconds(a.max(b)));
        let (e, l) = (scorer.score(&lead, early), scorer.score(&lead, late));
        prop_assert!(l.total <= e.total, "total rose from {} to {}", e.total, l.total);
        prop_assert!(l.engagement <= e.engagement);
        prop_assert!(l.readiness <= e.readiness);
    }

    #[test]
    fn a_positive_activity_never_lowers_the_score(lead in lead_strategy(), kind in 0..KINDS.len(), later in 0i64..100 * 86_400) {
        let scorer = Scorer::new(Sla::default_sla());
        let now = T0.plus_seconds(later);
        let before = scorer.score(&lead, now);
        let mut after_lead = lead.clone();
        scorer.record_activity(&mut after_lead, Activity { kind: KINDS[kind].into(), at: now, source: "web".into() });
        let after = scorer.score(&after_lead, now);
        prop_assert!(after.total >= before.total, "{} lowered {} to {}", KINDS[kind], before.total, after.total);
        prop_assert!(after.engagement >= before.engagement);
    }

    #[test]
    fn the_explanation_sums_to_the_total(lead in lead_strategy(), later in 0i64..400 * 86_400) {
        let scorer = Scorer::new(Sla::default_sla());
        let s = scorer.score(&lead, T0.plus_seconds(later));
        prop_assert_eq!(s.explanation.iter().map(|c| c.points).sum::<i32>(), s.total);
        prop_assert_eq!(s.need + s.authority + s.readiness + s.fit + s.engagement, s.total);
    }

    #[test]
    fn the_decision_changes_exactly_at_next_change(lead in lead_strategy(), later in 0i64..200 * 86_400, probe in 0.0f64..1.0) {
        let scorer = Scorer::new(Sla::default_sla());
        let now = T0.plus_seconds(later);
        let score = scorer.score(&lead, now);
        let here = decision(&scorer, &lead, now);
        match score.next_change_at {
            Some(next) => {
                prop_assert!(next > now);
                prop_assert_eq!(&decision(&scorer, &lead, next.plus_seconds(-1)), &here, "changed before {}", next);
                prop_assert_ne!(&decision(&scorer, &lead, next), &here, "no change at {}", next);
                // and nowhere in between
                let span = next.seconds_since(now) - 1;
                let inside = now.plus_seconds((span as f64 * probe) as i64);
                prop_assert_eq!(&decision(&scorer, &lead, inside), &here);
            }
            None => {
                for days in [1, 30, 90, 365, 3 * 365] {
                    prop_assert_eq!(&decision(&scorer, &lead, now.plus_days(days)), &here, "changed after {} days", days);
                }
            }
        }
    }
}

#[test]
fn an_mql_that_only_cools_off_reports_when() {
    // Qualified by total only thanks to engagement: leaves MQL when engagement decays.
    let scorer = Scorer::new(Sla::default_sla());
    let lead = Persona {
        email: "cio@nordwind-logistik.de",
        job_title: Some("CIO"),
        company_size: Some(250),
        country: Some("DE"),
        timeframe: Some("within_3_months"),
        budget_role: Some("influencer"),
        activities: vec![("contact_request", 0), ("webinar", 0), ("pricing_page", 0)],
        ..Persona::default()
    }
    .lead(&scorer);
    let score = scorer.score(&lead, T0);
    assert!(score.mql, "{score:?}");
    let next = score.next_change_at.expect("an MQL that decays has a next change");
    assert!(scorer.score(&lead, next.plus_seconds(-1)).mql);
    assert!(!scorer.score(&lead, next).mql);
}
