//! `envward log check`: the audit log judged, as findings in the one
//! findings model every report format reads (exit 1 on findings, for cron
//! and CI).
//!
//! - `log.failed-decryptions`: more than `max_failures` (10) failed
//!   decryptions by one `user@host` within `window_minutes` (60): someone
//!   trying identities, or a deploy that lost its key.
//! - `log.unexpected-reader`: a read of an environment's secrets by a
//!   `user@host` its `[environments.X] readers` does not list.

use std::collections::BTreeMap;
use std::path::Path;

use super::{AUDIT_LOG, Action, Entry};
use crate::config::ProjectFile;
use crate::findings::{Finding, Location, Report, Section, Tool, registry};

/// The sections of the report, by rule group.
const SECTIONS: &[(&str, &str)] = &[
    ("failures", "Failed decryptions"),
    ("readers", "Readers of secrets"),
];

fn severity(rule: &str) -> crate::findings::Severity {
    registry::find(rule).map_or(crate::findings::Severity::Warning, |r| r.severity)
}

fn param(project: &ProjectFile, rule: &str, name: &str, default: i64) -> i64 {
    crate::config::rules::int_param(&project.rules, rule, name)
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

fn at(line: usize) -> Option<Location> {
    Some(Location {
        path: AUDIT_LOG.into(),
        line: u32::try_from(line).ok(),
        column: None,
        history: None,
    })
}

/// Whether `who` (`user@host`) is one of `readers` (`user@host`, or
/// `user` from any host).
fn listed(readers: &[String], user: &str, host: &str) -> bool {
    readers.iter().any(|r| match r.split_once('@') {
        Some((u, h)) => u == user && h == host,
        None => r == user,
    })
}

/// The findings of the audit log `entries` of the project at `root`, with
/// `[rules."log.*"]` applied.
pub fn alerts(entries: &[Entry], project: &ProjectFile, root: &Path) -> Report {
    let mut findings = Vec::new();

    // Failed decryptions: a sliding window per user@host.
    let max = param(project, "log.failed-decryptions", "max_failures", 10);
    let window = param(project, "log.failed-decryptions", "window_minutes", 60);
    let mut failed: BTreeMap<(&str, &str), Vec<(jiff::Timestamp, &Entry)>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.action == Action::DecryptFailed) {
        if let Ok(t) = e.time.parse::<jiff::Timestamp>() {
            failed.entry((&e.user, &e.host)).or_default().push((t, e));
        }
    }
    let span = jiff::SignedDuration::from_mins(window);
    let max_usize = usize::try_from(max).unwrap_or(usize::MAX);
    for ((user, host), mut times) in failed {
        times.sort_by_key(|(t, _)| *t);
        let mut start = 0;
        let mut worst: Option<(usize, usize)> = None; // (count, first index)
        for end in 0..times.len() {
            while times[end].0.duration_since(times[start].0) > span {
                start += 1;
            }
            let n = end - start + 1;
            if n > max_usize && worst.is_none_or(|(w, _)| n > w) {
                worst = Some((n, start));
            }
        }
        if let Some((n, first)) = worst {
            let e = times[first].1;
            let mut f = Finding::new(
                "log.failed-decryptions",
                severity("log.failed-decryptions"),
                format!(
                    "{user}@{host} failed to decrypt {n} times within {window} minutes from {} (`{}`, {})",
                    e.time.get(..19).unwrap_or(&e.time).replace('T', " "),
                    e.command,
                    e.environment
                ),
            );
            f.environment = Some(e.environment.clone());
            f.location = at(e.line);
            f.help = Some(
                "find out who ran these commands: a lost or wrong identity, or someone trying keys; rotate what they could reach if in doubt"
                    .into(),
            );
            findings.push(f);
        }
    }

    // Readers: one finding per environment and user@host.
    let mut readers: BTreeMap<(&str, &str, &str), (usize, &Entry)> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.action == Action::Read) {
        let Some(expected) = project
            .environments
            .get(&e.environment)
            .and_then(|s| s.readers.as_ref())
        else {
            continue;
        };
        if listed(expected, &e.user, &e.host) {
            continue;
        }
        readers
            .entry((&e.environment, &e.user, &e.host))
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, e));
    }
    for ((env, user, host), (n, e)) in readers {
        let mut f = Finding::new(
            "log.unexpected-reader",
            severity("log.unexpected-reader"),
            format!(
                "{user}@{host} read secrets of {env} ({} by `{}`, first {}), and is not in its `readers`",
                crate::plural::count(n, "time", "times"),
                e.command,
                e.time.get(..19).unwrap_or(&e.time).replace('T', " "),
            ),
        );
        f.environment = Some(env.to_string());
        f.location = at(e.line);
        f.help = Some(format!(
            "if expected, add \"{user}@{host}\" (or \"{user}\") to `readers` under [environments.{env}]; if not, rotate the secrets it read"
        ));
        findings.push(f);
    }

    let mut report = Report::new(Tool::Log, root.to_path_buf());
    report.sections = SECTIONS
        .iter()
        .map(|(id, title)| Section {
            id,
            title,
            skipped: (*id == "readers"
                && project.environments.values().all(|e| e.readers.is_none()))
            .then(|| "no environment lists its `readers` in envward.toml".to_string()),
        })
        .collect();
    report.rules = registry::entries_tagged("log");
    report.checks = entries.len();
    report.findings = findings;
    crate::findings::apply_settings(&mut report, &project.rules, &[]);
    report
}
