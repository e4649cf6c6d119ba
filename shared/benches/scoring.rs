//! Leads scored per second on the default SLA, and the cost of scoring relative to a
//! baseline that only clones the lead (what any handler does anyway).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leadflow::lead::{normalise_email, Answer, Answers};
use leadflow::{Activity, IdKey, Lead, Profile, Scorer, Sla, Timestamp};

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

fn bench(c: &mut Criterion) {
    let scorer = Scorer::new(Sla::default_sla());
    let leads = leads(&scorer);
    let now = Timestamp::from_unix(1_780_000_000).plus_days(10);
    let mut group = c.benchmark_group("scoring");
    group.throughput(Throughput::Elements(leads.len() as u64));
    group.bench_function("baseline_clone_lead", |b| {
        b.iter(|| {
            for lead in &leads {
                black_box(lead.clone());
            }
        })
    });
    group.bench_function("score_default_sla", |b| {
        b.iter(|| {
            for lead in &leads {
                black_box(scorer.score(black_box(lead), now));
            }
        })
    });
    group.bench_function("read_facts_default_vocabulary", |b| {
        b.iter(|| {
            for lead in &leads {
                let mut lead = lead.clone();
                scorer.read_facts(&mut lead);
                black_box(lead);
            }
        })
    });
    group.bench_function("requalify_default_sla", |b| {
        b.iter(|| {
            for lead in &leads {
                let mut lead = lead.clone();
                black_box(scorer.requalify(&mut lead, now).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
