//! The real function binaries under cargo-lambda's emulator (`cargo lambda watch`),
//! against DynamoDB Local (and moto's SQS and EventBridge for the events function), invoked with the sample events users invoke them with
//! (`cargo lambda invoke <function> --data-file tests/events/<event>.json`).

use leadflow::store::LeadStore;
use leadflow::{LeadId, Stage, Timestamp};
use leadflow_tests::emulator::LambdaEmulator;
use leadflow_tests::http::event_json as event;
use leadflow_tests::secrets_manager::{self, string_secret};
use leadflow_tests::{endpoint, fresh_dynamo_store, raw_item};
use serde_json::{json, Value};

/// The lead of tests/events/intake-json.json under the test id key.
const ID: &str = "7eca040473a28d575723c7f9bd59766e";

/// An API Gateway v2 invocation: status and the JSON body.
fn api(emulator: &LambdaEmulator, function: &str, event_file: &str) -> (u64, Value) {
    let response = emulator
        .invoke(function, &event(event_file))
        .unwrap_or_else(|e| panic!("{function} with {event_file} failed: {e}"));
    let body = response["body"].as_str().unwrap_or_else(|| panic!("{function}: no body in {response}"));
    (response["statusCode"].as_u64().unwrap(), serde_json::from_str(body).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_four_binaries_walk_a_lead_from_form_to_sales_and_the_schedule_flags_a_breach() {
    let store = fresh_dynamo_store().await;
    let endpoint = endpoint();
    // The secrets come from (a local) Secrets Manager, as in the template: only their
    // ARNs are in the functions' environment.
    let id_key = string_secret("leadflow-id-key", "integration-test-key-0123").await;
    let sources = string_secret("leadflow-sources", r#"{"web":{"scheme":"unsigned"}}"#).await;
    let secrets_endpoint = secrets_manager::endpoint();
    let emulator = LambdaEmulator::start(&[
        ("LEADFLOW_TABLE", store.table()),
        ("LEADFLOW_ID_KEY_SECRET_ARN", &id_key),
        ("LEADFLOW_SOURCES_SECRET_ARN", &sources),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", &secrets_endpoint),
        ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("RUST_LOG", "warn"),
    ]);
    // The blocking HTTP exchanges run off the async runtime.
    let run = move || {
        let (status, body) = api(&emulator, "intake", "intake-json.json");
        assert_eq!((status, &body), (202, &json!({ "lead_id": ID, "replay": false })));
        let (status, body) = api(&emulator, "intake", "intake-json.json");
        assert_eq!((status, &body), (202, &json!({ "lead_id": ID, "replay": true })), "same idempotency key");
        let (status, body) = api(&emulator, "intake", "intake-form-de.json");
        assert_eq!(status, 202, "{body}");
        let german = body["lead_id"].as_str().unwrap().to_owned();

        let (status, body) = api(&emulator, "handover", "get-lead.json");
        assert_eq!((status, body["stage"].as_str()), (200, Some("mql")), "{body}");
        let (status, body) = api(&emulator, "handover", "queue-mql.json");
        assert_eq!(status, 200, "{body}");
        let queued: Vec<&str> =
            body["leads"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert!(queued.contains(&ID) && queued.contains(&german.as_str()), "{body}");
        let (status, body) = api(&emulator, "handover", "handover-qualified.json");
        assert_eq!((status, body["stage"].as_str()), (200, Some("sql")), "{body}");
        let (status, body) = api(&emulator, "acceptance", "acceptance-accept.json");
        assert_eq!((status, body["stage"].as_str()), (200, Some("sal")), "{body}");
        let (status, body) = api(&emulator, "scoring", "score-lead.json");
        assert_eq!((status, body["stage"].as_str()), (200, Some("sal")), "{body}");

        // The schedule: nothing is due now. The writing run refuses to look three days
        // ahead (that would recycle leads for good): an invocation error, nothing written.
        let report = emulator.invoke("scoring", &event("scheduled.json")).unwrap();
        assert_eq!((report["read"].as_u64(), report["written"].as_u64()), (Some(0), Some(0)), "{report}");
        let later = Timestamp::from_unix(
            Timestamp::parse_rfc3339(report["as_of"].as_str().unwrap()).unwrap().unix() + 3 * 86_400,
        );
        let error =
            emulator.invoke("scoring", &json!({ "action": "requalify", "as_of": later })).unwrap_err();
        assert!(error["errorMessage"].as_str().unwrap().contains("ahead of the clock"), "{error}");
        // Bad events are invocation errors, not silent successes.
        let error = emulator.invoke("scoring", &json!({ "action": "explode" })).unwrap_err();
        assert!(error["errorMessage"].as_str().unwrap().contains("unknown action"), "{error}");
        german
    };
    let german = tokio::task::spawn_blocking(run).await.unwrap();

    // The table, read past the functions.
    let lead = store.get(&LeadId::parse(ID).unwrap()).await.unwrap().expect("the lead is in the table");
    assert_eq!(lead.stage, Stage::Sal);
    assert_eq!(lead.activity_count, 1, "the repeated delivery was not counted twice");
    let moves: Vec<_> = lead.history.iter().map(|h| (h.from, h.to)).collect();
    assert_eq!(moves, [(Stage::Unqualified, Stage::Mql), (Stage::Mql, Stage::Sql), (Stage::Sql, Stage::Sal)]);
    let german = store.get(&LeadId::parse(&german).unwrap()).await.unwrap().unwrap();
    assert_eq!(german.profile.first_name.as_deref(), Some("Jürgen"));
    assert!(german.sla_breached_at.is_none(), "the refused run wrote nothing");
    let raw = raw_item(&store, &german.id).await;
    assert_eq!(raw["queue_stage"].as_s().unwrap(), "mql");
}

/// A function binary as `cargo build` (and the emulator) builds it.
fn function_binary(name: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| leadflow_tests::checkout().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run the emulator test first (it builds the functions)",
        path.display()
    );
    path
}

/// A function whose secret is missing or malformed does not start, and says which
/// variable and which secret; it never falls back to anything.
#[tokio::test(flavor = "multi_thread")]
async fn a_function_with_a_missing_or_malformed_secret_refuses_to_start_and_says_why() {
    let id_key = string_secret("leadflow-id-key", "integration-test-key-0123").await;
    let short_key = string_secret("leadflow-id-key", "short").await;
    let not_json = string_secret("leadflow-sources", "web: unsigned").await;
    // Stored double-encoded (a JSON string holding the JSON): serde would quote it whole.
    let inner = r#"{"typeform":{"scheme":"typeform","secret":"LEAKMARKER-0123456789"}}"#;
    let double_encoded = string_secret("leadflow-sources", &serde_json::to_string(inner).unwrap()).await;
    let missing = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:leadflow/nowhere-AbCdEf";
    let cases: [(&str, &str, &[&str]); 4] = [
        (&id_key, &not_json, &["LEADFLOW_SOURCES", "LEADFLOW_SOURCES_SECRET_ARN"]),
        (&id_key, &double_encoded, &["LEADFLOW_SOURCES", "invalid type: string, expected a map"]),
        (&short_key, &not_json, &["LEADFLOW_ID_KEY", "LEADFLOW_ID_KEY_SECRET_ARN"]),
        (missing, &not_json, &["LEADFLOW_ID_KEY_SECRET_ARN", "does not exist"]),
    ];
    leadflow_tests::emulator::build_functions();
    for (key, sources, want) in cases {
        let out = std::process::Command::new(function_binary("intake"))
            .env_clear()
            .env("LEADFLOW_TABLE", "leads")
            .env("LEADFLOW_ID_KEY_SECRET_ARN", key)
            .env("LEADFLOW_SOURCES_SECRET_ARN", sources)
            .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_manager::endpoint())
            .env("AWS_REGION", "eu-central-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .output()
            .expect("running the intake binary");
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{log}");
        let line = log
            .lines()
            .find(|l| l.contains("cannot start"))
            .unwrap_or_else(|| panic!("no start-up error: {log}"));
        for w in want {
            assert!(line.contains(w), "{w} missing in {line}");
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        for value in ["integration-test-key", "LEAKMARKER"] {
            assert!(
                !log.contains(value) && !stderr.contains(value),
                "a secret's value in the output: {log}{stderr}"
            );
        }
    }
}

/// The events binary under the emulator, wired as in the template: a batch of DynamoDB
/// Local's stream (Lambda's `DynamodbEvent` JSON) queues the deliveries in the FIFO queue
/// and puts the events on the bus (moto's SQS and EventBridge); a batch of the queue
/// (Lambda's `SqsEvent` JSON from a `ReceiveMessage` answer) delivers one signed webhook.
/// Failures come back as partial batch responses naming the record or message.
#[tokio::test(flavor = "multi_thread")]
async fn the_events_binary_queues_from_the_stream_delivers_from_the_queue_and_answers_partial_batch_responses(
) {
    use leadflow::http::{intake, Auth};
    use leadflow_infra::stream_reader::StreamReader;
    use leadflow_tests::moto;
    use leadflow_tests::webhook_receiver::{Answer, Receiver};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let store = fresh_dynamo_store().await;
    let app = leadflow_tests::http::app(store.clone(), Auth::Scopes);
    let r = intake::handle(&app, leadflow_tests::http::event("intake-json.json")).await;
    assert_eq!(r.status(), 202);
    let mut reader = StreamReader::open(&endpoint(), store.table()).await.unwrap();
    let batch = reader.next_batch(100).await.unwrap().expect("the intake's stream record");
    // The first delivery fails, the next is taken.
    let rx =
        Receiver::start(&[("/crm", SECRET)], |_, n| Answer::Status(if n == 0 { 503 } else { 200 })).await;
    let (bus, bus_queue) = moto::bus_into_queue("leadflow-emulated").await;
    let (queue, _) = moto::fifo_queue_with_dead_letters("leadflow-emulated", 12).await;
    let webhooks = format!(r#"[{{"url": "{}", "secret": "{SECRET}"}}]"#, rx.url("/crm"));
    let moto_endpoint = secrets_manager::endpoint();
    let dynamodb = endpoint();
    let emulator = LambdaEmulator::start(&[
        ("LEADFLOW_TABLE", store.table()),
        ("LEADFLOW_WEBHOOKS", &webhooks),
        ("LEADFLOW_WEBHOOK_RETRY_QUEUE", &queue),
        ("LEADFLOW_EVENT_BUS", &bus),
        // The first retry after a second, not a minute.
        ("LEADFLOW_WEBHOOK_RETRY_BASE_MS", "1000"),
        ("AWS_ENDPOINT_URL_SQS", &moto_endpoint),
        ("AWS_ENDPOINT_URL_EVENTBRIDGE", &moto_endpoint),
        ("AWS_ENDPOINT_URL_DYNAMODB", &dynamodb),
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("RUST_LOG", "warn"),
    ]);
    let emulator = std::sync::Arc::new(emulator);
    let invoke = |event: Value| {
        let emulator = emulator.clone();
        tokio::task::spawn_blocking(move || emulator.invoke("events", &event))
    };

    // The stream batch: every lead record queued and on the bus, nothing to redo.
    let stream_event = batch.event.clone();
    let response = invoke(stream_event.clone()).await.unwrap().expect("the stream batch");
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    assert_eq!(moto::messages_held(&queue).await, 2, "lead.created and lead.stage_changed for /crm");
    let on_bus = moto::drain_queue(&bus_queue).await;
    let types: Vec<&str> = on_bus.iter().map(|m| m["detail-type"].as_str().unwrap()).collect();
    assert_eq!(types.len(), 2, "{on_bus:?}");
    assert!(types.contains(&"lead.created") && types.contains(&"lead.stage_changed"), "{types:?}");
    assert!(rx.received().is_empty(), "the stream side delivers nothing itself");

    // The queue: the first attempt fails (the message is named), the next delivers.
    let first = moto::receive_as_lambda_event(&queue).await.expect("a queued delivery");
    let response = invoke(first.clone()).await.unwrap().expect("the queue batch");
    assert_eq!(
        response["batchItemFailures"],
        json!([{ "itemIdentifier": first["Records"][0]["messageId"] }])
    );
    let again = loop {
        if let Some(e) = moto::receive_as_lambda_event(&queue).await {
            break e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        again["Records"][0]["messageId"], first["Records"][0]["messageId"],
        "its group waits behind it"
    );
    assert_eq!(again["Records"][0]["attributes"]["ApproximateReceiveCount"], "2");
    let response = invoke(again.clone()).await.unwrap().expect("the queue batch");
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    let got = rx.accepted("/crm");
    assert_eq!(got.len(), 1);
    assert!(got[0].verified && got[0].body["type"] == "lead.created", "{:?}", got[0]);

    // The bus gone: the first lead record of the stream batch is named for redelivery.
    moto::eventbridge().delete_event_bus().name(&bus).send().await.expect("deleting the bus");
    let response = invoke(stream_event.clone()).await.unwrap().expect("the stream batch");
    let first_lead = stream_event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dynamodb"]["Keys"]["SK"]["S"] == "LEAD")
        .unwrap();
    assert_eq!(
        response["batchItemFailures"],
        json!([{ "itemIdentifier": first_lead["dynamodb"]["SequenceNumber"] }]),
        "{response}"
    );
}
