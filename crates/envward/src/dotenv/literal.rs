//! The literal text of a template, without a copy where it can be had.
//!
//! Most values are written as they are meant (unquoted, single-quoted, or
//! double-quoted without escapes): their text is a slice of the document's
//! source. A [`Literal`] then holds the shared source and a range into it,
//! which costs no allocation per value. Text decoded from escapes is a
//! string of its own, zeroized when it drops.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

use compact_str::CompactString;
use zeroize::Zeroize;

/// A document's text, shared by the [`Document`](super::Document), its
/// entries and the literal parts of their templates; zeroized when the last
/// of them drops.
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
#[derive(Default)]
pub(crate) struct ZeroizedText(String);

impl ZeroizedText {
    /// Makes room for `additional` bytes, zeroizing the old buffer when it
    /// has to move (growing a `String` would free it as it is).
    #[inline]
    pub(crate) fn reserve(&mut self, additional: usize) {
        if self.0.capacity() - self.0.len() < additional {
            self.grow(additional);
        }
    }

    #[cold]
    fn grow(&mut self, additional: usize) {
        let text = &mut self.0;
        let capacity = (text.capacity() * 2).max(text.len() + additional).max(64);
        let mut grown = String::with_capacity(capacity);
        grown.push_str(text);
        drop(ZeroizedText(std::mem::replace(text, grown)));
    }

    #[inline]
    pub(crate) fn push_str(&mut self, text: &str) {
        self.reserve(text.len());
        self.0.push_str(text);
    }

    #[inline]
    pub(crate) fn push(&mut self, c: char) {
        self.reserve(c.len_utf8());
        self.0.push(c);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}

impl Deref for ZeroizedText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for ZeroizedText {
    fn drop(&mut self) {
        // Nothing was ever written (a reader that decoded nothing): no call
        // to clear an empty buffer, which costs more than it seems.
        if self.0.capacity() == 0 {
            return;
        }
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
    /// Text of its own: decoded from escapes, or not read from a document.
    Owned(OwnedText),
}

/// A [`CompactString`] (up to 24 bytes kept inline, without an allocation
/// of its own) zeroized when it drops: decoded text may be a secret.
#[derive(Clone)]
struct OwnedText(CompactString);

impl Drop for OwnedText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Literal {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Span { source, start, end } => &source.as_str()[*start as usize..*end as usize],
            Repr::Owned(s) => &s.0,
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

    /// Where the text is: `source` (a slice of a document's source) or
    /// `own`.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &'static str {
        match self.0 {
            Repr::Span { .. } => "source",
            Repr::Owned(_) => "own",
        }
    }
}

impl From<CompactString> for Literal {
    fn from(text: CompactString) -> Self {
        Literal(Repr::Owned(OwnedText(text)))
    }
}

impl From<&str> for Literal {
    fn from(text: &str) -> Self {
        Literal(Repr::Owned(OwnedText(text.into())))
    }
}

impl From<String> for Literal {
    fn from(text: String) -> Self {
        Literal(Repr::Owned(OwnedText(text.into())))
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
    fn a_span_reads_and_compares_as_its_text() {
        let src = Shared::new("abcdef".to_string());
        let l = Literal::span(&src, 1..4);
        assert_eq!(l, "bcd");
        assert_eq!(l, Literal::from("bcd"));
        assert_eq!(format!("{l:?}"), "\"bcd\"");
    }

    #[test]
    fn a_literal_is_no_bigger_than_a_compact_string() {
        assert_eq!(
            std::mem::size_of::<Literal>(),
            std::mem::size_of::<CompactString>()
        );
    }
}
