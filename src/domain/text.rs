//! Text from outside onair (the table, AWS answers, other tools) on its way to a terminal.
//!
//! A record's name is whatever another tool wrote into the table: `"\x1b]0;pwned\x07"` retitles
//! the window, `"\x1b]52;c;…\x07"` writes the operator's clipboard, `"\x1b[2J"` clears the screen,
//! a CR rewrites the line before it, and U+202E turns the rest of a line around. Every display
//! path (CLI tables and messages, log lines, the TUI) passes such text through [`for_terminal`]
//! first; `--json` does not (serde escapes control characters, and JSON must stay exact).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: C0 controls (tab, CR and LF included), DEL,
/// C1 controls (U+0080–U+009F: 8-bit CSI, OSC, …), the bidi controls (U+061C, U+200E, U+200F,
/// U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` safe to print: every unsafe character (see [`is_unsafe`]) is replaced by a visible
/// stand-in, and text with none is borrowed as it is.
///
/// C0 controls and DEL become their Unicode control pictures (ESC → `␛`, BEL → `␇`, CR → `␍`,
/// LF → `␊`, DEL → `␡`): one column each, so table columns stay aligned, and the operator still
/// sees which control it was. A `\x1b` spelling would take four columns and look exactly like a
/// name someone typed with a backslash in it. C1 and bidi controls have no control picture; they
/// become `<U+202E>`, naming the code point.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match u32::from(c) {
            // U+2400 SYMBOL FOR NULL … U+241F SYMBOL FOR UNIT SEPARATOR.
            code @ 0x00..=0x1f => out.push(char::from_u32(0x2400 + code).unwrap_or('\u{fffd}')),
            0x7f => out.push('\u{2421}'),
            code => out.push_str(&format!("<U+{code:04X}>")),
        }
    }
    Cow::Owned(out)
}

/// JSON text (as serde_json writes it) safe to print, still meaning exactly the same values.
///
/// serde_json escapes C0 controls in strings but writes DEL, C1 and bidi controls as they are,
/// and a terminal acts on them whatever the JSON means. Outside strings JSON holds only ASCII
/// punctuation and whitespace, so each of those characters is inside a string, where `\uXXXX`
/// is the same character to any JSON reader: `--json` stays exact.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    // Raw C0 characters in serde_json's output are its own line breaks and indents.
    let escaped = |c: char| is_unsafe(c) && c >= ' ';
    if !json.chars().any(escaped) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escaped(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Shorthand for `for_terminal(text).into_owned()`, for `format!` arguments.
pub fn safe(text: &str) -> String {
    for_terminal(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_as_it_is() {
        for text in ["Main YouTube", "Ünïcödé ✔ 日本語", "emoji 👩‍👩‍👧", ""] {
            assert!(matches!(for_terminal(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn escape_sequences_show_as_control_pictures() {
        assert_eq!(for_terminal("\x1b]0;pwned\x07"), "␛]0;pwned␇");
        assert_eq!(for_terminal("\x1b]52;c;aGk=\x07"), "␛]52;c;aGk=␇");
        assert_eq!(for_terminal("\x1b[2J"), "␛[2J");
        assert_eq!(for_terminal("a\rb\nc\td\0"), "a␍b␊c␉d␀");
        assert_eq!(for_terminal("del\x7f"), "del␡");
    }

    #[test]
    fn c1_and_bidi_controls_name_their_code_point() {
        assert_eq!(for_terminal("\u{9b}2J"), "<U+009B>2J");
        assert_eq!(for_terminal("\u{85}"), "<U+0085>");
        assert_eq!(for_terminal("abc\u{202E}fed"), "abc<U+202E>fed");
        for c in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
            '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        ] {
            let shown = for_terminal(&c.to_string()).into_owned();
            assert_eq!(shown, format!("<U+{:04X}>", u32::from(c)));
        }
    }

    #[test]
    fn json_stays_exact_and_prints_no_control() {
        let names = [
            "\x1b]0;pwned\x07",
            "a\r\nb",
            "del\x7f",
            "c1\u{9b}\u{85}",
            "bidi\u{202e}evil\u{2066}",
            "plain ✔",
        ];
        let json = serde_json::to_string_pretty(&serde_json::json!({ "names": names })).unwrap();
        let shown = json_for_terminal(&json);
        let structural = |c: char| c == '\n' || c == ' ';
        assert!(
            !shown.chars().any(|c| is_unsafe(c) && !structural(c)),
            "{shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["names"], serde_json::json!(names));
        assert!(matches!(
            json_for_terminal("{\"a\": \"b\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn nothing_unsafe_survives_any_text() {
        // Every code point up to U+3000, alone and between letters.
        for code in 0..0x3000u32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("a{c}b");
            let shown = for_terminal(&text);
            assert!(!shown.chars().any(is_unsafe), "{code:#x} → {shown:?}");
            assert!(!shown.is_empty());
        }
    }
}
