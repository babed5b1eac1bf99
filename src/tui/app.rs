//! The shell around the pure parts: waits on keys, engine events and a 1 s tick, folds them into
//! the state, carries out effects by calling the engine (whose calls return at once), and draws
//! only when something changed.

use super::action::{self, Effect};
use super::ops;
use super::stale;
use super::state::{AppState, FlashLevel};
use super::terminal;
use super::theme::Theme;
use super::view;
use crate::engine::{Engine, EngineEvent, Level, OpKind};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use futures::future::BoxFuture;
use ratatui::DefaultTerminal;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::MissedTickBehavior;

/// The simulator's fault injector for `:fault …` in demo: words in, a message out.
pub type FaultInjector = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// One environment's engine as the control room shows it: the screen shows one session at a
/// time, and `:env` swaps it for another.
pub struct Session {
    pub engine: Engine,
    pub events: UnboundedReceiver<EngineEvent>,
    /// The named environment, when the config has environments.
    pub env: Option<String>,
    /// Shown in the top bar, e.g. "show · 111122223333 (acme) · eu-west-1 · profile show".
    pub context: String,
    /// The environment is a production one: the top bar says so in words, not only colour.
    pub production: bool,
    /// The simulator's fault injector (demo only).
    pub fault: Option<FaultInjector>,
}

impl Session {
    /// A session with no environment name, not production, no fault injector.
    pub fn new(
        engine: Engine,
        events: UnboundedReceiver<EngineEvent>,
        context: impl Into<String>,
    ) -> Self {
        Self {
            engine,
            events,
            env: None,
            context: context.into(),
            production: false,
            fault: None,
        }
    }
}

/// Opens the named environment's session for `:env NAME` — its settings, its AWS (account read
/// and pin checked) or simulator, its engine — or says in a sentence why it can't.
pub type SessionOpener =
    Arc<dyn Fn(String) -> BoxFuture<'static, Result<Session, String>> + Send + Sync>;

/// What main decides for the TUI, whichever environment is on screen.
#[derive(Clone)]
pub struct TuiOptions {
    pub demo: bool,
    pub theme: Theme,
    /// Ring the terminal bell on an alert (config `bell`).
    pub bell: bool,
    /// The environments `:env` offers (the config's names), and how to open one.
    pub environments: Vec<String>,
    pub open_env: Option<SessionOpener>,
}

impl Default for TuiOptions {
    /// Colour theme, NO_COLOR honoured, no environments.
    fn default() -> Self {
        Self {
            demo: false,
            theme: Theme::honouring_no_color(Theme::default_dark()),
            bell: false,
            environments: Vec::new(),
            open_env: None,
        }
    }
}

/// Runs the control room until the operator quits. Restores the terminal on every way out.
pub async fn run(session: Session, options: TuiOptions) -> color_eyre::Result<()> {
    let mut term = match terminal::init() {
        Ok(term) => term,
        Err(e) => {
            terminal::restore();
            return Err(e.into());
        }
    };
    let result = run_loop(&mut term, session, options).await;
    terminal::restore();
    result
}

/// A fresh screen for `session`: nothing of another environment's rows, log or costs survives
/// a switch, so the screen never mixes two.
fn state_for(session: &Session, options: &TuiOptions, screen: (u16, u16)) -> AppState {
    let engine = &session.engine;
    let mut state = AppState::new(
        Arc::new(engine.catalog().clone()),
        engine.clock().now(),
        session.context.clone(),
    );
    state.demo = options.demo;
    state.readonly = engine.config().readonly;
    state.production = session.production;
    state.env_name = session.env.clone();
    state.environments = options.environments.clone();
    state.set_refresh_interval(engine.config().refresh_interval);
    state.screen = screen;
    state
}

/// An environment switched away from: its refresh stops, and what it was doing finishes there
/// (the engine's tasks run on). Its events no longer reach the screen; the log file keeps them.
fn retire(old: Session, refresh_loop: tokio::task::JoinHandle<()>) -> Engine {
    refresh_loop.abort();
    let Session {
        engine,
        mut events,
        env,
        ..
    } = old;
    let env = env.unwrap_or_default();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let EngineEvent::Finished { id, op, result } = &event {
                match result {
                    Ok(()) => tracing::info!(env = %env, %id, ?op, "finished after the switch"),
                    Err(e) => tracing::warn!(env = %env, %id, ?op, "failed after the switch: {e}"),
                }
            }
        }
    });
    engine
}

async fn run_loop(
    term: &mut DefaultTerminal,
    mut session: Session,
    options: TuiOptions,
) -> color_eyre::Result<()> {
    let screen = term.size().map(|s| (s.width, s.height)).unwrap_or((80, 24));
    let mut state = state_for(&session, &options, screen);
    // `:theme` swaps it at runtime; the options keep the one onair started with.
    let mut theme = options.theme.clone();
    let mut bells_rung = 0;

    // Its first pass loads the table (and reconciles at once); a failure shows as the
    // observation's error, in the header and the flow panel.
    let mut refresh_loop = session.engine.spawn_refresh_loop();
    // Engines of environments switched away from, settled with this one's at quit.
    let mut retired: Vec<Engine> = Vec::new();
    let (opened_tx, mut opened_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, Result<Session, String>)>();

    let mut keys = EventStream::new();
    // SIGHUP is what an SSH drop sends; SIGTERM is a service manager's stop; SIGINT and SIGQUIT
    // come from `kill` (in raw mode Ctrl-C and Ctrl-\ are keys, not signals). Each ends the loop
    // the normal way, so the terminal is restored and the log says why (and SIGQUIT dumps no
    // core, which would hold stream keys).
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut events_open = true;
    let mut dirty = true;

    while !state.quit {
        if dirty {
            terminal::draw(term, |frame| view::draw(frame, &state, &theme))?;
            dirty = false;
        }
        if state.alerts > bells_rung {
            bells_rung = state.alerts;
            if options.bell {
                // BEL through the same backend the frames go through, never a second writer.
                term.backend_mut().write_all(b"\x07")?;
                term.backend_mut().flush()?;
            }
        }
        let clock = session.engine.clock().clone();
        tokio::select! {
            input = keys.next() => match input {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    state.now = clock.now();
                    let effects = action::handle_key(&mut state, key);
                    execute(effects, &session, &mut state, &options, &mut theme, &opened_tx);
                    want_preview(&session.engine, &state);
                    dirty = true;
                }
                Some(Ok(Event::Resize(width, height))) => {
                    state.screen = (width, height);
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                // The terminal is gone (SSH dropped): nothing left to draw on.
                None => break,
            },
            event = session.events.recv(), if events_open => {
                state.now = clock.now();
                match event {
                    Some(event) => {
                        state.apply(event);
                        // Fold a burst in before drawing once.
                        while let Ok(event) = session.events.try_recv() {
                            state.apply(event);
                        }
                        // A key pressed on stale data acts now if the fresh look allows it.
                        let effects = stale::resume(&mut state);
                        execute(effects, &session, &mut state, &options, &mut theme, &opened_tx);
                    }
                    None => {
                        events_open = false;
                        state.flash(FlashLevel::Error, "the engine stopped: restart onair");
                    }
                }
                dirty = true;
            },
            Some((name, opened)) = opened_rx.recv() => {
                match opened {
                    Ok(new) => {
                        let running = state.operations_running();
                        let from = state.env_name.clone().unwrap_or_default();
                        let old = std::mem::replace(&mut session, new);
                        retired.push(retire(old, refresh_loop));
                        refresh_loop = session.engine.spawn_refresh_loop();
                        events_open = true;
                        bells_rung = 0;
                        state = state_for(&session, &options, state.screen);
                        let text = match running {
                            0 => format!("environment {name}"),
                            n => format!(
                                "environment {name}: {n} operation(s) finish in {from} (the log file records them)"
                            ),
                        };
                        state.log_line(Level::Info, None, text.clone());
                        state.flash(FlashLevel::Info, text);
                    }
                    Err(why) => {
                        state.flash(FlashLevel::Error, format!("environment {name}: {why}"));
                    }
                }
                dirty = true;
            },
            _ = hangup.recv() => {
                tracing::warn!("SIGHUP (terminal or SSH session gone): leaving");
                break;
            }
            _ = terminate.recv() => {
                tracing::warn!("SIGTERM: leaving");
                break;
            }
            _ = interrupt.recv() => {
                tracing::warn!("SIGINT: leaving");
                break;
            }
            _ = quit.recv() => {
                tracing::warn!("SIGQUIT: leaving");
                break;
            }
            _ = tick.tick() => {
                dirty |= state.tick(clock.now());
                want_preview(&session.engine, &state);
            },
        }
    }
    refresh_loop.abort();
    // Give a step that is between its AWS call and its record write a moment to persist; any
    // longer wait (a channel starting) is picked up by reconciliation at the next start, where
    // the persisted RequestIds keep a repeated create from making a second resource. Every
    // environment this session visited gets the same moment, at the same time.
    retired.push(session.engine.clone());
    let settling = futures::future::join_all(retired.iter().map(Engine::settle));
    let _ = tokio::time::timeout(Duration::from_secs(3), settling).await;
    Ok(())
}

/// Asks for the open details view's preview frame. Called on every key and tick; the engine
/// makes at most one call per refresh interval, so this never becomes a call per frame.
fn want_preview(engine: &Engine, state: &AppState) {
    if let Some(id) = super::preview::wanted(state) {
        engine.fetch_thumbnail(id);
    }
}

/// Carries out effects. Engine calls return at once (the work runs in the engine's tasks), so
/// the loop never waits on AWS.
fn execute(
    effects: Vec<Effect>,
    session: &Session,
    state: &mut AppState,
    options: &TuiOptions,
    theme: &mut Theme,
    opened: &UnboundedSender<(String, Result<Session, String>)>,
) {
    let engine = &session.engine;
    for effect in effects {
        let result = match &effect {
            Effect::Add(draft) => engine.add(draft.clone()).map(|_| ()),
            Effect::Start(id) => engine.start(*id),
            Effect::Stop(id) => engine.stop(*id),
            Effect::Delete(id) => engine.delete(*id),
            Effect::Edit { id, draft, restart } => engine.edit(*id, draft.clone(), *restart),
            Effect::StartMany(ids) => {
                ops::batch_done(state, OpKind::Start, engine.start_many(ids));
                continue;
            }
            Effect::StopMany(ids) => {
                ops::batch_done(state, OpKind::Stop, engine.stop_many(ids));
                continue;
            }
            Effect::Refresh => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine.refresh().await;
                });
                Ok(())
            }
            Effect::ScanOrphans => {
                engine.scan_orphans();
                Ok(())
            }
            Effect::CleanOrphans(found) => engine.clean_orphans(found.clone()),
            Effect::Reconcile => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    engine.refresh().await;
                    // Failures already reached the event log through the refresh.
                    let _ = engine.reconcile(true).await;
                });
                Ok(())
            }
            Effect::Quit => Ok(()),
            Effect::Fault(words) => {
                inject_fault(words, state, session);
                Ok(())
            }
            Effect::SwitchEnv(name) => {
                open_env(name, options, state, opened);
                Ok(())
            }
            Effect::Theme(name) => {
                switch_theme(name, state, theme);
                Ok(())
            }
            Effect::Copy(text) => {
                osc52(text);
                Ok(())
            }
            Effect::Schedule { id, start, stop } => engine.schedule(*id, *start, *stop),
            Effect::Unschedule(id) => engine.unschedule(*id),
            Effect::Extend(id, by) => engine.extend(*id, *by),
        };
        if let Err(refusal) = &result {
            let id = match &effect {
                Effect::Start(id) | Effect::Stop(id) | Effect::Delete(id) => Some(*id),
                Effect::Edit { id, .. } => Some(*id),
                Effect::Schedule { id, .. } | Effect::Unschedule(id) | Effect::Extend(id, _) => {
                    Some(*id)
                }
                _ => None,
            };
            state.log_line(Level::Warn, id, format!("refused: {refusal}"));
        }
        action::effect_done(state, &effect, result);
    }
}

/// `:theme NAME`: a built-in theme (or `mono`), else a theme file path.
fn switch_theme(name: &str, state: &mut AppState, theme: &mut Theme) {
    let loaded = match Theme::builtin(name) {
        Some(result) => result,
        None => Theme::load(std::path::Path::new(name)),
    };
    match loaded {
        Ok(new) => {
            *theme = new;
            state.flash(FlashLevel::Info, format!("theme {name}"));
        }
        Err(e) => state.flash(FlashLevel::Error, e.to_string()),
    }
}

/// Opens `name`'s session in a task (reading its account takes a call or two); the loop swaps
/// the screen when it arrives.
fn open_env(
    name: &str,
    options: &TuiOptions,
    state: &mut AppState,
    opened: &UnboundedSender<(String, Result<Session, String>)>,
) {
    let Some(open) = options.open_env.clone() else {
        state.flash(
            FlashLevel::Error,
            "this control room can't switch environments",
        );
        return;
    };
    let opened = opened.clone();
    let name = name.to_string();
    tokio::spawn(async move {
        let session = open(name.clone()).await;
        // The loop has ended if nobody receives: the session is dropped unused.
        let _ = opened.send((name, session));
    });
}

fn inject_fault(words: &str, state: &mut AppState, session: &Session) {
    let Some(inject) = &session.fault else {
        state.flash(FlashLevel::Error, "no fault injector in this mode");
        return;
    };
    match inject(words) {
        // `:fault help`: a page, not a one-line flash. The event log shows it line by line.
        Ok(message) if message.contains('\n') => {
            for line in message.lines() {
                state.log_line(Level::Info, None, line.to_string());
            }
            state.show_log = true;
            state.flash(
                FlashLevel::Info,
                "fault commands: in the event log (l closes it)",
            );
        }
        Ok(message) => {
            state.log_line(Level::Warn, None, format!("fault injected: {message}"));
            state.flash(FlashLevel::Warn, message);
        }
        Err(message) => state.flash(FlashLevel::Error, message),
    }
}

/// Puts `text` on the clipboard of the terminal (and, over SSH, of the operator's machine) with
/// OSC 52. Terminals that don't allow it ignore the sequence. The text was made safe for the
/// terminal by the view, and base64 carries no control character.
fn osc52(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let _ = out.flush();
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod osc52_tests {
    #[test]
    fn base64_pads_like_the_rfc() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
