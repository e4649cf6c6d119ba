//! The store contract: what every `LeadStore` must do, as async checks and a macro that
//! runs them all against a store. The in-memory store and the DynamoDB store (on
//! DynamoDB Local) both pass it; a future store passes it with one line:
//! `leadflow_tests::store_contract!(name, my_crate::make_store().await);` (paths in the
//! expression are resolved inside the generated module: write them in full).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::{id_key, ids, lead_in, SubmissionBuilder};
use leadflow::funnel::{bucket_upper, duration_bucket};
use leadflow::intake::{apply_submission, RetryPolicy, Submission};
use leadflow::store::{LeadStore, StoreError};
use leadflow::{Lead, Profile, Scorer, Sla, Stage, Timestamp};

const NOW: Timestamp = Timestamp::from_unix(1_780_000_000);

pub async fn get_and_conditional_put<S: LeadStore>(store: S) {
    let mut lead = lead_in("anna@nordwind-logistik.de", Stage::Unqualified, 10, None);
    assert_eq!(store.get(&lead.id).await.unwrap(), None);
    store.put(&lead).await.unwrap();
    assert_eq!(store.get(&lead.id).await.unwrap().as_ref(), Some(&lead));
    // Creating it again loses: it exists.
    assert_eq!(store.put(&lead).await, Err(StoreError::Conflict));
    lead.version = 2;
    lead.profile.job_title = Some("Geschäftsführerin".into());
    store.put(&lead).await.unwrap();
    // A writer that read version 1 too is too late now.
    assert_eq!(store.put(&lead).await, Err(StoreError::Conflict));
    lead.version = 5;
    assert_eq!(store.put(&lead).await, Err(StoreError::Conflict));
    let stored = store.get(&lead.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.profile.job_title.as_deref(), Some("Geschäftsführerin"));
    lead.version = 0;
    assert!(matches!(store.put(&lead).await, Err(StoreError::Internal(_))));
}

pub async fn delete_removes<S: LeadStore>(store: S) {
    let lead = lead_in("del@nordwind-logistik.de", Stage::Mql, 50, Some(NOW));
    store.put(&lead).await.unwrap();
    assert!(store.delete(&lead.id).await.unwrap());
    assert!(!store.delete(&lead.id).await.unwrap());
    assert_eq!(store.get(&lead.id).await.unwrap(), None);
    assert!(store.queue(Stage::Mql, 10, None).await.unwrap().leads.is_empty());
    assert!(store.due(NOW, 10, None).await.unwrap().leads.is_empty());
}

pub async fn queue_is_best_first_and_pages<S: LeadStore>(store: S) {
    let mut mqls = Vec::new();
    for i in 0..23 {
        // Repeated totals check that ties do not lose or repeat leads across pages.
        let lead = lead_in(&format!("mql{i}@firma.de"), Stage::Mql, (i * 7) % 50, None);
        store.put(&lead).await.unwrap();
        mqls.push(lead);
    }
    for i in 0..4 {
        store.put(&lead_in(&format!("sql{i}@firma.de"), Stage::Sql, 90, None)).await.unwrap();
        store.put(&lead_in(&format!("new{i}@firma.de"), Stage::Unqualified, 99, None)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store.queue(Stage::Mql, 5, cursor.as_deref()).await.unwrap();
        assert!(page.leads.len() <= 5);
        seen.extend(page.leads);
        pages += 1;
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 5, "23 leads in pages of 5");
    let totals: Vec<i32> = seen.iter().map(|l| l.score.as_ref().unwrap().total).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "best first: {totals:?}");
    let seen_ids: BTreeSet<_> = ids(&seen).into_iter().collect();
    assert_eq!(seen_ids.len(), 23, "no lead twice");
    assert_eq!(seen_ids, ids(&mqls).into_iter().collect());
    assert!(seen.iter().all(|l| l.stage == Stage::Mql));

    assert_eq!(store.queue(Stage::Sql, 100, None).await.unwrap().leads.len(), 4);
    // Unqualified leads are not in the sparse queue index.
    assert!(store.queue(Stage::Unqualified, 100, None).await.unwrap().leads.is_empty());

    assert_eq!(store.queue(Stage::Mql, 5, Some("not-a-cursor")).await, Err(StoreError::BadCursor));
    let sql_page = store.queue(Stage::Sql, 1, None).await.unwrap();
    let sql_cursor = sql_page.cursor.expect("more than one SQL");
    assert_eq!(store.queue(Stage::Mql, 5, Some(&sql_cursor)).await, Err(StoreError::BadCursor));

    // Moving a lead out of the stage takes it out of that queue.
    let mut moved = mqls[0].clone();
    moved.stage = Stage::Sql;
    moved.version = 2;
    store.put(&moved).await.unwrap();
    assert_eq!(store.queue(Stage::Mql, 100, None).await.unwrap().leads.len(), 22);
    assert_eq!(store.queue(Stage::Sql, 100, None).await.unwrap().leads.len(), 5);
}

pub async fn due_returns_exactly_the_due_leads<S: LeadStore>(store: S) {
    let mut expected = Vec::new();
    for i in 0..17i64 {
        let due = NOW.plus_seconds((i - 10) * 3600);
        let lead = lead_in(&format!("due{i}@firma.de"), Stage::Mql, 60, Some(due));
        store.put(&lead).await.unwrap();
        if due <= NOW {
            expected.push(lead.id.clone());
        }
    }
    store.put(&lead_in("never@firma.de", Stage::Mql, 60, None)).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.due(NOW, 4, cursor.as_deref()).await.unwrap();
        seen.extend(page.leads);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let dues: Vec<i64> =
        seen.iter().map(|l| l.score.as_ref().unwrap().next_change_at.unwrap().unix()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "earliest first: {dues:?}");
    assert_eq!(ids(&seen), expected, "exactly the due leads, earliest first");
    assert_eq!(store.due(NOW, 4, Some("00")).await, Err(StoreError::BadCursor));
}

pub async fn scan_segments_cover_every_lead_once<S: LeadStore>(store: S) {
    let mut all = BTreeSet::new();
    for i in 0..31 {
        let lead = lead_in(&format!("scan{i}@firma.de"), Stage::Unqualified, i, None);
        store.put(&lead).await.unwrap();
        all.insert(lead.id);
    }
    let mut seen = Vec::new();
    for segment in 0..4 {
        let mut cursor: Option<String> = None;
        loop {
            let page = store.scan(segment, 4, 3, cursor.as_deref()).await.unwrap();
            seen.extend(ids(&page.leads));
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    assert_eq!(seen.len(), 31, "no lead twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), all);
    assert!(matches!(store.scan(4, 4, 10, None).await, Err(StoreError::Internal(_))));
}

fn submission(email: &str, key: Option<String>, at: Timestamp) -> Submission {
    SubmissionBuilder::new(email).at(at).delivery_key(key).buyer().activity("webinar").build()
}

pub async fn concurrent_submissions_make_one_lead<S: LeadStore + 'static>(store: S) {
    let store = Arc::new(store);
    let scorer = Arc::new(Scorer::new(Sla::default_sla()));
    let email = "rush@nordwind-logistik.de";
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (store, scorer) = (store.clone(), scorer.clone());
            tokio::spawn(async move {
                let s = submission(email, Some(format!("delivery-{i}")), NOW.plus_seconds(i));
                apply_submission(&*store, &scorer, &id_key(), &s, RetryPolicy::default()).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        let applied = t.await.unwrap().expect("every submission lands");
        created += usize::from(applied.created);
    }
    assert_eq!(created, 1, "exactly one submission created the lead");
    let lead = store.get(&id_key().lead_id(email)).await.unwrap().unwrap();
    assert_eq!(lead.activity_count, 100, "nothing lost");
    assert_eq!(lead.version, 100);
    assert_eq!(lead.stage, Stage::Mql);
}

pub async fn the_same_delivery_counts_once<S: LeadStore + 'static>(store: S) {
    let store = Arc::new(store);
    let scorer = Arc::new(Scorer::new(Sla::default_sla()));
    let email = "retry@nordwind-logistik.de";
    let s = submission(email, Some("typeform-evt-42".into()), NOW);
    for _ in 0..20 {
        apply_submission(&*store, &scorer, &id_key(), &s, RetryPolicy::default()).await.unwrap();
    }
    let lead = store.get(&id_key().lead_id(email)).await.unwrap().unwrap();
    assert_eq!((lead.activity_count, lead.version), (1, 1));

    // The same new delivery, 20 times at once.
    let s2 = submission(email, Some("typeform-evt-43".into()), NOW.plus_seconds(5));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, scorer, s2) = (store.clone(), scorer.clone(), s2.clone());
            tokio::spawn(async move {
                apply_submission(&*store, &scorer, &id_key(), &s2, RetryPolicy::default()).await
            })
        })
        .collect();
    let mut applied_once = 0;
    for t in tasks {
        applied_once += usize::from(!t.await.unwrap().unwrap().duplicate);
    }
    assert_eq!(applied_once, 1);
    let lead = store.get(&id_key().lead_id(email)).await.unwrap().unwrap();
    assert_eq!((lead.activity_count, lead.version), (2, 2));
    // Without a key every delivery counts.
    let s3 = submission(email, None, NOW.plus_seconds(9));
    apply_submission(&*store, &scorer, &id_key(), &s3, RetryPolicy::default()).await.unwrap();
    apply_submission(&*store, &scorer, &id_key(), &s3, RetryPolicy::default()).await.unwrap();
    assert_eq!(store.get(&lead.id).await.unwrap().unwrap().activity_count, 4);
}

pub async fn the_funnel_counts_each_write_once<S>(store: S)
where
    S: LeadStore + leadflow::store::FunnelCounter + crate::CountFunnel,
{
    use leadflow::funnel::{Day, Report};
    use leadflow::Trigger;
    let hour = 3600;
    let mut lead = Lead::new(id_key().lead_id("funnel@firma.de"), "web", Profile::default(), NOW);
    lead.version = 1;
    lead.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, NOW.plus_seconds(hour))
        .unwrap();
    store.put(&lead).await.unwrap();
    // A lost race counts nothing.
    let mut stale = lead.clone();
    stale.move_to(Stage::Nurture, Trigger::Handover, "anna", "not_ready", None, NOW).unwrap();
    assert_eq!(store.put(&stale).await, Err(StoreError::Conflict));
    // A write without a move adds nothing.
    let mut lead = store.get(&lead.id).await.unwrap().unwrap();
    lead.version += 1;
    lead.profile.company = Some("Firma GmbH".into());
    store.put(&lead).await.unwrap();
    // Four days later (a new month: 2026-06-01) inside sales confirms it.
    let mut lead = store.get(&lead.id).await.unwrap().unwrap();
    lead.version += 1;
    let call = NOW.plus_days(4);
    lead.move_to(Stage::Sql, Trigger::Handover, "anna", "qualified_in_call", None, call).unwrap();
    store.put(&lead).await.unwrap();
    // Another source's lead, disqualified at once.
    let mut other = Lead::new(id_key().lead_id("press@zeitung.de"), "typeform", Profile::default(), NOW);
    other.version = 1;
    other.move_to(Stage::Disqualified, Trigger::Scoring, "scoring", "press", None, NOW).unwrap();
    store.put(&other).await.unwrap();

    // The events function counts the writes (the embedded store as it writes); counting
    // them again (every record redelivered) adds nothing.
    store.count_funnel().await;
    store.count_funnel().await;

    let (first, last) = (Day::of(NOW), Day::of(call));
    assert_eq!((first.to_string(), last.to_string()), ("2026-05-28".into(), "2026-06-01".into()));
    let report = Report::build(first, last, None, &store.funnel(first, last).await.unwrap());
    let entered: Vec<u64> = report.overall.stages.iter().map(|r| r.entered).collect();
    assert_eq!(entered, [2, 1, 1, 0], "{report:?}");
    let bound = |s: i64| Some(bucket_upper(duration_bucket(s)));
    assert_eq!(report.overall.stages[1].median_seconds, bound(hour));
    assert_eq!(report.overall.stages[2].median_seconds, bound(call.seconds_since(NOW) - hour));
    assert_eq!(report.overall.stages[2].conversion, Some(1.0));
    assert_eq!((report.overall.left[0].reason.as_str(), report.overall.left[0].count), ("press", 1));
    assert_eq!(report.sources["web"].stages[2].entered, 1);
    assert_eq!(report.sources["typeform"].stages[0].entered, 1);
    // Only the period asked for, and erasing a lead keeps its counts.
    let june = store.funnel(last, last).await.unwrap();
    assert_eq!(june.len(), 1);
    assert_eq!(june[0].1.entered.get(&Stage::Sql), Some(&1));
    assert!(store.delete(&lead.id).await.unwrap());
    store.count_funnel().await;
    let after = Report::build(first, last, None, &store.funnel(first, last).await.unwrap());
    assert_eq!(after, report);
}

/// The count's own guard, the lead's fold mark: a write is counted once, however often
/// and late its record comes again; a record never counted is made up by the next one;
/// a later life of the same lead (created again after an erasure) counts anew, and old
/// records of the erased life count nothing.
pub async fn a_fold_counts_once_per_write_and_life<S: LeadStore + leadflow::store::FunnelCounter>(store: S) {
    use leadflow::funnel::{Day, FoldMark};
    use leadflow::store::Counted;
    use leadflow::usecases::funnel::count_change;
    use leadflow::Trigger;
    let id = id_key().lead_id("fold@firma.de");
    let created = Lead::new(id.clone(), "web", Profile::default(), NOW);
    let mut mql = created.clone();
    mql.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, NOW).unwrap();
    let mut sql = mql.clone();
    sql.move_to(Stage::Sql, Trigger::Handover, "anna", "qualified_in_call", None, NOW).unwrap();
    macro_rules! count {
        ($old:expr, $new:expr) => {
            count_change(&store, $old, $new, None).await
        };
    }

    assert_eq!(count!(None, Some(&created)), Ok(Counted::Added));
    assert_eq!(count!(None, Some(&created)), Ok(Counted::Already), "the same record again");
    // The MQL move's record is lost; the SQL move's record makes it up.
    assert_eq!(count!(Some(&mql), Some(&sql)), Ok(Counted::Added));
    assert_eq!(store.fold_mark(&id).await.unwrap(), Some(FoldMark { life: NOW, through: 3 }));
    assert_eq!(count!(Some(&created), Some(&mql)), Ok(Counted::Already), "an earlier record, late");
    assert_eq!(count!(Some(&mql), Some(&sql)), Ok(Counted::Already));
    assert_eq!(count!(Some(&sql), None), Ok(Counted::Already), "an erasure counts nothing");

    let reborn = Lead::new(id.clone(), "web", Profile::default(), NOW.plus_seconds(60));
    assert_eq!(count!(None, Some(&reborn)), Ok(Counted::Added), "a new life");
    assert_eq!(count!(Some(&mql), Some(&sql)), Ok(Counted::Already), "the erased life, late");
    let day = Day::of(NOW);
    let tallies = store.funnel(day, day).await.unwrap();
    assert_eq!(tallies.len(), 1);
    let entered = |stage| tallies[0].1.entered.get(&stage).copied();
    assert_eq!(
        [entered(Stage::Unqualified), entered(Stage::Mql), entered(Stage::Sql)],
        [Some(2), Some(1), Some(1)],
        "{tallies:?}"
    );
    // A write the request path counted itself (an item from before the funnel moved to
    // the stream carries `funnel_mark`) is not counted again.
    let legacy_id = id_key().lead_id("legacy@firma.de");
    let mut legacy = Lead::new(legacy_id.clone(), "web", Profile::default(), NOW);
    legacy.move_to(Stage::Mql, Trigger::Scoring, "scoring", "mql_rule_met", None, NOW).unwrap();
    assert_eq!(count_change(&store, None, Some(&legacy), Some(2)).await, Ok(Counted::Already));
    assert_eq!(store.fold_mark(&legacy_id).await.unwrap(), None);
}

#[macro_export]
macro_rules! store_contract {
    ($store:ident, $make:expr) => {
        mod $store {
            use $crate::store_contract::*;

            #[tokio::test]
            async fn get_and_conditional_put() {
                $crate::store_contract::get_and_conditional_put($make).await
            }
            #[tokio::test]
            async fn delete_removes() {
                $crate::store_contract::delete_removes($make).await
            }
            #[tokio::test]
            async fn queue_is_best_first_and_pages() {
                $crate::store_contract::queue_is_best_first_and_pages($make).await
            }
            #[tokio::test]
            async fn due_returns_exactly_the_due_leads() {
                $crate::store_contract::due_returns_exactly_the_due_leads($make).await
            }
            #[tokio::test]
            async fn scan_segments_cover_every_lead_once() {
                $crate::store_contract::scan_segments_cover_every_lead_once($make).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_submissions_make_one_lead() {
                $crate::store_contract::concurrent_submissions_make_one_lead($make).await
            }
            #[tokio::test]
            async fn the_funnel_counts_each_write_once() {
                $crate::store_contract::the_funnel_counts_each_write_once($make).await
            }
            #[tokio::test]
            async fn a_fold_counts_once_per_write_and_life() {
                $crate::store_contract::a_fold_counts_once_per_write_and_life($make).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_same_delivery_counts_once() {
                $crate::store_contract::the_same_delivery_counts_once($make).await
            }
        }
    };
}
