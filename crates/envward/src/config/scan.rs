//! `[scan]` of envward.toml: the project's own secret formats for
//! `envward scan` (`[[scan.rules]]`), checked when the file is read so that
//! a bad pattern is reported at its line and column.

use serde::Deserialize;

use super::rules::SeverityName;

/// `[scan]`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// `[[scan.rules]]`: secret formats of your own (an internal API's
    /// tokens…), scanned for beside the built-in ones.
    #[serde(default)]
    pub rules: Vec<ScanRule>,
}

/// One `[[scan.rules]]` entry. Its findings are reported as `scan.<id>`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRule {
    /// The id: letters, digits, `-`, `_`, `.` (`acme-api-key`); findings
    /// are `scan.<id>`. Must not be a built-in rule's id.
    #[schemars(with = "String")]
    pub id: toml::Spanned<String>,
    /// What it finds, one line (`--list-rules`, reports).
    pub description: String,
    /// A Rust regex (https://docs.rs/regex) over the file's bytes. The
    /// named group `secret`, when there is one, is the secret; else the
    /// whole match.
    #[schemars(with = "String")]
    pub regex: toml::Spanned<String>,
    /// Words of which a file must hold one (ignoring ASCII case) for the
    /// regex to run on it: a fixed prefix such as `acme_`. Without
    /// keywords, every file is searched (slower).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret, in bits per byte (0 to 8;
    /// random base62 text has about 5, English words about 3).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub entropy: Option<toml::Spanned<f64>>,
    /// Severity of its findings (default `error`).
    #[serde(default)]
    pub severity: Option<SeverityName>,
}

/// A problem with `[[scan.rules]]`: where (byte offset in envward.toml),
/// what, how to fix it.
pub(crate) struct Problem {
    pub at: usize,
    pub message: String,
    pub help: String,
}

impl ScanSettings {
    /// Checks every rule: ids well formed and unique, regexes valid (an
    /// error points into the pattern when it is written as a literal
    /// string), entropy between 0 and 8, keywords not empty.
    pub(crate) fn problems(&self, text: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for rule in &self.rules {
            let id = rule.id.get_ref();
            let id_at = rule.id.span().start;
            let well_formed = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
            if !well_formed {
                out.push(Problem {
                    at: id_at,
                    message: format!("scan rule id `{}` is not a rule id", id.escape_debug()),
                    help: "use letters, digits, `-`, `_` and `.`, starting with a letter or digit (acme-api-key)".into(),
                });
            } else if let Some(bare) = id.strip_prefix("scan.") {
                out.push(Problem {
                    at: id_at,
                    message: format!("scan rule id `{id}` starts with `scan.`"),
                    help: format!("write `id = \"{bare}\"`: findings are reported as `scan.<id>`"),
                });
            }
            if !seen.insert(id.as_str()) {
                out.push(Problem {
                    at: id_at,
                    message: format!("scan rule `{id}` is defined twice"),
                    help: "give each rule its own id".into(),
                });
            }
            if let Some((offset, message)) = regex_problem(rule.regex.get_ref()) {
                let span = rule.regex.span();
                out.push(Problem {
                    at: point_into_string(text, span.start, span.end, offset),
                    message: format!("scan rule `{id}`: invalid regex: {message}"),
                    help: "patterns use Rust regex syntax (https://docs.rs/regex); in a TOML literal string ('…' or '''…''') backslashes need no escaping".into(),
                });
            }
            if let Some(e) = &rule.entropy
                && !(0.0..=8.0).contains(e.get_ref())
            {
                out.push(Problem {
                    at: e.span().start,
                    message: format!("scan rule `{id}`: entropy must be between 0 and 8 bits per byte"),
                    help: "random base62 text has about 5 bits per byte, words about 3; 3.5 is a good start".into(),
                });
            }
            if rule.keywords.iter().any(|k| k.is_empty()) {
                out.push(Problem {
                    at: id_at,
                    message: format!("scan rule `{id}` has an empty keyword"),
                    help: "a keyword is a word every secret of the rule contains (a prefix such as `acme_`)".into(),
                });
            }
        }
        out
    }
}

/// What is wrong with a pattern, and the byte offset in the pattern where,
/// as the scanner compiles it (bytes, no Unicode classes).
fn regex_problem(pattern: &str) -> Option<(usize, String)> {
    let ast = match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Ok(ast) => ast,
        Err(e) => return Some((e.span().start.offset, e.kind().to_string())),
    };
    let hir = regex_syntax::hir::translate::TranslatorBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .translate(pattern, &ast);
    if let Err(e) = hir {
        return Some((e.span().start.offset, e.kind().to_string()));
    }
    // Limits the parser does not check (size of the compiled program).
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .err()
        .map(|e| {
            (
                0,
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            )
        })
}

/// The byte offset in the file of byte `offset` of the string value
/// written at `start..end`: exact for literal strings (`'…'`, `'''…'''`),
/// where pattern bytes are file bytes; the string's start for basic
/// strings, whose escapes shift positions.
fn point_into_string(text: &str, start: usize, end: usize, offset: usize) -> usize {
    let written = text.get(start..end).unwrap_or("");
    let open = if written.starts_with("'''") {
        3
    } else if written.starts_with('\'') {
        1
    } else {
        return start;
    };
    // A multi-line literal string drops a newline right after `'''`.
    let skip = if open == 3 {
        if written[3..].starts_with("\r\n") {
            2
        } else if written[3..].starts_with('\n') {
            1
        } else {
            0
        }
    } else {
        0
    };
    (start + open + skip + offset).min(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_problems_point_into_the_pattern() {
        assert!(regex_problem(r"acme_[a-z0-9]{32}").is_none());
        let (at, message) = regex_problem(r"acme_([a-z]{32}").unwrap();
        assert_eq!(at, 5, "{message}");
        assert!(message.contains("unclosed group"), "{message}");
        let text = "regex = 'ab(c'\n";
        let (at, _) = regex_problem("ab(c").unwrap();
        assert_eq!(point_into_string(text, 8, 14, at), 11);
        // Basic strings: the start of the string.
        let text = "regex = \"ab(c\"\n";
        assert_eq!(point_into_string(text, 8, 14, at), 8);
    }
}
