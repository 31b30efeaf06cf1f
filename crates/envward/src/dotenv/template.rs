//! Values as templates: literal text and `${…}` references.
//!
//! The parser turns the text of an unquoted or double-quoted value into a
//! [`Template`] once, so that escapes are decoded and reference syntax is
//! checked at parse time, with exact positions.

use std::ops::Range;

use super::literal::{Literal, Shared, ZeroizedText};

/// A value as written: literal pieces and references, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    repr: Repr,
}

/// Most values are one literal: keep it without an allocation. (A boxed
/// slice rather than a `Vec` for several parts keeps a template at 24
/// bytes.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    Empty,
    One(Part),
    Many(Box<[Part]>),
}

/// One piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text, escapes already decoded: a slice of the document's
    /// source when written as is (no copy), its own text otherwise.
    Literal(Literal),
    /// A reference to another key.
    Ref(Box<Ref>),
}

/// A reference such as `$KEY`, `${KEY:-default}` or `${ns:KEY}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    /// The namespace named with `${ns:KEY}`, if any.
    pub namespace: Option<String>,
    /// The referenced key (up to 24 bytes kept inline, without an
    /// allocation of its own).
    pub name: compact_str::CompactString,
    /// What to do when the key is unset or empty.
    pub op: RefOp,
    /// The word after the operator (default, alternative or message).
    pub word: Template,
    /// Byte offset of the `$` in the document's source.
    pub offset: usize,
}

/// The operator of a braced reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefOp {
    /// `$KEY` or `${KEY}`.
    Plain,
    /// `${KEY:-word}` (`colon`) or `${KEY-word}`.
    Default {
        /// Whether an empty value counts as unset (`:-`).
        colon: bool,
    },
    /// `${KEY:+word}` (`colon`) or `${KEY+word}`.
    Alternative {
        /// Whether an empty value counts as unset (`:+`).
        colon: bool,
    },
    /// `${KEY:?message}` (`colon`) or `${KEY?message}`.
    Required {
        /// Whether an empty value counts as unset (`:?`).
        colon: bool,
    },
}

impl Template {
    /// A template holding only `text`.
    pub fn literal(text: impl Into<String>) -> Self {
        let text: String = text.into();
        if text.is_empty() {
            return Template::default();
        }
        Template {
            repr: Repr::One(Part::Literal(text.into())),
        }
    }

    /// The pieces, in order.
    pub fn parts(&self) -> &[Part] {
        match &self.repr {
            Repr::Empty => &[],
            Repr::One(p) => std::slice::from_ref(p),
            Repr::Many(v) => v,
        }
    }

    /// The text when the template holds no reference, `None` otherwise.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts() {
            [] => Some(""),
            [Part::Literal(s)] => Some(s),
            _ => None,
        }
    }

    /// Whether the template references any key.
    pub fn has_refs(&self) -> bool {
        self.parts().iter().any(|p| matches!(p, Part::Ref(_)))
    }

    /// Every reference, including those nested in defaults, depth first.
    ///
    /// ```
    /// use envward::dotenv::Document;
    /// let doc = Document::parse("URL=${SCHEME:-https}://${HOST:?set HOST}/${db:NAME}\n").unwrap();
    /// let refs = doc.get("URL").unwrap().template().refs();
    /// let names: Vec<_> = refs.iter().map(|r| r.name.as_str()).collect();
    /// assert_eq!(names, ["SCHEME", "HOST", "NAME"]);
    /// assert_eq!(refs[2].namespace.as_deref(), Some("db"));
    /// ```
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        collect_refs(self, &mut out);
        out
    }

    /// A template holding `r.text[range]`, without a copy when the reader
    /// reads the shared source.
    pub(crate) fn from_input(r: &Reader<'_>, range: Range<usize>) -> Self {
        match r.literal(range) {
            Some(literal) => Template {
                repr: Repr::One(Part::Literal(literal)),
            },
            None => Template::default(),
        }
    }
}

/// What templates are read from, and whether they are built or only
/// checked.
///
/// Reading a document's shared source, literal parts written as is are
/// slices of it (no allocation); reading a copy of one value (line endings
/// normalised), they get text of their own. Text decoded from escapes is
/// always a literal's own (zeroized when it drops). A checking reader
/// builds nothing: the parser checks every value's syntax that way, and an
/// entry builds its template when first asked.
pub(crate) struct Reader<'a> {
    /// The text; offsets are into it.
    text: &'a str,
    /// The shared source when `text` is that source.
    shared: Option<&'a Shared>,
    /// Whether templates are built (otherwise only checked).
    build: bool,
    /// Decoded text of the literal being read (zeroized when the reader
    /// drops).
    decoded: ZeroizedText,
    /// The parts of the templates being read, innermost last: each
    /// template takes its own off the top when it ends (the value's own
    /// template takes the whole stack; none allocated for one part).
    parts: Vec<Part>,
}

impl<'a> Reader<'a> {
    /// A value's own text: literal parts are copied.
    pub(crate) fn copied(text: &'a str) -> Self {
        Reader {
            text,
            shared: None,
            build: true,
            decoded: ZeroizedText::default(),
            parts: Vec::new(),
        }
    }

    /// The shared source: literal parts written as is are slices of it.
    pub(crate) fn source(shared: &'a Shared) -> Self {
        Reader {
            text: shared.as_str(),
            shared: Some(shared),
            build: true,
            decoded: ZeroizedText::default(),
            parts: Vec::new(),
        }
    }

    /// Checks syntax only: templates read are empty, and nothing is
    /// allocated.
    pub(crate) fn checking(text: &'a str) -> Self {
        Reader {
            text,
            shared: None,
            build: false,
            decoded: ZeroizedText::default(),
            parts: Vec::new(),
        }
    }

    /// `text[range]` as a literal: a slice of the shared source when there
    /// is one, a copy otherwise; `None` when empty or only checking.
    fn literal(&self, range: Range<usize>) -> Option<Literal> {
        if range.is_empty() || !self.build {
            return None;
        }
        Some(match self.shared {
            Some(shared) => Literal::span(shared, range),
            None => Literal::from(&self.text[range]),
        })
    }

    /// The template made of the parts from `base` up.
    fn take_template(&mut self, base: usize) -> Template {
        let repr = match self.parts.len() - base {
            0 => Repr::Empty,
            1 => match self.parts.pop() {
                Some(part) => Repr::One(part),
                None => Repr::Empty,
            },
            // The outermost template of a reader takes its stack as it is
            // (a reader reads one value); a nested one, a copy of its parts.
            _ if base == 0 => Repr::Many(std::mem::take(&mut self.parts).into_boxed_slice()),
            _ => Repr::Many(self.parts.drain(base..).collect()),
        };
        Template { repr }
    }
}

fn collect_refs<'a>(t: &'a Template, out: &mut Vec<&'a Ref>) {
    for part in t.parts() {
        if let Part::Ref(r) = part {
            out.push(r);
            collect_refs(&r.word, out);
        }
    }
}

/// How backslashes behave in the text being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Unquoted: only `\$` is an escape.
    Unquoted,
    /// Double-quoted: `\n \t \r \" \\ \$`.
    Double,
}

/// Maximum nesting of `${A:-${B:-…}}`.
pub const MAX_NESTING: usize = 32;

/// Why a template could not be read; `offset` is absolute in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TemplateError {
    Unterminated(usize),
    Invalid(usize),
    TooDeep(usize),
}

/// Reads `r.text[start..end]` as a template; error offsets are into
/// `r.text`.
pub(crate) fn parse(
    r: &mut Reader<'_>,
    start: usize,
    end: usize,
    mode: Mode,
) -> Result<Template, TemplateError> {
    let mut pos = start;
    let base = r.parts.len();
    let result = parse_until(r, &mut pos, end, mode, 0, false);
    // The parts of the templates an error left unfinished.
    r.parts.truncate(base);
    result
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// `[A-Za-z0-9_]`, and `.` in braces: looked up rather than tested.
const NAME_BYTES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            table[b] = BARE | BRACED;
        } else if c == b'.' {
            table[b] = BRACED;
        }
        b += 1;
    }
    table
};
const BARE: u8 = 1;
const BRACED: u8 = 2;

fn is_name_byte(b: u8, braced: bool) -> bool {
    NAME_BYTES[b as usize] & if braced { BRACED } else { BARE } != 0
}

/// Reads until `end`, or until an unescaped `}` when `in_braces`.
fn parse_until(
    r: &mut Reader<'_>,
    pos: &mut usize,
    end: usize,
    mode: Mode,
    depth: usize,
    in_braces: bool,
) -> Result<Template, TemplateError> {
    let src = r.text;
    let bytes = src.as_bytes();
    let base = r.parts.len();
    let mut lit = Pending {
        start: *pos,
        decoded: None,
    };
    while *pos < end {
        // Jump to the next byte that can mean something.
        let next = if in_braces {
            memchr::memchr3(b'\\', b'$', b'}', &bytes[*pos..end])
        } else {
            memchr::memchr2(b'\\', b'$', &bytes[*pos..end])
        };
        match next {
            Some(i) => *pos += i,
            None => {
                *pos = end;
                break;
            }
        }
        let b = bytes[*pos];
        match b {
            b'\\' if *pos + 1 < end => {
                let next = bytes[*pos + 1];
                let decoded = match (mode, next) {
                    (_, b'$') => Some('$'),
                    (Mode::Double, b'n') => Some('\n'),
                    (Mode::Double, b't') => Some('\t'),
                    (Mode::Double, b'r') => Some('\r'),
                    (Mode::Double, b'"') => Some('"'),
                    (Mode::Double, b'\\') => Some('\\'),
                    _ => None,
                };
                if let Some(c) = decoded {
                    lit.decode(r, *pos, c, *pos + 2, end);
                    *pos += 2;
                } else {
                    // Kept as written; step over the backslash only so that
                    // the next character is examined normally.
                    *pos += 1;
                }
            }
            b'}' if in_braces => {
                lit.flush(r, *pos);
                return Ok(r.take_template(base));
            }
            b'$' => {
                let dollar = *pos;
                match bytes.get(*pos + 1).filter(|_| *pos + 1 < end) {
                    Some(b'$') => {
                        lit.decode(r, dollar, '$', dollar + 2, end);
                        *pos += 2;
                    }
                    Some(b'{') => {
                        if depth >= MAX_NESTING {
                            return Err(TemplateError::TooDeep(dollar));
                        }
                        lit.flush(r, dollar);
                        *pos += 2;
                        let reference = parse_braced(r, pos, end, mode, depth + 1, dollar)?;
                        if let Some(reference) = reference {
                            r.parts.push(Part::Ref(Box::new(reference)));
                        }
                        lit.start = *pos;
                    }
                    Some(&c) if is_name_start(c) => {
                        lit.flush(r, dollar);
                        let name_start = *pos + 1;
                        let p = name_start
                            + bytes[name_start..end]
                                .iter()
                                .position(|&b| !is_name_byte(b, false))
                                .unwrap_or(end - name_start);
                        if r.build {
                            r.parts.push(Part::Ref(Box::new(Ref {
                                namespace: None,
                                name: src[name_start..p].into(),
                                op: RefOp::Plain,
                                word: Template::default(),
                                offset: dollar,
                            })));
                        }
                        *pos = p;
                        lit.start = p;
                    }
                    // A `$` that starts no reference is text, as written.
                    _ => *pos += 1,
                }
            }
            _ => *pos += 1,
        }
    }
    if in_braces {
        return Err(TemplateError::Unterminated(usize::MAX));
    }
    lit.flush(r, *pos);
    Ok(r.take_template(base))
}

/// The literal text being read: from `start`, as written, after the text
/// decoded so far (from offset `decoded` of the reader's decoded text) when
/// an escape was met.
struct Pending {
    start: usize,
    decoded: Option<usize>,
}

impl Pending {
    /// Appends the text up to `at` and the character `c` an escape there
    /// stands for; the text goes on at `next`, and the literal ends at `end`
    /// at the latest.
    fn decode(&mut self, r: &mut Reader<'_>, at: usize, c: char, next: usize, end: usize) {
        if r.build {
            if self.decoded.is_none() {
                // Decoding never makes text longer: the rest fits.
                r.decoded.reserve(end - self.start);
                self.decoded = Some(r.decoded.len());
            }
            r.decoded.push_str(&r.text[self.start..at]);
            r.decoded.push(c);
        }
        self.start = next;
    }

    /// Ends the literal at `at`: a slice of the input when nothing was
    /// decoded, text of its own otherwise.
    fn flush(&mut self, r: &mut Reader<'_>, at: usize) {
        match self.decoded.take() {
            Some(from) => {
                r.decoded.push_str(&r.text[self.start..at]);
                let literal = Literal::from(&r.decoded[from..]);
                r.decoded.truncate(from);
                // Never empty: an escape was decoded.
                r.parts.push(Part::Literal(literal));
            }
            None => {
                if let Some(literal) = r.literal(self.start..at) {
                    r.parts.push(Part::Literal(literal));
                }
            }
        }
        self.start = at;
    }
}

/// The bytes of the name at `pos`, moving past it.
fn read_name(src: &str, pos: &mut usize, end: usize) -> Option<Range<usize>> {
    let bytes = src.as_bytes();
    let start = *pos;
    if start >= end || !is_name_start(bytes[start]) {
        return None;
    }
    let p = start
        + 1
        + bytes[start + 1..end]
            .iter()
            .position(|&b| !is_name_byte(b, true))
            .unwrap_or(end - start - 1);
    *pos = p;
    Some(start..p)
}

/// The reference whose `${` is at `dollar` (`None` when only checking).
fn parse_braced(
    r: &mut Reader<'_>,
    pos: &mut usize,
    end: usize,
    mode: Mode,
    depth: usize,
    dollar: usize,
) -> Result<Option<Ref>, TemplateError> {
    let src = r.text;
    let bytes = src.as_bytes();
    let unterminated = |p: usize| {
        if p >= end {
            TemplateError::Unterminated(dollar)
        } else {
            TemplateError::Invalid(dollar)
        }
    };
    let mut name = read_name(src, pos, end).ok_or_else(|| unterminated(*pos))?;
    let mut namespace = None;
    if *pos + 1 < end && bytes[*pos] == b':' && is_name_start(bytes[*pos + 1]) {
        *pos += 1;
        let key = read_name(src, pos, end).ok_or(TemplateError::Invalid(dollar))?;
        namespace = Some(std::mem::replace(&mut name, key));
    }
    let build = r.build;
    let make = |namespace: Option<Range<usize>>, name: Range<usize>, op, word| {
        build.then(|| Ref {
            namespace: namespace.map(|n| src[n].to_string()),
            name: src[name].into(),
            op,
            word,
            offset: dollar,
        })
    };
    if *pos >= end {
        return Err(TemplateError::Unterminated(dollar));
    }
    let colon = bytes[*pos] == b':';
    let op_at = if colon { *pos + 1 } else { *pos };
    let op = match (bytes[*pos], bytes.get(op_at).filter(|_| op_at < end)) {
        (b'}', _) => {
            *pos += 1;
            return Ok(make(namespace, name, RefOp::Plain, Template::default()));
        }
        (_, Some(b'-')) => RefOp::Default { colon },
        (_, Some(b'+')) => RefOp::Alternative { colon },
        (_, Some(b'?')) => RefOp::Required { colon },
        (_, None) => return Err(TemplateError::Unterminated(dollar)),
        _ => return Err(TemplateError::Invalid(dollar)),
    };
    *pos = op_at + 1;
    let word = match parse_until(r, pos, end, mode, depth, true) {
        Err(TemplateError::Unterminated(usize::MAX)) => {
            return Err(TemplateError::Unterminated(dollar));
        }
        other => other?,
    };
    // parse_until stopped on the closing brace.
    *pos += 1;
    Ok(make(namespace, name, op, word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, mode: Mode) -> Result<Template, TemplateError> {
        parse(&mut Reader::copied(s), 0, s.len(), mode)
    }

    #[test]
    fn literal_and_refs() {
        let tpl = t("a${B}c$D-e", Mode::Unquoted).unwrap();
        assert_eq!(tpl.parts().len(), 5);
        assert_eq!(tpl.refs().len(), 2);
    }

    #[test]
    fn nested_defaults() {
        let tpl = t("${A:-${B:-x}}", Mode::Unquoted).unwrap();
        assert_eq!(tpl.refs().len(), 2);
    }

    #[test]
    fn namespace_ref() {
        let tpl = t("${db:URL}", Mode::Unquoted).unwrap();
        let r = tpl.refs()[0];
        assert_eq!(r.namespace.as_deref(), Some("db"));
        assert_eq!(r.name, "URL");
    }

    #[test]
    fn errors() {
        assert_eq!(
            t("x${A", Mode::Unquoted),
            Err(TemplateError::Unterminated(1))
        );
        assert_eq!(t("${}", Mode::Unquoted), Err(TemplateError::Invalid(0)));
        assert_eq!(t("${A B}", Mode::Unquoted), Err(TemplateError::Invalid(0)));
        assert_eq!(
            t("${A:-x", Mode::Unquoted),
            Err(TemplateError::Unterminated(0))
        );
        let deep = "${A:-".repeat(40) + &"}".repeat(40);
        assert!(matches!(
            t(&deep, Mode::Unquoted),
            Err(TemplateError::TooDeep(_))
        ));
    }

    #[test]
    fn escapes() {
        let tpl = t(r#"a\n\$\d\\"#, Mode::Double).unwrap();
        assert_eq!(tpl.as_literal(), Some("a\n$\\d\\"));
        let tpl = t(r"a\n\$", Mode::Unquoted).unwrap();
        assert_eq!(tpl.as_literal(), Some("a\\n$"));
        let tpl = t("$$ $5 $", Mode::Unquoted).unwrap();
        assert_eq!(tpl.as_literal(), Some("$ $5 $"));
    }
}
