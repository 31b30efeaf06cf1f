//! Schema rules: required keys, types, constraints, per-environment rules,
//! unknown and deprecated keys. Each returns findings; values of sensitive
//! keys are never quoted.

use super::{Finding, Severity};
use crate::config::ProjectFile;
use crate::schema::{VarSpec, VarType, check_type, toml_text};
use crate::suggest::closest;
use crate::value::{Resolved, Var, parse_bool};

/// Compiled `pattern`s, each compiled once per check run.
#[derive(Default)]
pub(super) struct Patterns(std::collections::HashMap<String, Option<regex::Regex>>);

impl Patterns {
    /// Starts with the patterns schema validation already compiled.
    pub(super) fn compiled(
        compiled: std::collections::HashMap<&str, Result<regex::Regex, String>>,
    ) -> Self {
        Patterns(
            compiled
                .into_iter()
                .map(|(p, re)| (p.to_string(), re.ok()))
                .collect(),
        )
    }

    /// The whole-value regex for `pattern`; `None` when it does not
    /// compile (reported as a schema problem).
    fn get(&mut self, pattern: &str) -> Option<&regex::Regex> {
        self.0
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(&format!("^(?:{pattern})$")).ok())
            .as_ref()
    }
}

/// Checks one loaded environment; returns how many checks ran.
pub(super) fn check_environment(
    project: &ProjectFile,
    cfg: &Resolved,
    patterns: &mut Patterns,
    findings: &mut Vec<Finding>,
) -> usize {
    let env = cfg.environment.as_str();
    let mut checks = 0;
    for (key, spec) in &project.vars {
        if cfg.withheld.contains_key(key) {
            continue;
        }
        let var = cfg.get(key).filter(|v| !v.value.expose().is_empty());
        checks += 1;
        let Some(var) = var else {
            if spec.is_required_in(env) {
                // Written empty (as `envward init` leaves the values only
                // the user knows): say it is a value still to fill in, where.
                let empty = cfg.get(key);
                let message = match empty {
                    Some(_) => format!(
                        "required key `{key}` is empty: a value still to fill in before deploying {env}"
                    ),
                    None => format!("required key `{key}` is not set"),
                };
                findings.push(finding(
                    "schema.required",
                    Severity::Error,
                    env,
                    key,
                    empty,
                    message,
                    format!("set `{key}` in {env}'s files or the process environment"),
                ));
            }
            continue;
        };
        checks += check_value(env, key, spec, var, patterns, findings);
        if let Some(replacement) = &spec.deprecated {
            checks += 1;
            findings.push(finding(
                "schema.deprecated",
                Severity::Warning,
                env,
                key,
                Some(var),
                format!("`{key}` is deprecated"),
                replacement.clone(),
            ));
        }
    }
    if !project.vars.is_empty() {
        for var in cfg.iter() {
            if project.vars.contains_key(var.key.as_str())
                || crate::ops::rotate::keeps_old_values_of(project, &var.key).is_some()
            {
                continue;
            }
            checks += 1;
            let help = match closest(&var.key, project.vars.keys().map(String::as_str)) {
                Some(s) => format!(
                    "did you mean `{s}`? Otherwise declare it under [vars.{}]",
                    var.key
                ),
                None => format!(
                    "declare it under [vars.{}] in envward.toml, or remove it",
                    var.key
                ),
            };
            findings.push(finding(
                "schema.unknown-key",
                Severity::Warning,
                env,
                &var.key,
                Some(var),
                format!("`{}` is not declared in envward.toml", var.key),
                help,
            ));
        }
    }
    checks
}

fn finding(
    rule: &'static str,
    severity: Severity,
    env: &str,
    key: &str,
    var: Option<&Var>,
    message: String,
    help: String,
) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        environment: Some(env.to_string()),
        key: Some(key.to_string()),
        origin: var.map(|v| v.origin.clone()),
        message,
        help: Some(help),
        location: None,
        tags: Vec::new(),
    }
}

/// `KEY = "value"` for a plain value, just `KEY` for a secret.
fn subject(var: &Var) -> String {
    if var.sensitive {
        format!("`{}`", var.key)
    } else {
        format!("`{}` = {:?}", var.key, var.value.expose())
    }
}

fn check_value(
    env: &str,
    key: &str,
    spec: &VarSpec,
    var: &Var,
    compiled: &mut Patterns,
    findings: &mut Vec<Finding>,
) -> usize {
    let text = var.value.expose();
    let t = spec.var_type();
    let mut checks = 1;
    let mut fail = |rule: &'static str, message: String, help: String| {
        findings.push(finding(
            rule,
            Severity::Error,
            env,
            key,
            Some(var),
            message,
            help,
        ));
    };
    let number = match check_type(t, text) {
        Ok(n) => n,
        Err(expected) => {
            fail(
                "schema.type",
                format!("{} is not a valid {t}", subject(var)),
                format!("expected {expected}"),
            );
            return checks;
        }
    };
    if let Some(choices) = &spec.choices {
        checks += 1;
        let items: Vec<&str> = if t == VarType::List {
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            vec![text]
        };
        if items.iter().any(|i| !choices.iter().any(|c| c == i)) {
            fail(
                "schema.choices",
                format!("{} is not one of the allowed values", subject(var)),
                format!("choose from: {}", choices.join(", ")),
            );
        }
    }
    let rule = spec.env.get(env);
    let patterns = spec.pattern.iter().map(|p| (p, "pattern")).chain(
        rule.and_then(|r| r.pattern.as_ref())
            .map(|p| (p, "pattern for this environment")),
    );
    for (pattern, what) in patterns {
        checks += 1;
        // Invalid patterns are reported as schema problems.
        if let Some(re) = compiled.get(pattern)
            && !re.is_match(text)
        {
            fail(
                "schema.pattern",
                format!("{} does not match the {what}", subject(var)),
                format!("the whole value must match `{pattern}`"),
            );
        }
    }
    if let Some(n) = number {
        if let Some(min) = spec.min {
            checks += 1;
            if n < min {
                fail(
                    "schema.range",
                    format!("{} is below the minimum {min}", subject(var)),
                    format!("use a value ≥ {min}"),
                );
            }
        }
        if let Some(max) = spec.max {
            checks += 1;
            if n > max {
                fail(
                    "schema.range",
                    format!("{} is above the maximum {max}", subject(var)),
                    format!("use a value ≤ {max}"),
                );
            }
        }
    }
    let len = text.chars().count();
    let min_len = [spec.min_length, rule.and_then(|r| r.min_length)]
        .into_iter()
        .flatten()
        .max();
    if let Some(min) = min_len {
        checks += 1;
        if len < min {
            fail(
                "schema.length",
                format!("`{key}` is shorter than {min} characters"),
                format!("use at least {min} characters"),
            );
        }
    }
    if let Some(max) = spec.max_length {
        checks += 1;
        if len > max {
            fail(
                "schema.length",
                format!("`{key}` is longer than {max} characters"),
                format!("use at most {max} characters"),
            );
        }
    }
    if let Some(rule) = rule {
        if let Some(expected) = &rule.equals {
            checks += 1;
            if !same(t, text, expected) {
                fail(
                    "schema.equals",
                    format!("{} must be {} in {env}", subject(var), toml_text(expected)),
                    format!("set `{key}={}` for {env}", toml_text(expected)),
                );
            }
        }
        if let Some(forbidden) = &rule.not_equals {
            checks += 1;
            if same(t, text, forbidden) {
                fail(
                    "schema.not-equals",
                    format!(
                        "`{key}` must not be {} in {env}",
                        if var.sensitive {
                            "this value".to_string()
                        } else {
                            toml_text(forbidden)
                        }
                    ),
                    format!("give `{key}` another value for {env}"),
                );
            }
        }
    }
    checks
}

/// Whether `text` is the value `v`: booleans compare as booleans (so
/// `False`, `0` and `off` all equal `false`), numbers as numbers.
fn same(t: VarType, text: &str, v: &toml::Value) -> bool {
    match v {
        toml::Value::Boolean(b) => parse_bool(text) == Some(*b),
        toml::Value::Integer(i) => text.trim().parse::<f64>().ok() == Some(*i as f64),
        toml::Value::Float(f) => text.trim().parse::<f64>().ok() == Some(*f),
        _ if t == VarType::Bool => {
            parse_bool(text).is_some() && parse_bool(text) == parse_bool(&toml_text(v))
        }
        _ => text == toml_text(v),
    }
}
