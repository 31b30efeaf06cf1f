//! Parse errors with exact positions and a quoted, secret-safe source line.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, SourceLine};
use crate::secret::is_sensitive_name;

/// What went wrong while reading a `.env` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes are not UTF-8.
    InvalidUtf8,
    /// A NUL byte.
    NulByte,
    /// A character that cannot start or continue a key.
    InvalidKey,
    /// A key with no `=` after it.
    MissingEquals,
    /// A quote that is never closed.
    UnterminatedQuote,
    /// Text after a closing quote.
    TrailingCharacters,
    /// `${` without `}`.
    UnterminatedReference,
    /// `${}` or another malformed reference.
    InvalidReference,
    /// References nested too deeply.
    NestingTooDeep,
}

impl ParseErrorKind {
    /// Stable kebab-case name, used in JSON output and the conformance corpus.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidUtf8 => "invalid-utf8",
            Self::NulByte => "nul-byte",
            Self::InvalidKey => "invalid-key",
            Self::MissingEquals => "missing-equals",
            Self::UnterminatedQuote => "unterminated-quote",
            Self::TrailingCharacters => "trailing-characters",
            Self::UnterminatedReference => "unterminated-reference",
            Self::InvalidReference => "invalid-reference",
            Self::NestingTooDeep => "nesting-too-deep",
        }
    }
}

/// A syntax error in a `.env` file.
///
/// The quoted line never contains the value of a sensitive key.
#[derive(Clone, Debug)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The file, when known.
    pub path: Option<PathBuf>,
    /// Byte offset in the file.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The key of the entry being read, when known.
    pub key: Option<String>,
    detail: Box<Detail>,
}

/// What only rendering needs, boxed to keep `Result<_, ParseError>` small.
#[derive(Clone, Debug)]
struct Detail {
    source_line: SourceLine,
    quote: u8,
    note: Option<String>,
}

impl ParseError {
    /// An error at byte `at` of `src`. `key` is the entry being read and the
    /// offset where its value starts; a sensitive key's value is masked.
    pub(crate) fn at(
        kind: ParseErrorKind,
        src: &str,
        at: usize,
        key: Option<(&str, usize)>,
    ) -> Self {
        Self::build(kind, src.as_bytes(), at, key)
    }

    /// An error in bytes that may not be UTF-8.
    pub(crate) fn at_bytes(kind: ParseErrorKind, bytes: &[u8], at: usize) -> Self {
        Self::build(kind, bytes, at, None)
    }

    fn build(kind: ParseErrorKind, bytes: &[u8], at: usize, key: Option<(&str, usize)>) -> Self {
        let at = at.min(bytes.len());
        let mask_from = key.filter(|(k, _)| is_sensitive_name(k)).map(|(_, v)| v);
        let (line, column, source_line) = locate(bytes, at, mask_from);
        ParseError {
            kind,
            path: None,
            offset: at,
            line,
            column,
            key: key.map(|(k, _)| k.to_string()),
            detail: Box::new(Detail {
                source_line,
                quote: bytes.get(at).copied().unwrap_or(b'"'),
                note: None,
            }),
        }
    }

    /// Adds a note (another place involved).
    pub(crate) fn with_note(mut self, note: String) -> Self {
        self.detail.note = Some(note);
        self
    }

    /// Attaches the file the error is in.
    pub fn with_path(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    fn message(&self) -> String {
        let key = self.key.as_deref().unwrap_or("");
        match self.kind {
            ParseErrorKind::InvalidUtf8 => format!("invalid UTF-8 at byte offset {}", self.offset),
            ParseErrorKind::NulByte => format!("NUL byte at byte offset {}", self.offset),
            ParseErrorKind::InvalidKey if self.key.is_some() => {
                format!("invalid character in key `{key}`")
            }
            ParseErrorKind::InvalidKey => "expected a key, a `#` comment or a blank line".into(),
            ParseErrorKind::MissingEquals => format!("expected `=` after `{key}`"),
            ParseErrorKind::UnterminatedQuote => {
                let style = if self.detail.quote == b'\'' {
                    "single"
                } else {
                    "double"
                };
                format!("unterminated {style}-quoted value")
            }
            ParseErrorKind::TrailingCharacters => "unexpected text after the closing quote".into(),
            ParseErrorKind::UnterminatedReference => "`${` without a closing `}`".into(),
            ParseErrorKind::InvalidReference => "malformed reference".into(),
            ParseErrorKind::NestingTooDeep => format!(
                "references nested more than {} levels deep",
                super::template::MAX_NESTING
            ),
        }
    }

    fn label(&self) -> &'static str {
        match self.kind {
            ParseErrorKind::InvalidUtf8 => "not UTF-8",
            ParseErrorKind::NulByte => "NUL byte",
            ParseErrorKind::InvalidKey => "not allowed here",
            ParseErrorKind::MissingEquals => "expected `=`",
            ParseErrorKind::UnterminatedQuote => "this quote is never closed",
            ParseErrorKind::TrailingCharacters => "unexpected",
            ParseErrorKind::UnterminatedReference => "this reference is never closed",
            ParseErrorKind::InvalidReference => "malformed reference",
            ParseErrorKind::NestingTooDeep => "nested too deeply",
        }
    }

    fn help(&self) -> String {
        let key = self.key.as_deref().unwrap_or("KEY");
        match self.kind {
            ParseErrorKind::InvalidUtf8 => "save the file as UTF-8".into(),
            ParseErrorKind::NulByte => "remove the NUL byte: .env files are text".into(),
            ParseErrorKind::InvalidKey => {
                "keys match [A-Za-z_][A-Za-z0-9_.-]*; comments start with `#`".into()
            }
            ParseErrorKind::MissingEquals => {
                format!("write `{key}=value`, or `{key}=` for an empty value")
            }
            ParseErrorKind::UnterminatedQuote if self.detail.quote == b'\'' => {
                "close the value with `'`; single-quoted values cannot contain `'`, use double quotes".into()
            }
            ParseErrorKind::UnterminatedQuote => {
                "close the value with `\"`; write `\\\"` for a quote inside it".into()
            }
            ParseErrorKind::TrailingCharacters => {
                "put the whole value inside the quotes, or start a comment with ` #`".into()
            }
            ParseErrorKind::UnterminatedReference => {
                "close the reference with `}`, or write `$$` for a literal `$`".into()
            }
            ParseErrorKind::InvalidReference => {
                "references look like `${KEY}`, `${KEY:-default}`, `${KEY:?message}` or `${namespace:KEY}`; write `$$` for a literal `$`".into()
            }
            ParseErrorKind::NestingTooDeep => "flatten the nested defaults into separate keys".into(),
        }
    }

    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.message())
            .with_location(self.path.as_deref(), self.line, self.column)
            .with_source(self.detail.source_line.clone(), self.label());
        if let Some(note) = &self.detail.note {
            d = d.with_note(note.clone());
        }
        d.with_help(self.help())
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}:", path.display())?;
        }
        write!(f, "{}:{}: {}", self.line, self.column, self.message())
    }
}

impl std::error::Error for ParseError {}

/// Line, column and the quoted line of byte `at` in `bytes`. When
/// `mask_from` is given (where a sensitive value starts), nothing of the
/// line from that offset on is shown: it becomes `[redacted]`.
pub(crate) fn locate(bytes: &[u8], at: usize, mask_from: Option<usize>) -> (u32, u32, SourceLine) {
    let at = at.min(bytes.len());
    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() as u32 + 1;
    let mut text_start = line_start;
    if line_start == 0 && bytes.starts_with("\u{feff}".as_bytes()) {
        text_start = 3.min(at);
    }
    let prefix = String::from_utf8_lossy(&bytes[text_start..at]).into_owned();
    let column = prefix.chars().count() as u32 + 1;
    let cut = mask_from
        .filter(|&m| m <= line_end)
        .map(|m| m.max(text_start));
    let (text, span) = match cut {
        Some(cut) if cut <= at => {
            let mut text = String::from_utf8_lossy(&bytes[text_start..cut]).into_owned();
            // Keep the caret in its true column (renderers derive the
            // column from it) without showing what precedes it.
            let hidden = String::from_utf8_lossy(&bytes[cut..at]).chars().count();
            text.extend(std::iter::repeat_n(' ', hidden));
            let caret = text.len();
            text.push_str("[redacted]");
            (text, caret..caret + "[redacted]".len())
        }
        _ => {
            let end = cut.unwrap_or(line_end);
            let mut rest = String::from_utf8_lossy(&bytes[at..end]).into_owned();
            if rest.ends_with('\r') {
                rest.pop();
            }
            let caret = prefix.len();
            let width = rest.chars().next().map_or(0, char::len_utf8);
            if cut.is_some() {
                rest.push_str("[redacted]");
            }
            (prefix + &rest, caret..caret + width)
        }
    };
    (line, column, SourceLine { line, text, span })
}
