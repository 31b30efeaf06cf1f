//! Lossless `.env` documents: parse, inspect, edit, write back.
//!
//! A [`Document`] keeps every byte of its source. Writing an unedited
//! document gives back the exact input; editing one key changes only that
//! entry's bytes. The syntax is described in `docs/dotenv-syntax.md`.
//!
//! ```
//! use envward::dotenv::Document;
//!
//! let mut doc = Document::parse("# db\nexport HOST=db.internal # primary\n").unwrap();
//! assert_eq!(doc.get("HOST").unwrap().template().as_literal(), Some("db.internal"));
//! doc.set("PORT", "5432").unwrap();
//! assert_eq!(doc.source(), "# db\nexport HOST=db.internal # primary\nPORT=5432\n");
//! ```

mod edit;
pub(crate) use edit::is_bare;
pub use edit::{EditError, is_valid_key, quote_value};
mod error;
mod literal;
pub mod template;

use std::num::NonZeroU32;
use std::ops::Range;
use std::sync::OnceLock;

pub use error::{ParseError, ParseErrorKind};
pub use literal::Literal;
use literal::Shared;
use template::{Mode, Reader, TemplateError};
pub use template::{Part, Ref, RefOp, Template};
use zeroize::Zeroize;

/// How a value was quoted in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// No quotes (or an empty value).
    None,
    /// `'…'`: literal text.
    Single,
    /// `"…"`: escapes and interpolation.
    Double,
}

/// One `KEY=value` entry of a [`Document`].
///
/// Small, since a large file has many: byte offsets are kept in 32 bits (a
/// document holds less than 4 GiB), and the key, the quote style, the
/// `export` prefix and the column are read from the document's source when
/// asked, not stored. The value's template is built when first asked for
/// ([`template`](Self::template)); its syntax was checked when the document
/// was parsed.
#[derive(Clone)]
pub struct Entry {
    /// The document's source, which the offsets are into.
    source: Shared,
    template: OnceLock<Template>,
    /// The whole entry, from the start of its first line to the end of its
    /// last line (line ending excluded).
    start: u32,
    end: u32,
    key_start: u32,
    key_end: u32,
    /// The value as written, quotes included.
    value_start: u32,
    value_end: u32,
    /// Where a trailing `# comment` starts (it runs to `end`).
    comment: Option<NonZeroU32>,
    line: u32,
}

impl Entry {
    /// The key.
    pub fn key(&self) -> &str {
        &self.source.as_str()[self.key_start as usize..self.key_end as usize]
    }

    /// 1-based line of the key.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column (in characters) of the key.
    pub fn column(&self) -> u32 {
        column_of(
            self.source.as_str(),
            self.start as usize,
            self.key_start as usize,
        )
    }

    /// Whether the line starts with `export `.
    pub fn export(&self) -> bool {
        // Before the key: blanks, and `export` and blanks when exported.
        self.source.as_str()[self.start as usize..self.key_start as usize]
            .trim_start_matches([' ', '\t'])
            .starts_with("export")
    }

    /// The quote style of the value.
    pub fn quote(&self) -> Quote {
        match self.source.as_str().as_bytes()[self.value_start as usize..self.value_end as usize]
            .first()
        {
            Some(b'\'') => Quote::Single,
            Some(b'"') => Quote::Double,
            _ => Quote::None,
        }
    }

    /// The value, escapes decoded, references not yet resolved. Built the
    /// first time it is asked for, then kept.
    pub fn template(&self) -> &Template {
        self.template.get_or_init(|| self.build_template())
    }

    /// Whether the value references other keys (`${…}`, `$KEY`), without
    /// building its template unless it may: a single-quoted value, or one
    /// without a `$`, does not.
    pub fn has_refs(&self) -> bool {
        self.quote() != Quote::Single
            && self.source.as_str().as_bytes()[self.value_start as usize..self.value_end as usize]
                .contains(&b'$')
            && self.template().has_refs()
    }

    /// Bytes of the whole entry, from the start of its first line to the
    /// end of its last line (line ending excluded).
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Bytes of the key.
    pub fn key_span(&self) -> Range<usize> {
        self.key_start as usize..self.key_end as usize
    }

    /// Bytes of the value as written, quotes included (empty for `KEY=`).
    pub fn value_span(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }

    /// Bytes of a trailing `# comment`, `#` included.
    pub fn comment(&self) -> Option<Range<usize>> {
        self.comment
            .map(|start| start.get() as usize..self.end as usize)
    }

    /// Reads the value's template from the source, as the parser checked
    /// it (reading it again cannot fail).
    fn build_template(&self) -> Template {
        let source = self.source.as_str();
        let value = self.value_span();
        let quote = self.quote();
        let inner = match quote {
            Quote::None => value,
            Quote::Single | Quote::Double => value.start + 1..value.end - 1,
        };
        // A line break inside quotes is read as `\n`, from a copy.
        let carriage_return = quote != Quote::None
            && memchr::memchr(b'\r', source[inner.clone()].as_bytes()).is_some();
        // Without a `$` or a backslash, the text is the value as written:
        // no reference, no escape (most values; no reading needed).
        let plain = || {
            !carriage_return
                && memchr::memchr2(b'$', b'\\', source[inner.clone()].as_bytes()).is_none()
        };
        let mode = match quote {
            Quote::Single if carriage_return => {
                return Template::literal(normalize_newlines(&source[inner]));
            }
            Quote::Single => return Template::from_input(&Reader::source(&self.source), inner),
            _ if plain() => return Template::from_input(&Reader::source(&self.source), inner),
            Quote::Double => Mode::Double,
            Quote::None => Mode::Unquoted,
        };
        let read = if carriage_return {
            let text = normalize_newlines(&source[inner.clone()]);
            template::parse(&mut Reader::copied(&text), 0, text.len(), mode)
        } else {
            template::parse(
                &mut Reader::source(&self.source),
                inner.start,
                inner.end,
                mode,
            )
        };
        read.unwrap_or_else(|_| {
            debug_assert!(false, "a value the parser checked reads as a template");
            Template::literal(&source[inner])
        })
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value may be a secret: where it is, not what it is.
        f.debug_struct("Entry")
            .field("key", &self.key())
            .field("line", &self.line)
            .field("span", &self.span())
            .field("value_span", &self.value_span())
            .finish_non_exhaustive()
    }
}

/// A comment line.
#[derive(Clone, Debug)]
pub struct Comment {
    /// 1-based line.
    pub line: u32,
    /// Bytes of the comment, `#` included.
    pub span: Range<usize>,
}

/// A parsed `.env` file that keeps every byte of its source.
///
/// The source is shared with the literal parts of the entries' templates
/// (values written as is are slices of it, not copies) and zeroized when
/// the last of them drops. A clone shares it too.
#[derive(Clone)]
pub struct Document {
    source: Shared,
    entries: Vec<Entry>,
    comments: Vec<Comment>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: show only the keys.
        f.debug_struct("Document")
            .field(
                "keys",
                &self.entries.iter().map(Entry::key).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

const BOM: &str = "\u{feff}";

/// The largest document, in bytes: offsets into it fit in 32 bits.
pub const MAX_LEN: usize = u32::MAX as usize;

impl Document {
    /// Parses UTF-8 bytes, reporting invalid UTF-8 and NUL bytes with their
    /// position.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::check_bytes(bytes)?;
        // check_bytes proved the bytes are UTF-8.
        Self::parse(std::str::from_utf8(bytes).map_err(|e| {
            ParseError::at_bytes(ParseErrorKind::InvalidUtf8, bytes, e.valid_up_to())
        })?)
    }

    /// Parses a file's contents, taking ownership of the buffer (no copy).
    pub fn parse_vec(bytes: Vec<u8>) -> Result<Self, ParseError> {
        match String::from_utf8(bytes) {
            // NUL bytes are looked for by `parse_owned`.
            Ok(s) => Self::parse_owned(s),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                let err = Self::bad_bytes(&bytes, at);
                bytes.zeroize();
                Err(err)
            }
        }
    }

    /// NUL bytes and invalid UTF-8, whichever comes first.
    fn check_bytes(bytes: &[u8]) -> Result<(), ParseError> {
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) => Err(Self::bad_bytes(bytes, e.valid_up_to())),
        }
    }

    /// The error for `bytes`, not UTF-8 from `utf8_end` on: a NUL byte
    /// before that point, or the invalid UTF-8.
    fn bad_bytes(bytes: &[u8], utf8_end: usize) -> ParseError {
        match memchr::memchr(0, &bytes[..utf8_end]) {
            Some(nul) => ParseError::at_bytes(ParseErrorKind::NulByte, bytes, nul),
            None => ParseError::at_bytes(ParseErrorKind::InvalidUtf8, bytes, utf8_end),
        }
    }

    /// Parses a document from text.
    pub fn parse(source: &str) -> Result<Self, ParseError> {
        Self::parse_owned(source.to_string())
    }

    /// Parses a document from text it takes ownership of (no copy).
    ///
    /// A document holds less than 4 GiB ([`MAX_LEN`] bytes at most): its
    /// entries keep 32-bit offsets.
    pub fn parse_owned(source: String) -> Result<Self, ParseError> {
        // Zeroized on every way out, errors included, when the last part
        // sharing it drops.
        let source = Shared::new(source);
        let (entries, comments) = {
            let text = source.as_str();
            if text.len() > MAX_LEN {
                return Err(ParseError::too_large(text.len()));
            }
            if let Some(at) = memchr::memchr(0, text.as_bytes()) {
                return Err(ParseError::at(ParseErrorKind::NulByte, text, at, None));
            }
            let mut parser = Parser {
                src: text,
                shared: &source,
                bytes: text.as_bytes(),
                pos: if text.starts_with(BOM) { BOM.len() } else { 0 },
                line: 1,
                entries: Vec::with_capacity(estimate_entries(text.as_bytes())),
                comments: Vec::new(),
            };
            parser.run()?;
            (parser.entries, parser.comments)
        };
        Ok(Document {
            source,
            entries,
            comments,
        })
    }

    /// An empty document.
    pub fn new() -> Self {
        Document {
            source: Shared::new(String::new()),
            entries: Vec::new(),
            comments: Vec::new(),
        }
    }

    /// The exact text of the document.
    pub fn source(&self) -> &str {
        self.source.as_str()
    }

    /// Entries in file order, duplicates included.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Comment lines in file order.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// The effective (last) entry for `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key() == key)
    }

    /// Whether the file uses CRLF line endings (judged by its first line).
    pub fn uses_crlf(&self) -> bool {
        let bytes = self.source().as_bytes();
        match memchr::memchr(b'\n', bytes) {
            Some(i) => i > 0 && bytes[i - 1] == b'\r',
            None => false,
        }
    }

    /// The text of `span` in the source (an entry's
    /// [`value_span`](Entry::value_span), [`comment`](Entry::comment)…).
    pub fn text(&self, span: &Range<usize>) -> &str {
        &self.source()[span.clone()]
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

struct Parser<'a> {
    src: &'a str,
    /// `src`, shared with the entries.
    shared: &'a Shared,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    entries: Vec<Entry>,
    comments: Vec<Comment>,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// `[A-Za-z0-9_.-]`, looked up rather than tested (keys are most of the
/// bytes read one at a time).
const KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-';
        b += 1;
    }
    table
};

fn is_key_byte(b: u8) -> bool {
    KEY_BYTES[b as usize]
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// End of the current physical line (before `\r\n` or `\n`).
    fn line_end(&self, from: usize) -> usize {
        let nl = memchr::memchr(b'\n', &self.bytes[from..]).map_or(self.bytes.len(), |i| from + i);
        if nl > from && self.bytes[nl - 1] == b'\r' && nl < self.bytes.len() {
            nl - 1
        } else {
            nl
        }
    }

    /// Moves past the line ending at `self.pos`, if any.
    fn eat_newline(&mut self) {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                self.line += 1;
            }
            Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                self.line += 1;
            }
            _ => {}
        }
    }

    fn error(&self, kind: ParseErrorKind, at: usize, key: Option<(&str, usize)>) -> ParseError {
        ParseError::at(kind, self.src, at, key)
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while self.pos < self.bytes.len() {
            let line_start = self.pos;
            self.skip_blanks();
            match self.peek() {
                None => break,
                Some(b'\n') | Some(b'\r') if self.line_end(self.pos) == self.pos => {
                    self.eat_newline();
                }
                Some(b'#') => {
                    let end = self.line_end(self.pos);
                    self.comments.push(Comment {
                        line: self.line,
                        span: self.pos..end,
                    });
                    self.pos = end;
                    self.eat_newline();
                }
                Some(_) => self.entry(line_start)?,
            }
        }
        Ok(())
    }

    fn entry(&mut self, line_start: usize) -> Result<(), ParseError> {
        let line = self.line;
        if self.src[self.pos..].starts_with("export") {
            let after = self.pos + "export".len();
            if self.bytes.get(after).copied().is_some_and(is_blank) {
                let mut p = after;
                while self.bytes.get(p).copied().is_some_and(is_blank) {
                    p += 1;
                }
                // `export KEY…` is the prefix; `export =…` and a bare
                // `export` are the key `export`.
                if self.bytes.get(p).copied().is_some_and(is_key_start) {
                    self.pos = p;
                }
            }
        }
        let key_start = self.pos;
        if !self.peek().is_some_and(is_key_start) {
            return Err(self.error(ParseErrorKind::InvalidKey, self.pos, None));
        }
        self.pos += self.bytes[self.pos..]
            .iter()
            .position(|&b| !is_key_byte(b))
            .unwrap_or(self.bytes.len() - self.pos);
        let key_end = self.pos;
        let key = &self.src[key_start..key_end];
        let ctx = Some((key, key_end));
        match self.peek() {
            Some(b'=') | Some(b' ') | Some(b'\t') | Some(b'\n') | None => {}
            Some(b'\r') if self.line_end(self.pos) == self.pos => {}
            Some(_) => return Err(self.error(ParseErrorKind::InvalidKey, self.pos, ctx)),
        }
        self.skip_blanks();
        if self.peek() != Some(b'=') {
            return Err(self.error(ParseErrorKind::MissingEquals, key_end, ctx));
        }
        self.pos += 1;
        let before_value = self.pos;
        self.skip_blanks();
        let skipped_blank = self.pos > before_value;
        let value_start = self.pos;
        let ctx = Some((key, value_start));
        // Line feeds inside a quoted value (an unquoted one ends at its
        // line's end).
        let mut newlines = 0;
        // Only the syntax is checked here: the entry builds its template
        // when first asked (`Entry::template`), from the same text.
        let value_end = match self.peek() {
            Some(b'\'') => {
                let close = memchr::memchr(b'\'', &self.bytes[value_start + 1..])
                    .map(|i| value_start + 1 + i)
                    .ok_or_else(|| {
                        self.error(ParseErrorKind::UnterminatedQuote, value_start, ctx)
                    })?;
                newlines = Breaks::of(&self.bytes[value_start + 1..close]).newlines;
                close + 1
            }
            Some(b'"') => {
                let close = find_closing_double(self.bytes, value_start + 1).ok_or_else(|| {
                    self.error(ParseErrorKind::UnterminatedQuote, value_start, ctx)
                })?;
                let breaks = Breaks::of(&self.bytes[value_start + 1..close]);
                newlines = breaks.newlines;
                if breaks.carriage_return {
                    let text = normalize_newlines(&self.src[value_start + 1..close]);
                    template::parse(&mut Reader::checking(&text), 0, text.len(), Mode::Double)
                        .map_err(|e| self.template_error(e, ctx, Some(value_start + 1)))?;
                } else {
                    template::parse(
                        &mut Reader::checking(self.src),
                        value_start + 1,
                        close,
                        Mode::Double,
                    )
                    .map_err(|e| self.template_error(e, ctx, None))?;
                }
                close + 1
            }
            _ => {
                if let Some(value_end) = self.plain_unquoted_end(value_start) {
                    value_end
                } else {
                    let end = self.line_end(value_start);
                    let mut value_end = end;
                    if skipped_blank && self.peek() == Some(b'#') {
                        value_end = value_start;
                    } else if let Some(h) = find_comment_start(&self.bytes[value_start..end]) {
                        value_end = value_start + h;
                    }
                    value_end = self.trim_blanks_back(value_start, value_end);
                    template::parse(
                        &mut Reader::checking(self.src),
                        value_start,
                        value_end,
                        Mode::Unquoted,
                    )
                    .map_err(|e| self.template_error(e, ctx, None))?;
                    value_end
                }
            }
        };
        self.line += newlines;
        self.pos = value_end;
        self.skip_blanks();
        let mut comment = None;
        match self.peek() {
            Some(b'#') => {
                // Never at offset 0: the key comes first.
                comment = NonZeroU32::new(offset(self.pos));
                self.pos = self.line_end(self.pos);
            }
            None | Some(b'\n') => {}
            Some(b'\r') if self.line_end(self.pos) == self.pos => {}
            Some(_) => {
                let mut err = self.error(ParseErrorKind::TrailingCharacters, self.pos, ctx);
                if self.line > line {
                    err = err.with_note(format!(
                        "the quoted value of `{key}` opened at line {line}: a quote inside it may need a backslash"
                    ));
                }
                return Err(err);
            }
        }
        let span_end = self.pos;
        self.eat_newline();
        self.entries.push(Entry {
            source: self.shared.clone(),
            template: OnceLock::new(),
            start: offset(line_start),
            end: offset(span_end),
            key_start: offset(key_start),
            key_end: offset(key_end),
            value_start: offset(value_start),
            value_end: offset(value_end),
            comment,
            line,
        });
        Ok(())
    }

    /// The end of an unquoted value starting at `start` (blanks before a
    /// comment or the line end left out) when it is plain text: no `$`, so
    /// no reference and no escape (a backslash only escapes `$` there).
    /// `None` when there is a `$`: the value is then read as a template.
    ///
    /// One search for the three bytes that matter instead of one for the
    /// line end, one for a comment and one for the template.
    fn plain_unquoted_end(&self, start: usize) -> Option<usize> {
        let bytes = self.bytes;
        let mut from = start;
        let end = loop {
            let Some(i) = memchr::memchr3(b'\n', b'#', b'$', &bytes[from..]) else {
                break bytes.len();
            };
            let at = from + i;
            match bytes[at] {
                b'$' => return None,
                // A comment starts at a `#` after a blank (`start` follows
                // the `=` or the blanks after it).
                b'#' if is_blank(bytes[at - 1]) => break at,
                b'#' => from = at + 1,
                // As `line_end`: the `\r` of a `\r\n` is not part of the line.
                _ if at > start && bytes[at - 1] == b'\r' => break at - 1,
                _ => break at,
            }
        };
        Some(self.trim_blanks_back(start, end))
    }

    /// `end` moved back over blanks, not before `start`.
    fn trim_blanks_back(&self, start: usize, mut end: usize) -> usize {
        while end > start && is_blank(self.bytes[end - 1]) {
            end -= 1;
        }
        end
    }

    fn template_error(
        &self,
        e: TemplateError,
        ctx: Option<(&str, usize)>,
        remap: Option<usize>,
    ) -> ParseError {
        let (kind, at) = match e {
            TemplateError::Unterminated(at) => (ParseErrorKind::UnterminatedReference, at),
            TemplateError::Invalid(at) => (ParseErrorKind::InvalidReference, at),
            TemplateError::TooDeep(at) => (ParseErrorKind::NestingTooDeep, at),
        };
        let at = match remap {
            // Offsets into a CRLF-normalised copy: map back by counting the
            // `\r` bytes removed before that point.
            Some(base) => remap_offset(self.src, base, at),
            None => at,
        };
        self.error(kind, at, ctx)
    }
}

/// Offset in `src` (starting at `base`) of byte `at` of the text with
/// every `\r\n` turned into `\n`.
fn remap_offset(src: &str, base: usize, at: usize) -> usize {
    let bytes = src.as_bytes();
    let (mut i, mut j) = (base, 0);
    while j < at && i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        i += 1;
        j += 1;
    }
    i
}

/// An offset into a document, which holds at most [`MAX_LEN`] bytes.
fn offset(at: usize) -> u32 {
    debug_assert!(at <= MAX_LEN);
    at as u32
}

fn column_of(src: &str, line_start: usize, at: usize) -> u32 {
    src[line_start..at].chars().count() as u32 + 1
}

/// How many entries to reserve room for: the lines that can hold one (not
/// blank, not a comment) in a sample of the first 64 KiB, scaled to the
/// whole text with a little more (so a uniform file needs no second
/// allocation), instead of reading every line of a large file. An estimate:
/// the vector still grows when it falls short, and room reserved in vain is
/// memory a large document keeps.
fn estimate_entries(bytes: &[u8]) -> usize {
    const SAMPLE: usize = 64 << 10;
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    let holds_entry = |line_start: usize| {
        let first = sample[line_start..].iter().find(|&&b| !is_blank(b));
        !matches!(first, None | Some(b'#' | b'\n' | b'\r'))
    };
    let lines = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', sample).map(|i| i + 1))
        .filter(|&start| holds_entry(start))
        .count();
    if sample.len() == bytes.len() {
        return lines;
    }
    let scaled = (lines as u128 * bytes.len() as u128 / sample.len() as u128) as usize;
    // An entry takes at least three bytes (`A=` and a line ending).
    (scaled + scaled / 32 + 1).min(bytes.len() / 3 + 1)
}

/// The line breaks in a quoted value.
struct Breaks {
    /// How many `\n`.
    newlines: u32,
    /// Whether there is a `\r` (then the value is read from a copy with
    /// `\r\n` turned into `\n`).
    carriage_return: bool,
}

impl Breaks {
    /// Most values have neither: one search.
    fn of(bytes: &[u8]) -> Self {
        match memchr::memchr2(b'\r', b'\n', bytes) {
            None => Breaks {
                newlines: 0,
                carriage_return: false,
            },
            Some(first) => {
                let rest = &bytes[first..];
                Breaks {
                    newlines: memchr::memchr_iter(b'\n', rest).count() as u32,
                    carriage_return: memchr::memchr(b'\r', rest).is_some(),
                }
            }
        }
    }
}

/// `\r\n` → `\n`.
fn normalize_newlines(text: &str) -> String {
    if text.contains("\r\n") {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    }
}

/// Index of the closing `"` at or after `from`, honouring backslashes (a
/// backslash escapes the byte after it).
///
/// Jumps from quote to quote: a quote is escaped when an odd number of
/// backslashes runs up to it (backslashes pair off from the left, and the
/// byte before the run is not one). Values with many escapes but few
/// escaped quotes take one search, not one per backslash.
fn find_closing_double(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let quote = i + memchr::memchr(b'"', &bytes[i..])?;
        let backslashes = bytes[from..quote]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(quote);
        }
        i = quote + 1;
    }
}

/// Start of a ` #` comment in an unquoted value (index of the `#`).
fn find_comment_start(value: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'#', value).find(|&i| i > 0 && is_blank(value[i - 1]))
}

#[cfg(test)]
mod tests;
