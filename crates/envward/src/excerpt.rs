//! The one way a source line becomes an error excerpt: structure without
//! values (security invariant 7).
//!
//! An excerpt keeps the key when the line starts with one that reads as a
//! key, the `=`, quotes and blanks, and replaces every other character by
//! `*` repeated to the same display width, so the caret stays under the
//! character it points at. A line with no readable key shows its shape
//! only. Long lines are cut around the caret: an excerpt is a few hundred
//! bytes whatever the input (invariant 6).
//!
//! What reads as a key:
//! - the words before the first `=` on the line, when every one of them is
//!   key-shaped (`[A-Za-z_][A-Za-z0-9_.-]*`, at most [`MAX_KEY`] bytes):
//!   `ALLOWED HOSTS=x` keeps `ALLOWED HOSTS`;
//! - otherwise (no `=`, or other text before it) the first word, when it
//!   looks like a conventional key: upper case, digits, `_`, `.`, `-`, at
//!   most [`MAX_KEY`] bytes, and either a `_` in it or at most 12 bytes.
//!   `FOO` and `DB-HOST` read as keys; `hunter2`, `AKIAIOSFODNN7EXAMPLE` and
//!   `AGE-SECRET-KEY-1…` do not.

use std::ops::Range;

use unicode_width::UnicodeWidthChar;

use crate::diagnostic::SourceLine;

/// Longest key shown in an excerpt or a message.
pub(crate) const MAX_KEY: usize = 64;

/// Lines longer than this many bytes are cut around the caret.
const MAX_LINE: usize = 200;
/// Bytes kept before the caret (and after it) when a line is cut.
const CONTEXT: usize = 60;
/// Bytes of a line searched for the `=` that ends the key.
const KEY_SCAN: usize = 8 * MAX_KEY;

/// The replacement of a character that could be value text.
pub(crate) const MASK: char = '*';

/// Which file format the line is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// A `.env` file.
    Dotenv,
    /// `envward.toml`: table headers are structure, and so are `[]{},`.
    Toml,
}

/// Where the value of the line's entry starts, as far as the caller knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueAt {
    /// Not known: judged from the line (text after the key is masked).
    Unknown,
    /// At this byte offset of the input.
    Offset(usize),
}

/// A secret-safe excerpt of one line.
#[derive(Clone, Debug)]
pub(crate) struct Excerpt {
    /// 1-based line.
    pub line: u32,
    /// 1-based column of the caret, in characters of the input.
    pub column: u32,
    /// The masked (and possibly cut) line with the caret's span.
    pub source: SourceLine,
    /// The key words shown, joined by one space (`ALLOWED HOSTS`).
    pub key: Option<String>,
}

/// The excerpt of the line holding byte `at` of `bytes`.
pub(crate) fn excerpt(bytes: &[u8], at: usize, value: ValueAt, syntax: Syntax) -> Excerpt {
    let at = at.min(bytes.len());
    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', &bytes[..line_start]).count() as u32 + 1;
    let mut start = line_start;
    if start == 0 && bytes.starts_with("\u{feff}".as_bytes()) {
        start = 3.min(at);
    }
    let value = match value {
        ValueAt::Offset(v) if v < start => Some(0),
        ValueAt::Offset(v) => Some(v - start),
        ValueAt::Unknown => None,
    };
    excerpt_line(&bytes[start..], line, at - start, value, syntax)
}

/// The excerpt of the line at the start of `rest` (line number `line`),
/// caret at byte `caret` of it; `value` is where the entry's value starts
/// in it (0 when the line is all value). Reads at most what it shows.
pub(crate) fn excerpt_line(
    rest: &[u8],
    line: u32,
    caret: usize,
    value: Option<usize>,
    syntax: Syntax,
) -> Excerpt {
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let mut text = &rest[..end];
    if text.last() == Some(&b'\r') {
        text = &text[..text.len() - 1];
    }
    let caret = caret.min(text.len());
    let column = char_count(&text[..caret]) as u32 + 1;
    let (prefix, key) = key_region(text, value, syntax);
    let key_words = key.as_ref().map(|k| {
        String::from_utf8_lossy(&text[k.clone()])
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    });
    // What before the value is structure (the caret char when it is
    // punctuation there: `STRIPE:`, `DB-HOST@`).
    let value_from = value
        .or_else(|| memchr::memchr(b'=', &text[..text.len().min(KEY_SCAN)]))
        .unwrap_or(text.len());
    let in_key = |i: usize| prefix.contains(&i) || key.as_ref().is_some_and(|k| k.contains(&i));
    let keep_caret = caret < value_from && text.get(caret).is_some_and(u8::is_ascii_punctuation);

    // The windows of the line shown: all of it, or its start and the
    // bytes around the caret.
    let windows: Vec<(usize, usize)> = if text.len() <= MAX_LINE {
        vec![(0, text.len())]
    } else if caret < MAX_LINE - CONTEXT {
        vec![(0, MAX_LINE)]
    } else {
        let head = (
            0,
            CONTEXT.min(key.as_ref().map_or(0, |k| k.end).max(CONTEXT / 2)),
        );
        let tail = (
            caret.saturating_sub(CONTEXT),
            (caret + CONTEXT).min(text.len()),
        );
        vec![head, tail]
    };
    let mut out = String::new();
    let mut span = None;
    for (n, window) in windows.iter().enumerate() {
        let (from, to) = (floor_char(text, window.0), floor_char(text, window.1));
        if n > 0 || from > 0 {
            out.push('…');
        }
        let mut i = from;
        while i < to {
            let (c, len) = decode(&text[i..]);
            let begin = out.len();
            let keep = in_key(i)
                || (i == caret && keep_caret)
                || matches!(c, '=' | '"' | '\'' | ' ' | '\t')
                || (syntax == Syntax::Toml && matches!(c, '[' | ']' | '{' | '}' | ','))
                || (syntax == Syntax::Toml && i < value_from && matches!(c, '.'));
            if keep && c != '\u{fffd}' {
                out.push(c);
            } else {
                let width = if c.is_control() {
                    1
                } else {
                    c.width().unwrap_or(1).max(1)
                };
                out.extend(std::iter::repeat_n(MASK, width));
            }
            if i == caret {
                span = Some(begin..out.len());
            }
            i += len;
        }
        if n + 1 == windows.len() && to < text.len() {
            out.push('…');
        }
    }
    // A caret at the end of the line underlines nothing.
    let span = span.unwrap_or(out.len()..out.len());
    Excerpt {
        line,
        column,
        source: SourceLine {
            line,
            text: out,
            span,
        },
        key: key_words,
    }
}

/// The `export` prefix and the byte range of the key words at the start
/// of `text`, when it has a key that reads as one (see the module
/// documentation).
fn key_region(
    text: &[u8],
    value: Option<usize>,
    syntax: Syntax,
) -> (Range<usize>, Option<Range<usize>>) {
    let mut start = skip_blanks(text, 0);
    let mut prefix = 0..0;
    if syntax == Syntax::Dotenv
        && value != Some(0)
        && text[start..].starts_with(b"export")
        && text
            .get(start + 6)
            .is_some_and(|b| *b == b' ' || *b == b'\t')
    {
        prefix = start..start + 6;
        start = skip_blanks(text, start + 6);
    }
    (prefix, key_words(text, start, value, syntax))
}

fn key_words(
    text: &[u8],
    start: usize,
    value: Option<usize>,
    syntax: Syntax,
) -> Option<Range<usize>> {
    if value == Some(0) {
        return None;
    }
    if syntax == Syntax::Toml && text.get(start) == Some(&b'[') {
        // A table header: every character a key's, a dot, a quote or a bracket.
        let end = text.len().min(KEY_SCAN);
        let header = &text[start..end];
        return (end == text.len()
            && header.iter().all(|&b| {
                is_key_byte(b) || matches!(b, b'[' | b']' | b'"' | b'\'' | b' ' | b'.')
            }))
        .then_some(start..end);
    }
    let scan = &text[..text.len().min(KEY_SCAN)];
    let limit = value.unwrap_or(scan.len()).min(scan.len());
    if let Some(eq) = memchr::memchr(b'=', &scan[..limit]) {
        let words = &text[start..eq];
        let toml_key = |b: u8| syntax == Syntax::Toml && matches!(b, b'"' | b'\'' | b'.');
        let all_keys = words
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|w| !w.is_empty())
            .all(|w| {
                w.len() <= MAX_KEY
                    && (is_key_start(w[0]) || toml_key(w[0]))
                    && w.iter().all(|&b| is_key_byte(b) || toml_key(b))
            });
        if all_keys && words.iter().any(|b| !b.is_ascii_whitespace()) {
            let mut end = eq;
            while end > start && text[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            return Some(start..end);
        }
    }
    let mut end = start;
    while end < limit && is_key_byte(text[end]) {
        end += 1;
    }
    reads_as_key(&text[start..end]).then_some(start..end)
}

/// Whether a word with no `=` after it reads as a key rather than a value.
pub(crate) fn reads_as_key(word: &[u8]) -> bool {
    !word.is_empty()
        && word.len() <= MAX_KEY
        && (word[0].is_ascii_uppercase() || word[0] == b'_')
        && word.iter().all(|&b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
        && (word.contains(&b'_') || word.len() <= 12)
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn skip_blanks(text: &[u8], mut i: usize) -> usize {
    while text.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
        i += 1;
    }
    i
}

/// Characters in `bytes` (an invalid sequence counts as one per byte at most).
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// The largest char boundary at or before `i` (UTF-8 continuation bytes skipped).
fn floor_char(text: &[u8], mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && i < text.len() && (text[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// The character at the start of `bytes` and its length; an invalid
/// sequence is U+FFFD of length 1.
fn decode(bytes: &[u8]) -> (char, usize) {
    let len = match bytes[0] {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        b if b >= 0xC0 => 2,
        _ => 1,
    };
    match bytes.get(..len).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => (s.chars().next().unwrap_or('\u{fffd}'), len),
        None => ('\u{fffd}', 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(src: &str, at: usize, value: ValueAt) -> (String, Range<usize>, Option<String>) {
        let e = excerpt(src.as_bytes(), at, value, Syntax::Dotenv);
        (e.source.text, e.source.span, e.key)
    }

    #[test]
    fn keeps_keys_and_structure_masks_values() {
        let (t, s, k) = show("SECRET_KEY=\"abc def\"\n", 11, ValueAt::Offset(11));
        assert_eq!(t, "SECRET_KEY=\"*** ***\"");
        assert_eq!(s, 11..12);
        assert_eq!(k.as_deref(), Some("SECRET_KEY"));
        let (t, _, k) = show("ALLOWED HOSTS=x.example\n", 7, ValueAt::Unknown);
        assert_eq!(t, "ALLOWED HOSTS=*********");
        assert_eq!(k.as_deref(), Some("ALLOWED HOSTS"));
        let (t, s, k) = show("STRIPE: sk_live_1\n", 6, ValueAt::Unknown);
        assert_eq!(t, "STRIPE: *********");
        assert_eq!(s, 6..7);
        assert_eq!(k.as_deref(), Some("STRIPE"));
    }

    #[test]
    fn a_line_without_a_readable_key_shows_its_shape() {
        for word in [
            "hunter2",
            "AKIAIOSFODNN7EXAMPLE",
            "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGP",
        ] {
            let (t, _, k) = show(word, word.len(), ValueAt::Unknown);
            assert_eq!(t, "*".repeat(word.len()));
            assert_eq!(k, None);
        }
        let (t, _, _) = show("https://u:pw@h/?a=b", 5, ValueAt::Unknown);
        assert!(!t.contains("pw") && !t.contains("https"), "{t}");
    }

    #[test]
    fn widths_and_caret_are_preserved() {
        let (t, s, _) = show("K=日本\u{0}x\n", 9, ValueAt::Offset(2));
        assert_eq!(t, "K=*****x".replace('x', "*"));
        assert_eq!(&t[s], "*");
        let e = excerpt(b"K=caf\xe9!\n", 5, ValueAt::Unknown, Syntax::Dotenv);
        assert_eq!(e.source.text, "K=*****");
        assert_eq!(e.column, 6);
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("KEY={}", "v".repeat(1_000_000));
        let e = excerpt(line.as_bytes(), 500_000, ValueAt::Offset(4), Syntax::Dotenv);
        assert!(e.source.text.len() < 400, "{}", e.source.text.len());
        assert!(e.source.text.starts_with("KEY=") && !e.source.text.contains('v'));
        assert_eq!(e.column, 500_001);
        assert_eq!(&e.source.text[e.source.span.clone()], "*");
    }
}
