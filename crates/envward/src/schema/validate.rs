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
    /// 1-based line of `[vars.KEY]` in `envward.toml`, when found.
    pub line: Option<u32>,
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
/// assert_eq!(problems[1].line, Some(3));
/// ```
pub fn validate_schema(
    vars: &indexmap::IndexMap<String, VarSpec>,
    text: &str,
    environments: &[String],
) -> Vec<SchemaProblem> {
    let mut out = Vec::new();
    let lines = declaration_lines(text);
    // Many keys share a pattern: compile each once.
    let mut compiled: std::collections::HashMap<&str, Result<regex::Regex, String>> =
        std::collections::HashMap::new();
    for (key, spec) in vars {
        let line = lines.get(key.as_str()).copied();
        let mut problem = |message: String, help: String| {
            out.push(SchemaProblem {
                key: key.clone(),
                line,
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
                    problem(format!("`{key}` has unknown type `{name}`"), help);
                    continue;
                }
            },
        };
        if t == VarType::Enum && spec.choices.as_ref().is_none_or(Vec::is_empty) {
            problem(
                format!("`{key}` is an enum without `choices`"),
                "list the allowed values: choices = [\"a\", \"b\"]".into(),
            );
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            problem(
                format!("`{key}` has min {min} greater than max {max}"),
                "swap them".into(),
            );
        }
        if let (Some(min), Some(max)) = (spec.min_length, spec.max_length)
            && min > max
        {
            problem(
                format!("`{key}` has min_length {min} greater than max_length {max}"),
                "swap them".into(),
            );
        }
        if (spec.min.is_some() || spec.max.is_some()) && !t.is_numeric() {
            problem(
                format!("`{key}` has min/max but type `{t}`"),
                "min and max apply to int, float, port and duration (in seconds); use min_length/max_length for text".into(),
            );
        }
        let mut patterns = Vec::new();
        for p in spec
            .pattern
            .iter()
            .chain(spec.env.values().filter_map(|r| r.pattern.as_ref()))
        {
            let result = compiled.entry(p.as_str()).or_insert_with(|| {
                regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string())
            });
            match result {
                Ok(re) => patterns.push(re.clone()),
                Err(e) => problem(
                    format!(
                        "`{key}` has an invalid pattern: {}",
                        first_line(&e.to_string())
                    ),
                    "patterns use Rust regex syntax and must match the whole value".into(),
                ),
            }
        }
        for (what, value) in [("default", &spec.default), ("example", &spec.example)] {
            let Some(value) = value else { continue };
            if let Err(expected) = check_type(t, value) {
                problem(
                    format!("the {what} of `{key}` is not a valid {t}"),
                    format!("expected {expected}"),
                );
            }
            if let Some(choices) = &spec.choices
                && !choices.iter().any(|c| c == value)
            {
                problem(
                    format!("the {what} of `{key}` is not one of its choices"),
                    format!("choices: {}", choices.join(", ")),
                );
            }
            if let (Some(re), Some(p)) = (patterns.first(), &spec.pattern)
                && !re.is_match(value)
            {
                problem(
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
                    format!("`{key}` has rules for unknown environment `{env}`"),
                    help,
                );
            }
            if let (Some(eq), Some(ne)) = (&rule.equals, &rule.not_equals)
                && toml_text(eq) == toml_text(ne)
            {
                problem(
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
                        format!(
                            "the default of `{key}` in `{env}` breaks its own rules (choices or pattern)"
                        ),
                        "fix the default or the rule".into(),
                    );
                }
            }
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
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
