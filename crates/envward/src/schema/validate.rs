//! Checking the schema itself: unknown types, contradictory constraints,
//! defaults that break their own rules, rules for unknown environments.

use std::collections::BTreeSet;

use super::{VarSpec, toml_text};
use crate::config::TYPE_NAMES;
use crate::schema::{VarType, check_type};
use crate::suggest::closest;

/// Something wrong with the schema in `envward.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The key whose declaration is wrong.
    pub key: String,
    /// 1-based line of the setting in error (`type = …`, `default = …`),
    /// else of the key in its `[vars.KEY]` header, when found.
    pub line: Option<u32>,
    /// 1-based column of the same place (1 when not found).
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Every problem of the `[vars]` declarations. `text` is the source of
/// `envward.toml` (to locate declarations), `environments` the known ones.
///
/// ```
/// use envward::config::ProjectFile;
/// use envward::schema::validate_schema;
/// let text = "[vars.PORT]\ntype = \"integr\"\n[vars.N]\ntype = \"int\"\nmin = 10\nmax = 1\n";
/// let p = ProjectFile::parse(text, "envward.toml".as_ref()).unwrap();
/// let problems = validate_schema(&p.vars, text, &[]);
/// assert_eq!(problems.len(), 2);
/// // In declaration order: PORT (line 1), then N (line 3).
/// assert!(problems[0].help.contains("did you mean `int`?"));
/// // At the setting in error: `type = "integr"` is line 2, its value column 8.
/// assert_eq!((problems[0].line, problems[0].column), (Some(2), 8));
/// assert_eq!(problems[1].line, Some(6));
/// ```
pub fn validate_schema(
    vars: &indexmap::IndexMap<String, VarSpec>,
    text: &str,
    environments: &[String],
) -> Vec<SchemaProblem> {
    validate_schema_compiling(vars, text, environments).0
}

/// [`validate_schema`], also giving back each `pattern` it compiled (the
/// whole-value regex, `None` when it does not compile), so that checking
/// values against them does not compile them again.
pub(crate) fn validate_schema_compiling<'v>(
    vars: &'v indexmap::IndexMap<String, VarSpec>,
    text: &str,
    environments: &[String],
) -> (
    Vec<SchemaProblem>,
    std::collections::HashMap<&'v str, Result<regex::Regex, String>>,
) {
    let mut out = Vec::new();
    let places = Places::new(text);
    // Many keys share a pattern: compile each once.
    let mut compiled: std::collections::HashMap<&str, Result<regex::Regex, String>> =
        std::collections::HashMap::new();
    for (key, spec) in vars {
        // Each problem points at the setting it is about (`at`: a path
        // under `[vars.KEY]`), else at the declaration.
        let mut problem = |at: &[&str], message: String, help: String| {
            let (line, column) = match places.find(key, at) {
                Some((line, column)) => (Some(line), column),
                None => (places.declaration(key), 1),
            };
            out.push(SchemaProblem {
                key: key.clone(),
                line,
                column,
                message,
                help,
            });
        };
        let t = match spec.kind.as_deref() {
            None => VarType::String,
            Some(name) => match VarType::parse(name) {
                Some(t) => t,
                None => {
                    let help = match closest(name, TYPE_NAMES.iter().copied()) {
                        Some(s) => {
                            format!("did you mean `{s}`? valid types: {}", TYPE_NAMES.join(", "))
                        }
                        None => format!("valid types: {}", TYPE_NAMES.join(", ")),
                    };
                    problem(
                        &["type"],
                        format!("`{key}` has unknown type `{name}`"),
                        help,
                    );
                    continue;
                }
            },
        };
        if t == VarType::Enum && spec.choices.as_ref().is_none_or(Vec::is_empty) {
            problem(
                &["type"],
                format!("`{key}` is an enum without `choices`"),
                "list the allowed values: choices = [\"a\", \"b\"]".into(),
            );
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            problem(
                &["max"],
                format!("`{key}` has min {min} greater than max {max}"),
                "swap them".into(),
            );
        }
        if let (Some(min), Some(max)) = (spec.min_length, spec.max_length)
            && min > max
        {
            problem(
                &["max_length"],
                format!("`{key}` has min_length {min} greater than max_length {max}"),
                "swap them".into(),
            );
        }
        if (spec.min.is_some() || spec.max.is_some()) && !t.is_numeric() {
            problem(
                &[if spec.min.is_some() { "min" } else { "max" }],
                format!("`{key}` has min/max but type `{t}`"),
                "min and max apply to int, float, port and duration (in seconds); use min_length/max_length for text".into(),
            );
        }
        let mut patterns = Vec::new();
        let declared = spec.pattern.iter().map(|p| (None, p));
        let per_env = spec
            .env
            .iter()
            .filter_map(|(env, r)| r.pattern.as_ref().map(|p| (Some(env.as_str()), p)));
        for (env, p) in declared.chain(per_env) {
            let result = compiled.entry(p.as_str()).or_insert_with(|| {
                regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string())
            });
            match result {
                Ok(re) => patterns.push(re.clone()),
                Err(e) => problem(
                    &match env {
                        None => vec!["pattern"],
                        Some(env) => vec!["env", env, "pattern"],
                    },
                    format!(
                        "`{key}` has an invalid pattern: {}",
                        first_line(&e.to_string())
                    ),
                    "patterns use Rust regex syntax and must match the whole value".into(),
                ),
            }
        }
        // Never quoted: a default may be a secret.
        for (what, value) in [("default", &spec.default), ("example", &spec.example)] {
            let Some(value) = value else { continue };
            if let Err(expected) = check_type(t, value) {
                problem(
                    &[what],
                    format!("the {what} of `{key}` is not a valid {t}"),
                    format!("expected {expected}"),
                );
            }
            if let Some(choices) = &spec.choices
                && !choices.iter().any(|c| c == value)
            {
                problem(
                    &[what],
                    format!("the {what} of `{key}` is not one of its choices"),
                    format!("choices: {}", choices.join(", ")),
                );
            }
            if let (Some(re), Some(p)) = (patterns.first(), &spec.pattern)
                && !re.is_match(value)
            {
                problem(
                    &[what],
                    format!("the {what} of `{key}` does not match its pattern `{p}`"),
                    "fix one of them".into(),
                );
            }
        }
        let known: BTreeSet<&str> = environments.iter().map(String::as_str).collect();
        for (env, rule) in &spec.env {
            if !known.is_empty() && !known.contains(env.as_str()) {
                let help = match closest(env, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("known environments: {}", environments.join(", ")),
                };
                problem(
                    &["env", env],
                    format!("`{key}` has rules for unknown environment `{env}`"),
                    help,
                );
            }
            if let (Some(eq), Some(ne)) = (&rule.equals, &rule.not_equals)
                && toml_text(eq) == toml_text(ne)
            {
                problem(
                    &["env", env, "not_equals"],
                    format!(
                        "`{key}` in `{env}` must both equal and not equal `{}`",
                        toml_text(eq)
                    ),
                    "keep one of the two rules".into(),
                );
            }
            if let Some(value) = &rule.default {
                let env_pattern = rule
                    .pattern
                    .as_ref()
                    .and_then(|p| regex::Regex::new(&format!("^(?:{p})$")).ok());
                let spec_pattern = spec
                    .pattern
                    .as_ref()
                    .and_then(|_| patterns.first())
                    .cloned();
                if let Err(expected) = check_type(t, value) {
                    problem(
                        &["env", env, "default"],
                        format!("the default of `{key}` in `{env}` is not a valid {t}"),
                        format!("expected {expected}"),
                    );
                } else if spec
                    .choices
                    .as_ref()
                    .is_some_and(|c| !c.iter().any(|c| c == value))
                    || [env_pattern, spec_pattern]
                        .iter()
                        .flatten()
                        .any(|re| !re.is_match(value))
                {
                    problem(
                        &["env", env, "default"],
                        format!(
                            "the default of `{key}` in `{env}` breaks its own rules (choices or pattern)"
                        ),
                        "fix the default or the rule".into(),
                    );
                }
            }
        }
    }
    (out, compiled)
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// Where declarations and their settings are in `envward.toml`: spans
/// from `toml_edit`, turned into line and column. The spans are found
/// only when a problem asks for one (a valid schema, the common case,
/// never parses the text a second time).
struct Places<'a> {
    text: &'a str,
    found: std::cell::OnceCell<Spans<'a>>,
}

/// What [`Places`] finds in the text, once.
struct Spans<'a> {
    doc: Option<toml_edit::Document<&'a str>>,
    /// The line of each key's first `[vars.KEY…]` header, for what has no
    /// span.
    headers: std::collections::HashMap<String, u32>,
}

impl<'a> Places<'a> {
    fn new(text: &'a str) -> Self {
        Places {
            text,
            found: std::cell::OnceCell::new(),
        }
    }

    fn spans(&self) -> &Spans<'a> {
        self.found.get_or_init(|| Spans {
            doc: toml_edit::Document::parse(self.text).ok(),
            headers: declaration_lines(self.text),
        })
    }

    /// Line and column of `[vars.KEY]`'s setting at `path` (a value, or
    /// for a table such as `env.production`, its name).
    fn find(&self, key: &str, path: &[&str]) -> Option<(u32, u32)> {
        let mut table = self.spans().doc.as_ref()?.get("vars")?.get(key)?;
        let mut span = None;
        for name in path {
            let (k, item) = table.as_table_like()?.get_key_value(name)?;
            span = if item.is_table() {
                k.span()
            } else {
                item.span()
            };
            table = item;
        }
        let at = span?.start;
        Some(self.line_column(at))
    }

    /// The line of `[vars.KEY]` (or of `KEY` in it).
    fn declaration(&self, key: &str) -> Option<u32> {
        let spans = self.spans();
        spans
            .doc
            .as_ref()
            .and_then(|doc| doc.get("vars")?.as_table_like()?.get_key_value(key))
            .and_then(|(k, _)| k.span())
            .map(|span| self.line_column(span.start).0)
            .or_else(|| spans.headers.get(key).copied())
    }

    fn line_column(&self, at: usize) -> (u32, u32) {
        let before = self.text.get(..at).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line as u32, column as u32)
    }
}

/// The line of each key's first `[vars.KEY…]` header, found in one pass.
fn declaration_lines(text: &str) -> std::collections::HashMap<String, u32> {
    let mut out = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("[vars.") else {
            continue;
        };
        let key = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or(""),
            None => rest.split(['.', ']']).next().unwrap_or(""),
        };
        out.entry(key.trim().to_string()).or_insert(i as u32 + 1);
    }
    out
}
