//! No email, name or phone in any log line: the handlers log lead ids only.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

use leadflow::http::{route, Auth};
use leadflow::store::InMemoryStore;
use leadflow_tests::http::{app, body_json, event};
use tracing_subscriber::filter::{dynamic_filter_fn, EnvFilter, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

thread_local! {
    /// This thread's log lines while it captures them.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Appends to the logging thread's capture: lines are formatted on the thread that logs.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with_borrow_mut(|lines| {
            if let Some(lines) = lines {
                lines.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures this thread's log lines, as JSON, at every level down to debug, until dropped.
///
/// The tests run as threads of one process, so one subscriber serves them all: the global
/// default, installed on first use, which formats only the lines of a capturing thread
/// (the other threads pay a thread-local lookup per callsite hit). A thread-scoped
/// subscriber (`set_default`) would lose lines: while it is the only subscriber, a
/// callsite that another test's thread reaches first is cached as disabled everywhere.
struct Capture;

impl Capture {
    fn start() -> Self {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let capturing = dynamic_filter_fn(|_, _| CAPTURED.with_borrow(Option::is_some));
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .with_writer(|| ThreadWriter)
                .with_filter(capturing.and(EnvFilter::new("debug")));
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
                .expect("nothing else in the test binary installs a global subscriber");
            // A callsite another thread registered while the subscriber was being
            // installed may be cached as disabled: ask every callsite again.
            tracing::callsite::rebuild_interest_cache();
        });
        CAPTURED.set(Some(Vec::new()));
        Capture
    }

    fn text(&self) -> String {
        CAPTURED.with_borrow(|lines| String::from_utf8(lines.clone().unwrap_or_default()).unwrap())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURED.set(None);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn log_lines_carry_ids_not_people() {
    // A current-thread runtime: the handlers run, and log, on this thread.
    let capture = Capture::start();

    let app = app(InMemoryStore::new(), Auth::Scopes);
    let r = route(&app, event("intake-json.json")).await;
    assert_eq!(r.status(), 202);
    let id = body_json(&r)["lead_id"].as_str().unwrap().to_owned();
    assert_eq!(route(&app, event("intake-form-de.json")).await.status(), 202);
    let mut phone = event("intake-json.json");
    *phone.body_mut() = lambda_http::Body::Text(
        r#"{"email":"ceo@nordwind-logistik.de","phone":"+49 40 1234567","last_name":"Schmidt"}"#.into(),
    );
    phone.headers_mut().remove("idempotency-key");
    assert_eq!(route(&app, phone).await.status(), 202);
    assert_eq!(route(&app, event("handover-qualified.json")).await.status(), 200);
    assert_eq!(route(&app, event("acceptance-accept.json")).await.status(), 200);

    let logs = capture.text();
    assert!(logs.contains(&id), "the lead id is logged: {logs}");
    for personal in [
        "nordwind-logistik.de",
        "Anna",
        "Schmidt",
        "mueller-maschinenbau",
        "Jürgen",
        "Groß",
        "1234567",
        "+49",
    ] {
        assert!(
            !logs.to_lowercase().contains(&personal.to_lowercase()),
            "`{personal}` appears in the logs:\n{logs}"
        );
    }
}
