//! The one place that asks before something hard to undo: stopping what is live, deleting,
//! starting several at once, restarting a live destination to apply an edit, and quitting while
//! operations run. Focus starts on Cancel, as k9s does, so a stray Enter is safe.

use super::action::Action;
use super::keymap::{self, Scope};
use crate::domain::{DestinationDraft, DestinationId};
use crossterm::event::KeyEvent;

/// What happens on yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Start(Vec<DestinationId>),
    Stop(Vec<DestinationId>),
    Delete(Vec<DestinationId>),
    /// Apply an edit to a live destination by restarting it.
    EditRestart(Box<EditRequest>),
    /// Apply an edit that needs no restart (asked only in a production environment).
    Edit(Box<EditRequest>),
    /// Add a destination (asked only in a production environment).
    Add(Box<AddRequest>),
    /// Remove orphaned AWS resources.
    CleanOrphans(Box<crate::engine::Orphans>),
    Quit,
}

/// An edit the engine is to apply.
#[derive(Debug, Clone)]
pub struct EditRequest {
    pub id: DestinationId,
    pub draft: DestinationDraft,
}

/// A destination the engine is to add.
#[derive(Debug, Clone)]
pub struct AddRequest {
    pub draft: DestinationDraft,
}

// The domain's draft has no equality (it carries a secret); compare it field by field here.
fn same_draft(a: &DestinationDraft, b: &DestinationDraft) -> bool {
    a.name == b.name
        && a.platform == b.platform
        && a.url == b.url
        && a.stream_key == b.stream_key
        && a.preset == b.preset
}

impl PartialEq for EditRequest {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && same_draft(&self.draft, &other.draft)
    }
}

impl Eq for EditRequest {}

impl PartialEq for AddRequest {
    fn eq(&self, other: &Self) -> bool {
        same_draft(&self.draft, &other.draft)
    }
}

impl Eq for AddRequest {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    /// The question, naming destination and platform, e.g. "Stop YouTube #1 (youtube)?".
    pub question: String,
    /// Why it matters, e.g. "It is live."
    pub detail: String,
    /// The confirm button's label: "Start", "Stop", "Delete", "Restart", "Quit".
    pub verb: &'static str,
    pub pending: Pending,
    pub focus: Button,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Open,
    Yes(Pending),
    No,
}

impl Confirm {
    pub fn new(verb: &'static str, question: String, detail: String, pending: Pending) -> Self {
        Self {
            title: verb.to_string(),
            question,
            detail,
            verb,
            pending,
            focus: Button::Cancel,
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> ConfirmOutcome {
        match keymap::lookup(Scope::Confirm, &key).map(|b| b.action) {
            Some(Action::Yes) => ConfirmOutcome::Yes(self.pending.clone()),
            Some(Action::Close) => ConfirmOutcome::No,
            Some(Action::SwitchButton) => {
                self.focus = match self.focus {
                    Button::Cancel => Button::Confirm,
                    Button::Confirm => Button::Cancel,
                };
                ConfirmOutcome::Open
            }
            Some(Action::Press) => match self.focus {
                Button::Confirm => ConfirmOutcome::Yes(self.pending.clone()),
                Button::Cancel => ConfirmOutcome::No,
            },
            // Any other key leaves the question open: a stray key must not answer it.
            _ => ConfirmOutcome::Open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn dialog() -> Confirm {
        Confirm::new("Quit", "Quit?".into(), String::new(), Pending::Quit)
    }

    #[test]
    fn enter_on_the_initial_focus_cancels() {
        assert_eq!(dialog().handle_key(key(KeyCode::Enter)), ConfirmOutcome::No);
    }

    #[test]
    fn switching_focus_then_enter_confirms() {
        let mut d = dialog();
        assert_eq!(d.handle_key(key(KeyCode::Right)), ConfirmOutcome::Open);
        assert_eq!(d.focus, Button::Confirm);
        assert_eq!(
            d.handle_key(key(KeyCode::Enter)),
            ConfirmOutcome::Yes(Pending::Quit)
        );
    }

    #[test]
    fn y_confirms_and_n_or_esc_cancel() {
        assert_eq!(
            dialog().handle_key(key(KeyCode::Char('y'))),
            ConfirmOutcome::Yes(Pending::Quit)
        );
        assert_eq!(
            dialog().handle_key(key(KeyCode::Char('n'))),
            ConfirmOutcome::No
        );
        assert_eq!(dialog().handle_key(key(KeyCode::Esc)), ConfirmOutcome::No);
        assert_eq!(
            dialog().handle_key(key(KeyCode::Char('q'))),
            ConfirmOutcome::Open
        );
    }
}
