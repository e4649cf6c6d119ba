//! Every DynamoDB failure gets the right answer, and nothing is applied twice: the real
//! store and handlers behind a proxy that injects throttling, transaction conflicts,
//! internal errors, validation errors and lost answers into chosen operations. What was
//! stored is read straight from DynamoDB Local, past the proxy.

use std::fmt::Write as _;

use lambda_http::{Body, Response};
use leadflow::http::{route, App, Auth};
use leadflow::lambda::events::handle;
use leadflow::requalify::{rescore_all, run_due};
use leadflow::store::{DynamoStore, LeadStore, StoreError};
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::{LeadId, Scorer, Sla, Stage};
use leadflow_infra::stream_reader::StreamReader;
use leadflow_tests::fault_proxy::{direct, faulty_store, Fault, FaultProxy};
use leadflow_tests::http::{app, body_json, request, NOW};
use leadflow_tests::{lead_in, CountFunnel};

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
const JUERGEN: &str = "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen&Nachname=Gro%C3%9F\
    &Position=Gesch%C3%A4ftsf%C3%BChrer&Mitarbeiter=120&Land=Deutschland\
    &Kaufzeitraum=sofort&Budgetrolle=Entscheider&activity=demo_request";
const JUERGEN_AGAIN: &str = "E-Mail=j.gross%40mueller-maschinenbau.de&Vorname=J%C3%BCrgen\
    &Nachname=Gro%C3%9F&activity=pricing_page";
const HANDOVER: &str =
    r#"{"outcome":"qualified","owner":"M. Weber","confirmed":{"need":true,"authority":true,"timing":true}}"#;
const ACCEPT: &str = r#"{"decision":"accept","owner":"K. Braun","opportunity_id":"OPP-1"}"#;
const OBJECTION: &str = r#"{"by":"Datenschutz (A. Klein)","note":"Widerspruch per E-Mail"}"#;

/// The operations that write a lead (the funnel's transactions are the events function's).
const WRITES: [&str; 2] = ["PutItem", "DeleteItem"];

async fn call(
    app: &App<DynamoStore>,
    method: &str,
    path: &str,
    scopes: &[&str],
    ct: &str,
    body: &str,
) -> Response<Body> {
    route(app, request(method, path, Some(scopes), ct, body)).await
}

async fn intake(app: &App<DynamoStore>, body: &str) -> Response<Body> {
    call(app, "POST", "/intake/web", &[], FORM, body).await
}

fn juergen() -> LeadId {
    leadflow_tests::id_key().lead_id("j.gross@mueller-maschinenbau.de")
}

/// The lead as DynamoDB Local holds it, read past the proxy.
async fn stored(app: &App<DynamoStore>) -> Option<leadflow::Lead> {
    direct(&app.store).get(&juergen()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_conflict_on_a_plain_put_is_retried_and_lands() {
    let (proxy, store) = faulty_store().await;
    let app = app(store, Auth::Scopes);
    assert_eq!(intake(&app, JUERGEN).await.status(), 202);
    proxy.next("PutItem", 1, Fault::TransactionConflict);
    let r = intake(&app, JUERGEN_AGAIN).await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    assert_eq!(proxy.injected("PutItem"), 1, "the re-submission was a plain put");
    let lead = stored(&app).await.unwrap();
    assert_eq!((lead.activity_count, lead.version), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_submission_whose_answer_was_lost_is_applied_once() {
    for fault in [Fault::LostAnswer, Fault::Dropped] {
        let (proxy, store) = faulty_store().await;
        let app = app(store, Auth::Scopes);
        assert_eq!(intake(&app, JUERGEN).await.status(), 202);
        // No idempotency key: only the write token tells the retry it was ours.
        proxy.next("PutItem", 1, fault);
        let r = intake(&app, JUERGEN_AGAIN).await;
        assert_eq!(r.status(), 202, "{fault:?}: {}", body_json(&r));
        assert_eq!(proxy.injected("PutItem"), 1);
        // The first post's put, the lost one, and the SDK's retry of the put that had landed.
        assert_eq!(proxy.seen("PutItem"), 3, "{fault:?}: the SDK retried the put that had landed");
        let lead = stored(&app).await.unwrap();
        assert_eq!((lead.activity_count, lead.version), (2, 2), "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handover_whose_answer_was_lost_answers_200() {
    let (proxy, store) = faulty_store().await;
    let app = app(store, Auth::Scopes);
    assert_eq!(intake(&app, JUERGEN).await.status(), 202);
    proxy.next("PutItem", 1, Fault::LostAnswer);
    let r =
        call(&app, "POST", &format!("/leads/{}/handover", juergen()), &["leads/handover"], JSON, HANDOVER)
            .await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    let lead = stored(&app).await.unwrap();
    assert_eq!((lead.stage, lead.version), (Stage::Sql, 2));
}

/// Intake, then hand-over, each write's answer lost when `lose`; then the funnel counted
/// from the table's stream through the proxy, each counting transaction's answer lost
/// too. DynamoDB's own idempotency token stripped. The lead and the funnel, as stored.
async fn create_and_hand_over(
    lose: bool,
) -> (leadflow::Lead, Vec<(leadflow::funnel::Bucket, leadflow::funnel::Tally)>) {
    let (proxy, store) = faulty_store().await;
    let app = app(store, Auth::Scopes);
    // Without the SDK's idempotency token, the retry of a landed write fails its
    // condition: the write token (the lead) and the fold mark (the funnel) tell it was ours.
    proxy.strip_client_request_tokens();
    let lost = u32::from(lose);
    proxy.next("PutItem", lost, Fault::LostAnswer);
    let r = intake(&app, JUERGEN).await;
    assert_eq!(r.status(), 202, "{}", body_json(&r));
    proxy.next("PutItem", lost, Fault::LostAnswer);
    let path = format!("/leads/{}/handover", juergen());
    let r = call(&app, "POST", &path, &["leads/handover"], JSON, HANDOVER).await;
    assert_eq!(r.status(), 200, "{}", body_json(&r));
    assert_eq!((proxy.injected("PutItem"), proxy.seen("PutItem")), (2 * lost, 2 + 2 * lost));
    assert_eq!(proxy.seen("TransactWriteItems"), 0, "the request path writes no transaction");

    // Two records move the funnel (the new MQL, its SQL move): two counts.
    proxy.next("TransactWriteItems", 2 * lost, Fault::LostAnswer);
    app.store.count_funnel().await;
    assert_eq!(
        (proxy.injected("TransactWriteItems"), proxy.seen("TransactWriteItems")),
        (2 * lost, 2 + 2 * lost)
    );
    // Every record delivered again: nothing more.
    app.store.count_funnel().await;
    let day = leadflow::funnel::Day::of(NOW);
    let funnel = direct(&app.store).funnel(day, day).await.unwrap();
    (stored(&app).await.unwrap(), funnel)
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_and_counts_whose_answers_were_lost_are_applied_once() {
    let (clean, clean_funnel) = create_and_hand_over(false).await;
    let (lead, funnel) = create_and_hand_over(true).await;
    assert_eq!((lead.stage, lead.version, lead.activity_count), (Stage::Sql, 2, 1));
    assert_eq!((clean.stage, clean.version, clean.activity_count), (Stage::Sql, 2, 1));
    // The funnel counted the lead's entry and its moves once each, as without faults.
    assert_eq!(funnel, clean_funnel);
    let entered: Vec<Option<&u64>> =
        [Stage::Unqualified, Stage::Mql, Stage::Sql].iter().map(|s| funnel[0].1.entered.get(s)).collect();
    assert_eq!(entered, [Some(&1), Some(&1), Some(&1)], "{funnel:?}");
}

/// The stream's first batch, as the event source mapping hands it to the events function.
async fn first_batch(store: &DynamoStore) -> aws_lambda_events::dynamodb::Event {
    let mut reader = StreamReader::open(&leadflow_tests::endpoint(), store.table()).await.unwrap();
    let batch = reader.next_batch(100).await.unwrap().expect("records in the stream");
    serde_json::from_value(batch.event).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_count_the_table_throttles_comes_again_and_one_it_refuses_is_logged_not_retried() {
    let (proxy, store) = faulty_store().await;
    let throttled = app(store, Auth::Scopes);
    assert_eq!(intake(&throttled, JUERGEN).await.status(), 202);
    let batch = first_batch(&throttled.store).await;
    let none = Webhooks::new(Vec::new(), Default::default(), RetryMode::Caller);
    let day = leadflow::funnel::Day::of(NOW);

    // Throttled on every attempt: the record is the batch item failure, to come again.
    proxy.always("TransactWriteItems", Fault::Throttle);
    let (response, report) = handle(&none, &throttled.store, None, &batch).await;
    assert_eq!(response.batch_item_failures.len(), 1, "{report:?}");
    assert_eq!(report.failed_at, batch.records[0].change.sequence_number);
    assert_eq!(direct(&throttled.store).funnel(day, day).await.unwrap(), vec![]);
    proxy.clear();
    let (response, report) = handle(&none, &throttled.store, None, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!(report.counted, 1);
    let counted = direct(&throttled.store).funnel(day, day).await.unwrap();
    assert_eq!(counted[0].1.entered.get(&Stage::Unqualified), Some(&1));

    // A cancellation no retry fixes: logged and counted as uncounted, the batch goes on.
    let (proxy, store) = faulty_store().await;
    let refused = app(store, Auth::Scopes);
    assert_eq!(intake(&refused, JUERGEN).await.status(), 202);
    let batch = first_batch(&refused.store).await;
    proxy.next("TransactWriteItems", 1, Fault::Validation);
    let (response, report) = handle(&none, &refused.store, None, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{report:?}");
    assert_eq!((report.uncounted, report.counted), (1, 0));
    assert_eq!(proxy.seen("TransactWriteItems"), 1, "not retried");
}

/// A write path of the matrix: its setup (through the proxy, no faults) and the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    IntakeNew,
    IntakeExisting,
    Handover,
    Acceptance,
    Erasure,
    Objection,
    ScheduledRun,
    FullRescore,
}

impl Path {
    const ALL: [Path; 8] = [
        Path::IntakeNew,
        Path::IntakeExisting,
        Path::Handover,
        Path::Acceptance,
        Path::Erasure,
        Path::Objection,
        Path::ScheduledRun,
        Path::FullRescore,
    ];

    async fn setup(self, app: &App<DynamoStore>) {
        match self {
            Path::IntakeNew => {}
            Path::ScheduledRun | Path::FullRescore => {
                // A lead due now whose score is stale (another SLA version): both the
                // run and the full re-score write it.
                let mut lead = lead_in("j.gross@mueller-maschinenbau.de", Stage::Mql, 50, Some(NOW));
                lead.id = juergen();
                app.store.put(&lead).await.unwrap();
            }
            _ => {
                assert_eq!(intake(app, JUERGEN).await.status(), 202);
                if self == Path::Acceptance {
                    let path = format!("/leads/{}/handover", juergen());
                    assert_eq!(
                        call(app, "POST", &path, &["leads/handover"], JSON, HANDOVER).await.status(),
                        200
                    );
                }
            }
        }
    }

    /// The status answered (the run: 200 for a report, 503 for an error that stops it,
    /// 207 when it went on with a failed lead).
    async fn act(self, app: &App<DynamoStore>) -> (u16, bool) {
        let id = juergen();
        let r = match self {
            Path::IntakeNew => intake(app, JUERGEN).await,
            Path::IntakeExisting => intake(app, JUERGEN_AGAIN).await,
            Path::Handover => {
                call(app, "POST", &format!("/leads/{id}/handover"), &["leads/handover"], JSON, HANDOVER).await
            }
            Path::Acceptance => {
                call(app, "POST", &format!("/leads/{id}/acceptance"), &["leads/accept"], JSON, ACCEPT).await
            }
            Path::Erasure => call(app, "DELETE", &format!("/leads/{id}"), &["leads/erase"], "", "").await,
            Path::Objection => {
                call(app, "POST", &format!("/leads/{id}/objection"), &["leads/erase"], JSON, OBJECTION).await
            }
            Path::ScheduledRun => {
                let scorer = Scorer::new(Sla::default_sla());
                return match run_due(&app.store, &scorer, NOW.plus_days(1)).await {
                    Ok(report) if report.failed == 0 && report.written == 1 => (200, false),
                    Ok(report) if report.failed == 1 && report.written == 0 => (207, false),
                    Ok(report) => panic!("unexpected run report {report:?}"),
                    Err(StoreError::Unavailable(_)) => (503, true),
                    Err(e) => panic!("the run stopped on {e:?}"),
                };
            }
            Path::FullRescore => {
                let scorer = Scorer::new(Sla::default_sla());
                return match rescore_all(&app.store, &scorer, NOW, 1, 10, &|| false).await {
                    Ok(r) if r.done && r.failed == 0 && r.rescored == 1 => (200, false),
                    Ok(r) if r.done && r.failed == 1 && r.rescored == 0 => (207, false),
                    Ok(report) => panic!("unexpected re-score report {report:?}"),
                    Err(StoreError::Unavailable(_)) => (503, true),
                    // The checkpoint itself cannot be saved: a permanent error, no retry.
                    Err(StoreError::Internal(_)) => (500, false),
                    Err(e) => panic!("the re-score stopped on {e:?}"),
                };
            }
        };
        (r.status().as_u16(), r.headers().get("retry-after").is_some())
    }

    /// The answer without faults.
    fn ok(self) -> u16 {
        match self {
            Path::IntakeNew | Path::IntakeExisting => 202,
            Path::Erasure => 204,
            _ => 200,
        }
    }

    /// What a permanent fault (in every write operation once) answers. The run goes on
    /// past the lead; the re-score also fails to save its checkpoint and stops for good.
    fn permanent(self) -> u16 {
        match self {
            Path::ScheduledRun => 207,
            _ => 500,
        }
    }
}

/// A fault of the matrix: how often it is injected.
#[derive(Debug, Clone, Copy)]
enum Injected {
    None,
    Once(Fault),
    Always(Fault),
}

/// What the path is expected to answer under the fault, and whether it is applied.
fn expected(path: Path, injected: Injected) -> (u16, bool) {
    match injected {
        Injected::None | Injected::Once(Fault::Throttle | Fault::InternalError) => (path.ok(), true),
        Injected::Once(Fault::TransactionConflict) if path == Path::Erasure => (503, false),
        Injected::Once(Fault::TransactionConflict) => (path.ok(), true),
        Injected::Once(Fault::LostAnswer | Fault::Dropped) => (path.ok(), true),
        // The re-score's first put is the lead's: that lead fails, the re-score goes on
        // (its checkpoint, refused every time, is what ends it with a 500).
        Injected::Once(Fault::Validation) if path == Path::FullRescore => (207, false),
        Injected::Once(Fault::Validation) | Injected::Always(Fault::Validation) => (path.permanent(), false),
        Injected::Always(_) => (503, false),
        Injected::Once(Fault::Stalled) => {
            unreachable!("a stall is tested with a deadline, not in the matrix")
        }
    }
}

/// The lead as stored, in the terms "applied once" is checked in.
#[derive(Debug, PartialEq)]
struct Seen {
    exists: bool,
    version: u64,
    activities: u64,
    moves: usize,
}

async fn seen(app: &App<DynamoStore>) -> Seen {
    match stored(app).await {
        None => Seen { exists: false, version: 0, activities: 0, moves: 0 },
        Some(l) => {
            Seen { exists: true, version: l.version, activities: l.activity_count, moves: l.history.len() }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_path_answers_every_fault_right_and_applies_once() {
    let faults = [
        Injected::None,
        Injected::Once(Fault::Throttle),
        Injected::Always(Fault::Throttle),
        Injected::Once(Fault::TransactionConflict),
        Injected::Once(Fault::InternalError),
        Injected::Once(Fault::Validation),
        Injected::Once(Fault::LostAnswer),
        Injected::Once(Fault::Dropped),
    ];
    let mut failures = String::new();
    for path in Path::ALL {
        // The state each path leads to without faults: what "applied once" looks like.
        let (_, clean) = faulty_store().await;
        let clean = app(clean, Auth::Scopes);
        path.setup(&clean).await;
        let untouched = seen(&clean).await;
        assert_eq!(path.act(&clean).await, (path.ok(), false), "{path:?} without faults");
        let applied = seen(&clean).await;
        assert_ne!(untouched, applied, "{path:?} changes the lead");

        for injected in faults {
            let (proxy, store): (FaultProxy, DynamoStore) = faulty_store().await;
            let app = app(store, Auth::Scopes);
            path.setup(&app).await;
            for op in WRITES {
                match injected {
                    Injected::None => {}
                    Injected::Once(f) => proxy.next(op, 1, f),
                    Injected::Always(f) => proxy.always(op, f),
                }
            }
            let (status, retry_after) = path.act(&app).await;
            proxy.clear();
            let hit: u32 = WRITES.iter().map(|op| proxy.injected(op)).sum();
            let (want, lands) = expected(path, injected);
            let now = seen(&app).await;
            let want_seen = if lands { &applied } else { &untouched };
            // Transient answers carry Retry-After, permanent and successful ones do not.
            let want_retry_after = want == 503;
            if status != want
                || retry_after != want_retry_after
                || now != *want_seen
                || (!matches!(injected, Injected::None) && hit == 0)
            {
                writeln!(
                    failures,
                    "{path:?} × {injected:?}: answered {status} (retry-after {retry_after}), want {want}; \
                     stored {now:?}, want {want_seen:?}; faults injected {hit}"
                )
                .unwrap();
            }
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_conflict_that_never_ends_is_a_conflict_not_a_500() {
    let (proxy, store) = faulty_store().await;
    let mut app = app(store, Auth::Scopes);
    app.retry = leadflow::intake::RetryPolicy { max_attempts: 5, ..app.retry };
    assert_eq!(intake(&app, JUERGEN).await.status(), 202);
    proxy.always("PutItem", Fault::TransactionConflict);
    let r = intake(&app, JUERGEN_AGAIN).await;
    assert_eq!(r.status(), 409, "{}", body_json(&r));
    assert!(r.headers().get("retry-after").is_some(), "the delivery is worth retrying");
    assert_eq!(proxy.injected("PutItem"), 5, "each attempt re-read and wrote again");
    let path = format!("/leads/{}/handover", juergen());
    let r = call(&app, "POST", &path, &["leads/handover"], JSON, HANDOVER).await;
    assert_eq!(r.status(), 409, "{}", body_json(&r));
    assert_eq!(proxy.injected("PutItem"), 10, "the hand-over too: five plain puts");
    assert!(r.headers().get("retry-after").is_some(), "the hand-over is worth retrying");
    let lead = stored(&app).await.unwrap();
    assert_eq!((lead.stage, lead.activity_count, lead.version), (Stage::Mql, 1, 1));
}

/// A lead store that stops answering: the request ends at the invocation's deadline
/// with a 503 and `Retry-After` (not in Lambda's timeout, which answers nothing useful),
/// on an intake and on a sales command alike.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_stops_answering_is_a_503_before_the_invocations_deadline() {
    use lambda_http::lambda_runtime::Context;
    use lambda_http::RequestExt;
    let (proxy, store) = faulty_store().await;
    let app = app(store, Auth::Scopes);
    assert_eq!(intake(&app, JUERGEN).await.status(), 202);
    proxy.always("GetItem", Fault::Stalled);
    let within = |req: lambda_http::Request| {
        let mut context = Context::default();
        let deadline = std::time::SystemTime::now() + std::time::Duration::from_millis(1500);
        context.deadline = deadline.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        req.with_lambda_context(context)
    };
    let form = within(request("POST", "/intake/web", None, FORM, JUERGEN_AGAIN));
    let path = format!("/leads/{}/handover", juergen());
    let handover = within(request("POST", &path, Some(&["leads/handover"]), JSON, HANDOVER));
    for req in [form, handover] {
        let r = route(&app, req).await;
        let body = body_json(&r);
        assert_eq!(r.status(), 503, "{body}");
        assert_eq!(r.headers()["retry-after"], "2");
        assert!(body["detail"].as_str().unwrap().contains("did not answer in time"), "{body}");
    }
    // (How far each request got before its deadline, the stalled read or not yet, depends
    // on the machine's load: the answer's detail is what tells the deadline's 503 from the
    // SDK's own timeout, which answers "try again shortly" after 10 s.)
    proxy.clear();
    let lead = stored(&app).await.unwrap();
    assert_eq!((lead.stage, lead.activity_count, lead.version), (Stage::Mql, 1, 1), "nothing applied");
}
