//! The orphans view: `:gc` asks the engine to look, the answer is listed, `d` asks once and
//! then removes the resources.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use onair::cloud::{Channel, ChannelState, InputSecurityGroup};
use onair::domain::Catalog;
use onair::engine::{EngineEvent, NotOurs, Orphans, ResourceKind};
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
    screen_of(state, 120, 30)
}

fn screen_of(state: &AppState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| onair::tui::view::draw(f, state, &Theme::default_dark()))
        .unwrap();
    format!("{:?}", terminal.backend().buffer())
}

/// The screen's rows as plain text, one string per row.
fn rows_of(state: &AppState, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| onair::tui::view::draw(f, state, &Theme::default_dark()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

/// Another table's channel and input, and an older onair's input with no table tag.
fn left_alone() -> Vec<NotOurs> {
    vec![
        NotOurs {
            kind: ResourceKind::Channel,
            id: "2345678".into(),
            name: "onair-b-main-9f8e7d6c".into(),
            reason: "table shows-b".into(),
        },
        NotOurs {
            kind: ResourceKind::Input,
            id: "3456789".into(),
            name: "onair-b-main-9f8e7d6c".into(),
            reason: "table shows-b".into(),
        },
        NotOurs {
            kind: ResourceKind::Input,
            id: "4567890".into(),
            name: "onair-legacy-0badc0de".into(),
            reason: "no onair:table tag".into(),
        },
    ]
}

fn orphan_channel() -> Channel {
    Channel {
        id: "7654321".into(),
        arn: "arn:aws:medialive:us-east-1:111122223333:channel:7654321".into(),
        name: "onair-stray-1a2b3c4d".into(),
        state: ChannelState::Idle,
        input_ids: vec![],
        destination_url: None,
        tags: onair::domain::naming::tags(
            onair::domain::naming::DEFAULT_TABLE,
            &onair::domain::DestinationId::new(),
        )
        .into_iter()
        .collect(),
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

#[test]
fn what_is_not_ours_is_listed_apart_readable_at_80_columns_and_never_offered_for_removal() {
    let mut state = AppState::new(
        Arc::new(Catalog::builtin()),
        time::macros::datetime!(2026-11-25 18:00 UTC),
        "demo",
    );
    press(&mut state, KeyCode::Char(':'));
    typed(&mut state, "gc");
    press(&mut state, KeyCode::Enter);

    // Nothing of this table to remove: "no orphans", and what is left alone below it.
    state.apply(EngineEvent::Orphans(Ok(Orphans {
        not_ours: left_alone(),
        ..Orphans::default()
    })));
    let rows = rows_of(&state, 80, 24);
    let shown = rows.join("\n");
    assert!(shown.contains("no orphans"), "{shown}");
    assert!(shown.contains("not ours, left alone"), "{shown}");
    for expected in [
        "channel  2345678  onair-b-main-9f8e7d6c  (table shows-b)",
        "input    3456789  onair-b-main-9f8e7d6c  (table shows-b)",
        "input    4567890  onair-legacy-0badc0de  (no onair:table tag)",
    ] {
        assert!(
            rows.iter().any(|r| r.contains(expected)),
            "{expected:?} on one row at 80 columns:\n{shown}"
        );
    }
    assert!(press(&mut state, KeyCode::Char('d')).is_empty());
    assert!(
        matches!(state.mode, Mode::Orphans),
        "nothing to remove: no question"
    );

    // With an orphan too: the question names only it, and says what is left alone.
    state.apply(EngineEvent::Orphans(Ok(Orphans {
        channels: vec![orphan_channel()],
        not_ours: left_alone(),
        ..Orphans::default()
    })));
    let shown = rows_of(&state, 80, 24).join("\n");
    assert!(shown.contains("7654321"), "{shown}");
    assert!(shown.contains("(table shows-b)"), "{shown}");
    press(&mut state, KeyCode::Char('d'));
    assert!(matches!(state.mode, Mode::Confirm(_)), "asks first");
    let asked = screen_of(&state, 80, 24);
    assert!(asked.contains("Remove 1 channel(s)"), "{asked}");
    assert!(asked.contains("3 not ours are left alone"), "{asked}");
}
