//! A full re-score after an SLA change, interrupted at a random point and resumed,
//! scores every lead exactly once under the new version, on both stores.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use leadflow::intake::{apply_submission, RetryPolicy};
use leadflow::requalify::rescore_all;
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow::{Scorer, Sla, Timestamp};
use leadflow_tests::{all_leads, fresh_dynamo_store, id_key, SubmissionBuilder};

const NOW: Timestamp = Timestamp::from_unix(1_780_000_000);
const LEADS: usize = 120;

async fn fill<S: LeadStore>(store: &S) {
    let old = Scorer::new(Sla::default_sla());
    for i in 0..LEADS {
        let s = SubmissionBuilder::new(&format!("person{i}@alpenwerk.at"))
            .at(NOW)
            .job_title(["CEO", "Head of IT", "Marketing Manager"][i % 3])
            .activity(["demo_request", "webinar", "newsletter"][i % 3])
            .build();
        apply_submission(store, &old, &id_key(), &s, RetryPolicy::default()).await.unwrap();
    }
}

fn new_sla() -> Scorer {
    let mut sla = Sla::default_sla();
    sla.version = "2027-01-01.1".into();
    sla.mql.min_total = 90;
    Scorer::new(sla)
}

/// Stops after `pages` page-loops across all segments, then runs to the end.
async fn interrupted_then_resumed<S: LeadStore>(store: &S, pages: usize) {
    let before: Vec<(String, u64)> =
        all_leads(store).await.iter().map(|l| (l.id.to_string(), l.version)).collect();
    let scorer = new_sla();
    let calls = AtomicUsize::new(0);
    let stop = || calls.fetch_add(1, Ordering::SeqCst) >= pages;
    let first = rescore_all(store, &scorer, NOW, 4, 7, &stop).await.unwrap();
    assert!(!first.done, "stopped after {pages} pages");
    let rest = rescore_all(store, &scorer, NOW, 4, 7, &|| false).await.unwrap();
    assert!(rest.done);
    assert_eq!(
        first.rescored + rest.rescored,
        LEADS as u64,
        "every lead re-scored once ({pages} pages first)"
    );
    let after = all_leads(store).await;
    assert_eq!(after.len(), LEADS);
    for lead in &after {
        assert_eq!(&*lead.score.as_ref().unwrap().sla_version, "2027-01-01.1");
        let old = before.iter().find(|(id, _)| *id == lead.id.to_string()).unwrap().1;
        assert_eq!(lead.version, old + 1, "{} written exactly once", lead.id);
    }
    // Done is done: another run visits nothing.
    let again = rescore_all(store, &scorer, NOW, 4, 7, &|| false).await.unwrap();
    assert_eq!((again.visited, again.rescored, again.done), (0, 0, true));
}

fn random_pages() -> usize {
    1 + (RandomState::new().build_hasher().finish() % 12) as usize
}

#[tokio::test]
async fn memory_store_resumes_from_any_point() {
    for pages in [1, 3, 5, 9, random_pages()] {
        let store = InMemoryStore::new();
        fill(&store).await;
        interrupted_then_resumed(&store, pages).await;
    }
}

#[tokio::test]
async fn dynamodb_resumes_from_a_random_point() {
    let store = fresh_dynamo_store().await;
    fill(&store).await;
    interrupted_then_resumed(&store, random_pages()).await;
}
