//! A fault-injecting proxy in front of DynamoDB Local: an HTTP/1.1 server on 127.0.0.1
//! that forwards every request, except those a rule picks (by operation, the
//! `X-Amz-Target` header), which it answers with a chosen fault instead. Rules are
//! "the next N requests of operation X" (or every one), so a test is deterministic.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use leadflow::store::DynamoStore;

/// What the proxy answers instead of DynamoDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 400 `ThrottlingException` (not forwarded).
    Throttle,
    /// 400 `TransactionConflictException`; for `TransactWriteItems` a cancellation
    /// with reason `TransactionConflict` (not forwarded).
    TransactionConflict,
    /// 500 `InternalServerError` (not forwarded).
    InternalError,
    /// 400 `ValidationException`; for `TransactWriteItems` a cancellation with reason
    /// `ValidationError` (not forwarded).
    Validation,
    /// Forwarded and applied, then answered 500 `InternalServerError`: the answer is lost.
    LostAnswer,
    /// Forwarded and applied, then the connection is dropped without an answer.
    Dropped,
    /// Held for a minute before anything happens: DynamoDB that does not answer.
    Stalled,
}

impl Fault {
    /// Every fault, for tables of cases.
    pub const ALL: [Fault; 6] = [
        Fault::Throttle,
        Fault::TransactionConflict,
        Fault::InternalError,
        Fault::Validation,
        Fault::LostAnswer,
        Fault::Dropped,
    ];

    /// The status and body DynamoDB would answer for `operation`.
    fn answer(self, operation: &str) -> (u16, String) {
        let error = |status, kind: &str, message: &str| {
            (status, format!(r#"{{"__type":"{kind}","message":"{message} (injected)"}}"#))
        };
        let cancelled = |reason: &str| {
            (
                400,
                format!(
                    r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [{reason}] (injected)","CancellationReasons":[{{"Code":"{reason}","Message":"injected"}}]}}"#
                ),
            )
        };
        let transaction = operation == "TransactWriteItems";
        match self {
            Fault::Throttle => error(
                400,
                "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                "Rate of requests exceeds the allowed throughput",
            ),
            Fault::TransactionConflict if transaction => cancelled("TransactionConflict"),
            Fault::TransactionConflict => error(
                400,
                "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
                "Transaction is ongoing for the item",
            ),
            Fault::Validation if transaction => cancelled("ValidationError"),
            Fault::Validation => error(
                400,
                "com.amazon.coral.validate#ValidationException",
                "Item size has exceeded the maximum",
            ),
            Fault::InternalError | Fault::LostAnswer | Fault::Dropped | Fault::Stalled => {
                error(500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error")
            }
        }
    }

    fn forwards(self) -> bool {
        matches!(self, Fault::LostAnswer | Fault::Dropped)
    }
}

#[derive(Debug)]
struct Rule {
    operation: String,
    fault: Fault,
    /// `None`: every request.
    remaining: Option<u32>,
    /// Only every request whose number hashes below this, per thousand (a load test's
    /// fault rate); 1000: all.
    per_mille: u64,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    /// Requests seen per operation.
    seen: HashMap<String, u32>,
    /// Faults injected per operation.
    injected: HashMap<String, u32>,
    /// Forward transactions without their `ClientRequestToken`.
    strip_tokens: bool,
}

/// The proxy; it runs until the test process ends.
#[derive(Debug, Clone)]
pub struct FaultProxy {
    endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// A proxy forwarding to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fault proxy");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, upstream) = (shared.clone(), upstream.clone());
                std::thread::spawn(move || serve(stream, &upstream, &state));
            }
        });
        FaultProxy { endpoint, state }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The next `n` requests of `operation` (`PutItem`, ...) get `fault`.
    pub fn next(&self, operation: &str, n: u32, fault: Fault) {
        self.add(operation, fault, Some(n));
    }

    /// Every request of `operation` gets `fault` until [`FaultProxy::clear`].
    pub fn always(&self, operation: &str, fault: Fault) {
        self.add(operation, fault, None);
    }

    /// About `per_mille` of every thousand requests of `operation` get `fault`, spread
    /// over the requests deterministically (by their number), until [`FaultProxy::clear`].
    pub fn at_rate(&self, operation: &str, fault: Fault, per_mille: u64) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.into(),
            fault,
            remaining: None,
            per_mille,
        });
    }

    fn add(&self, operation: &str, fault: Fault, remaining: Option<u32>) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.into(),
            fault,
            remaining,
            per_mille: 1000,
        });
    }

    /// Forwards every `TransactWriteItems` without its `ClientRequestToken`, as if a
    /// retry came after the token's ten minutes: DynamoDB then cannot tell a retry of a
    /// transaction that landed from a new one, only the store's own write token can.
    pub fn strip_client_request_tokens(&self) {
        self.state.lock().unwrap().strip_tokens = true;
    }

    /// No more faults.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Requests of `operation` seen so far.
    pub fn seen(&self, operation: &str) -> u32 {
        self.state.lock().unwrap().seen.get(operation).copied().unwrap_or(0)
    }

    /// Faults injected into `operation` so far.
    pub fn injected(&self, operation: &str) -> u32 {
        self.state.lock().unwrap().injected.get(operation).copied().unwrap_or(0)
    }
}

fn pick(state: &Mutex<State>, operation: &str) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    let seen = state.seen.entry(operation.to_owned()).or_default();
    *seen += 1;
    // A fixed spread of request numbers over 0..1000 (a multiplicative hash).
    let slot = (u64::from(*seen).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 1000;
    let mut floor = 0;
    let rule = state.rules.iter_mut().find(|r| {
        if r.operation != operation || r.remaining == Some(0) {
            return false;
        }
        if r.per_mille >= 1000 {
            return true;
        }
        // Rules with a rate share the thousand slots without overlapping.
        let band = floor..floor + r.per_mille;
        floor += r.per_mille;
        band.contains(&slot)
    })?;
    if let Some(n) = &mut rule.remaining {
        *n -= 1;
    }
    let fault = rule.fault;
    *state.injected.entry(operation.to_owned()).or_default() += 1;
    Some(fault)
}

/// One HTTP/1.1 message: the start line, the headers, the body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Reads one message; `None` at a clean end of the stream.
    fn read(reader: &mut impl BufRead, to_end: bool) -> Option<Message> {
        let mut start = String::new();
        if reader.read_line(&mut start).ok()? == 0 {
            return None;
        }
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':')?;
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut message = Message { start: start.trim_end().to_owned(), headers, body: Vec::new() };
        if message.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).ok()?;
                let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).ok()?;
                if size == 0 {
                    break;
                }
                message.body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = message.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            message.body = vec![0; n];
            reader.read_exact(&mut message.body).ok()?;
        } else if to_end {
            reader.read_to_end(&mut message.body).ok()?;
        }
        Some(message)
    }

    /// Writes the message with an exact `Content-Length` and the given `Connection`.
    fn write(&self, out: &mut impl Write, connection: &str) -> std::io::Result<()> {
        let mut head = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
            if ["connection", "content-length", "transfer-encoding", "keep-alive"]
                .iter()
                .any(|h| k.eq_ignore_ascii_case(h))
            {
                continue;
            }
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\nConnection: {connection}\r\n\r\n", self.body.len()));
        out.write_all(head.as_bytes())?;
        out.write_all(&self.body)?;
        out.flush()
    }
}

/// Serves one client connection, request after request.
fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) {
    let mut reader = BufReader::new(client.try_clone().expect("cloning the client stream"));
    let mut client = client;
    while let Some(request) = Message::read(&mut reader, false) {
        let operation =
            request.header("x-amz-target").and_then(|t| t.rsplit('.').next()).unwrap_or("").to_owned();
        let fault = pick(state, &operation);
        if fault == Some(Fault::Stalled) {
            std::thread::sleep(std::time::Duration::from_secs(60));
            return;
        }
        let mut request = request;
        if operation == "TransactWriteItems" && state.lock().unwrap().strip_tokens {
            strip_client_request_token(&mut request);
        }
        let answer = match fault {
            Some(f) if !f.forwards() => None,
            _ => match forward(&request, upstream) {
                Some(answer) => Some(answer),
                None => {
                    let _ = client.shutdown(Shutdown::Both);
                    return;
                }
            },
        };
        let response = match (fault, answer) {
            (None, Some(answer)) => answer,
            (Some(Fault::Dropped), _) => {
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            (Some(f), _) => {
                let (status, body) = f.answer(&operation);
                let reason = if status == 500 { "Internal Server Error" } else { "Bad Request" };
                Message {
                    start: format!("HTTP/1.1 {status} {reason}"),
                    headers: vec![("Content-Type".into(), "application/x-amz-json-1.0".into())],
                    body: body.into_bytes(),
                }
            }
            (None, None) => unreachable!("a request without a fault is forwarded"),
        };
        if response.write(&mut client, "keep-alive").is_err() {
            return;
        }
    }
}

fn strip_client_request_token(request: &mut Message) {
    if let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice(&request.body) {
        body.remove("ClientRequestToken");
        request.body = serde_json::to_vec(&body).expect("JSON");
    }
}

/// Sends the request to DynamoDB Local on a connection of its own and reads the answer.
fn forward(request: &Message, upstream: &str) -> Option<Message> {
    let mut stream = TcpStream::connect(upstream).ok()?;
    request.write(&mut stream, "close").ok()?;
    Message::read(&mut BufReader::new(stream), true)
}

/// A store whose table is created directly on DynamoDB Local and whose client talks
/// through `proxy` (the same client settings as [`crate::client`]: standard retries,
/// two attempts).
pub async fn fresh_store_behind(proxy: &FaultProxy) -> DynamoStore {
    let direct = crate::fresh_dynamo_store().await;
    DynamoStore::new(crate::client(proxy.endpoint(), None), direct.table())
}

/// A fault proxy in front of the shared DynamoDB Local, and a fresh store behind it.
pub async fn faulty_store() -> (FaultProxy, DynamoStore) {
    let proxy = FaultProxy::start(&crate::endpoint());
    let store = fresh_store_behind(&proxy).await;
    (proxy, store)
}

/// The same table as `store`, but read past the proxy, straight from DynamoDB Local.
pub fn direct(store: &DynamoStore) -> DynamoStore {
    DynamoStore::new(crate::client(&crate::endpoint(), None), store.table())
}
