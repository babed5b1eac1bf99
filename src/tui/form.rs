//! The add and edit form: five fields, validated all at once on Enter by the domain's own rules,
//! so the form and `onair add` refuse exactly the same things. Its keys are the registry's form
//! bindings (tui-input gets every other key) and it never shows the stream key. Editing prefills every field
//! but the key: an empty key field keeps the current key, so nobody has to retype a secret.

use super::action::Action;
use super::keymap::{self, Scope};
use crate::domain::validate::Field;
use crate::domain::{
    Catalog, Destination, DestinationDraft, DestinationId, FieldError, Platform, StoredKey,
    StreamKey,
};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

pub const FIELDS: [Field; 5] = [
    Field::Name,
    Field::Platform,
    Field::Url,
    Field::StreamKey,
    Field::Preset,
];

pub const DEFAULT_PRESET: &str = "1080p30";

/// The destination an edit form changes.
#[derive(Debug, Clone)]
pub struct Editing {
    pub id: DestinationId,
    /// Sent again when the key field is left empty (as the record holds it, perhaps sealed);
    /// drawn only masked.
    pub current_key: StoredKey,
}

#[derive(Debug, Clone)]
pub struct AddForm {
    pub name: Input,
    pub platform: Platform,
    pub url: Input,
    pub key: Input,
    pub presets: Vec<String>,
    pub preset: usize,
    pub focus: Field,
    /// From the last Enter; a field's error goes once the field is edited.
    pub errors: Vec<FieldError>,
    /// Sent to the engine, waiting for its answer; keys are ignored meanwhile.
    pub submitted: bool,
    /// Set when the form edits an existing destination.
    pub editing: Option<Editing>,
}

/// What a key did to the form.
#[derive(Debug, Clone)]
pub enum FormOutcome {
    Continue,
    /// A draft that passed validation.
    Submit(DestinationDraft),
    Cancel,
}

impl AddForm {
    pub fn new(catalog: &Catalog) -> Self {
        let presets: Vec<String> = catalog.names().into_iter().map(String::from).collect();
        let preset = presets
            .iter()
            .position(|p| p == DEFAULT_PRESET)
            .unwrap_or(0);
        let platform = Platform::Youtube;
        Self {
            name: Input::default(),
            platform,
            url: Input::new(platform.default_url().unwrap_or_default().to_string()),
            key: Input::default(),
            presets,
            preset,
            focus: Field::Name,
            errors: Vec::new(),
            submitted: false,
            editing: None,
        }
    }

    /// The form prefilled from `record`, with an empty key field (= keep the current key).
    pub fn for_edit(record: &Destination, catalog: &Catalog) -> Self {
        let mut form = Self::new(catalog);
        form.name = Input::new(record.name.clone());
        form.platform = record.platform;
        form.url = Input::new(record.rtmp_url.clone());
        // A preset the catalog no longer has stays selectable, so saving never changes it
        // behind the operator's back.
        form.preset = match form.presets.iter().position(|p| *p == record.preset) {
            Some(at) => at,
            None => {
                form.presets.push(record.preset.clone());
                form.presets.len() - 1
            }
        };
        form.editing = Some(Editing {
            id: record.destination_id,
            current_key: record.stream_key.clone(),
        });
        form
    }

    pub fn title(&self) -> &'static str {
        if self.editing.is_some() {
            "Edit destination"
        } else {
            "Add destination"
        }
    }

    pub fn preset_name(&self) -> &str {
        self.presets.get(self.preset).map_or("", String::as_str)
    }

    pub fn error(&self, field: Field) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.rule.as_str())
    }

    pub fn draft(&self) -> DestinationDraft {
        DestinationDraft {
            name: self.name.value().to_string(),
            platform: self.platform.as_str().to_string(),
            url: self.url.value().to_string(),
            stream_key: match &self.editing {
                Some(e) if self.key.value().is_empty() => e.current_key.clone(),
                _ => StreamKey::new(self.key.value()).into(),
            },
            preset: self.preset_name().to_string(),
        }
    }

    /// Not errors: what the chosen platform and preset will do, shown while choosing (the same
    /// rule `validate` applies, before a name or key is typed).
    pub fn warnings(&self, catalog: &Catalog) -> Vec<String> {
        let (Some(max), Some(preset)) = (
            self.platform.max_video_bitrate(),
            catalog.get(self.preset_name()),
        ) else {
            return Vec::new();
        };
        if preset.video_bitrate <= max {
            return Vec::new();
        }
        vec![format!(
            "{}: {:.1} Mb/s of video, above the {:.1} Mb/s {} recommends",
            preset.name,
            f64::from(preset.video_bitrate) / 1e6,
            f64::from(max) / 1e6,
            self.platform.label()
        )]
    }

    pub fn handle_key(&mut self, key: KeyEvent, catalog: &Catalog) -> FormOutcome {
        if self.submitted {
            return FormOutcome::Continue;
        }
        match keymap::lookup(Scope::Form, &key).map(|b| b.action) {
            Some(Action::Close) => return FormOutcome::Cancel,
            // Adding and saving share Enter: what it does is whichever this form is.
            Some(Action::Add | Action::Edit) => return self.submit(catalog),
            Some(Action::Focus) => {
                let back = matches!(key.code, KeyCode::BackTab | KeyCode::Up);
                self.move_focus(if back { FIELDS.len() - 1 } else { 1 });
            }
            Some(Action::Choose) if self.is_choice(self.focus) => {
                self.cycle(key.code == KeyCode::Right);
            }
            // ←/→ in a text field move its cursor; every other key is typing.
            _ => self.edit(key),
        }
        FormOutcome::Continue
    }

    /// Platform and preset are picked with ←/→, not typed.
    pub fn is_choice(&self, field: Field) -> bool {
        matches!(field, Field::Platform | Field::Preset)
    }

    fn move_focus(&mut self, by: usize) {
        let at = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = FIELDS[(at + by) % FIELDS.len()];
    }

    fn cycle(&mut self, forward: bool) {
        match self.focus {
            Field::Platform => {
                let new = if forward {
                    self.platform.next()
                } else {
                    self.platform.prev()
                };
                self.set_platform(new);
            }
            Field::Preset if !self.presets.is_empty() => {
                let n = self.presets.len();
                self.preset = if forward {
                    (self.preset + 1) % n
                } else {
                    (self.preset + n - 1) % n
                };
                self.clear_error(Field::Preset);
            }
            _ => {}
        }
    }

    /// Replaces the URL only if the operator hasn't typed their own.
    pub fn set_platform(&mut self, new: Platform) {
        let typed = self.url.value().trim();
        let untouched = typed.is_empty() || Some(typed) == self.platform.default_url();
        self.platform = new;
        if untouched {
            self.url = Input::new(new.default_url().unwrap_or_default().to_string());
            self.clear_error(Field::Url);
        }
        self.clear_error(Field::Platform);
    }

    fn edit(&mut self, key: KeyEvent) {
        // Control chords other than tui-input's editing ones must not type letters.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return;
        }
        let input = match self.focus {
            Field::Name => &mut self.name,
            Field::Url => &mut self.url,
            Field::StreamKey => &mut self.key,
            Field::Platform | Field::Preset => return,
        };
        let Some(request) = to_input_request(&Event::Key(key)) else {
            return;
        };
        if input.handle(request).is_some_and(|c| c.value) {
            self.clear_error(self.focus);
        }
    }

    fn clear_error(&mut self, field: Field) {
        self.errors.retain(|e| e.field != field);
    }

    fn submit(&mut self, catalog: &Catalog) -> FormOutcome {
        let draft = self.draft();
        match draft.validate(catalog) {
            Ok(_) => {
                self.errors.clear();
                self.submitted = true;
                FormOutcome::Submit(draft)
            }
            Err(errors) => {
                self.refused(errors);
                FormOutcome::Continue
            }
        }
    }

    /// Marks the fields the validator or the engine refused, and puts the cursor on the first.
    pub fn refused(&mut self, errors: Vec<FieldError>) {
        self.submitted = false;
        if let Some(first) = FIELDS
            .iter()
            .find(|f| errors.iter().any(|e| e.field == **f))
        {
            self.focus = *first;
        }
        self.errors = errors;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(form: &mut AddForm, code: KeyCode) -> FormOutcome {
        form.handle_key(KeyEvent::new(code, KeyModifiers::NONE), &Catalog::builtin())
    }

    fn type_text(form: &mut AddForm, text: &str) {
        for c in text.chars() {
            press(form, KeyCode::Char(c));
        }
    }

    #[test]
    fn starts_on_youtube_with_its_url_and_1080p30() {
        let f = AddForm::new(&Catalog::builtin());
        assert_eq!(f.platform, Platform::Youtube);
        assert_eq!(f.url.value(), "rtmp://a.rtmp.youtube.com/live2");
        assert_eq!(f.preset_name(), "1080p30");
        assert_eq!(f.focus, Field::Name);
    }

    #[test]
    fn tab_order_is_name_platform_url_key_preset_and_back_tab_reverses() {
        let mut f = AddForm::new(&Catalog::builtin());
        let mut seen = vec![f.focus];
        for _ in 0..5 {
            press(&mut f, KeyCode::Tab);
            seen.push(f.focus);
        }
        assert_eq!(&seen[..5], &FIELDS);
        assert_eq!(seen[5], Field::Name);
        press(&mut f, KeyCode::BackTab);
        assert_eq!(f.focus, Field::Preset);
    }

    #[test]
    fn platform_fills_the_url_but_keeps_a_typed_one() {
        let mut f = AddForm::new(&Catalog::builtin());
        press(&mut f, KeyCode::Tab);
        press(&mut f, KeyCode::Right);
        assert_eq!(f.platform, Platform::Twitch);
        assert_eq!(f.url.value(), "rtmp://live.twitch.tv/app");
        press(&mut f, KeyCode::Right);
        assert_eq!(f.platform, Platform::Linkedin);
        assert_eq!(
            f.url.value(),
            "",
            "LinkedIn has no default: the old default goes"
        );
        press(&mut f, KeyCode::Tab);
        type_text(&mut f, "rtmp://my.server/live");
        press(&mut f, KeyCode::BackTab);
        press(&mut f, KeyCode::Left);
        assert_eq!(f.platform, Platform::Twitch);
        assert_eq!(f.url.value(), "rtmp://my.server/live");
    }

    #[test]
    fn enter_with_bad_fields_marks_them_and_submits_nothing() {
        let mut f = AddForm::new(&Catalog::builtin());
        press(&mut f, KeyCode::Tab);
        press(&mut f, KeyCode::Tab);
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        f.handle_key(ctrl_u, &Catalog::builtin());
        type_text(&mut f, "http://x");
        let out = press(&mut f, KeyCode::Enter);
        assert!(matches!(out, FormOutcome::Continue));
        assert!(f.error(Field::Name).unwrap().contains("required"));
        assert!(f.error(Field::StreamKey).is_some());
        assert!(f.error(Field::Url).unwrap().contains("rtmp://"));
        assert_eq!(
            f.focus,
            Field::Name,
            "the cursor goes to the first bad field"
        );
        type_text(&mut f, "Main");
        assert!(
            f.error(Field::Name).is_none(),
            "editing a field clears its mark"
        );
    }

    #[test]
    fn a_good_form_submits_from_any_field() {
        let mut f = AddForm::new(&Catalog::builtin());
        type_text(&mut f, "Main YouTube");
        for _ in 0..3 {
            press(&mut f, KeyCode::Tab);
        }
        type_text(&mut f, "abcd-1234");
        let FormOutcome::Submit(draft) = press(&mut f, KeyCode::Enter) else {
            panic!("not submitted: {:?}", f.errors)
        };
        assert_eq!(draft.name, "Main YouTube");
        assert_eq!(draft.platform, "youtube");
        assert_eq!(
            draft.stream_key.clear().map(StreamKey::expose),
            Some("abcd-1234")
        );
        assert_eq!(draft.preset, "1080p30");
        assert!(
            matches!(press(&mut f, KeyCode::Esc), FormOutcome::Continue),
            "waiting for the engine"
        );
    }

    #[test]
    fn a_preset_above_the_platform_maximum_warns_while_choosing() {
        let c = Catalog::builtin();
        let mut f = AddForm::new(&c);
        f.set_platform(Platform::Twitch);
        assert!(f.warnings(&c).is_empty());
        f.preset = f.presets.iter().position(|p| p == "1080p60").unwrap();
        assert!(f.warnings(&c)[0].contains("Twitch"));
    }

    #[test]
    fn edit_prefills_everything_but_the_key_and_an_empty_key_keeps_the_current_one() {
        let c = Catalog::builtin();
        let mut d = Destination::new(
            "Twitch".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StreamKey::new("live_123_SECRET"),
            "720p30".into(),
            time::macros::datetime!(2026-11-25 19:00 UTC),
        );
        d.status = crate::domain::Status::Idle;
        let mut f = AddForm::for_edit(&d, &c);
        assert_eq!(f.title(), "Edit destination");
        assert_eq!(f.name.value(), "Twitch");
        assert_eq!(f.preset_name(), "720p30");
        assert_eq!(f.key.value(), "");
        type_text(&mut f, " backup");
        let FormOutcome::Submit(draft) = press(&mut f, KeyCode::Enter) else {
            panic!("not submitted: {:?}", f.errors)
        };
        assert_eq!(draft.name, "Twitch backup");
        assert_eq!(
            draft.stream_key.clear().map(StreamKey::expose),
            Some("live_123_SECRET")
        );
        let mut f = AddForm::for_edit(&d, &c);
        f.focus = Field::StreamKey;
        type_text(&mut f, "new-key-42");
        let FormOutcome::Submit(draft) = press(&mut f, KeyCode::Enter) else {
            panic!("not submitted")
        };
        assert_eq!(
            draft.stream_key.clear().map(StreamKey::expose),
            Some("new-key-42")
        );
    }

    #[test]
    fn esc_cancels() {
        let mut f = AddForm::new(&Catalog::builtin());
        assert!(matches!(press(&mut f, KeyCode::Esc), FormOutcome::Cancel));
    }
}
