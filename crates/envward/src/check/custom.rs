//! Custom rules in `envward.toml`, without code: which keys (a regex on
//! their names), in which environments, what must hold of the value, with
//! what severity and message.

use std::borrow::Cow;

use super::{Coverage, Finding, RuleStatus, Severity};
use crate::value::{Resolved, parse_bool};

pub use crate::config::rules::CustomRule;

/// A compiled custom rule.
struct Compiled<'a> {
    rule: &'a CustomRule,
    keys: regex::Regex,
    matches: Option<regex::Regex>,
    not_matches: Option<regex::Regex>,
}

/// Problems with `[[custom_rules]]` (message, help).
pub(crate) fn validate(rules: &[CustomRule]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rules {
        if !r.id.starts_with("custom.") || r.id.len() <= "custom.".len() {
            out.push((
                format!("custom rule id `{}` does not start with `custom.`", r.id),
                "name it custom.<something>, so it never clashes with a built-in rule".into(),
            ));
        }
        if !seen.insert(r.id.as_str()) {
            out.push((
                format!("custom rule `{}` is defined twice", r.id),
                "give each rule its own id".into(),
            ));
        }
        for (what, p) in [
            ("keys", Some(&r.keys)),
            ("matches", r.matches.as_ref()),
            ("not_matches", r.not_matches.as_ref()),
        ] {
            if let Some(p) = p
                && let Err(e) = regex::Regex::new(p)
            {
                let detail = e.to_string();
                out.push((
                    format!(
                        "custom rule `{}`: `{what}` is not a valid regex: {}",
                        r.id,
                        detail.lines().last().unwrap_or("").trim()
                    ),
                    "patterns use Rust regex syntax".into(),
                ));
            }
        }
        let conditions = [
            r.matches.is_some(),
            r.not_matches.is_some(),
            r.equals.is_some(),
            r.not_equals.is_some(),
            r.one_of.is_some(),
            r.url_scheme.is_some(),
            r.min.is_some(),
            r.max.is_some(),
        ];
        if !conditions.iter().any(|c| *c) {
            out.push((
                format!("custom rule `{}` has no condition", r.id),
                "add one of: matches, not_matches, equals, not_equals, one_of, url_scheme, min, max".into(),
            ));
        }
    }
    out
}

fn compile(rules: &[CustomRule]) -> Vec<Compiled<'_>> {
    rules
        .iter()
        .filter_map(|rule| {
            Some(Compiled {
                rule,
                keys: regex::Regex::new(&format!("^(?:{})$", rule.keys)).ok()?,
                matches: match &rule.matches {
                    Some(p) => Some(regex::Regex::new(&format!("^(?:{p})$")).ok()?),
                    None => None,
                },
                not_matches: match &rule.not_matches {
                    Some(p) => Some(regex::Regex::new(p).ok()?),
                    None => None,
                },
            })
        })
        .collect()
}

/// Why the value breaks the rule, if it does.
fn breaks(c: &Compiled<'_>, value: &str) -> bool {
    let r = c.rule;
    let number = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    c.matches.as_ref().is_some_and(|re| !re.is_match(value))
        || c.not_matches.as_ref().is_some_and(|re| re.is_match(value))
        || r.equals.as_ref().is_some_and(|e| !same(value, e))
        || r.not_equals.as_ref().is_some_and(|e| same(value, e))
        || r.one_of
            .as_ref()
            .is_some_and(|set| !set.iter().any(|e| same(value, e)))
        || r.url_scheme.as_ref().is_some_and(|schemes| {
            url::Url::parse(value.trim()).map_or(true, |u| {
                !schemes.iter().any(|s| s.eq_ignore_ascii_case(u.scheme()))
            })
        })
        || r.min.is_some_and(|m| number.is_none_or(|n| n < m))
        || r.max.is_some_and(|m| number.is_none_or(|n| n > m))
}

/// Booleans compare as booleans, everything else as text.
fn same(value: &str, expected: &str) -> bool {
    match (parse_bool(value), parse_bool(expected)) {
        (Some(a), Some(b)) => a == b,
        _ => value.trim() == expected,
    }
}

/// Runs the custom rules on `cfg`; returns how many checks ran.
pub(crate) fn run(
    rules: &[CustomRule],
    cfg: &Resolved,
    findings: &mut Vec<Finding>,
    coverage: &mut Vec<Coverage>,
) -> usize {
    let mut checks = 0;
    for c in compile(rules) {
        let applies = match &c.rule.environments {
            Some(envs) => envs.contains(&cfg.environment),
            None => cfg.strict(),
        };
        coverage.push(Coverage {
            rule: Cow::Owned(c.rule.id.clone()),
            environment: Some(cfg.environment.clone()),
            status: if applies {
                RuleStatus::Ran
            } else {
                RuleStatus::NotApplicable
            },
        });
        if !applies {
            continue;
        }
        for var in cfg.iter().filter(|v| c.keys.is_match(&v.key)) {
            checks += 1;
            if breaks(&c, var.value.expose()) {
                findings.push(Finding {
                    rule: Cow::Owned(c.rule.id.clone()),
                    severity: c.rule.severity.map_or(Severity::Error, Severity::from),
                    environment: Some(cfg.environment.clone()),
                    key: Some(var.key.to_string()),
                    origin: Some(var.origin.clone()),
                    message: format!("`{}`: {}", var.key, c.rule.message),
                    help: Some(format!("custom rule `{}` in envward.toml", c.rule.id)),
                    location: None,
                    tags: Vec::new(),
                });
            }
        }
    }
    checks
}
