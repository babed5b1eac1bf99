//! The real binary in a real terminal: tmux with a fixed size, keys sent as a person types
//! them, the screen read back with capture-pane. The session is killed when the guard drops.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub session: String,
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is installed (tests/setup.sh installs it)")
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new detached session of `width`×`height`.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Self {
        let session = format!("onair-{name}-{}", std::process::id());
        let _ = tmux(&["kill-session", "-t", &session]);
        let out = tmux(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Keep the pane after the program exits, so its last screen can be read.
        let _ = tmux(&["set-option", "-t", &session, "remain-on-exit", "on"]);
        Tmux { session }
    }

    pub fn screen(&self) -> String {
        let out = tmux(&["capture-pane", "-t", &self.session, "-p"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Keys by tmux name (`Enter`, `Tab`, `Escape`, `a`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        tmux(&args);
    }

    /// Literal text, typed.
    pub fn type_text(&self, text: &str) {
        tmux(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// Polls the screen until `pred` holds; panics with the last screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_text(&self, text: &str, timeout: Duration) -> String {
        self.wait_for(text, timeout, |s| s.contains(text))
    }

    /// Whether the program in the pane has exited.
    pub fn exited(&self) -> bool {
        let out = tmux(&["display-message", "-t", &self.session, "-p", "#{pane_dead}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.session]);
    }
}

/// The line of the screen that contains `needle`, if any.
pub fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

impl Tmux {
    /// The pid of the program in the pane.
    pub fn pid(&self) -> u32 {
        let out = tmux(&["display-message", "-t", &self.session, "-p", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a pane pid")
    }

    /// The exit status of the program, once tmux has reaped it: `None` while it runs, and
    /// `Err(signal)` when a signal killed it.
    ///
    /// `pane_dead` turns 1 when the pty closes, which can come before tmux handles SIGCHLD; the
    /// status fields stay empty until then. So this polls until one of them is filled.
    pub fn wait_exit_status(&self, timeout: Duration) -> Result<i32, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let out = tmux(&[
                "display-message",
                "-t",
                &self.session,
                "-p",
                "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}",
            ]);
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let mut parts = text.splitn(3, ':');
            let (dead, status, signal) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            if dead == "1" {
                if let Ok(code) = status.parse() {
                    return Ok(code);
                }
                if !signal.is_empty() {
                    return Err(format!("killed by signal {signal}"));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no exit status after {timeout:?} (pane_dead:status:signal = {text}); \
                     the screen was:\n{}",
                    self.screen()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
