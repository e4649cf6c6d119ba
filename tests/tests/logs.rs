//! No email, name or phone in any log line: the handlers log lead ids only.

use std::io::Write;
use std::sync::{Arc, Mutex};

use leadflow::http::{route, Auth};
use leadflow::store::InMemoryStore;
use leadflow_tests::http::{app, body_json, event};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn log_lines_carry_ids_not_people() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = app(InMemoryStore::new(), Auth::Scopes);
    let r = route(&app, event("intake-json.json")).await;
    assert_eq!(r.status(), 201);
    let id = body_json(&r)["lead"]["id"].as_str().unwrap().to_owned();
    assert_eq!(route(&app, event("intake-form-de.json")).await.status(), 201);
    let mut phone = event("intake-json.json");
    *phone.body_mut() = lambda_http::Body::Text(
        r#"{"email":"ceo@nordwind-logistik.de","phone":"+49 40 1234567","last_name":"Schmidt"}"#.into(),
    );
    phone.headers_mut().remove("idempotency-key");
    assert_eq!(route(&app, phone).await.status(), 200);
    assert_eq!(route(&app, event("handover-qualified.json")).await.status(), 200);
    assert_eq!(route(&app, event("acceptance-accept.json")).await.status(), 200);

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
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
