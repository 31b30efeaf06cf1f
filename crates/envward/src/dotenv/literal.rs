//! The literal text of a template, without a copy where it can be had.
//!
//! Most values are written as they are meant (unquoted, single-quoted, or
//! double-quoted without escapes): their text is a slice of the document's
//! source. A [`Literal`] then holds the shared source and a range into it,
//! which costs no allocation per value; only text whose escapes were decoded
//! gets a string of its own.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use compact_str::CompactString;
use zeroize::Zeroize;

/// A document's text, shared by the [`Document`](super::Document) and the
/// literal parts of its templates. It is zeroized when the last of them
/// drops.
#[derive(Clone)]
pub(crate) struct Shared(Arc<ZeroizedText>);

impl Shared {
    pub(crate) fn new(text: String) -> Self {
        Shared(Arc::new(ZeroizedText(text)))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0.0
    }
}

/// A string zeroized on drop, capacity included.
///
/// Not `zeroize::Zeroizing<String>`: `String::zeroize` writes one byte at a
/// time (a tenth of the time it takes to parse a large document), while the
/// byte slices below are cleared in bulk, with the same optimisation
/// barrier.
struct ZeroizedText(String);

impl Drop for ZeroizedText {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.as_mut_slice().zeroize();
        bytes.spare_capacity_mut().zeroize();
    }
}

/// Literal text in a [`Template`](super::Template): escapes decoded,
/// references excluded. Reads as a `&str` (it dereferences to one).
///
/// Text written as is in a document is a range of the document's source,
/// shared with it, not a copy: it keeps that source alive (and unzeroized)
/// until the last literal taken from it drops.
#[derive(Clone)]
pub struct Literal(Repr);

#[derive(Clone)]
enum Repr {
    /// `source[start..end]`.
    Span {
        source: Shared,
        start: u32,
        end: u32,
    },
    /// Decoded text (up to 24 bytes kept inline, without an allocation of
    /// its own).
    Owned(CompactString),
}

impl Literal {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Span { source, start, end } => &source.as_str()[*start as usize..*end as usize],
            Repr::Owned(s) => s,
        }
    }

    /// `source[range]` without a copy (a copy when the range does not fit
    /// in 32 bits).
    pub(crate) fn span(source: &Shared, range: Range<usize>) -> Self {
        match (u32::try_from(range.start), u32::try_from(range.end)) {
            (Ok(start), Ok(end)) => Literal(Repr::Span {
                source: source.clone(),
                start,
                end,
            }),
            _ => Literal::from(&source.as_str()[range]),
        }
    }

    /// Extends a span that ends where `range` starts; `false` (and no
    /// change) otherwise.
    pub(crate) fn extend_span(&mut self, range: &Range<usize>) -> bool {
        match &mut self.0 {
            Repr::Span { end, .. } if *end as usize == range.start => {
                match u32::try_from(range.end) {
                    Ok(new_end) => {
                        *end = new_end;
                        true
                    }
                    Err(_) => false,
                }
            }
            _ => false,
        }
    }

    /// The text as a string of its own, with room for `additional` more
    /// bytes when it has to be made, to append decoded text to.
    fn owned(&mut self, additional: usize) -> &mut CompactString {
        if let Repr::Span { .. } = self.0 {
            let mut owned = CompactString::with_capacity(self.len() + additional);
            owned.push_str(self.as_str());
            self.0 = Repr::Owned(owned);
        }
        match &mut self.0 {
            Repr::Owned(s) => s,
            Repr::Span { .. } => unreachable!("made owned just above"),
        }
    }

    /// Whether the text is a slice of a document's source (no copy).
    #[cfg(test)]
    pub(crate) fn is_span(&self) -> bool {
        matches!(self.0, Repr::Span { .. })
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        self.owned(text.len()).push_str(text);
    }
}

impl From<CompactString> for Literal {
    fn from(text: CompactString) -> Self {
        Literal(Repr::Owned(text))
    }
}

impl From<&str> for Literal {
    fn from(text: &str) -> Self {
        Literal(Repr::Owned(text.into()))
    }
}

impl From<String> for Literal {
    fn from(text: String) -> Self {
        Literal(Repr::Owned(text.into()))
    }
}

impl Deref for Literal {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Literal {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Literal {}

impl PartialEq<str> for Literal {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Literal {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_extend_and_become_owned_on_push() {
        let src = Shared::new("abcdef".to_string());
        let mut l = Literal::span(&src, 1..3);
        assert_eq!(l, "bc");
        assert!(!l.extend_span(&(4..5)));
        assert!(l.extend_span(&(3..4)));
        assert_eq!(l, "bcd");
        l.push_str("!");
        assert_eq!(l, "bcd!");
        assert_eq!(l, Literal::from("bcd!"));
        assert!(!l.extend_span(&(4..5)));
        assert_eq!(format!("{l:?}"), "\"bcd!\"");
    }

    #[test]
    fn a_literal_is_no_bigger_than_a_compact_string() {
        assert_eq!(
            std::mem::size_of::<Literal>(),
            std::mem::size_of::<CompactString>()
        );
    }
}
