//! Helpers for Leadflow's integration tests: DynamoDB Local clients and fresh tables,
//! leads and submissions built to order, and the app the handler tests run.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use leadflow::scoring::{Grade, Score};
use leadflow::store::dynamodb::RequestCounter;
use leadflow::store::DynamoStore;
use leadflow::{IdKey, Lead, LeadId, Profile, Stage, Timestamp};

pub use leadflow_infra::dynamodb_local::{shared_endpoint, DynamoDbLocal};

pub mod bench;
pub mod emulator;
pub mod fault_proxy;
pub mod moto;
pub mod secrets_manager;
pub mod store_contract;
mod submission;
pub mod webhook_receiver;

pub use submission::{SubmissionBuilder, T0};

/// The checkout the tests run in. Read at run time (cargo sets it for every test
/// process): the build cache is shared between checkouts, so a path compiled into a
/// test binary may name another one.
pub fn checkout() -> std::path::PathBuf {
    let tests = std::env::var_os("CARGO_MANIFEST_DIR").expect("run the tests with cargo test");
    std::path::PathBuf::from(tests).join("..")
}

/// The process-wide DynamoDB Local endpoint; fails the test with how to fix it.
pub fn endpoint() -> String {
    shared_endpoint().unwrap_or_else(|e| panic!("these tests need DynamoDB Local: {e}"))
}

/// A client for DynamoDB Local: static credentials, short timeouts, few retries, so an
/// outage shows quickly.
pub fn client(endpoint: &str, counter: Option<RequestCounter>) -> Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        // The functions' own HTTPS client: the SDK's default one is not compiled in.
        .http_client(leadflow::wiring::tls::https_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "leadflow-tests"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(counter) = counter {
        config = config.interceptor(counter);
    }
    Client::from_conf(config.build())
}

/// A table name no other test uses.
pub fn unique_table() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("leads-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// What the deployed events function does for the funnel, done now: a store counts its
/// writes into the funnel once this returns.
pub trait CountFunnel {
    fn count_funnel(&self) -> impl std::future::Future<Output = ()>;
}

impl CountFunnel for leadflow::store::InMemoryStore {
    /// The embedded store counts as it writes.
    async fn count_funnel(&self) {}
}

impl CountFunnel for DynamoStore {
    /// Every record of the table's stream so far through the events handler (no webhook
    /// subscribers), from the stream's start: counting is idempotent, so records read
    /// again add nothing.
    async fn count_funnel(&self) {
        use leadflow::webhooks::delivery::{RetryMode, Webhooks};
        let none = Webhooks::new(Vec::new(), Default::default(), RetryMode::Caller);
        let mut reader = leadflow_infra::stream_reader::StreamReader::open(&endpoint(), self.table())
            .await
            .unwrap_or_else(|e| panic!("the table's stream: {e}"));
        for _ in 0..1_000 {
            let Some(batch) =
                reader.next_batch(100).await.unwrap_or_else(|e| panic!("reading the stream: {e}"))
            else {
                return;
            };
            let event: leadflow::lambda::events::DynamodbEvent =
                serde_json::from_value(batch.event.clone()).expect("Lambda's DynamodbEvent shape");
            let (response, report) = leadflow::lambda::events::handle(&none, self, None, &event).await;
            assert!(response.batch_item_failures.is_empty(), "the funnel could not be counted: {report:?}");
            reader.commit(&batch, None);
        }
        panic!("the stream never drained");
    }
}

/// A DynamoDB store on a fresh table of the shared emulator.
pub async fn fresh_dynamo_store() -> DynamoStore {
    fresh_dynamo_store_counted(None).await
}

pub async fn fresh_dynamo_store_counted(counter: Option<RequestCounter>) -> DynamoStore {
    let store = DynamoStore::new(client(&endpoint(), counter), unique_table());
    store.create_table().await.unwrap_or_else(|e| panic!("creating the test table: {e}"));
    store
}

pub fn id_key() -> IdKey {
    IdKey::new("integration-test-key-0123").unwrap()
}

/// A lead for `email` in `stage` with a score `total`, due at `due` (store tests).
pub fn lead_in(email: &str, stage: Stage, total: i32, due: Option<Timestamp>) -> Lead {
    let profile = Profile { email: email.into(), company_domain: "firma.de".into(), ..Profile::default() };
    let now = T0;
    let mut lead = Lead::new(id_key().lead_id(email), "web", profile, now);
    lead.stage = stage;
    lead.version = 1;
    lead.due_at = due;
    lead.score = Some(Score {
        total,
        need: 0,
        authority: 0,
        readiness: 0,
        fit: total,
        engagement: 0,
        grade: Grade::C,
        mql: stage == Stage::Mql,
        disqualification: None,
        explanation: vec![],
        sla_version: "test".into(),
        scored_at: now,
        next_change_at: due,
    });
    lead
}

/// Every lead in the store, through the trait's own scan.
pub async fn all_leads<S: leadflow::store::LeadStore>(store: &S) -> Vec<Lead> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.scan(0, 1, 100, cursor.as_deref()).await.expect("scanning the store");
        out.extend(page.leads);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// A raw DynamoDB item, attribute by attribute.
pub fn item_size(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    fn value(v: &V) -> usize {
        match v {
            V::S(s) => s.len(),
            V::N(n) => n.len(),
            V::Bool(_) | V::Null(_) => 1,
            V::L(l) => 3 + l.iter().map(|v| 1 + value(v)).sum::<usize>(),
            V::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + value(v)).sum::<usize>(),
            V::Ss(s) => s.iter().map(String::len).sum(),
            V::Ns(s) => s.iter().map(String::len).sum(),
            V::B(b) => b.as_ref().len(),
            _ => 0,
        }
    }
    item.iter().map(|(k, v)| k.len() + value(v)).sum()
}

pub type RawItem = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// The lead's item as DynamoDB holds it, read past the store.
pub async fn raw_item(store: &DynamoStore, id: &LeadId) -> RawItem {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    store
        .client()
        .get_item()
        .table_name(store.table())
        .key("PK", V::S(format!("LEAD#{id}")))
        .key("SK", V::S("LEAD".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the lead's item exists")
}

/// Every item of the store's table, whatever it is (leads, aggregates, checkpoints),
/// read past the store.
pub async fn raw_scan(store: &DynamoStore) -> Vec<RawItem> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scanning the raw table");
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return items,
        }
    }
}

pub fn ids(leads: &[Lead]) -> Vec<LeadId> {
    leads.iter().map(|l| l.id.clone()).collect()
}

pub mod http {
    //! Requests and responses for handler and end-to-end tests.

    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::Arc;

    use lambda_http::{Body, Response};
    use leadflow::forms::{Scheme, Source};
    use leadflow::http::{App, Auth, Sources};
    use leadflow::intake::RetryPolicy;
    use leadflow::{ManualClock, Scorer, Sla, Timestamp};
    use serde_json::Value;

    /// The instant handler tests run at (matches the sample events).
    pub const NOW: Timestamp = Timestamp::from_unix(1_795_773_600);
    pub const GENERIC_SECRET: &str = "generic-secret-0123456789";
    pub const TYPEFORM_SECRET: &str = "typeform-secret-0123456789";
    pub const HUBSPOT_SECRET: &str = "hubspot-secret-0123456789";
    pub const WEBFLOW_SECRET: &str = "webflow-secret-0123456789";

    pub fn sources() -> Sources {
        let mut s = Sources::default();
        s.insert("web", Source::new(Scheme::Unsigned, None));
        s.insert("partner", Source::new(Scheme::Generic, Some(GENERIC_SECRET.into())));
        s.insert("typeform", Source::new(Scheme::Typeform, Some(TYPEFORM_SECRET.into())));
        s.insert("hubspot", Source::new(Scheme::HubSpotV3, Some(HUBSPOT_SECRET.into())));
        s.insert("webflow", Source::new(Scheme::Webflow, Some(WEBFLOW_SECRET.into())));
        s
    }

    /// The local server's HTTP side over the store `make` builds (which may start the
    /// events follower too), on a runtime of its own as the binary runs it, on
    /// 127.0.0.1; scope checks when `tokens` names any, open otherwise.
    pub fn start_local_server<S, F, Fut>(make: F, tokens: leadflow_infra::local_server::Tokens) -> SocketAddr
    where
        S: leadflow::store::LeadStore + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = S>,
    {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let store = make().await;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let auth = if tokens.0.is_empty() { Auth::Open } else { Auth::Scopes };
                leadflow_infra::local_server::serve(listener, Arc::new(app(store, auth)), Arc::new(tokens))
                    .await;
            });
        });
        rx.recv().expect("the server started")
    }

    /// An app over `store` with the test sources, scope checks, and a clock at [`NOW`].
    pub fn app<S>(store: S, auth: Auth) -> App<S> {
        App {
            store,
            scorer: Scorer::new(Sla::default_sla()),
            id_key: super::id_key(),
            sources: sources(),
            auth,
            clock: Arc::new(ManualClock::at(NOW)),
            retry: RetryPolicy::default(),
        }
    }

    /// The lead as sales sees it (`GET /leads/{id}`), read from the app's store: the
    /// public intake's answer holds only the lead id.
    pub async fn lead_view<S: leadflow::store::LeadStore>(app: &App<S>, id: &str) -> Value {
        let id = leadflow::LeadId::parse(id).unwrap_or_else(|| panic!("`{id}` is not a lead id"));
        let lead = app.store.get(&id).await.unwrap().unwrap_or_else(|| panic!("no lead {id}"));
        serde_json::to_value(leadflow::http::view::LeadView::of(&lead, &app.scorer, true)).unwrap()
    }

    /// A request as API Gateway hands it over: query parameters parsed, and (with
    /// `scopes`) a JWT authorizer context granting them.
    pub fn request(
        method: &str,
        path_and_query: &str,
        scopes: Option<&[&str]>,
        content_type: &str,
        body: &str,
    ) -> lambda_http::Request {
        use lambda_http::RequestExt;
        let mut builder = lambda_http::http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", "api.leadflow.test");
        if !content_type.is_empty() {
            builder = builder.header("content-type", content_type);
        }
        let body = if body.is_empty() { Body::Empty } else { Body::Text(body.to_owned()) };
        let query: std::collections::HashMap<String, Vec<String>> = path_and_query
            .split_once('?')
            .map(|(_, q)| {
                form_urlencoded::parse(q.as_bytes()).fold(
                    std::collections::HashMap::new(),
                    |mut m, (k, v)| {
                        m.entry(k.into_owned()).or_insert_with(Vec::new).push(v.into_owned());
                        m
                    },
                )
            })
            .unwrap_or_default();
        let mut req = builder.body(body).expect("a valid request").with_query_string_parameters(query);
        if let Some(scopes) = scopes {
            let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
            req = req.with_request_context(leadflow_infra::local_server::context_with_scopes(&scopes));
        }
        req
    }

    fn event_text(name: &str) -> String {
        let path = super::checkout().join("tests/events").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A sample API Gateway v2 event from tests/events, through lambda_http's own parsing.
    pub fn event(name: &str) -> lambda_http::Request {
        lambda_http::request::from_str(&event_text(name))
            .unwrap_or_else(|e| panic!("tests/events/{name} is not an API Gateway event: {e}"))
    }

    /// A sample event from tests/events as JSON, as Lambda's Invoke API receives it.
    pub fn event_json(name: &str) -> Value {
        serde_json::from_str(&event_text(name))
            .unwrap_or_else(|e| panic!("tests/events/{name} is not JSON: {e}"))
    }

    pub fn body_text(resp: &Response<Body>) -> String {
        match resp.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        }
    }

    pub fn body_json(resp: &Response<Body>) -> Value {
        serde_json::from_str(&body_text(resp)).unwrap_or(Value::Null)
    }

    /// The problem type's slug (`invalid-field`), or "" for a non-problem response.
    pub fn problem_slug(resp: &Response<Body>) -> String {
        body_json(resp)["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("urn:leadflow:problem:"))
            .unwrap_or("")
            .to_owned()
    }

    /// A plain HTTP/1.1 exchange (`Connection: close`), enough for end-to-end tests.
    pub fn call(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect(addr).expect("the local server accepts connections");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, head.to_owned(), body.to_owned())
    }
}

pub mod openapi {
    //! Checks responses against the committed OpenAPI 3.1 document.

    use serde_json::{json, Value};

    pub fn document() -> Value {
        let path = super::checkout().join("openapi.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json"))
            .expect("openapi.json is JSON")
    }

    /// Fails the test unless `body` (with `content_type`) is what the document promises for
    /// `method template` answering `status`.
    pub fn check(doc: &Value, method: &str, template: &str, status: u16, content_type: &str, body: &Value) {
        let op = &doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "openapi.json has no {method} {template}");
        let response = &op["responses"][status.to_string()];
        assert!(response.is_object(), "openapi.json documents no {status} for {method} {template}");
        let media = content_type.split(';').next().unwrap_or("").trim();
        let schema = &response["content"][media]["schema"];
        assert!(schema.is_object(), "openapi.json has no `{media}` body for {status} of {method} {template}");
        let mut root = json!({ "$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"] });
        root.as_object_mut().unwrap().extend(schema.as_object().unwrap().clone());
        let validator = jsonschema::validator_for(&root).expect("the OpenAPI schemas are valid JSON Schema");
        let errors: Vec<String> =
            validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status} does not match openapi.json:\n{}\n{body:#}",
            errors.join("\n")
        );
    }
}
