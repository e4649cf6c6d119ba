//! The article's people, scored against the default SLA.
//!
//! A good lead has the need, can decide on the budget and is ready to buy. Applicants,
//! competitors, journalists (and students, spam, "just looking") are interested, not leads.

use crate::common::{Persona, T0};
use leadflow::scoring::{sum_by_dimension, Grade};
use leadflow::sla::DisqualificationReason as R;
use leadflow::{Scorer, Sla, Stage};

struct Case {
    name: &'static str,
    persona: Persona,
    /// Scored this many days after T0 (0: at T0).
    days_later: i64,
    mql: bool,
    disqualified: Option<R>,
    grade: Option<Grade>,
    /// Rule ids that must (`+id`) or must not (`-id`) appear in the explanation.
    rules: &'static [&'static str],
}

fn ceo() -> Persona {
    Persona {
        email: "ceo@nordwind-logistik.de",
        job_title: Some("CEO"),
        company_size: Some(250),
        industry: Some("Logistik"),
        country: Some("Deutschland"),
        timeframe: Some("within_3_months"),
        budget_role: Some("decision_maker"),
        inquiry_type: Some("sales"),
        activities: vec![("demo_request", 0)],
        ..Persona::default()
    }
}

fn cases() -> Vec<Case> {
    let case = |name, persona, mql, disqualified, grade, rules| Case {
        name,
        persona,
        days_later: 0,
        mql,
        disqualified,
        grade,
        rules,
    };
    vec![
        case(
            "CEO requests a demo and buys within 3 months",
            ceo(),
            true,
            None,
            Some(Grade::A),
            &["+readiness.timeframe.now", "+readiness.demo.recent", "+authority.budget.decides"],
        ),
        case(
            "Geschäftsführerin, Entscheiderin, Kontaktanfrage, kauft in 3 Monaten",
            Persona {
                email: "J.Gross@Mueller-Maschinenbau.de",
                first_name: Some("Jürgen"),
                last_name: Some("Groß"),
                job_title: Some("Geschäftsführerin"),
                company_size: Some(120),
                industry: Some("Maschinenbau"),
                country: Some("DE"),
                timeframe: Some("Innerhalb von 3 Monaten"),
                budget_role: Some("Entscheiderin"),
                message: Some("Wir benötigen ein Angebot für 40 Lizenzen."),
                activities: vec![("contact_request", 1)],
                ..Persona::default()
            },
            true,
            None,
            Some(Grade::A),
            &["+fit.position.c_level", "+need.stated", "+need.request"],
        ),
        case(
            "Porsche: strong interest, no budget authority",
            Persona {
                email: "assistenz@grossbank-frankfurt.de",
                job_title: Some("Assistant to the board"),
                company_size: Some(600),
                industry: Some("Banking"),
                country: Some("DE"),
                timeframe: Some("within_3_months"),
                budget_role: Some("no_influence"),
                message: Some("We need pricing for our team"),
                activities: vec![
                    ("whitepaper_download", 3),
                    ("webinar", 2),
                    ("pricing_page", 1),
                    ("pricing_page", 0),
                    ("case_study", 0),
                ],
                ..Persona::default()
            },
            false,
            None,
            None,
            &["-authority.budget.decides", "-authority.position.c_level"],
        ),
        case(
            "Porsche (deutsch): Abteilungsleiter informiert sich nur",
            Persona {
                email: "leiter.it@stadtwerke-kassel.de",
                job_title: Some("Abteilungsleiter IT"),
                company_size: Some(400),
                country: Some("DE"),
                timeframe: Some("Ich informiere mich nur"),
                budget_role: Some("Entscheider"),
                activities: vec![("whitepaper_download", 2), ("webinar", 1), ("pricing_page", 0)],
                ..Persona::default()
            },
            false,
            None,
            None,
            &["+readiness.no_plan", "+authority.position.head"],
        ),
        case(
            "applicant by inquiry type, even with a C-level title",
            Persona { inquiry_type: Some("job_application"), ..ceo() },
            false,
            Some(R::Applicant),
            None,
            &[],
        ),
        case(
            "Initiativbewerbung im Nachrichtenfeld",
            Persona {
                email: "m.schulz@posteo.de",
                job_title: Some("Vertriebsleiter"),
                message: Some("Hiermit sende ich Ihnen meine Initiativbewerbung als Vertriebsleiter."),
                ..Persona::default()
            },
            false,
            Some(R::Applicant),
            None,
            &[],
        ),
        case(
            "applicant who clicked apply",
            Persona {
                email: "jane@acme-industries.com",
                activities: vec![("job_application", 0)],
                ..Persona::default()
            },
            false,
            Some(R::Applicant),
            None,
            &[],
        ),
        case(
            "competitor by domain",
            Persona { email: "analyst@wettbewerber.de", ..ceo() },
            false,
            Some(R::Competitor),
            None,
            &[],
        ),
        case(
            "competitor doing a competitive analysis",
            Persona {
                email: "kim@marketfirm.io",
                message: Some("For a competitive analysis we would like a demo"),
                activities: vec![("demo_request", 0)],
                ..Persona::default()
            },
            false,
            Some(R::Competitor),
            None,
            &[],
        ),
        case(
            "Redakteurin (press by job title)",
            Persona {
                email: "redaktion@fachverlag-technik.de",
                job_title: Some("Redakteurin"),
                activities: vec![("whitepaper_download", 0)],
                ..Persona::default()
            },
            false,
            Some(R::Press),
            None,
            &[],
        ),
        case(
            "journalist by media domain",
            Persona { email: "jan.mueller@heise.de", job_title: Some("Head of IT"), ..ceo() },
            false,
            Some(R::Press),
            None,
            &[],
        ),
        case(
            "press inquiry (German)",
            Persona {
                email: "info@regionalzeitung-nord.de",
                inquiry_type: Some("Presse"),
                ..Persona::default()
            },
            false,
            Some(R::Press),
            None,
            &[],
        ),
        case(
            "Werkstudent",
            Persona { email: "lena@nordwind-logistik.de", job_title: Some("Werkstudent Marketing"), ..ceo() },
            false,
            Some(R::Student),
            None,
            &[],
        ),
        case(
            "student by university domain",
            Persona {
                email: "max@stud.tu-darmstadt.de",
                activities: vec![("whitepaper_download", 0)],
                ..Persona::default()
            },
            false,
            Some(R::Student),
            None,
            &[],
        ),
        case(
            "Masterarbeit im Nachrichtenfeld",
            Persona {
                email: "paul.k@gmx.de",
                message: Some("Für meine Masterarbeit suche ich Informationen zur Lead-Qualifizierung"),
                ..Persona::default()
            },
            false,
            Some(R::Student),
            None,
            &[],
        ),
        case(
            "honeypot filled by a bot",
            Persona { attributes: vec![("hp_website", "http://spam.example")], ..ceo() },
            false,
            Some(R::Spam),
            None,
            &[],
        ),
        case(
            "spam message",
            Persona {
                email: "offers@cheap-links.biz",
                message: Some("We offer SEO services and backlinks"),
                ..Persona::default()
            },
            false,
            Some(R::Spam),
            None,
            &[],
        ),
        case(
            "disposable email",
            Persona { email: "x7@mailinator.com", ..ceo() },
            false,
            Some(R::Invalid),
            None,
            &[],
        ),
        case(
            "placeholder address",
            Persona { email: "test@nordwind-logistik.de", ..ceo() },
            false,
            Some(R::Invalid),
            None,
            &[],
        ),
        case(
            "just looking (English), newsletter only",
            Persona {
                email: "sam@brightwave-media.co.uk",
                job_title: Some("Marketing Manager"),
                timeframe: Some("Just browsing"),
                activities: vec![("newsletter", 0)],
                ..Persona::default()
            },
            false,
            None,
            None,
            &["+readiness.no_plan"],
        ),
        case(
            "free-mail CEO: a penalty, not a disqualifier",
            Persona { email: "ceo.nordwind@gmail.com", ..ceo() },
            true,
            None,
            Some(Grade::B),
            &["+fit.free_mail"],
        ),
        case(
            "Head of IT, influencer, demo, 3-6 months",
            Persona {
                email: "head.it@alpenwerk.at",
                job_title: Some("Head of IT"),
                company_size: Some(300),
                industry: Some("Industrie"),
                country: Some("Österreich"),
                timeframe: Some("3-6 months"),
                budget_role: Some("influencer"),
                activities: vec![("demo_request", 2)],
                ..Persona::default()
            },
            true,
            None,
            Some(Grade::A),
            &["+readiness.timeframe.soon", "+authority.budget.influences"],
        ),
        case(
            "CTO who only downloaded a whitepaper: desire, not need",
            Persona {
                email: "cto@alpenwerk.at",
                job_title: Some("CTO"),
                company_size: Some(300),
                country: Some("AT"),
                activities: vec![("whitepaper_download", 0)],
                ..Persona::default()
            },
            false,
            None,
            Some(Grade::B),
            &["-need.request"],
        ),
        case(
            "decision maker buying in 6-12 months, nothing else",
            Persona {
                email: "inhaber@baeckerei-huber.de",
                job_title: Some("Inhaber"),
                company_size: Some(12),
                country: Some("DE"),
                timeframe: Some("6-12 months"),
                budget_role: Some("decision_maker"),
                ..Persona::default()
            },
            false,
            None,
            Some(Grade::B),
            &["+readiness.timeframe.later"],
        ),
        case(
            "Director is not a CTO (whole words)",
            Persona { email: "d.lee@acme-industries.com", job_title: Some("Director of Sales"), ..ceo() },
            true,
            None,
            None,
            &["+fit.position.head", "-fit.position.c_level"],
        ),
        case(
            "VP Engineering at an enterprise in the US, quote request",
            Persona {
                email: "vp@megacorp-software.com",
                job_title: Some("VP Engineering"),
                company_size: Some(5000),
                industry: Some("Software"),
                country: Some("United States"),
                timeframe: Some("within 1 month"),
                budget_role: Some("budget owner"),
                activities: vec![("quote_request", 0)],
                ..Persona::default()
            },
            true,
            None,
            Some(Grade::B),
            &["+readiness.trial", "+fit.company_size.enterprise", "-fit.country.dach"],
        ),
        case(
            "partnership inquiry: no need, no MQL",
            Persona {
                email: "bd@agentur-blau.de",
                job_title: Some("Partner Manager"),
                inquiry_type: Some("partnership"),
                activities: vec![("contact_request", 0)],
                ..Persona::default()
            },
            false,
            None,
            None,
            &["-need.sales_inquiry"],
        ),
        Case {
            name: "CEO 45 days after the demo: readiness has cooled",
            days_later: 45,
            ..case(
                "",
                Persona { timeframe: None, ..ceo() },
                false,
                None,
                None,
                &["+readiness.demo", "-readiness.demo.recent"],
            )
        },
        Case {
            name: "CEO, same lead, on the day of the demo",
            ..case("", Persona { timeframe: None, ..ceo() }, true, None, None, &["+readiness.demo.recent"])
        },
        Case {
            name: "timeframe answered 200 days ago no longer counts",
            days_later: 200,
            ..case(
                "",
                Persona { activities: vec![], budget_role: Some("decision_maker"), ..ceo() },
                false,
                None,
                None,
                &["-readiness.timeframe.now"],
            )
        },
        case(
            "unknown size and country: no fit points for them",
            Persona { email: "a.b@kleinfirma.de", job_title: Some("Sachbearbeiter"), ..Persona::default() },
            false,
            None,
            Some(Grade::D),
            &[],
        ),
    ]
}

#[test]
fn personas_from_the_article() {
    let scorer = Scorer::new(Sla::default_sla());
    let all = cases();
    assert!(all.len() >= 25, "the persona table has {} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let lead = c.persona.lead(&scorer);
        let score = scorer.score(&lead, T0.plus_days(c.days_later));
        let rules: Vec<&str> = score.explanation.iter().map(|e| &*e.rule).collect();
        let mut problems = Vec::new();
        if score.mql != c.mql {
            problems.push(format!("mql: expected {}, got {}", c.mql, score.mql));
        }
        if score.disqualification.as_ref().map(|d| d.reason) != c.disqualified {
            problems.push(format!(
                "disqualification: expected {:?}, got {:?}",
                c.disqualified, score.disqualification
            ));
        }
        if let Some(grade) = c.grade {
            if score.grade != grade {
                problems.push(format!("grade: expected {grade}, got {} (fit {})", score.grade, score.fit));
            }
        }
        for r in c.rules {
            let (want, id) = r.split_at(1);
            if (want == "+") != rules.contains(&id) {
                problems.push(format!("rule {r}"));
            }
        }
        let sum: i32 = score.explanation.iter().map(|e| e.points).sum();
        if sum != score.total {
            problems.push(format!("explanation sums to {sum}, total is {}", score.total));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} (score {:?} {:?})",
                c.name,
                problems.join("; "),
                score.total,
                rules
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn porsche_case_has_the_total_but_not_the_authority() {
    let scorer = Scorer::new(Sla::default_sla());
    let porsche = cases().into_iter().find(|c| c.name.starts_with("Porsche:")).unwrap();
    let score = scorer.score(&porsche.persona.lead(&scorer), T0);
    let rule = scorer.sla().mql;
    assert!(score.total >= rule.min_total, "the Porsche case should have a high total, got {}", score.total);
    assert!(score.authority < rule.min_authority);
    assert!(!score.mql);
}

#[test]
fn sub_scores_are_the_explanation_grouped() {
    let scorer = Scorer::new(Sla::default_sla());
    for c in cases() {
        let score = scorer.score(&c.persona.lead(&scorer), T0);
        let sums = sum_by_dimension(&score.explanation);
        let get = |k| sums.get(k).copied().unwrap_or(0);
        assert_eq!(
            (get("need"), get("authority"), get("readiness"), get("fit"), get("engagement")),
            (score.need, score.authority, score.readiness, score.fit, score.engagement),
            "{}",
            c.name
        );
        assert_eq!(*score.sla_version, *scorer.sla().version);
    }
}

#[test]
fn requalify_moves_stages_with_reasons() {
    let scorer = Scorer::new(Sla::default_sla());
    let mut lead = ceo().lead(&scorer);
    assert!(scorer.requalify(&mut lead, T0).unwrap());
    assert_eq!(lead.stage, Stage::Mql);
    assert_eq!(lead.history.last().unwrap().reason, "mql_rule_met");
    // Nothing changed: no move, no new history.
    assert!(!scorer.requalify(&mut lead, T0).unwrap());
    assert_eq!(lead.history.len(), 1);
    // Half a year later the readiness has gone and engagement has decayed: nurture.
    assert!(scorer.requalify(&mut lead, T0.plus_days(200)).unwrap());
    assert_eq!(lead.stage, Stage::Nurture);
    assert_eq!(lead.history.last().unwrap().reason, "below_mql_rule");

    let mut applicant = Persona { inquiry_type: Some("Bewerbung"), ..ceo() }.lead(&scorer);
    scorer.requalify(&mut applicant, T0).unwrap();
    assert_eq!(applicant.stage, Stage::Disqualified);
    assert_eq!(applicant.history[0].reason, "applicant");

    // Data changed (a proper sales inquiry now): the automatic disqualifier lifts, and
    // the same scoring run qualifies the lead.
    applicant.answers.inquiry_type.as_mut().unwrap().value = "sales".into();
    assert!(scorer.requalify(&mut applicant, T0).unwrap());
    assert_eq!(applicant.stage, Stage::Mql);
    let reasons: Vec<&str> = applicant.history.iter().map(|t| t.reason.as_str()).collect();
    assert_eq!(reasons, ["applicant", "disqualifier_no_longer_holds", "mql_rule_met"]);
}

#[test]
fn unicode_names_survive_and_email_case_does_not_matter() {
    let scorer = Scorer::new(Sla::default_sla());
    let a = Persona {
        email: "J.Gross@Mueller-Maschinenbau.DE",
        first_name: Some(" Jürgen "),
        last_name: Some("Groß"),
        ..Persona::default()
    }
    .lead(&scorer);
    let b = Persona { email: "j.gross@mueller-maschinenbau.de", ..Persona::default() }.lead(&scorer);
    assert_eq!(a.id, b.id);
    assert_eq!(a.profile.first_name.as_deref(), Some("Jürgen"));
    assert_eq!(a.profile.last_name.as_deref(), Some("Groß"));
    assert_eq!(a.profile.company_domain, "mueller-maschinenbau.de");
}
