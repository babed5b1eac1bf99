//! The orphans view: `:gc` asks the engine to look, the answer is listed, `d` asks once and
//! then removes the resources.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use onair::cloud::{Channel, ChannelState, InputSecurityGroup};
use onair::domain::Catalog;
use onair::engine::{EngineEvent, Orphans};
use onair::tui::Theme;
use onair::tui::action::{Effect, handle_key};
use onair::tui::state::{AppState, Mode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

fn press(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    handle_key(state, KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn screen(state: &AppState) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal
        .draw(|f| onair::tui::view::draw(f, state, &Theme::default_dark()))
        .unwrap();
    format!("{:?}", terminal.backend().buffer())
}

fn orphan_channel() -> Channel {
    Channel {
        id: "7654321".into(),
        arn: "arn:aws:medialive:us-east-1:111122223333:channel:7654321".into(),
        name: "onair-stray-1a2b3c4d".into(),
        state: ChannelState::Idle,
        input_ids: vec![],
        destination_url: None,
        tags: Default::default(),
    }
}

#[test]
fn gc_lists_orphans_and_removes_them_after_one_confirmation() {
    let mut state = AppState::new(
        Arc::new(Catalog::builtin()),
        time::macros::datetime!(2026-11-25 18:00 UTC),
        "demo",
    );
    press(&mut state, KeyCode::Char(':'));
    typed(&mut state, "gc");
    let effects = press(&mut state, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::ScanOrphans]),
        "{effects:?}"
    );
    assert!(matches!(state.mode, Mode::Orphans));
    assert!(screen(&state).contains("looking at AWS"));

    let found = Orphans {
        channels: vec![orphan_channel()],
        // A group of the seed's wiring (rtp-push) that no input uses any more.
        security_groups: vec![InputSecurityGroup {
            id: "5843210".into(),
            arn: "arn:aws:medialive:us-east-1:111122223333:inputSecurityGroup:5843210".into(),
            state: "IDLE".into(),
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            inputs: vec![],
            tags: Default::default(),
        }],
        ..Orphans::default()
    };
    state.apply(EngineEvent::Orphans(Ok(found.clone())));
    let shown = screen(&state);
    assert!(
        shown.contains("7654321") && shown.contains("onair-stray-1a2b3c4d"),
        "{shown}"
    );
    assert!(
        shown.contains("group    5843210  3.224.17.99/32"),
        "{shown}"
    );

    assert!(press(&mut state, KeyCode::Char('d')).is_empty());
    assert!(matches!(state.mode, Mode::Confirm(_)), "asks first");
    let asked = screen(&state);
    assert!(asked.contains("Remove 1 channel(s)"), "{asked}");
    assert!(asked.contains("1 security group(s)"), "{asked}");
    let effects = press(&mut state, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::CleanOrphans(o)] if *o == found),
        "{effects:?}"
    );
    assert!(
        matches!(state.mode, Mode::Orphans),
        "back to the view, which looks again"
    );

    state.apply(EngineEvent::Orphans(Ok(Orphans::default())));
    assert!(screen(&state).contains("no orphans"));
    press(&mut state, KeyCode::Esc);
    assert!(matches!(state.mode, Mode::Normal));
}
