//! Text that reaches a terminal. Names, PURLs, file names and upstream
//! messages come from input someone else wrote; echoed raw, their control
//! characters could move the cursor, rewrite earlier lines, retitle the
//! window or hide text. Everything printed goes through [`escape`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: C0 controls other than
/// newline and tab (ESC and carriage return included), DEL, C1 controls, and
/// the bidirectional overrides and isolates that reorder what is shown.
fn is_unsafe(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// `text` with every unsafe character written as a visible escape
/// (`\x1b`, `\u{9b}`); borrowed unchanged when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `json` (serialized JSON) with every unsafe character written as a JSON
/// escape (`\u001b`): still the same JSON, and safe on a terminal. Unsafe
/// characters can only stand inside its strings, where `\u` escapes are valid.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `1 package`, `2 packages`: a count and the word for it.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_newlines_and_tabs_pass_unchanged() {
        let s = "read in.json: CycloneDX 1.6, 3 components\n\tpkg:npm/%40a/b@1 — ok";
        assert!(matches!(escape(s), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_controls_become_visible() {
        assert_eq!(escape("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("over\rwrite"), "over\\x0dwrite");
        assert_eq!(escape("\x07\x00\x7f"), "\\x07\\x00\\x7f");
        assert_eq!(escape("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(escape("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
    }

    #[test]
    fn json_stays_the_same_json() {
        let value = serde_json::json!({"name": "a\u{1b}[31m\u{9b}\u{202e}b\r"});
        let text = serde_json::to_string(&value).unwrap();
        let safe = escape_json(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let again: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(again, value);
    }

    #[test]
    fn nothing_unsafe_survives_any_input() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!escape(&all).chars().any(is_unsafe));
    }
}
