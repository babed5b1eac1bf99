//! Colours and emphasis of every element, so views never name a colour themselves. Themes are
//! flat TOML files (`themes/*.toml`); NO_COLOR swaps in a monochrome theme that relies on bold
//! and reverse only.

use crate::domain::Status;
use crate::loader::{self, LoadError, line_of};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

/// The repository's `themes/default.toml`, built in so a missing file never blocks a show.
pub const BUILTIN_THEME: &str = include_str!("../../themes/default.toml");

/// Every theme built into the binary, by the name `--theme`, `ONAIR_THEME` and `:theme` take.
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("default", BUILTIN_THEME),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The name `:theme` takes for the NO_COLOR look.
pub const MONOCHROME: &str = "mono";

/// Names `:theme` completes: the built-in files and the monochrome theme.
pub fn theme_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BUILTIN_THEMES.iter().map(|(n, _)| *n).collect();
    names.push(MONOCHROME);
    names
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub border: Style,
    pub title: Style,
    /// The top bar.
    pub header: Style,
    /// The product name in the top bar.
    pub brand: Style,
    pub table_header: Style,
    pub selected: Style,
    pub marked: Style,
    pub running: Style,
    pub transitional: Style,
    pub idle: Style,
    pub error: Style,
    pub parked: Style,
    pub info: Style,
    pub warn: Style,
    pub spark: Style,
    /// Key names in hints and help.
    pub key: Style,
    /// Bindings that change AWS, in the help overlay.
    pub danger: Style,
    /// The focused button of a dialog.
    pub button_focus: Style,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    colors: Colors,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: String,
    dim: String,
    border: String,
    title: String,
    accent: String,
    header_bg: String,
    selected_fg: String,
    selected_bg: String,
    marked: String,
    running: String,
    transitional: String,
    idle: String,
    error: String,
    parked: String,
    info: String,
    warn: String,
    spark: String,
    key: String,
    danger: String,
}

struct Palette {
    text: Color,
    dim: Color,
    border: Color,
    title: Color,
    accent: Color,
    header_bg: Color,
    selected_fg: Color,
    selected_bg: Color,
    marked: Color,
    running: Color,
    transitional: Color,
    idle: Color,
    error: Color,
    parked: Color,
    info: Color,
    warn: Color,
    spark: Color,
    key: Color,
    danger: Color,
}

impl Theme {
    /// The built-in dark theme; `themes/default.toml` describes the same colours (a test keeps
    /// the two equal).
    pub fn default_dark() -> Self {
        Self::from_palette(&Palette {
            text: Color::Reset,
            dim: Color::DarkGray,
            border: Color::DarkGray,
            title: Color::Cyan,
            accent: Color::Cyan,
            header_bg: Color::Rgb(0x1c, 0x2a, 0x3a),
            selected_fg: Color::Reset,
            selected_bg: Color::Rgb(0x26, 0x4f, 0x78),
            marked: Color::Magenta,
            running: Color::Green,
            transitional: Color::Yellow,
            idle: Color::Gray,
            error: Color::LightRed,
            parked: Color::Blue,
            info: Color::Cyan,
            warn: Color::Yellow,
            spark: Color::Green,
            key: Color::Cyan,
            danger: Color::LightRed,
        })
    }

    /// Whether this is the monochrome theme, where colour can't carry meaning (pictures turn
    /// into shades).
    pub fn is_monochrome(&self) -> bool {
        *self == Self::monochrome()
    }

    /// For NO_COLOR: no colour anywhere (crossterm 0.29 resets bold and reverse when a colour is
    /// set under NO_COLOR), so states and selection are told apart by modifiers alone.
    pub fn monochrome() -> Self {
        let plain = Style::new().fg(Color::Reset).bg(Color::Reset);
        let bold = plain.add_modifier(Modifier::BOLD);
        Self {
            text: plain,
            dim: plain,
            border: plain,
            title: bold,
            header: plain.add_modifier(Modifier::REVERSED),
            brand: bold.add_modifier(Modifier::REVERSED),
            table_header: bold.add_modifier(Modifier::UNDERLINED),
            selected: plain.add_modifier(Modifier::REVERSED),
            marked: bold,
            running: bold,
            transitional: plain.add_modifier(Modifier::ITALIC),
            idle: plain,
            error: bold.add_modifier(Modifier::UNDERLINED),
            parked: plain,
            info: plain,
            warn: bold,
            spark: plain,
            key: bold,
            danger: bold.add_modifier(Modifier::UNDERLINED),
            button_focus: bold.add_modifier(Modifier::REVERSED),
        }
    }

    /// The theme for this environment: monochrome when NO_COLOR is set (any non-empty value,
    /// per no-color.org), else `theme`.
    pub fn honouring_no_color(theme: Theme) -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Self::monochrome(),
            _ => theme,
        }
    }

    /// A built-in theme by name (`mono` is the monochrome one).
    pub fn builtin(name: &str) -> Option<Result<Self, LoadError>> {
        if name == MONOCHROME {
            return Some(Ok(Self::monochrome()));
        }
        BUILTIN_THEMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Self::parse(text, &format!("themes/{n}.toml")))
    }

    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = loader::read(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, LoadError> {
        let parsed: ThemeFile = loader::parse(text, file)?;
        let c = parsed.colors;
        let colour = |key: &str, value: &str| {
            parse_colour(value).ok_or_else(|| {
                LoadError::invalid(
                    file,
                    line_of(text, "colors", key),
                    format!("colors.{key}"),
                    format!(
                        "{value:?} is not a colour: use a name such as \"cyan\", \"#rrggbb\", \
                         an index 0-255 or \"default\""
                    ),
                )
            })
        };
        Ok(Self::from_palette(&Palette {
            text: colour("text", &c.text)?,
            dim: colour("dim", &c.dim)?,
            border: colour("border", &c.border)?,
            title: colour("title", &c.title)?,
            accent: colour("accent", &c.accent)?,
            header_bg: colour("header_bg", &c.header_bg)?,
            selected_fg: colour("selected_fg", &c.selected_fg)?,
            selected_bg: colour("selected_bg", &c.selected_bg)?,
            marked: colour("marked", &c.marked)?,
            running: colour("running", &c.running)?,
            transitional: colour("transitional", &c.transitional)?,
            idle: colour("idle", &c.idle)?,
            error: colour("error", &c.error)?,
            parked: colour("parked", &c.parked)?,
            info: colour("info", &c.info)?,
            warn: colour("warn", &c.warn)?,
            spark: colour("spark", &c.spark)?,
            key: colour("key", &c.key)?,
            danger: colour("danger", &c.danger)?,
        }))
    }

    fn from_palette(p: &Palette) -> Self {
        let fg = |c: Color| Style::new().fg(c);
        Self {
            text: fg(p.text),
            dim: fg(p.dim),
            border: fg(p.border),
            title: fg(p.title).add_modifier(Modifier::BOLD),
            header: fg(p.text).bg(p.header_bg),
            brand: Style::new()
                .fg(Color::Black)
                .bg(p.accent)
                .add_modifier(Modifier::BOLD),
            table_header: fg(p.accent).add_modifier(Modifier::BOLD),
            selected: fg(p.selected_fg)
                .bg(p.selected_bg)
                .add_modifier(Modifier::BOLD),
            marked: fg(p.marked).add_modifier(Modifier::BOLD),
            running: fg(p.running).add_modifier(Modifier::BOLD),
            transitional: fg(p.transitional),
            idle: fg(p.idle),
            error: fg(p.error).add_modifier(Modifier::BOLD),
            parked: fg(p.parked),
            info: fg(p.info),
            warn: fg(p.warn).add_modifier(Modifier::BOLD),
            spark: fg(p.spark),
            key: fg(p.key).add_modifier(Modifier::BOLD),
            danger: fg(p.danger).add_modifier(Modifier::BOLD),
            button_focus: Style::new()
                .fg(Color::Black)
                .bg(p.accent)
                .add_modifier(Modifier::BOLD),
        }
    }

    /// The style of a destination state.
    pub fn status(&self, status: Status) -> Style {
        match status {
            Status::Running => self.running,
            Status::Idle => self.idle,
            Status::Error => self.error,
            Status::Parked => self.parked,
            Status::Creating | Status::Starting | Status::Stopping | Status::Deleting => {
                self.transitional
            }
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::default_dark()
    }
}

/// `None` rather than a panic for anything odd (television's parser panicked on short hex).
fn parse_colour(value: &str) -> Option<Color> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("default") || v.eq_ignore_ascii_case("reset") {
        return Some(Color::Reset);
    }
    if let Some(hex) = v.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?));
    }
    let normalized = v.replace(['-', '_', ' '], "").to_ascii_lowercase();
    Color::from_str(&normalized).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_is_the_built_in_dark_theme() {
        let parsed = Theme::parse(BUILTIN_THEME, "themes/default.toml").unwrap();
        assert_eq!(parsed, Theme::default_dark());
    }

    #[test]
    fn every_built_in_theme_parses_and_mono_is_monochrome() {
        for (name, _) in BUILTIN_THEMES {
            let theme = Theme::builtin(name).unwrap();
            assert!(theme.is_ok(), "{name}: {theme:?}");
        }
        assert_eq!(
            Theme::builtin("mono").unwrap().unwrap(),
            Theme::monochrome()
        );
        assert!(Theme::builtin("nope").is_none());
    }

    #[test]
    fn a_bad_colour_names_file_line_and_key() {
        let text = BUILTIN_THEME.replace("running = \"green\"", "running = \"#12\"");
        let err = Theme::parse(&text, "mine.toml").unwrap_err();
        let LoadError {
            line: Some(line),
            what: crate::loader::Problem::Invalid { key, .. },
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(key, "colors.running");
        assert_eq!(
            text.lines().nth(line - 1).unwrap().trim(),
            "running = \"#12\""
        );
        assert!(
            err.to_string()
                .starts_with(&format!("mine.toml:{line}: colors.running"))
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys_name_the_line() {
        let err = Theme::parse("[colors]\ntext = = 1\n", "t.toml").unwrap_err();
        assert!(err.to_string().starts_with("t.toml:2: "), "{err}");
        let text = BUILTIN_THEME.replace("dim = ", "dimm = \"red\"\ndim = ");
        let err = Theme::parse(&text, "t.toml").unwrap_err();
        assert!(err.to_string().contains("dimm"), "{err}");
    }

    #[test]
    fn colours_accept_names_hex_indices_and_default() {
        assert_eq!(parse_colour("dark-gray"), Some(Color::DarkGray));
        assert_eq!(parse_colour("#ff0080"), Some(Color::Rgb(255, 0, 128)));
        assert_eq!(parse_colour("42"), Some(Color::Indexed(42)));
        assert_eq!(parse_colour("default"), Some(Color::Reset));
        assert_eq!(parse_colour("#ff00é0"), None);
        assert_eq!(parse_colour("chartreuse-ish"), None);
    }

    #[test]
    fn monochrome_sets_no_colour_but_keeps_selection_visible() {
        let t = Theme::monochrome();
        for style in [t.running, t.error, t.selected, t.header, t.warn] {
            assert!(matches!(style.fg, Some(Color::Reset) | None));
        }
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
    }
}
