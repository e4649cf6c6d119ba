//! `cargo lambda watch`: cargo-lambda's emulator of the Lambda control plane, running
//! the real function binaries of this workspace (each built on its first invocation).

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running emulator on 127.0.0.1; it and the functions it started are killed when dropped.
pub struct LambdaEmulator {
    child: Child,
    addr: SocketAddr,
}

impl LambdaEmulator {
    /// Starts `cargo lambda watch` in the checkout with `env` for the functions. Fails the
    /// test with how to install cargo-lambda when it is missing.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let installed = Command::new("cargo").args(["lambda", "--version"]).output();
        if !installed.map(|o| o.status.success()).unwrap_or(false) {
            panic!(
                "this test needs cargo-lambda: `pip install cargo-lambda ziglang` (tests/run installs both \
                 into ~/.cache/leadflow/venv and puts it on PATH)"
            );
        }
        // Built before the emulator starts: an invocation's deadline then counts the
        // function's work, not its compilation.
        build_functions();
        let port = leadflow_infra::dynamodb_local::free_port().expect("a free port on 127.0.0.1");
        let mut cmd = Command::new("cargo");
        cmd.args(["lambda", "watch", "--ignore-changes", "--quiet", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(super::checkout())
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        // SAFETY: setsid and prctl are async-signal-safe. The emulator leads its own
        // process group (so Drop can kill the functions it spawned too) and dies with
        // the test process if that crashes.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("starting cargo lambda watch");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("cargo lambda watch exited with {status}");
            }
            assert!(Instant::now() < deadline, "cargo lambda watch did not listen on {addr} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, addr }
    }

    /// Invokes `function` with `event` as Lambda's Invoke API does; the function's result,
    /// or `Err` with the emulator's error document when the invocation failed.
    pub fn invoke(&self, function: &str, event: &Value) -> Result<Value, Value> {
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let (status, _, body) = super::http::call(
            self.addr,
            "POST",
            &path,
            &[("content-type", "application/json")],
            event.to_string().as_bytes(),
        );
        let body: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{function}: not JSON ({e}): {body}"));
        if status == 200 {
            Ok(body)
        } else {
            Err(body)
        }
    }
}

impl Drop for LambdaEmulator {
    fn drop(&mut self) {
        // SAFETY: kills the process group the emulator leads (see `start`).
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// The function packages of this workspace.
pub const FUNCTIONS: [&str; 5] =
    ["leadflow-intake", "leadflow-handover", "leadflow-acceptance", "leadflow-scoring", "leadflow-events"];

/// Builds the function binaries (debug, as the emulator runs them).
pub fn build_functions() {
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--quiet"]).current_dir(super::checkout());
    for f in FUNCTIONS {
        cmd.args(["-p", f]);
    }
    let status = cmd.status().expect("running cargo build");
    assert!(status.success(), "building the functions failed");
}
