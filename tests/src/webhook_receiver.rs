//! A webhook receiver for the tests: a real HTTP server on a local port that records every
//! request, verifies its signature with the `standardwebhooks` crate (an implementation
//! independent of Leadflow's), and answers as the test scripts it: a status, or no
//! answer at all (a timeout).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Hold the request far longer than any sender waits.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: serde_json::Value,
    /// Whether `standardwebhooks` accepted the signature with the path's secret.
    pub verified: bool,
    /// What the receiver answered.
    pub answer: Answer,
}

type Script = Box<dyn Fn(&str, usize) -> Answer + Send + Sync>;

struct Inner {
    secrets: HashMap<String, String>,
    script: Script,
    received: Mutex<Vec<Received>>,
}

/// The receiver; dropped, it stops.
pub struct Receiver {
    pub base: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Serves on 127.0.0.1; `secrets` maps a path (`/crm`) to the `whsec_` secret its
    /// requests must be signed with; `script(path, n)` answers the path's n-th request (0-based).
    pub async fn start(
        secrets: &[(&str, &str)],
        script: impl Fn(&str, usize) -> Answer + Send + Sync + 'static,
    ) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let inner = Arc::new(Inner {
            secrets: secrets.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect(),
            script: Box::new(script),
            received: Mutex::new(Vec::new()),
        });
        let served = inner.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let inner = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(inner.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver { base, inner, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// The requests to one path that were answered 2xx, in order.
    pub fn accepted(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path && matches!(r.answer, Answer::Status(s) if (200..300).contains(&s)))
            .collect()
    }

    /// Waits until `done` holds for what was received, up to `limit`.
    pub async fn wait_for(&self, limit: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let start = std::time::Instant::now();
        loop {
            let got = self.received();
            if done(&got) || start.elapsed() > limit {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Inner {
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let headers = req.headers().clone();
        let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let verified = self.secrets.get(&path).is_some_and(|secret| {
            standardwebhooks::Webhook::new(secret).is_ok_and(|wh| wh.verify(&body, &headers).is_ok())
        });
        let answer = {
            let mut received = self.received.lock().unwrap();
            let n = received.iter().filter(|r| r.path == path).count();
            let answer = (self.script)(&path, n);
            received.push(Received {
                path: path.clone(),
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
                body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                verified,
                answer,
            });
            answer
        };
        let status = match answer {
            Answer::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                504
            }
            Answer::Status(s) => s,
        };
        Response::builder().status(status).body(Full::new(Bytes::new())).expect("a response")
    }
}
