//! The real binary in a real terminal: tmux with a fixed size, keys sent as a person types
//! them, the screen read back with capture-pane. The session is killed when the guard drops.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub session: String,
    /// Where the pane's shell writes the program's exit status when it ends.
    status_file: std::path::PathBuf,
}

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is installed (tests/setup.sh installs it)")
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new detached session of `width`×`height`.
    ///
    /// The pane's shell runs the command as its child and writes its exit status to a file.
    /// tmux's own `pane_dead_status` was not reliable: on a loaded machine the tmux server left
    /// the exited program a zombie for 30 s and more, its status never filled in.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Self {
        let session = format!("onair-{name}-{}", std::process::id());
        let _ = tmux(&["kill-session", "-t", &session]);
        let status_file = std::env::temp_dir().join(format!("{session}.status"));
        let _ = std::fs::remove_file(&status_file);
        let command = format!("{command}; echo $? > {}", status_file.display());
        let out = tmux(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Keep the pane after the program exits, so its last screen can be read.
        let _ = tmux(&["set-option", "-t", &session, "remain-on-exit", "on"]);
        Tmux {
            session,
            status_file,
        }
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
        self.exit_status().is_some()
    }

    /// The program's exit status once it has exited (128 + n when signal n killed it).
    fn exit_status(&self) -> Option<i32> {
        std::fs::read_to_string(&self.status_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.session]);
        let _ = std::fs::remove_file(&self.status_file);
    }
}

/// The line of the screen that contains `needle`, if any.
pub fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

impl Tmux {
    /// The pid of the program in the pane: the child of the pane's shell.
    pub fn pid(&self) -> u32 {
        let out = tmux(&["display-message", "-t", &self.session, "-p", "#{pane_pid}"]);
        let shell: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a pane pid");
        children_of(shell)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("the pane's shell {shell} has no child"))
    }

    /// The program's exit status: `Ok(code)` once it has ended, `Err` with the screen if it
    /// hasn't within `timeout`.
    pub fn wait_exit_status(&self, timeout: Duration) -> Result<i32, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.exit_status() {
                return Ok(code);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "still running after {timeout:?}; the screen was:\n{}",
                    self.screen()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Pids whose parent is `parent`, from /proc (no procps needed).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parens.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}
