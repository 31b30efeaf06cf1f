//! `[rules."ID"]` of envward.toml applied to a report, once, after the
//! producers ran: `enabled = false`, exceptions (`allow`), inline
//! `# envward:allow RULE reason` on a value's line, and `severity`.

use indexmap::IndexMap;

use super::{Finding, Report, RuleStatus, Severity, registry};
use crate::config::rules::RuleSettings;
use crate::value::Resolved;

/// Applies the rule settings of envward.toml to `report`: drops the
/// findings of disabled rules and the excepted ones, sets overridden
/// severities, and marks in the coverage which rules were switched off.
/// `loaded` are the environments the findings are about (for inline
/// exceptions and strictness).
///
/// A security rule (tag `security`) reports an error only in a strict
/// environment: elsewhere its errors become warnings, after the override.
pub fn apply_settings(
    report: &mut Report,
    settings: &IndexMap<String, RuleSettings>,
    loaded: &[Resolved],
) {
    let cfg = |env: Option<&str>| env.and_then(|e| loaded.iter().find(|c| c.environment == e));
    report.findings.retain_mut(|f| {
        let s = settings.get(f.rule.as_ref());
        let env = cfg(f.environment.as_deref());
        if s.and_then(|s| s.enabled) == Some(false) || excepted(f, s, env) {
            return false;
        }
        if let Some(severity) = s.and_then(|s| s.severity) {
            f.severity = severity.into();
        }
        let relaxed = registry::find(&f.rule).is_some_and(|r| r.has_tag("security"));
        if relaxed && f.severity == Severity::Error && env.is_some_and(|c| !c.strict()) {
            f.severity = Severity::Warning;
        }
        true
    });
    for c in &mut report.coverage {
        let Some(s) = settings.get(c.rule.as_ref()) else {
            continue;
        };
        if c.status != RuleStatus::Ran {
            continue;
        }
        // A rule switched off everywhere did not check anything; one
        // excepted for a whole environment still ran there.
        let (status, counted) =
            if s.enabled == Some(false) {
                (
                    RuleStatus::Skipped("disabled in envward.toml".into()),
                    false,
                )
            } else if let Some(e) = s
                .allow
                .iter()
                .find(|e| e.key.is_none() && e.environment.is_none())
            {
                (
                    RuleStatus::Skipped(format!("exception: {}", e.reason)),
                    false,
                )
            } else if let Some(e) = s.allow.iter().find(|e| {
                e.key.is_none() && e.environment.is_some() && e.environment == c.environment
            }) {
                (
                    RuleStatus::Skipped(format!("exception: {}", e.reason)),
                    true,
                )
            } else {
                continue;
            };
        c.status = status;
        if !counted {
            report.checks = report.checks.saturating_sub(1);
        }
    }
}

/// Whether an exception in envward.toml, or an inline
/// `# envward:allow RULE reason` on the value's line, covers `f`.
fn excepted(f: &Finding, s: Option<&RuleSettings>, cfg: Option<&Resolved>) -> bool {
    let key = f.key.as_deref();
    if let Some(s) = s
        && s.allow.iter().any(|e| {
            e.key.as_deref().is_none_or(|k| Some(k) == key)
                && e.environment
                    .as_deref()
                    .is_none_or(|env| Some(env) == f.environment.as_deref())
        })
    {
        return true;
    }
    key.and_then(|k| cfg?.get(k))
        .is_some_and(|v| v.allows.iter().any(|a| allows(a, &f.rule)))
}

/// Whether an inline allow of `allowed` covers `rule`: the same id, or
/// `family.*` for every rule of the family (`secret.*`: `secret.weak`,
/// `secret.min-length`…). An id never covers its siblings.
fn allows(allowed: &str, rule: &str) -> bool {
    match allowed.strip_suffix(".*") {
        Some(family) => rule
            .strip_prefix(family)
            .is_some_and(|rest| rest.starts_with('.')),
        None => allowed == rule,
    }
}
