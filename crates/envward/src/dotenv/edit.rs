//! Editing a [`Document`] in place: every byte outside the edited entry
//! stays as it was.

use super::{Document, ParseError};

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The key does not match `[A-Za-z_][A-Za-z0-9_.-]*`.
    #[error("`{0}` is not a valid key: keys match [A-Za-z_][A-Za-z0-9_.-]*")]
    InvalidKey(String),
    /// The value holds a NUL byte, which no `.env` file can carry.
    #[error("the value for `{0}` contains a NUL byte, which .env files cannot hold")]
    NulInValue(String),
    /// Renaming onto a key that already exists.
    #[error("`{0}` already exists")]
    KeyExists(String),
    /// The edited text did not parse back (a bug in envward).
    #[error("internal error: the edited file does not parse back ({0}); please report this")]
    Reparse(Box<ParseError>),
}

/// Whether `key` is a valid key.
pub fn is_valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty() && super::is_key_start(b[0]) && b[1..].iter().all(|&c| super::is_key_byte(c))
}

/// Whether `value` is written bare, without quotes (what [`quote_value`]
/// writes as it is, and what reads back as itself: a literal, no escape,
/// no reference, no comment). Also asked where a value is handled without
/// the parser: an encrypted file opened straight into its decrypted values
/// and the export writer. The rule: ASCII letters, digits and
/// `_-./:@%+,=~*!?^`, and non-ASCII characters that are neither blank nor
/// control characters. The empty value is bare.
pub(crate) fn is_bare(value: &str) -> bool {
    // Asked for every value exported or decrypted: one table look-up per
    // ASCII byte, the rule per character for the rest.
    if value.bytes().all(|b| BARE_ASCII[b as usize]) {
        return true;
    }
    value.chars().all(|c| {
        if c.is_ascii() {
            BARE_ASCII[c as usize]
        } else {
            !c.is_whitespace() && !c.is_control()
        }
    })
}

/// By byte: an ASCII byte written bare (false for every non-ASCII byte).
static BARE_ASCII: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let others = b"_-./:@%+,=~*!?^";
    let mut i = 0;
    while i < others.len() {
        t[others[i] as usize] = true;
        i += 1;
    }
    t
};

/// Writes `value` so that it reads back exactly: bare when it is made of
/// plain characters, single-quoted when it holds no `'` or line break,
/// double-quoted with escapes otherwise.
///
/// ```
/// use envward::dotenv::quote_value;
/// assert_eq!(quote_value("abc"), "abc");
/// assert_eq!(quote_value("a b #c $HOME"), "'a b #c $HOME'");
/// assert_eq!(quote_value("it's"), r#""it's""#);
/// ```
pub fn quote_value(value: &str) -> String {
    if is_bare(value) {
        return value.to_string();
    }
    if !value.contains(['\'', '\r', '\n']) {
        return format!("'{value}'");
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Document {
    fn replace_source(&mut self, source: String) -> Result<(), EditError> {
        let doc = Document::parse_owned(source).map_err(|e| EditError::Reparse(Box::new(e)))?;
        *self = doc;
        Ok(())
    }

    fn newline(&self) -> &'static str {
        if self.uses_crlf() { "\r\n" } else { "\n" }
    }

    /// Sets `key` to `value`: replaces the value of its last definition, or
    /// appends `KEY=value` at the end.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), EditError> {
        if !is_valid_key(key) {
            return Err(EditError::InvalidKey(key.to_string()));
        }
        if value.contains('\0') {
            return Err(EditError::NulInValue(key.to_string()));
        }
        let quoted = quote_value(value);
        let mut out = String::with_capacity(self.source().len() + quoted.len() + key.len() + 2);
        if let Some(entry) = self.get(key) {
            let span = entry.value_span().clone();
            out.push_str(&self.source()[..span.start]);
            out.push_str(&quoted);
            if entry.comment().is_some_and(|c| c.start == span.end) {
                out.push(' ');
            }
            out.push_str(&self.source()[span.end..]);
        } else {
            let nl = self.newline();
            out.push_str(self.source());
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(key);
            out.push('=');
            out.push_str(&quoted);
            out.push_str(nl);
        }
        self.replace_source(out)
    }

    /// Removes every definition of `key` (whole lines). Returns whether
    /// there was one.
    pub fn unset(&mut self, key: &str) -> Result<bool, EditError> {
        let spans: Vec<_> = self
            .entries
            .iter()
            .filter(|e| e.key() == key)
            .map(|e| e.span().clone())
            .collect();
        if spans.is_empty() {
            return Ok(false);
        }
        let bytes = self.source().as_bytes();
        let mut out = String::with_capacity(self.source().len());
        let mut from = 0;
        for span in spans {
            out.push_str(&self.source()[from..span.start]);
            let mut end = span.end;
            if bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n') {
                end += 2;
            } else if bytes.get(end) == Some(&b'\n') {
                end += 1;
            }
            from = end;
        }
        out.push_str(&self.source()[from..]);
        self.replace_source(out)?;
        Ok(true)
    }

    /// Renames every definition of `from` to `to`. Returns whether there was
    /// one.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<bool, EditError> {
        if !is_valid_key(to) {
            return Err(EditError::InvalidKey(to.to_string()));
        }
        if from != to && self.get(to).is_some() {
            return Err(EditError::KeyExists(to.to_string()));
        }
        let spans: Vec<_> = self
            .entries
            .iter()
            .filter(|e| e.key() == from)
            .map(|e| e.key_span().clone())
            .collect();
        if spans.is_empty() {
            return Ok(false);
        }
        let mut out = String::with_capacity(self.source().len() + spans.len() * to.len());
        let mut last = 0;
        for span in spans {
            out.push_str(&self.source()[last..span.start]);
            out.push_str(to);
            last = span.end;
        }
        out.push_str(&self.source()[last..]);
        self.replace_source(out)?;
        Ok(true)
    }
}

#[cfg(test)]
mod bare_tests {
    use super::{is_bare, quote_value};
    use crate::dotenv::{Document, Quote};
    use proptest::prelude::*;

    /// The same rule as `quote_value`, character by character (every
    /// character up to U+3100, and some beyond).
    #[test]
    fn is_bare_is_quote_values_rule() {
        let chars = (0u32..0x3100)
            .chain([0xFEFF, 0x1F600, 0xE0001, 0x10FFFF])
            .filter_map(char::from_u32);
        for c in chars {
            let s = c.to_string();
            assert_eq!(is_bare(&s), quote_value(&s) == s, "U+{:04X}", c as u32);
        }
        assert!(is_bare(""));
    }

    fn bare_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::ranges(
                vec![
                    'a'..='z',
                    'A'..='Z',
                    '0'..='9',
                    'é'..='é',
                    '€'..='€',
                    '日'..='日'
                ]
                .into()
            ),
            proptest::sample::select("_-./:@%+,=~*!?^".chars().collect::<Vec<_>>()),
        ]
    }

    proptest! {
        /// A bare value reads back as itself: one literal, no quotes, no
        /// comment, the whole text as written.
        #[test]
        fn a_bare_value_reads_back_as_itself(v in proptest::collection::vec(bare_char(), 0..40)) {
            let v: String = v.into_iter().collect();
            prop_assert!(is_bare(&v));
            prop_assert_eq!(quote_value(&v), v.clone());
            let doc = Document::parse(&format!("K={v}\n")).unwrap();
            let e = &doc.entries()[0];
            prop_assert_eq!(e.template().as_literal(), Some(v.as_str()));
            prop_assert_eq!(e.quote(), Quote::None);
            prop_assert!(e.comment.is_none());
            prop_assert_eq!(doc.text(&e.value_span()), v.as_str());
        }

        /// Anything else is not bare.
        #[test]
        fn a_value_quote_value_quotes_is_not_bare(v in "\\PC{0,12}[ \t'\"$#\\\\`]\\PC{0,12}") {
            prop_assert!(!is_bare(&v));
            prop_assert_ne!(quote_value(&v), v);
        }
    }
}
