//! Terminal set-up and tear-down. `ratatui::init` installs a panic hook that restores the
//! terminal before the report is printed (main installs color-eyre's hooks first, so they chain).

use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::crossterm::{execute, queue};
use ratatui::{DefaultTerminal, Frame};
use std::io;

pub fn init() -> DefaultTerminal {
    ratatui::init()
}

pub fn restore() {
    ratatui::restore();
}

/// Draws one frame inside a synchronized update, so a slow SSH link never shows half a frame
/// (terminals without support ignore the sequences).
pub fn draw(terminal: &mut DefaultTerminal, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal.draw(render).map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}
