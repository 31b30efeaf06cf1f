//! Which values a `.env` file holds bare, without quotes: those
//! [`crate::dotenv::quote_value`] writes as they are, and that read back
//! as themselves (a literal, no escape, no reference, no comment).
//!
//! Asked where a value is handled without the parser: an encrypted file
//! opened straight into its decrypted values (`source/file.rs`: a bare
//! plaintext is its own value, no second parse) and the export writer (a
//! bare value is written without a copy). The tests below hold it to
//! `quote_value` and to the parser, so that a change there is seen here.
// It belongs beside `quote_value` in `dotenv/edit.rs` (its private
// `is_plain_char` is the same rule); it lives here while the parser is
// reworked on another branch.

/// Whether `value` is written bare: ASCII letters, digits and
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

#[cfg(test)]
mod tests {
    use super::is_bare;
    use crate::dotenv::{Document, Quote, quote_value};
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
            prop_assert_eq!(e.template.as_literal(), Some(v.as_str()));
            prop_assert_eq!(e.quote, Quote::None);
            prop_assert!(e.comment.is_none());
            prop_assert_eq!(doc.text(&e.value_span), v.as_str());
        }

        /// Anything else is not bare.
        #[test]
        fn a_value_quote_value_quotes_is_not_bare(v in "\\PC{0,12}[ \t'\"$#\\\\`]\\PC{0,12}") {
            prop_assert!(!is_bare(&v));
            prop_assert_ne!(quote_value(&v), v);
        }
    }
}
