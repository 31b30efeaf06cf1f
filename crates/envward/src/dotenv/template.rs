//! Values as templates: literal text and `${…}` references.
//!
//! The parser turns the text of an unquoted or double-quoted value into a
//! [`Template`] once, so that escapes are decoded and reference syntax is
//! checked at parse time, with exact positions.

/// A value as written: literal pieces and references, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    repr: Repr,
}

/// Most values are one literal: keep it without a `Vec`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    Empty,
    One(Part),
    Many(Vec<Part>),
}

/// One piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text, escapes already decoded (up to 24 bytes kept inline,
    /// without an allocation of its own: most values are short).
    Literal(compact_str::CompactString),
    /// A reference to another key.
    Ref(Box<Ref>),
}

/// A reference such as `$KEY`, `${KEY:-default}` or `${ns:KEY}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    /// The namespace named with `${ns:KEY}`, if any.
    pub namespace: Option<String>,
    /// The referenced key.
    pub name: String,
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
    /// let refs = doc.get("URL").unwrap().template.refs();
    /// let names: Vec<_> = refs.iter().map(|r| r.name.as_str()).collect();
    /// assert_eq!(names, ["SCHEME", "HOST", "NAME"]);
    /// assert_eq!(refs[2].namespace.as_deref(), Some("db"));
    /// ```
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        collect_refs(self, &mut out);
        out
    }

    fn push(&mut self, part: Part) {
        self.repr = match std::mem::take(&mut self.repr) {
            Repr::Empty => Repr::One(part),
            Repr::One(first) => Repr::Many(vec![first, part]),
            Repr::Many(mut v) => {
                v.push(part);
                Repr::Many(v)
            }
        };
    }

    fn last_literal(&mut self) -> Option<&mut compact_str::CompactString> {
        let last = match &mut self.repr {
            Repr::Empty => None,
            Repr::One(p) => Some(p),
            Repr::Many(v) => v.last_mut(),
        };
        match last {
            Some(Part::Literal(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn push_char(&mut self, c: char) {
        if let Some(s) = self.last_literal() {
            s.push(c);
        } else {
            self.push(Part::Literal(compact_str::CompactString::from(
                c.encode_utf8(&mut [0; 4]) as &str,
            )));
        }
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(s) = self.last_literal() {
            s.push_str(text);
        } else {
            self.push(Part::Literal(text.into()));
        }
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

/// Reads `src[start..end]` as a template. `base` is added to offsets.
pub(crate) fn parse(
    src: &str,
    start: usize,
    end: usize,
    mode: Mode,
) -> Result<Template, TemplateError> {
    let mut pos = start;
    let t = parse_until(src, &mut pos, end, mode, 0, false)?;
    Ok(t)
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_byte(b: u8, braced: bool) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || (braced && b == b'.')
}

/// Reads until `end`, or until an unescaped `}` when `in_braces`.
fn parse_until(
    src: &str,
    pos: &mut usize,
    end: usize,
    mode: Mode,
    depth: usize,
    in_braces: bool,
) -> Result<Template, TemplateError> {
    let bytes = src.as_bytes();
    let mut out = Template::default();
    let mut lit_start = *pos;
    while *pos < end {
        // Jump to the next byte that can mean something.
        match memchr::memchr3(b'\\', b'$', b'}', &bytes[*pos..end]) {
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
                    out.push_str(&src[lit_start..*pos]);
                    out.push_char(c);
                    *pos += 2;
                    lit_start = *pos;
                } else {
                    // Kept as written; step over the backslash only so that
                    // the next character is examined normally.
                    *pos += 1;
                }
            }
            b'}' if in_braces => {
                out.push_str(&src[lit_start..*pos]);
                return Ok(out);
            }
            b'$' => {
                out.push_str(&src[lit_start..*pos]);
                let dollar = *pos;
                match bytes.get(*pos + 1).filter(|_| *pos + 1 < end) {
                    Some(b'$') => {
                        out.push_char('$');
                        *pos += 2;
                    }
                    Some(b'{') => {
                        if depth >= MAX_NESTING {
                            return Err(TemplateError::TooDeep(dollar));
                        }
                        *pos += 2;
                        let r = parse_braced(src, pos, end, mode, depth + 1, dollar)?;
                        out.push(Part::Ref(Box::new(r)));
                    }
                    Some(&c) if is_name_start(c) => {
                        let name_start = *pos + 1;
                        let mut p = name_start;
                        while p < end && is_name_byte(bytes[p], false) {
                            p += 1;
                        }
                        out.push(Part::Ref(Box::new(Ref {
                            namespace: None,
                            name: src[name_start..p].to_string(),
                            op: RefOp::Plain,
                            word: Template::default(),
                            offset: dollar,
                        })));
                        *pos = p;
                    }
                    _ => {
                        out.push_char('$');
                        *pos += 1;
                    }
                }
                lit_start = *pos;
            }
            _ => *pos += 1,
        }
    }
    if in_braces {
        return Err(TemplateError::Unterminated(usize::MAX));
    }
    out.push_str(&src[lit_start..*pos]);
    Ok(out)
}

fn read_name(src: &str, pos: &mut usize, end: usize) -> Option<String> {
    let bytes = src.as_bytes();
    let start = *pos;
    if start >= end || !is_name_start(bytes[start]) {
        return None;
    }
    let mut p = start + 1;
    while p < end && is_name_byte(bytes[p], true) {
        p += 1;
    }
    *pos = p;
    Some(src[start..p].to_string())
}

fn parse_braced(
    src: &str,
    pos: &mut usize,
    end: usize,
    mode: Mode,
    depth: usize,
    dollar: usize,
) -> Result<Ref, TemplateError> {
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
    if *pos >= end {
        return Err(TemplateError::Unterminated(dollar));
    }
    let colon = bytes[*pos] == b':';
    let op_at = if colon { *pos + 1 } else { *pos };
    let op = match (bytes[*pos], bytes.get(op_at).filter(|_| op_at < end)) {
        (b'}', _) => {
            *pos += 1;
            return Ok(Ref {
                namespace,
                name,
                op: RefOp::Plain,
                word: Template::default(),
                offset: dollar,
            });
        }
        (_, Some(b'-')) => RefOp::Default { colon },
        (_, Some(b'+')) => RefOp::Alternative { colon },
        (_, Some(b'?')) => RefOp::Required { colon },
        (_, None) => return Err(TemplateError::Unterminated(dollar)),
        _ => return Err(TemplateError::Invalid(dollar)),
    };
    *pos = op_at + 1;
    let word = match parse_until(src, pos, end, mode, depth, true) {
        Err(TemplateError::Unterminated(usize::MAX)) => {
            return Err(TemplateError::Unterminated(dollar));
        }
        other => other?,
    };
    // parse_until stopped on the closing brace.
    *pos += 1;
    Ok(Ref {
        namespace,
        name,
        op,
        word,
        offset: dollar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, mode: Mode) -> Result<Template, TemplateError> {
        parse(s, 0, s.len(), mode)
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
