//! The `leadflow-local` binary itself: starts on 127.0.0.1, serves, explains its flags.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_leadflow-local");

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(addr: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serves_on_loopback_and_says_how_it_is_configured() {
    let child = Command::new(BIN)
        .args(["--port", "0"])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("LEADFLOW_SOURCES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.strip_prefix("Leadflow local API on http://").expect(&first).to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let banner: Vec<String> = (0..3).map(|_| lines.next().unwrap().unwrap()).collect();
    assert!(banner.iter().any(|l| l.contains("in-memory")), "{banner:?}");
    assert!(banner.iter().any(|l| l.contains("web (UNSIGNED)")), "{banner:?}");
    assert!(banner.iter().any(|l| l.contains("OPEN")), "{banner:?}");

    let response =
        post(&addr, "/intake/web", r#"{"email":"anna@nordwind-logistik.de","activity":"webinar"}"#);
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    let response = post(&addr, "/intake/typeform", r#"{"email":"anna@nordwind-logistik.de"}"#);
    assert!(response.starts_with("HTTP/1.1 404") && response.contains("unknown-source"), "{response}");
}

#[test]
fn help_and_bad_arguments() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--token TOKEN=SCOPES"));
    let bad = Command::new(BIN).args(["--store", "postgres"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--store is `memory` or `dynamodb`"));
}
