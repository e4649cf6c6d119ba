//! Leads scored per second on the default SLA, one core, against a baseline that only
//! clones the lead (what any handler does anyway), measured in the same run. Each figure
//! is the median of many timed batches. Run: `cargo bench -p leadflow-tests --bench
//! scoring`; figures also go to `$CARGO_TARGET_DIR/leadflow-bench/scoring.json`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use leadflow::domain::lists::DomainList;
use leadflow::lead::{normalise_email, Answer, Answers};
use leadflow::{Activity, IdKey, Lead, Profile, Scorer, Sla, Timestamp};
use serde_json::json;

const SAMPLES: usize = 41;
const SAMPLE_TIME: Duration = Duration::from_millis(40);

fn leads(scorer: &Scorer) -> Vec<Lead> {
    let key = IdKey::new("benchmark-key-0123456789").unwrap();
    let titles = [
        "CEO",
        "Head of IT",
        "Marketing Manager",
        "Werkstudent Marketing",
        "Geschäftsführerin",
        "Journalist",
        "Einkaufsleiter",
        "Assistant",
    ];
    let timeframes = ["within_3_months", "3_6_months", "just_looking", "innerhalb von 12 Monaten"];
    let kinds = ["demo_request", "pricing_page", "whitepaper_download", "webinar", "newsletter"];
    let t0 = Timestamp::from_unix(1_780_000_000);
    (0..256)
        .map(|i| {
            let email = normalise_email(&format!("person{i}@firma{}.de", i % 17)).unwrap();
            let profile = Profile {
                company_domain: format!("firma{}.de", i % 17),
                email: email.clone(),
                job_title: Some(titles[i % titles.len()].into()),
                company_size: Some([5, 40, 250, 2000][i % 4]),
                industry: Some(["Maschinenbau", "Software", "Gastronomie"][i % 3].into()),
                country: Some(["DE", "AT", "US"][i % 3].into()),
                ..Profile::default()
            };
            let mut lead = Lead::new(key.lead_id(&email), "web", profile, t0);
            let at = |d: i64| t0.plus_days(d);
            lead.merge_answers(Answers {
                purchase_timeframe: Some(Answer { value: timeframes[i % 4].into(), at: at(0) }),
                budget_role: Some(Answer {
                    value: ["decision_maker", "influencer", "no_influence"][i % 3].into(),
                    at: at(0),
                }),
                message: Some(Answer {
                    value: "Wir benötigen ein Angebot für 50 Lizenzen".into(),
                    at: at(0),
                }),
                ..Answers::default()
            });
            // As intake does: the text is read into facts once; scoring reads only facts.
            scorer.read_facts(&mut lead);
            for k in 0..(i % 6) {
                scorer.record_activity(
                    &mut lead,
                    Activity {
                        kind: kinds[(i + k) % kinds.len()].into(),
                        at: t0.plus_days(k as i64),
                        source: "web".into(),
                    },
                );
            }
            lead
        })
        .collect()
}

/// Leads per second through `batch` (which handles `leads` leads): the median of
/// [`SAMPLES`] samples of about [`SAMPLE_TIME`] each, after a warm-up.
fn leads_per_sec(leads: usize, mut batch: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut calls = 0u32;
    while started.elapsed() < SAMPLE_TIME {
        batch();
        calls += 1;
    }
    let per_sample = calls.max(1);
    let mut rates: Vec<u64> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_sample {
                batch();
            }
            (f64::from(per_sample) * leads as f64 / started.elapsed().as_secs_f64()) as u64
        })
        .collect();
    leadflow_tests::bench::median(&mut rates) as f64
}

fn main() {
    // Once per process, what a Lambda pays at start-up (the SLA) and on its first
    // score (the vendored domain lists).
    let started = Instant::now();
    let scorer = Scorer::new(Sla::default_sla());
    let scorer_build = started.elapsed();
    let started = Instant::now();
    for list in [DomainList::FreeMail, DomainList::Disposable, DomainList::University] {
        black_box(list.contains("example.com"));
    }
    let lists_first_use = started.elapsed();
    let leads = leads(&scorer);
    let now = Timestamp::from_unix(1_780_000_000).plus_days(10);
    let n = leads.len();
    let baseline = leads_per_sec(n, || {
        for lead in &leads {
            black_box(lead.clone());
        }
    });
    let score = leads_per_sec(n, || {
        for lead in &leads {
            black_box(scorer.score(black_box(lead), now));
        }
    });
    let requalify = leads_per_sec(n, || {
        for lead in &leads {
            let mut lead = lead.clone();
            black_box(scorer.requalify(&mut lead, now).unwrap());
        }
    });
    let read_facts = leads_per_sec(n, || {
        for lead in &leads {
            let mut lead = lead.clone();
            scorer.read_facts(&mut lead);
            black_box(lead);
        }
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\ndefault SLA parsed and compiled in {:.2} ms; domain lists loaded in {:.2} ms",
        ms(scorer_build),
        ms(lists_first_use)
    );
    println!("{n} mixed leads, default SLA, one core (median of {SAMPLES} samples):");
    for (name, rate) in [
        ("baseline: clone the lead", baseline),
        ("score (+ explanation, next change instant)", score),
        ("requalify (clone, score, stage moves)", requalify),
        ("read facts (intake only: title, answers, message)", read_facts),
    ] {
        println!(
            "  {name:<52} {:>10.0} leads/s  {:>8.2} µs/lead  {:>6.1}x the baseline's time",
            rate,
            1e6 / rate,
            baseline / rate
        );
    }
    leadflow_tests::bench::write_figures(
        "scoring",
        &json!({
            "leads_per_batch": n,
            "sla": "default",
            "baseline_leads_per_sec": baseline,
            "score_leads_per_sec": score,
            "requalify_leads_per_sec": requalify,
            "read_facts_leads_per_sec": read_facts,
            "scorer_build_ms": ms(scorer_build),
            "lists_first_use_ms": ms(lists_first_use),
        }),
    );
}
