//! End to end on `onair demo --sample` in tmux at 120×35, the control room during a show: stop
//! everything, bulk-start three marked destinations, drop the source and see the rows go red,
//! open the details, try an edit, read the cost panel, filter the table. No stream key may show
//! in any capture. Every wait polls with a timeout; nothing asserts after a fixed sleep.

use crate::common::tmux::{Tmux, line_with};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// The sample show's keys are "demo-N-xxxx-yyyy-zzzz": this part must never be on screen.
const KEY_PART: &str = "xxxx-yyyy";

struct Room {
    t: Tmux,
    dir: std::path::PathBuf,
}

impl Room {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("onair-e2e-room-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let command = format!(
            "env -u NO_COLOR XDG_STATE_HOME={0} XDG_CONFIG_HOME={0} {1} demo --sample",
            dir.display(),
            env!("CARGO_BIN_EXE_onair")
        );
        Room {
            t: Tmux::start("room", 120, 35, &command),
            dir,
        }
    }

    /// Waits for `pred`, and checks that screen for a stream key.
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let screen = self.t.wait_for(what, WAIT, pred);
        assert!(
            !screen.contains(KEY_PART),
            "a stream key on screen:\n{screen}"
        );
        screen
    }

    fn rows_in(&self, screen: &str, state: &str) -> usize {
        ["YouTube main", "YouTube backup", "Twitch", "Restream"]
            .iter()
            .filter(|n| line_with(screen, n).is_some_and(|l| l.contains(state)))
            .count()
    }

    /// A command line, typed and run.
    fn command(&self, line: &str) {
        self.t.keys(&[":"]);
        self.wait("the command prompt", |s| {
            s.lines().last().is_some_and(|l| l.starts_with(" :"))
        });
        self.t.type_text(line);
        self.t.keys(&["Enter"]);
    }

    /// Esc on its own: sent together with the next key, a terminal reads ESC + key as Alt-key.
    fn escape(&self, until_gone: &str) {
        self.t.keys(&["Escape"]);
        self.wait(&format!("{until_gone} to close"), |s| {
            !s.contains(until_gone)
        });
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_show_in_the_control_room() {
    let room = Room::start();
    let t = &room.t;
    room.wait("the sample show live", |s| room.rows_in(s, "running") == 2);

    // Everything off, confirmed, so that three can go live together.
    room.command("stop all");
    room.wait("the stop-all question", |s| {
        s.contains("Stop all: 2 destinations")
    });
    t.keys(&["y"]);
    room.wait("all idle", |s| room.rows_in(s, "idle") == 4);

    // Bulk start: mark the first three with Space, one question listing them, all three run.
    t.keys(&["g", "Space", "Space", "Space"]);
    room.wait("three marked", |s| s.contains("3 marked"));
    t.keys(&["s"]);
    let question = room.wait("the bulk question", |s| s.contains("Start 3 destinations"));
    assert!(
        question.contains("YouTube main, YouTube backup, Twitch"),
        "{question}"
    );
    t.keys(&["y"]);
    room.wait("three running", |s| room.rows_in(s, "running") == 3);

    // The source drops: running rows say so, the flow panel too, and the status bar flashes.
    room.command("fault drop-source 30");
    let screen = room.wait("rows showing source lost", |s| {
        room.rows_in(s, "source lost") == 3
    });
    assert!(screen.contains("SOURCE LOST"), "flow panel:\n{screen}");
    room.wait("the source-lost flash", |s| {
        s.lines().last().is_some_and(|l| l.contains("source lost"))
    });

    // Details of the first row: its channel id and console URL as text.
    t.keys(&["g", "Enter"]);
    let details = room.wait("the details view", |s| {
        s.contains("console") && s.contains("#/channels/")
    });
    let channel_line = line_with(&details, "channel  ").unwrap_or_default();
    let channel_id = channel_line
        .split_whitespace()
        .find(|w| w.chars().all(|c| c.is_ascii_digit()) && w.len() >= 5)
        .unwrap_or_else(|| panic!("no channel id in the details:\n{details}"));
    assert!(
        details.contains(&format!("#/channels/{channel_id}")),
        "{details}"
    );
    room.escape("Recent events");

    // Edit the idle row (Restream): a new name.
    t.keys(&["G", "e"]);
    room.wait("the edit form", |s| s.contains("Edit destination"));
    t.keys(&["End"]);
    t.type_text(" 2");
    t.keys(&["Enter"]);
    let after = room.wait("the engine's answer to the edit", |s| {
        s.contains("edit is not wired yet") || s.contains("Restream 2")
    });
    if after.contains("edit is not wired yet") {
        // TODAY'S BEHAVIOUR: Engine::edit's body has not landed and refuses with
        // NotNow("edit is not wired yet"); the form stays open with the typing kept.
        assert!(after.contains("Edit destination"), "{after}");
        room.escape("Edit destination");
    } else {
        // THE REAL BEHAVIOUR once the engine's edit lands: the idle row is renamed in place.
        room.wait("the renamed row", |s| {
            !s.contains("Edit destination") && line_with(s, "Restream 2").is_some()
        });
    }

    // The cost panel names the seed's always-on baseline.
    t.keys(&["c"]);
    let cost = room.wait("the cost panel", |s| s.contains("$355.80"));
    assert!(cost.contains("rates as of"), "{cost}");
    room.escape("$355.80");

    // A filter narrows the table as it is typed.
    t.keys(&["/"]);
    t.type_text("twi");
    let filtered = room.wait("the filtered table", |s| s.contains("1 of 4"));
    assert!(line_with(&filtered, "YouTube main").is_none(), "{filtered}");
    t.keys(&["Escape"]);
    room.wait("the filter cleared", |s| s.contains("Destinations 4 "));

    t.keys(&["q"]);
    room.wait("the quit question or exit", |s| {
        t.exited() || s.contains("Quit while")
    });
}
