//! Baselines: findings accepted once, by fingerprint. A fingerprint is a
//! keyed hash of the rule and the secret, never of its place, so a
//! baselined secret stays silent when it moves (another line, another
//! file) and a new secret on a baselined line is still reported.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::Report;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

/// A baseline file: the fingerprints of accepted findings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`VERSION`].
    pub version: u32,
    /// One entry per accepted finding.
    pub findings: Vec<Entry>,
}

/// One accepted finding: the rule and the fingerprint decide; the path is
/// there for the reader.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The rule id.
    pub rule: String,
    /// The keyed fingerprint of the rule and the secret.
    pub fingerprint: String,
    /// Where it was when accepted (informational).
    #[serde(default)]
    pub path: String,
}

/// What is wrong with a baseline file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// It cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not a baseline.
    #[error("{path} is not an envward baseline: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the JSON parser said (never a value: a baseline holds none).
        message: String,
    },
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if b.version != VERSION {
            return Err(BaselineError::Parse {
                path: path.display().to_string(),
                message: format!("version {} (this envward reads {VERSION})", b.version),
            });
        }
        Ok(b)
    }

    /// The baseline of every finding of `report` that has a fingerprint.
    pub fn of(report: &Report) -> Baseline {
        let set: BTreeSet<Entry> = report
            .findings
            .iter()
            .filter_map(|f| {
                Some(Entry {
                    rule: f.rule.to_string(),
                    fingerprint: super::fingerprint_of(f)?.to_string(),
                    path: f
                        .location
                        .as_ref()
                        .map(|l| l.path.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default(),
                })
            })
            .collect();
        Baseline {
            version: VERSION,
            findings: set.into_iter().collect(),
        }
    }

    /// Drops the findings of `report` the baseline accepts; returns how
    /// many.
    pub fn apply(&self, report: &mut Report) -> usize {
        let accepted: BTreeSet<(&str, &str)> = self
            .findings
            .iter()
            .map(|e| (e.rule.as_str(), e.fingerprint.as_str()))
            .collect();
        let before = report.findings.len();
        report.findings.retain(|f| {
            super::fingerprint_of(f).is_none_or(|fp| !accepted.contains(&(f.rule.as_ref(), fp)))
        });
        before - report.findings.len()
    }

    /// The file's text (pretty JSON, one entry per finding, sorted).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}
