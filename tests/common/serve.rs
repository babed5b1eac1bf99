//! The real `onair serve` binary on a free port, and real `curl` against it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// HOME, XDG_STATE_HOME (the log file) and XDG_CONFIG_HOME of the server.
    pub state: PathBuf,
    stdout: BufReader<std::process::ChildStdout>,
}

/// A fresh directory under the system's temp dir, named for the test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onair-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

impl Server {
    /// Starts `onair serve --demo --listen 127.0.0.1:0 ARGS…` and waits for its "listening on"
    /// line (the port the OS chose). `env` adds variables to a cleared environment.
    pub fn demo(name: &str, args: &[&str], env: &[(&str, String)]) -> Self {
        let state = scratch(name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_onair"));
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &state)
            .env("XDG_STATE_HOME", &state)
            .env("XDG_CONFIG_HOME", &state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("onair serve starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a first line");
        let base = line
            .trim()
            .strip_prefix("onair serve: listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("no listening line: {line:?}")
            })
            .to_string();
        Self {
            child,
            base,
            state,
            stdout,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGTERM, then the exit status and the rest of stdout and stderr.
    pub fn stop(mut self) -> (std::process::ExitStatus, String, String) {
        // This child only, by its id.
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM not sent");
        let status = self.child.wait().expect("onair serve exits");
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut self.stdout, &mut out);
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status, out, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test must not leave a server behind: kill only this child, by its id.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `curl -sS ARGS…`, with a bound on the whole transfer.
pub fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl runs")
}

/// The HTTP status of `curl ARGS` (its body thrown away), e.g. "202".
pub fn status_of(args: &[&str]) -> String {
    let out = curl(&[&["-o", "/dev/null", "-w", "%{http_code}"][..], args].concat());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The status of a start of `id` through the API.
pub fn start_through_api(server: &Server, id: &str) -> String {
    status_of(&[
        "-X",
        "POST",
        &server.url(&format!("/api/destinations/{id}/start")),
    ])
}

/// GET a path as JSON (with `-H` args), panicking with the body when it isn't JSON.
pub fn get_json(server: &Server, path: &str, extra: &[&str]) -> serde_json::Value {
    let out = curl(&[&[server.url(path).as_str()][..], extra].concat());
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Polls `path` (every 100 ms, at most `tries` times) until `done` holds: the binary runs on the
/// real clock, so a state change is waited for, never timed.
pub fn wait_for(
    server: &Server,
    path: &str,
    tries: usize,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..tries {
        last = get_json(server, path, &[]);
        if done(&last) {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{path} never reached the state waited for; last: {last}");
}
