//! A local Secrets Manager: moto's server mode (`moto_server`, from PyPI), one per test
//! process on 127.0.0.1, started on first use and killed with the process.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};

/// `moto_server` from the tools venv `tests/run` installs, else from `PATH`.
fn moto_server() -> PathBuf {
    let venv = leadflow_infra::dynamodb_local::cache_dir().join("venv/bin/moto_server");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("moto_server")
    }
}

/// The endpoint of the process's moto server.
pub fn endpoint() -> String {
    static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| {
            // moto dies with the thread that spawned it, so that thread lives as long
            // as the process.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || match start() {
                Ok((endpoint, _child)) => {
                    let _ = tx.send(Ok(endpoint));
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            });
            rx.recv().unwrap_or_else(|_| Err("the moto thread died".into()))
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn start() -> Result<(String, std::process::Child), String> {
    let port = leadflow_infra::dynamodb_local::free_port().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(moto_server());
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    leadflow_infra::dynamodb_local::die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| {
        format!(
            "this test needs moto's server mode as a local Secrets Manager ({e}): \
             `pip install 'moto[server]'` (tests/run installs it into ~/.cache/leadflow/venv)"
        )
    })?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("moto_server exited with {status}"));
        }
        if Instant::now() > deadline {
            return Err(format!("moto_server did not listen on {addr} within 60 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((format!("http://{addr}"), child))
}

/// A Secrets Manager client for the local server.
pub fn client() -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "leadflow-tests"))
        .endpoint_url(endpoint())
        .http_client(leadflow::wiring::tls::https_client())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Creates a string secret under a name no other test uses; its ARN.
pub async fn string_secret(name: &str, value: &str) -> String {
    let name = format!("{name}-{}-{}", std::process::id(), crate::unique_table());
    let out =
        client().create_secret().name(name).secret_string(value).send().await.expect("creating a secret");
    out.arn().expect("a secret's ARN").to_owned()
}

/// Creates a binary secret; its ARN.
pub async fn binary_secret(name: &str, value: &[u8]) -> String {
    let name = format!("{name}-{}-{}", std::process::id(), crate::unique_table());
    let out = client()
        .create_secret()
        .name(name)
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(value))
        .send()
        .await
        .expect("creating a secret");
    out.arn().expect("a secret's ARN").to_owned()
}
