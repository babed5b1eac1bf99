//! A private moto server per test: started from `.venv/bin/moto_server` (installed by
//! tests/setup.sh) on a free loopback port, killed when the guard drops. One server per test
//! keeps tests independent without resets.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub url: String,
}

fn server_path() -> PathBuf {
    std::env::var_os("ONAIR_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Moto {
    /// Starts moto and waits until it answers. Panics with the fix if moto is not installed:
    /// the wire tests must fail, not skip, when their emulator is missing.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts moto with extra environment (e.g. `PYTHONPATH` for a named monkeypatch).
    pub fn start_with(env: &[(&str, String)]) -> Self {
        let path = server_path();
        assert!(
            path.exists(),
            "{} is missing: run `bash tests/setup.sh` (or tests/run-all.sh) first",
            path.display()
        );
        let port = free_port();
        let mut command = Command::new(&path);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("moto_server starts");
        let url = format!("http://127.0.0.1:{port}");
        let moto = Moto { child, url };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {port} in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// The environment that points the AWS SDK (and so onair) at this server.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
