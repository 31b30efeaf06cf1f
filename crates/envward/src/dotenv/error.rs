//! Parse errors with exact positions and a quoted, secret-safe source line.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, SourceLine};
use crate::excerpt::{Syntax, ValueAt, excerpt};

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
    /// A document of 4 GiB or more.
    TooLarge,
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
            Self::TooLarge => "file-too-large",
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
    /// The words before `=` joined into one key (`ALLOWED_HOSTS`).
    suggestion: Option<String>,
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
        // Before the `=` (a bad key, a missing `=`) the line is judged by
        // its shape; after it, everything from the value on is masked.
        let value = match (kind, key) {
            (ParseErrorKind::InvalidKey | ParseErrorKind::MissingEquals, _) | (_, None) => {
                ValueAt::Unknown
            }
            (_, Some((_, v))) => ValueAt::Offset(v),
        };
        let shown = excerpt(bytes, at, value, Syntax::Dotenv);
        // Name the key only when the excerpt shows it: a "key" that does
        // not read as one (`AGE-SECRET-KEY-1…`) may be a secret.
        let visible = |k: &str| {
            shown
                .key
                .as_deref()
                .is_some_and(|w| w.split(' ').next() == Some(k))
        };
        let key = key.map(|(k, _)| k).filter(|k| visible(k));
        let suggestion = match &shown.key {
            Some(words) if kind == ParseErrorKind::MissingEquals && words.contains(' ') => {
                Some(words.replace(' ', "_"))
            }
            _ => None,
        };
        ParseError {
            kind,
            path: None,
            offset: at,
            line: shown.line,
            column: shown.column,
            key: key.map(str::to_string),
            detail: Box::new(Detail {
                source_line: shown.source,
                quote: bytes.get(at).copied().unwrap_or(b'"'),
                note: None,
                suggestion,
            }),
        }
    }

    /// A document of `len` bytes, more than [`MAX_LEN`](super::MAX_LEN).
    /// Nothing of it is quoted; the offset is the first byte past the
    /// limit.
    pub(crate) fn too_large(len: usize) -> Self {
        let mut err = Self::build(ParseErrorKind::TooLarge, b"", 0, None);
        err.offset = super::MAX_LEN;
        err.with_note(format!("the file is {len} bytes"))
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
            ParseErrorKind::MissingEquals if self.key.is_some() => {
                format!("expected `=` after `{key}`")
            }
            ParseErrorKind::MissingEquals => "expected `=` after a key".into(),
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
            ParseErrorKind::TooLarge => format!(
                "too large: a .env file holds at most {} bytes (4 GiB)",
                super::MAX_LEN
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
            ParseErrorKind::TooLarge => "too large",
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
            ParseErrorKind::MissingEquals => match &self.detail.suggestion {
                Some(joined) => format!("a key has no spaces: write `{joined}=value`"),
                None => format!("write `{key}=value`, or `{key}=` for an empty value"),
            },
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
            ParseErrorKind::TooLarge => {
                "split the file: layers and namespaces each read a file of their own".into()
            }
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
