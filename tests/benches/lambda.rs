//! The functions as Lambda runs them, next to a hello-world lambda_runtime binary measured
//! in the same run: the zipped arm64 bootstrap (what is uploaded), the time from process
//! start to ready (first poll of the Runtime API) and to the first handled invocation,
//! and the peak memory after warm invocations. A small Runtime API server stands in for
//! Lambda; the functions talk to DynamoDB Local. Timings are host (x86_64) release
//! builds: this machine cannot run the arm64 bootstraps.
//! Run: `cargo bench -p leadflow-tests --bench lambda` (cargo-lambda from the venv
//! `tests/run` installs); figures also go to `$CARGO_TARGET_DIR/leadflow-bench/lambda.json`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leadflow::http::Function;
use leadflow_infra::dynamodb_local::cache_dir;
use leadflow_tests::http::event_json as event;
use serde_json::{json, Value};

const HELLO: &str = "hello-lambda";
const COLD_STARTS: usize = 7;
const WARM_INVOCATIONS: usize = 200;

/// What the Runtime API saw of one process.
#[derive(Default)]
struct Shared {
    events: VecDeque<String>,
    first_poll: Option<Instant>,
    closed: bool,
}

/// A minimal Lambda Runtime API: hands out queued events on `next`, reports results.
struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    results: Receiver<(Instant, Result<String, String>)>,
}

impl RuntimeApi {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let (tx, results) = channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (state, tx) = (state.clone(), tx.clone());
                std::thread::spawn(move || serve(stream, &state, &tx));
            }
        });
        Self { addr, shared, results }
    }

    fn push(&self, event: String) {
        let (lock, ready) = &*self.shared;
        lock.lock().unwrap().events.push_back(event);
        ready.notify_all();
    }

    fn first_poll(&self) -> Option<Instant> {
        self.shared.0.lock().unwrap().first_poll
    }

    fn result(&self) -> (Instant, Result<String, String>) {
        self.results.recv_timeout(Duration::from_secs(60)).expect("the function answered within 60 s")
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        let (lock, ready) = &*self.shared;
        lock.lock().unwrap().closed = true;
        ready.notify_all();
    }
}

fn serve(
    stream: TcpStream,
    state: &(Mutex<Shared>, Condvar),
    results: &Sender<(Instant, Result<String, String>)>,
) {
    static REQUEST: AtomicU64 = AtomicU64::new(0);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8_lossy(&body).into_owned();
        let reply = if method == "GET" && path.ends_with("/invocation/next") {
            let (lock, ready) = state;
            let mut shared = lock.lock().unwrap();
            shared.first_poll.get_or_insert_with(Instant::now);
            while shared.events.is_empty() && !shared.closed {
                shared = ready.wait(shared).unwrap();
            }
            let Some(event) = shared.events.pop_front() else { return };
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 60_000;
            let id = REQUEST.fetch_add(1, Ordering::SeqCst);
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-{id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: \
                 arn:aws:lambda:eu-central-1:123456789012:function:bench\r\nlambda-runtime-trace-id: \
                 Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            let outcome = if path.ends_with("/response") { Ok(body) } else { Err(format!("{path}: {body}")) };
            let _ = results.send((Instant::now(), outcome));
            "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                .to_owned()
        };
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// One process's figures.
struct Run {
    ready: Duration,
    first: Duration,
    warm_median: Duration,
    peak_kib: u64,
}

fn measure(binary: &Path, env: &[(String, String)], events: &mut dyn FnMut(usize) -> String) -> Run {
    let api = RuntimeApi::start();
    let start = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    api.push(events(0));
    let (done, outcome) = api.result();
    if let Err(e) = outcome {
        panic!("{} failed its first invocation: {e}", binary.display());
    }
    let ready = api.first_poll().expect("the function polled before answering") - start;
    let mut warm = Vec::with_capacity(WARM_INVOCATIONS);
    for n in 1..=WARM_INVOCATIONS {
        let sent = Instant::now();
        api.push(events(n));
        let (at, outcome) = api.result();
        outcome.unwrap_or_else(|e| panic!("{} failed invocation {n}: {e}", binary.display()));
        warm.push(at - sent);
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    child.kill().unwrap();
    child.wait().unwrap();
    warm.sort();
    Run { ready, first: done - start, warm_median: warm[warm.len() / 2], peak_kib }
}

fn median(mut values: Vec<Duration>) -> Duration {
    leadflow_tests::bench::median(&mut values)
}

fn cargo(args: &[&str], target_dir: Option<&Path>) {
    let mut cmd = Command::new("cargo");
    // cargo-lambda and zig as tests/run installs them.
    cmd.args(args)
        .current_dir(leadflow_tests::checkout())
        .env("PATH", leadflow_tests::bench::path_with_tools());
    if let Some(dir) = target_dir {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("cargo {}: {e}", args.join(" ")));
    assert!(status.success(), "cargo {} failed", args.join(" "));
}

/// The intake event with a new person each time (a repeated delivery would be a duplicate).
fn intake_event(n: usize) -> String {
    let mut e = event("intake-json.json");
    if n > 0 {
        let mut body: Value = serde_json::from_str(e["body"].as_str().unwrap()).unwrap();
        body["email"] = json!(format!("bench{n}-{}@firma.de", std::process::id()));
        e["body"] = json!(body.to_string());
        e["headers"].as_object_mut().unwrap().remove("idempotency-key");
    }
    e.to_string()
}

fn main() {
    let cache = cache_dir();
    let lambda_dir = cache.join("lambda-arm64");
    let lambda_dir_arg = lambda_dir.display().to_string();
    let packages: Vec<String> =
        Function::ALL.iter().map(|f| format!("--package=leadflow-{}", f.name())).collect();
    let build = |packages: &[String]| {
        let mut args = vec!["lambda", "build", "--release", "--arm64", "--quiet", "--output-format", "zip"];
        args.extend(["--lambda-dir", &lambda_dir_arg]);
        args.extend(packages.iter().map(String::as_str));
        cargo(&args, Some(&cache.join("lambda-target")));
    };
    eprintln!("building the arm64 bootstraps (cargo lambda build --release --arm64)...");
    build(&packages); // as tests/run builds them, so the cache is shared
    build(&["--package=leadflow-hello-lambda".to_owned()]);
    eprintln!("building the host release binaries...");
    let mut args = vec!["build", "--release", "--quiet"];
    args.extend(packages.iter().map(String::as_str));
    args.push("--package=leadflow-hello-lambda");
    cargo(&args, None);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| leadflow_tests::checkout().join("target"), PathBuf::from)
        .join("release");

    let store_endpoint = leadflow_tests::endpoint();
    let table = leadflow_tests::unique_table();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = leadflow::store::DynamoStore::new(leadflow_tests::client(&store_endpoint, None), &table);
        store.create_table().await.unwrap();
    });

    println!(
        "\n{:<13} {:>12} {:>7} {:>11} {:>7} {:>15} {:>7} {:>10} {:>9}",
        "function",
        "zip (arm64)",
        "ratio",
        "ready (ms)",
        "ratio",
        "1st answer (ms)",
        "ratio",
        "warm (ms)",
        "peak MiB"
    );
    let mut hello: Option<(u64, Duration, Duration)> = None;
    let mut figures = serde_json::Map::new();
    for name in std::iter::once(HELLO).chain(Function::ALL.iter().map(|f| f.name())) {
        let zip = std::fs::metadata(lambda_dir.join(name).join("bootstrap.zip")).unwrap().len();
        let mut env: Vec<(String, String)> = [
            ("AWS_LAMBDA_FUNCTION_NAME", name),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("AWS_REGION", "eu-central-1"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("AWS_ENDPOINT_URL_DYNAMODB", &store_endpoint),
            ("LEADFLOW_TABLE", &table),
            ("LEADFLOW_ID_KEY", "integration-test-key-0123"),
            ("LEADFLOW_SOURCES", r#"{"web":{"scheme":"unsigned"}}"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
        let fixed = |file: &str| event(file).to_string();
        let mut events: Box<dyn FnMut(usize) -> String> = match name {
            "intake" => Box::new(intake_event),
            "scoring" => Box::new(move |_| fixed("scheduled.json")),
            "handover" => Box::new(move |_| fixed("get-lead.json")),
            "acceptance" => Box::new(move |_| fixed("acceptance-accept.json")),
            _ => Box::new(|n| json!({ "n": n }).to_string()),
        };
        let runs: Vec<Run> =
            (0..COLD_STARTS).map(|_| measure(&target.join(name), &env, &mut events)).collect();
        let ready = median(runs.iter().map(|r| r.ready).collect());
        let first = median(runs.iter().map(|r| r.first).collect());
        let warm = median(runs.iter().map(|r| r.warm_median).collect());
        let peak = runs.iter().map(|r| r.peak_kib).max().unwrap();
        let (hz, hr, hf) = *hello.get_or_insert((zip, ready, first));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        figures.insert(
            name.to_owned(),
            json!({
                "zip_bytes": zip,
                "start_to_ready_ms": ms(ready),
                "first_answer_ms": ms(first),
                "warm_ms": ms(warm),
                "peak_rss_bytes": peak * 1024,
                "zip_ratio_vs_hello": zip as f64 / hz as f64,
                "start_to_ready_ratio_vs_hello": ms(ready) / ms(hr),
                "first_answer_ratio_vs_hello": ms(first) / ms(hf),
            }),
        );
        println!(
            "{:<13} {:>9.2} MB {:>6.2}x {:>11.2} {:>6.2}x {:>15.2} {:>6.2}x {:>10.2} {:>9.1}",
            name,
            zip as f64 / 1e6,
            zip as f64 / hz as f64,
            ms(ready),
            ms(ready) / ms(hr),
            ms(first),
            ms(first) / ms(hf),
            ms(warm),
            peak as f64 / 1024.0
        );
    }
    println!(
        "\nmedians of {COLD_STARTS} process starts each; warm = median of {WARM_INVOCATIONS} invocations per \
         process; peak = largest VmHWM after them. 128 MB is Lambda's smallest size."
    );
    leadflow_tests::bench::write_figures(
        "lambda",
        &json!({
            "hello_world": HELLO,
            "functions": figures,
            "cold_starts": COLD_STARTS,
            "warm_invocations": WARM_INVOCATIONS,
            "zip": "arm64 bootstrap.zip as cargo lambda build --release --arm64 makes it",
            "timings": "host release build, medians of the cold starts",
        }),
    );
}
