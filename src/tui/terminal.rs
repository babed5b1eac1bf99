//! Terminal set-up and tear-down, and the panic hook that goes with them.
//!
//! ratatui's own hook restores the terminal on *any* panic, so a bug in a background task (an
//! engine operation on a tokio worker) used to put the terminal back to cooked mode while the
//! control room kept drawing on it and `q` no longer reached it. Here the hook restores the
//! terminal only for a panic on the thread that draws (the app is ending: main installs
//! color-eyre's hooks first, so its report follows on a clean screen). A panic on any other
//! thread is logged, and not printed over the screen; the engine turns it into an error on the
//! row of the operation that hit it.

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, enable_raw_mode,
};
use ratatui::crossterm::{execute, queue};
use ratatui::{DefaultTerminal, Frame, Terminal};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

/// The thread that draws, while the terminal is ours.
static DRAWING_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub fn init() -> io::Result<DefaultTerminal> {
    install_panic_hook();
    if let Ok(mut t) = DRAWING_THREAD.lock() {
        *t = Some(std::thread::current().id());
    }
    ACTIVE.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

pub fn restore() {
    ACTIVE.store(false, Ordering::SeqCst);
    ratatui::restore();
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_drawing_thread = DRAWING_THREAD
                .lock()
                .map(|t| *t == Some(std::thread::current().id()))
                .unwrap_or(true);
            if ACTIVE.load(Ordering::SeqCst) && !on_drawing_thread {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                tracing::error!(
                    "panic in a background task{location}: {}",
                    crate::logging::panic_text(info.payload())
                );
                return;
            }
            if ACTIVE.load(Ordering::SeqCst) {
                restore();
            }
            previous(info);
        }));
    });
}

/// Draws one frame inside a synchronized update, so a slow SSH link never shows half a frame
/// (terminals without support ignore the sequences).
pub fn draw(terminal: &mut DefaultTerminal, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal.draw(render).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}
