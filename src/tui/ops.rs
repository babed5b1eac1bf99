//! What `s`, `x`, `d`, `e` and `:start all` / `:stop all` do to their rows: ask where it matters
//! (one confirmation that lists every row), then give the engine one effect — a batch where
//! several destinations start or stop together, so it can use BatchStart / BatchStop.

use super::action::Effect;
use super::confirm::{Confirm, EditRequest, Pending};
use super::form::AddForm;
use super::state::{AppState, FlashLevel, Mode};
use crate::domain::{DestinationDraft, DestinationId, Status};
use crate::engine::{Level, OpKind, Orphans, Refusal};

use super::action::Action;
use super::keymap::{self, Scope};

/// Carries out a row action on `targets` (already chosen: marked rows or the selected one).
pub fn act(state: &mut AppState, action: Action, targets: Vec<DestinationId>) -> Vec<Effect> {
    if targets.is_empty() {
        let text = match keymap::key_for(Scope::Main, Action::Add, state.readonly) {
            Some(a) => format!("no destination selected: press {a} to add one"),
            None => "no destination selected".to_string(),
        };
        state.flash(FlashLevel::Warn, text);
        return Vec::new();
    }
    match action {
        Action::Start => start(state, targets),
        Action::Stop => stop(state, targets),
        Action::Delete => delete(state, targets),
        Action::Edit => edit(state, targets[0]),
        _ => Vec::new(),
    }
}

/// `:start all`: every idle or parked destination, confirmed.
pub fn start_all(state: &mut AppState) -> Vec<Effect> {
    // Rows in error that are meant to run are the ones a show most needs back.
    let ids: Vec<DestinationId> = state
        .rows
        .iter()
        .filter(|r| !r.busy())
        .filter(|r| {
            matches!(r.record.status, Status::Idle | Status::Parked)
                || (r.record.status == Status::Error
                    && r.record.desired == crate::domain::Desired::Running)
        })
        .map(|r| r.id())
        .collect();
    if ids.is_empty() {
        state.flash(FlashLevel::Info, "start all: nothing idle to start");
        return Vec::new();
    }
    state.ask(Confirm::new(
        "Start",
        format!("Start all: {}?", describe(state, &ids)),
        "Each goes live on its platform and is billed while it runs.".into(),
        Pending::Start(ids),
    ));
    Vec::new()
}

/// `:stop all`: every running or starting destination, confirmed.
pub fn stop_all(state: &mut AppState) -> Vec<Effect> {
    let ids = ids_where(state, |s| matches!(s, Status::Running | Status::Starting));
    if ids.is_empty() {
        state.flash(FlashLevel::Info, "stop all: nothing is live");
        return Vec::new();
    }
    // `all` is all: a filter hides rows from the table, not from this command. Say so.
    let visible = state.visible_ids();
    let hidden = ids.iter().filter(|id| !visible.contains(id)).count();
    let mut detail = "Every one of them goes off air.".to_string();
    if hidden > 0 {
        detail.push_str(&format!(
            " {hidden} of them hidden by the filter /{} are included.",
            state.filter.value()
        ));
    }
    state.ask(Confirm::new(
        "Stop",
        format!("Stop all: {}?", describe(state, &ids)),
        detail,
        Pending::Stop(ids),
    ));
    Vec::new()
}

/// `:start NAME` / `:stop NAME`: the destination named so (case aside), else the one whose
/// name starts so; as the key on that row would.
pub fn by_name(
    state: &mut AppState,
    action: crate::tui::action::Action,
    name: &str,
) -> Vec<Effect> {
    let needle = name.to_lowercase();
    let exact: Vec<DestinationId> = state
        .rows
        .iter()
        .filter(|r| r.record.name.to_lowercase() == needle)
        .map(|r| r.id())
        .collect();
    let found = if exact.is_empty() {
        state
            .rows
            .iter()
            .filter(|r| r.record.name.to_lowercase().starts_with(&needle))
            .map(|r| r.id())
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [id] => {
            state.selected = Some(*id);
            act(state, action, vec![*id])
        }
        [] => {
            state.flash(FlashLevel::Warn, format!("no destination is named {name}"));
            Vec::new()
        }
        _ => {
            let names: Vec<String> = found
                .iter()
                .filter_map(|id| state.destination_name(*id).map(String::from))
                .collect();
            state.flash(
                FlashLevel::Warn,
                format!("{name} names {}: type more of it", names.join(", ")),
            );
            Vec::new()
        }
    }
}

fn ids_where(state: &AppState, keep: impl Fn(Status) -> bool) -> Vec<DestinationId> {
    state
        .rows
        .iter()
        .filter(|r| keep(r.record.status) && !r.busy())
        .map(|r| r.id())
        .collect()
}

/// "YouTube #1 (youtube)" for one target, "3 destinations (A, B, C)" for several.
pub fn describe(state: &AppState, ids: &[DestinationId]) -> String {
    let one = |id: &DestinationId| {
        state
            .row(*id)
            .map(|r| format!("{} ({})", r.record.name, r.record.platform))
            .unwrap_or_else(|| id.short())
    };
    match ids {
        [id] => one(id),
        _ => {
            let names: Vec<String> = ids
                .iter()
                .filter_map(|id| state.destination_name(*id).map(String::from))
                .collect();
            format!("{} destinations ({})", ids.len(), names.join(", "))
        }
    }
}

fn live(state: &AppState, id: DestinationId) -> bool {
    state
        .row(id)
        .is_some_and(|r| r.record.status.is_live() || r.record.status == Status::Starting)
}

fn start(state: &mut AppState, targets: Vec<DestinationId>) -> Vec<Effect> {
    // In production every change is asked, naming the environment (AppState::ask).
    if targets.len() == 1 && !state.production {
        return request(state, &targets, OpKind::Start);
    }
    state.ask(Confirm::new(
        "Start",
        format!("Start {}?", describe(state, &targets)),
        if targets.len() == 1 {
            "It goes live on its platform and is billed while it runs."
        } else {
            "Each goes live on its platform and is billed while it runs."
        }
        .into(),
        Pending::Start(targets),
    ));
    Vec::new()
}

fn stop(state: &mut AppState, targets: Vec<DestinationId>) -> Vec<Effect> {
    let live_count = targets.iter().filter(|id| live(state, **id)).count();
    // One idle row stops without a question; several always get one list to read.
    if live_count == 0 && targets.len() == 1 && !state.production {
        return request(state, &targets, OpKind::Stop);
    }
    let detail = match (targets.len(), live_count) {
        (1, 0) => "It is not live.".to_string(),
        (1, _) => "It is live.".to_string(),
        (_, 0) => "None of them is live.".to_string(),
        (_, n) if n == targets.len() => "All of them are live.".to_string(),
        (_, n) => format!("{n} of them are live."),
    };
    state.ask(Confirm::new(
        "Stop",
        format!("Stop {}?", describe(state, &targets)),
        detail,
        Pending::Stop(targets),
    ));
    Vec::new()
}

fn delete(state: &mut AppState, targets: Vec<DestinationId>) -> Vec<Effect> {
    let live_count = targets.iter().filter(|id| live(state, **id)).count();
    let mut detail = String::from("Its AWS channel, input and flow output go with the record.");
    if targets.len() > 1 {
        detail = "Their AWS channels, inputs and flow outputs go with the records.".into();
    }
    if live_count > 0 {
        detail.push_str(if targets.len() == 1 {
            " It is live."
        } else {
            " Some are live."
        });
    }
    state.ask(Confirm::new(
        "Delete",
        format!("Delete {}?", describe(state, &targets)),
        detail,
        Pending::Delete(targets),
    ));
    Vec::new()
}

/// `e`: the form prefilled from the row (the selected one; marks don't apply to an edit).
fn edit(state: &mut AppState, id: DestinationId) -> Vec<Effect> {
    let Some(row) = state.row(id) else {
        return Vec::new();
    };
    if row.busy() || row.record.status.is_transitional() {
        let text = format!(
            "{} is busy: wait until it settles to edit it",
            row.record.name
        );
        state.flash(FlashLevel::Warn, text);
        return Vec::new();
    }
    state.mode = Mode::Form(Box::new(AddForm::for_edit(&row.record, &state.catalog)));
    Vec::new()
}

/// The edit form's Enter. A live destination is restarted to apply the change, so that is asked
/// first (focus on Cancel), naming it; anything else goes straight to the engine.
pub fn submit_edit(
    state: &mut AppState,
    id: DestinationId,
    draft: DestinationDraft,
) -> Vec<Effect> {
    if live(state, id) {
        return ask_restart(state, id, draft);
    }
    if state.production {
        state.ask(Confirm::new(
            "Edit",
            format!("Apply the edit to {}?", describe(state, &[id])),
            "It is not live: no restart.".into(),
            Pending::Edit(Box::new(EditRequest { id, draft })),
        ));
        return Vec::new();
    }
    vec![Effect::Edit {
        id,
        draft,
        restart: false,
    }]
}

/// "Restart NAME (platform) to apply? It is live." — also what the engine's NeedsRestart answer
/// leads to.
pub fn ask_restart(
    state: &mut AppState,
    id: DestinationId,
    draft: DestinationDraft,
) -> Vec<Effect> {
    state.ask(Confirm::new(
        "Restart",
        format!("Restart {} to apply?", describe(state, &[id])),
        "It is live.".into(),
        Pending::EditRestart(Box::new(EditRequest { id, draft })),
    ));
    Vec::new()
}

/// The add form's Enter: straight to the engine, or in production asked first.
pub fn submit_add(state: &mut AppState, draft: DestinationDraft) -> Vec<Effect> {
    if !state.production {
        return vec![Effect::Add(draft)];
    }
    state.ask(Confirm::new(
        "Add",
        format!("Add {} ({})?", draft.name, draft.platform),
        "Its MediaLive input and channel are created, idle.".into(),
        Pending::Add(Box::new(super::confirm::AddRequest { draft })),
    ));
    Vec::new()
}

/// Marks each target as asked-for at once, so a press is never silent while the engine works.
pub fn request(state: &mut AppState, ids: &[DestinationId], op: OpKind) -> Vec<Effect> {
    let ids: Vec<DestinationId> = ids
        .iter()
        .copied()
        .filter(|id| state.row(*id).is_some())
        .collect();
    for id in &ids {
        if let Some(row) = state.row_mut(*id)
            && row.progress.is_none()
        {
            row.requested = Some(op);
        }
    }
    // Marks served their purpose; keeping them would make the next key act on many rows.
    state.marked.clear();
    match (op, ids.as_slice()) {
        (_, []) => Vec::new(),
        (OpKind::Start, [id]) => vec![Effect::Start(*id)],
        (OpKind::Stop, [id]) => vec![Effect::Stop(*id)],
        (OpKind::Start, _) => vec![Effect::StartMany(ids)],
        (OpKind::Stop, _) => vec![Effect::StopMany(ids)],
        (OpKind::Delete, _) => ids.into_iter().map(Effect::Delete).collect(),
        (
            OpKind::Add
            | OpKind::Edit
            | OpKind::Park
            | OpKind::Unpark
            | OpKind::Reconcile
            | OpKind::Schedule,
            _,
        ) => Vec::new(),
    }
}

/// `d` in the orphans view: one question naming what goes.
pub fn ask_clean_orphans(state: &mut AppState) -> Vec<Effect> {
    let found = match &state.orphans {
        Some(Ok(found)) => found.clone(),
        _ => {
            state.mode = Mode::Orphans;
            return Vec::new();
        }
    };
    if found.resources() == 0 {
        state.mode = Mode::Orphans;
        state.flash(FlashLevel::Info, "no orphaned resources to remove");
        return Vec::new();
    }
    state.ask(Confirm::new(
        "Remove",
        format!("Remove {} that no destination owns?", orphan_counts(&found)),
        match found.not_ours.len() {
            0 => "Running orphan channels are stopped first.".into(),
            n => format!("Running orphan channels are stopped first; {n} not ours are left alone."),
        },
        Pending::CleanOrphans(Box::new(found)),
    ));
    Vec::new()
}

pub fn confirmed(state: &mut AppState, pending: Pending) -> Vec<Effect> {
    match pending {
        Pending::Start(ids) => request(state, &ids, OpKind::Start),
        Pending::Stop(ids) => request(state, &ids, OpKind::Stop),
        Pending::Delete(ids) => request(state, &ids, OpKind::Delete),
        Pending::EditRestart(edit) => vec![Effect::Edit {
            id: edit.id,
            draft: edit.draft,
            restart: true,
        }],
        Pending::Edit(edit) => vec![Effect::Edit {
            id: edit.id,
            draft: edit.draft,
            restart: false,
        }],
        Pending::Add(add) => vec![Effect::Add(add.draft)],
        Pending::CleanOrphans(found) => {
            state.orphans = None;
            state.mode = Mode::Orphans;
            vec![Effect::CleanOrphans(*found)]
        }
        Pending::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
    }
}

/// The engine's per-row answers to a batch: refusals are logged on their rows and summed up in
/// one flash, accepted rows carry on showing their steps.
pub fn batch_done(
    state: &mut AppState,
    op: OpKind,
    results: Vec<(DestinationId, Result<(), Refusal>)>,
) {
    let total = results.len();
    let mut refused = Vec::new();
    for (id, result) in results {
        if let Err(refusal) = result {
            if let Some(row) = state.row_mut(id) {
                row.requested = None;
            }
            state.log_line(
                Level::Warn,
                Some(id),
                format!("{} refused: {refusal}", op.verb()),
            );
            refused.push(refusal.to_string());
        }
    }
    if refused.is_empty() {
        state.flash(
            FlashLevel::Info,
            format!("{}: {total} destinations asked", op.verb()),
        );
    } else {
        state.flash(
            FlashLevel::Error,
            format!(
                "{}: {} of {total} refused — {}",
                op.verb(),
                refused.len(),
                refused.join("; ")
            ),
        );
    }
}

/// "1 channel(s) and 2 security group(s)": only the kinds there are, so the question stays short
/// at 80 columns.
fn orphan_counts(found: &Orphans) -> String {
    let parts: Vec<String> = [
        (found.channels.len(), "channel(s)"),
        (found.inputs.len(), "input(s)"),
        (found.flow_outputs.len(), "flow output(s)"),
        (found.security_groups.len(), "security group(s)"),
        (found.alarms.len(), "alarm(s)"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "nothing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Platform;
    use crate::tui::action::handle_key;
    use crate::tui::state::tests::{record, state_with};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(s: &mut AppState, code: KeyCode) -> Vec<Effect> {
        handle_key(s, KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn three_idle() -> AppState {
        state_with(vec![
            record("A", Platform::Youtube, Status::Idle, 0),
            record("B", Platform::Youtube, Status::Idle, 1),
            record("C", Platform::Twitch, Status::Idle, 2),
        ])
    }

    #[test]
    fn starting_three_marked_rows_asks_once_listing_them_then_batches() {
        let mut s = three_idle();
        for _ in 0..3 {
            press(&mut s, KeyCode::Char(' '));
        }
        assert!(press(&mut s, KeyCode::Char('s')).is_empty());
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Start 3 destinations (A, B, C)?");
        let effects = press(&mut s, KeyCode::Char('y'));
        let [Effect::StartMany(ids)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert_eq!(ids.len(), 3);
        assert!(s.marked.is_empty());
        assert!(s.rows.iter().all(|r| r.requested == Some(OpKind::Start)));
    }

    #[test]
    fn stopping_several_always_asks_even_when_none_is_live() {
        let mut s = three_idle();
        press(&mut s, KeyCode::Char(' '));
        press(&mut s, KeyCode::Char(' '));
        press(&mut s, KeyCode::Char('x'));
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no confirm")
        };
        assert!(dialog.question.starts_with("Stop 2 destinations"));
        assert!(matches!(
            press(&mut s, KeyCode::Char('y')).as_slice(),
            [Effect::StopMany(ids)] if ids.len() == 2
        ));
    }

    #[test]
    fn deleting_marked_rows_is_one_question_and_one_delete_each() {
        let mut s = three_idle();
        press(&mut s, KeyCode::Char(' '));
        press(&mut s, KeyCode::Char(' '));
        press(&mut s, KeyCode::Char('d'));
        assert!(matches!(s.mode, Mode::Confirm(_)));
        let effects = press(&mut s, KeyCode::Char('y'));
        assert_eq!(effects.len(), 2);
        assert!(effects.iter().all(|e| matches!(e, Effect::Delete(_))));
    }

    #[test]
    fn batch_refusals_are_logged_per_row_and_flashed() {
        let mut s = three_idle();
        let ids: Vec<_> = s.rows.iter().map(|r| r.id()).collect();
        request(&mut s, &ids, OpKind::Start);
        let results = vec![
            (ids[0], Ok(())),
            (
                ids[1],
                Err(Refusal::Busy {
                    name: "B".into(),
                    doing: "delete",
                }),
            ),
            (ids[2], Ok(())),
        ];
        batch_done(&mut s, OpKind::Start, results);
        assert_eq!(s.row(ids[0]).unwrap().requested, Some(OpKind::Start));
        assert_eq!(s.row(ids[1]).unwrap().requested, None);
        let last = s.log.back().unwrap();
        assert_eq!(last.destination, Some(ids[1]));
        assert!(last.text.contains("refused"));
        let flash = s.flash.unwrap();
        assert!(flash.text.contains("1 of 3 refused"), "{}", flash.text);
    }

    #[test]
    fn start_all_and_stop_all_pick_their_rows_and_ask() {
        let mut s = state_with(vec![
            record("A", Platform::Youtube, Status::Running, 0),
            record("B", Platform::Youtube, Status::Idle, 1),
            record("C", Platform::Twitch, Status::Idle, 2),
        ]);
        start_all(&mut s);
        let Mode::Confirm(dialog) = std::mem::take(&mut s.mode) else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Start all: 2 destinations (B, C)?");
        stop_all(&mut s);
        let Mode::Confirm(dialog) = std::mem::take(&mut s.mode) else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Stop all: A (youtube)?");
        assert!(matches!(
            confirmed(&mut s, dialog.pending).as_slice(),
            [Effect::Stop(_)]
        ));
    }

    #[test]
    fn start_all_takes_rows_in_error_that_want_to_run() {
        let mut broken = record("E", Platform::Youtube, Status::Error, 0);
        broken.desired = crate::domain::Desired::Running;
        let abandoned = record("F", Platform::Youtube, Status::Error, 1);
        let mut s = state_with(vec![broken, abandoned]);
        start_all(&mut s);
        let Mode::Confirm(dialog) = std::mem::take(&mut s.mode) else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Start all: E (youtube)?");
    }

    #[test]
    fn stop_all_under_a_filter_says_hidden_rows_are_included() {
        let mut s = state_with(vec![
            record("Main", Platform::Youtube, Status::Running, 0),
            record("Twitch", Platform::Twitch, Status::Running, 1),
        ]);
        s.filter = tui_input::Input::new("main".into());
        stop_all(&mut s);
        let Mode::Confirm(dialog) = std::mem::take(&mut s.mode) else {
            panic!("no confirm")
        };
        assert!(
            dialog
                .detail
                .contains("1 of them hidden by the filter /main are included"),
            "{}",
            dialog.detail
        );
    }

    #[test]
    fn start_by_name_acts_on_that_row_and_refuses_an_ambiguous_one() {
        let mut s = state_with(vec![
            record("YouTube main", Platform::Youtube, Status::Idle, 0),
            record("YouTube backup", Platform::Youtube, Status::Idle, 1),
        ]);
        let effects = by_name(&mut s, Action::Start, "youtube b");
        assert!(
            matches!(effects.as_slice(), [Effect::Start(_)]),
            "{effects:?}"
        );
        assert!(by_name(&mut s, Action::Start, "youtube").is_empty());
        assert!(s.flash.as_ref().unwrap().text.contains("type more"));
        assert!(by_name(&mut s, Action::Start, "nope").is_empty());
    }

    #[test]
    fn editing_a_live_row_asks_to_restart_with_cancel_focused() {
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Running, 0)]);
        press(&mut s, KeyCode::Char('e'));
        let Mode::Form(form) = &s.mode else {
            panic!("no form")
        };
        assert_eq!(form.title(), "Edit destination");
        let effects = press(&mut s, KeyCode::Enter);
        assert!(effects.is_empty(), "{effects:?}");
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Restart Main (youtube) to apply?");
        assert_eq!(dialog.detail, "It is live.");
        assert_eq!(dialog.focus, crate::tui::confirm::Button::Cancel);
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Edit { restart: true, .. }]
        ));
    }

    #[test]
    fn editing_an_idle_row_goes_to_the_engine_and_a_refusal_is_flashed() {
        let mut s = state_with(vec![record("Spare", Platform::Twitch, Status::Idle, 0)]);
        let key = s.rows[0].record.stream_key.clone();
        press(&mut s, KeyCode::Char('e'));
        let effects = press(&mut s, KeyCode::Enter);
        let [effect @ Effect::Edit { draft, restart, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert!(!restart);
        assert_eq!(draft.stream_key, key, "an empty key field keeps the key");
        crate::tui::action::effect_done(
            &mut s,
            effect,
            Err(Refusal::NotNow("edit is not wired yet".into())),
        );
        assert_eq!(s.flash.as_ref().unwrap().text, "edit is not wired yet");
        assert!(matches!(s.mode, Mode::Form(_)), "the typing is kept");
    }

    fn in_production() -> AppState {
        let mut s = three_idle();
        s.production = true;
        s.env_name = Some("show".into());
        s
    }

    fn draft(name: &str) -> DestinationDraft {
        DestinationDraft {
            name: name.into(),
            platform: "youtube".into(),
            url: String::new(),
            stream_key: crate::domain::StreamKey::new("abcd-efgh-ijkl-mnop").into(),
            preset: "1080p30".into(),
        }
    }

    /// In production every change is asked, and the question's title names the environment;
    /// yes carries out exactly what was asked, no does nothing.
    #[test]
    fn in_production_every_change_is_asked_naming_the_environment() {
        let asked = |s: &AppState| match &s.mode {
            Mode::Confirm(dialog) => dialog.title.clone(),
            other => panic!("not asked: {other:?}"),
        };
        // A single start and a single idle stop, which outside production go straight.
        for (key, verb) in [('s', "Start"), ('x', "Stop")] {
            let mut s = in_production();
            assert!(press(&mut s, KeyCode::Char(key)).is_empty(), "{verb}");
            assert_eq!(asked(&s), format!("{verb} · show · PRODUCTION"));
            let effects = press(&mut s, KeyCode::Char('y'));
            assert!(
                matches!(effects.as_slice(), [Effect::Start(i)] | [Effect::Stop(i)] if s.row(*i).is_some()),
                "{verb}: {effects:?}"
            );
            let mut plain = three_idle();
            assert_eq!(press(&mut plain, KeyCode::Char(key)).len(), 1, "{verb}");
        }
        // Delete was always asked; now it names the environment too.
        let mut s = in_production();
        press(&mut s, KeyCode::Char('d'));
        assert_eq!(asked(&s), "Delete · show · PRODUCTION");
        // An edit that needs no restart, and an add.
        let mut s = in_production();
        let id = s.rows[0].id();
        assert!(submit_edit(&mut s, id, draft("A2")).is_empty());
        assert_eq!(asked(&s), "Edit · show · PRODUCTION");
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Edit { restart: false, draft, .. }] if draft.name == "A2"
        ));
        let mut s = in_production();
        assert!(submit_add(&mut s, draft("New")).is_empty());
        assert_eq!(asked(&s), "Add · show · PRODUCTION");
        assert!(press(&mut s, KeyCode::Esc).is_empty(), "no adds nothing");
        assert!(matches!(s.mode, Mode::Normal));
        let mut plain = three_idle();
        assert!(matches!(
            submit_add(&mut plain, draft("New")).as_slice(),
            [Effect::Add(_)]
        ));
    }
}
