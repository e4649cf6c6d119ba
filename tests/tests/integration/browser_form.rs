//! Real forms on real websites: a plain HTML form posted by a real browser (headless
//! Chromium) goes on to the source's thank-you page, and a JavaScript form on another
//! origin passes the CORS preflight only from the source's allowed origins.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::Arc;

use leadflow::forms::{Scheme, Source};
use leadflow::http::Auth;
use leadflow::store::InMemoryStore;
use leadflow_infra::local_server::{serve, Tokens};
use leadflow_tests::http::{app, call};
use serde_json::Value;

/// A little website on 127.0.0.1: `/form` (a German contact form that posts to the API
/// and submits itself) and `/danke` (the thank-you page). Serves `pages` requests.
fn website(listener: TcpListener, api: SocketAddr, pages: usize) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    let form = format!(
        r#"<!doctype html><html><body>
<form id="f" method="post" action="http://{api}/intake/site">
  <input name="E-Mail" value="browser.lead@mueller-maschinenbau.de">
  <input name="Vorname" value="Jürgen"><input name="Position" value="Geschäftsführer">
  <input name="Nachricht" value="Bitte um ein Angebot für 20 Nutzer, Start im Januar.">
  <input name="Einwilligung" value="ja"><input name="activity" value="contact_request">
</form><script>document.getElementById('f').submit();</script></body></html>"#
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().take(pages) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let page = if request.starts_with("GET /danke") {
                "<!doctype html><html><body><h1>Vielen Dank!</h1></body></html>".to_owned()
            } else {
                form.clone()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    addr
}

/// The local server with a source `site`: unsigned, its consent text version, one
/// allowed origin, and a thank-you page.
fn api(origin: &str, thanks: &str) -> (SocketAddr, Arc<leadflow::http::App<InMemoryStore>>) {
    let mut app = app(InMemoryStore::new(), Auth::Open);
    let mut site = Source::new(Scheme::Unsigned, None);
    site.consent_version = Some("kontakt-2026-11".into());
    site.allowed_origins = vec![origin.to_owned()];
    site.redirect = Some(thanks.to_owned());
    app.sources.insert("site", site);
    let app = Arc::new(app);
    let (tx, rx) = std::sync::mpsc::channel();
    let served = app.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve(listener, served, Arc::new(Tokens::default())).await;
        });
    });
    (rx.recv().unwrap(), app)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn a_plain_html_form_in_a_real_browser_lands_on_the_thank_you_page() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .unwrap_or_else(|| {
            panic!("this test needs headless Chromium: `apt-get install -y chromium` (tests/run installs it)")
        });
    // The website listens first: the API's source names its origin.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (api, app) = api(&origin, &format!("{origin}/danke"));
    let site = website(listener, api, 2);
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=8000"])
        .arg(format!(
            "--user-data-dir={}",
            std::env::temp_dir().join(format!("leadflow-chromium-{}", std::process::id())).display()
        ))
        .args(["--dump-dom", &format!("http://{site}/form")])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("Vielen Dank!"),
        "the browser did not reach the thank-you page: {dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let leads = app.store.snapshot();
    assert_eq!(leads.len(), 1, "one lead from the browser's post");
    let lead = &leads[0];
    assert_eq!(lead.profile.email, "browser.lead@mueller-maschinenbau.de");
    assert_eq!(lead.profile.first_name.as_deref(), Some("Jürgen"));
    let consent = lead.consent.as_ref().expect("the ticked consent is recorded");
    assert!(consent.given);
    assert_eq!(consent.text_version, "kontakt-2026-11", "a consent without a version gets the form's");
}

#[test]
fn cors_preflight_and_answers_only_for_the_allowed_origins() {
    let origin = "https://www.mueller-maschinenbau.de";
    let (api, _app) = api(origin, "https://www.mueller-maschinenbau.de/danke");
    let preflight = |from: &str, method: &str| {
        call(
            api,
            "OPTIONS",
            "/intake/site",
            &[("origin", from), ("access-control-request-method", method)],
            b"",
        )
    };
    let (status, head, _) = preflight(origin, "POST");
    assert_eq!(status, 204, "{head}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some(origin));
    assert_eq!(header(&head, "access-control-allow-methods"), Some("POST"));
    assert!(header(&head, "access-control-allow-headers").is_some_and(|h| h.contains("content-type")));
    for (from, method) in [("https://evil.example", "POST"), (origin, "DELETE"), ("", "POST")] {
        let (status, head, body) = preflight(from, method);
        assert_eq!(status, 403, "{from} {method}: {body}");
        assert_eq!(header(&head, "access-control-allow-origin"), None);
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["type"], "urn:leadflow:problem:origin-not-allowed");
    }
    let (status, _, _) = call(
        api,
        "OPTIONS",
        "/intake/nowhere",
        &[("origin", origin), ("access-control-request-method", "POST")],
        b"",
    );
    assert_eq!(status, 404);

    let json = [("content-type", "application/json"), ("origin", origin)];
    let body = br#"{"email":"js.form@mueller-maschinenbau.de","consent":"yes"}"#;
    let (status, head, answer) = call(api, "POST", "/intake/site", &json, body);
    assert_eq!(status, 202, "{answer}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some(origin));
    assert_eq!(header(&head, "vary"), Some("Origin"));
    // An error is readable by the allowed page too; another origin's never.
    let (status, head, _) = call(api, "POST", "/intake/site", &json, b"{}");
    assert_eq!((status, header(&head, "access-control-allow-origin")), (422, Some(origin)));
    let other = [("content-type", "application/json"), ("origin", "https://evil.example")];
    let (status, head, _) = call(api, "POST", "/intake/site", &other, body);
    assert_eq!((status, header(&head, "access-control-allow-origin")), (202, None));
    // A browser form post goes to the thank-you page; an API client gets JSON.
    let html = [("content-type", "application/json"), ("accept", "text/html,application/xhtml+xml")];
    let (status, head, _) = call(api, "POST", "/intake/site", &html, body);
    assert_eq!((status, header(&head, "location")), (303, Some("https://www.mueller-maschinenbau.de/danke")));
}
