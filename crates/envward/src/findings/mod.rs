//! One findings model for every producer: `check` (configuration against
//! the schema and the security rules), `doctor` (a process environment),
//! and later ones (`scan`: file, line and commit; `probe`: a URL).
//!
//! A [`Finding`] names a rule of the [`registry`] (or a custom rule), has
//! one [`Severity`], a place ([`Location`]: path, line, column, commit)
//! beside the optional configuration [`Origin`], an optional environment,
//! and tags (Django's ids among them). Producers fill a [`Report`];
//! [`apply_settings`] then applies `[rules."ID"]` of envward.toml (severity,
//! `enabled = false`, exceptions, inline `# envward:allow`) once; every
//! writer in [`crate::report`] reads the same [`Report`].

mod overrides;
pub mod registry;

pub use overrides::apply_settings;
pub use registry::RuleInfo;

use std::borrow::Cow;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::rules::SeverityName;
use crate::source::Origin;

pub use crate::diagnostic::Severity;

impl From<SeverityName> for Severity {
    fn from(s: SeverityName) -> Self {
        match s {
            SeverityName::Error => Severity::Error,
            SeverityName::Warning => Severity::Warning,
            SeverityName::Info => Severity::Info,
        }
    }
}

/// A place in a file: what SARIF, JUnit and editors point at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file, relative to the project (or absolute outside it).
    pub path: PathBuf,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The commits the file was read at (history scans: `scan --git`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
}

/// Where in a repository's history a finding was seen (`scan --git`): one
/// secret committed in many commits is one finding, at the first of them.
/// Serialised flat into its [`Location`]: `commit`, `author_date`,
/// `last_commit`, `last_author_date`, `commits`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct History {
    /// The first commit (in history order) that added or changed a file
    /// holding it: the location is in that commit's version of the file.
    pub commit: String,
    /// Its author date (RFC 3339).
    pub author_date: String,
    /// The last commit that added or changed a file holding it.
    pub last_commit: String,
    /// Its author date (RFC 3339).
    pub last_author_date: String,
    /// How many commits added or changed a file holding it.
    pub commits: usize,
}

impl History {
    /// `abc123def456 (2026-12-04)`, or with `, …, N commits up to
    /// def456abc123 (2026-12-05)` when more than one commit holds it: the
    /// short form the text report shows.
    pub fn summary(&self) -> String {
        let short = |c: &str| c.chars().take(12).collect::<String>();
        let day = |d: &str| d.chars().take(10).collect::<String>();
        let mut s = format!("{} ({})", short(&self.commit), day(&self.author_date));
        if self.commits > 1 {
            s.push_str(&format!(
                ", {} up to {} ({})",
                crate::plural::count(self.commits, "commit", "commits"),
                short(&self.last_commit),
                day(&self.last_author_date)
            ));
        }
        s
    }
}

impl Location {
    /// The file place of a configuration origin: an env file line, the
    /// file behind `KEY_FILE` (where it was named, when that is a file), a
    /// file of the secrets directory. `None` for the process environment,
    /// schema defaults and remote stores.
    pub fn of(origin: &Origin) -> Option<Location> {
        match origin {
            Origin::File {
                path, line, column, ..
            } => Some(Location {
                path: path.to_path_buf(),
                line: Some(*line),
                column: Some(*column),
                history: None,
            }),
            Origin::FileRef { declared, path, .. } => {
                Location::of(declared).or_else(|| Some(Location::file(path.clone())))
            }
            Origin::SecretsDir { path } => Some(Location::file(path.clone())),
            _ => None,
        }
    }

    /// A whole file.
    pub fn file(path: PathBuf) -> Location {
        Location {
            path,
            line: None,
            column: None,
            history: None,
        }
    }
}

/// One problem found by a producer.
///
/// Serialised (JSON reports) as `rule`, `severity`, `environment`, `key`,
/// `origin`, `message`, `help`, then `django` (Django's id, when tagged),
/// `location` and `tags` (the other tags) only when present.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable id of the rule, e.g. `schema.required` (custom rules:
    /// `custom.*`).
    pub rule: Cow<'static, str>,
    /// How serious it is.
    pub severity: Severity,
    /// The environment, when the finding is about one.
    pub environment: Option<String>,
    /// The key, when the finding is about one.
    pub key: Option<String>,
    /// Where the offending value (or declaration) came from, when the
    /// finding is about configuration.
    pub origin: Option<Origin>,
    /// Where it is, when that is not (only) the origin: a scanned file's
    /// line and commit. See [`Finding::place`].
    pub location: Option<Location>,
    /// What is wrong. Never contains a sensitive value.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Tags: `django:security.W018` under `--profile django`, and whatever
    /// later producers need to mark.
    pub tags: Vec<Cow<'static, str>>,
}

impl Finding {
    /// A finding of `rule` with `severity` and `message`, nowhere yet.
    pub fn new(rule: impl Into<Cow<'static, str>>, severity: Severity, message: String) -> Self {
        Finding {
            rule: rule.into(),
            severity,
            environment: None,
            key: None,
            origin: None,
            location: None,
            message,
            help: None,
            tags: Vec::new(),
        }
    }

    /// Django's id for the same problem (`security.W018`), when tagged.
    pub fn django(&self) -> Option<&str> {
        self.tags.iter().find_map(|t| t.strip_prefix("django:"))
    }

    /// Where to point: the location, else the file place of the origin.
    pub fn place(&self) -> Option<Location> {
        self.location
            .clone()
            .or_else(|| self.origin.as_ref().and_then(Location::of))
    }
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            rule: &'a str,
            severity: Severity,
            environment: &'a Option<String>,
            key: &'a Option<String>,
            origin: &'a Option<Origin>,
            message: &'a str,
            help: &'a Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            django: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            location: &'a Option<Location>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            tags: Vec<&'a str>,
        }
        Shape {
            rule: &self.rule,
            severity: self.severity,
            environment: &self.environment,
            key: &self.key,
            origin: &self.origin,
            message: &self.message,
            help: &self.help,
            django: self.django(),
            location: &self.location,
            tags: self
                .tags
                .iter()
                .filter(|t| !t.starts_with("django:"))
                .map(|t| t.as_ref())
                .collect(),
        }
        .serialize(serializer)
    }
}

/// Which producer made a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tool {
    /// `envward check`: configuration of one or more environments.
    Check,
    /// `envward doctor`: a process environment.
    Doctor,
    /// `envward scan`: files of a tree.
    Scan,
    /// `envward probe`: a live deployment's answers.
    Probe,
    /// `envward log check`: the audit log's entries.
    Log,
}

impl Tool {
    /// `check` or `doctor`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Check => "check",
            Tool::Doctor => "doctor",
            Tool::Scan => "scan",
            Tool::Probe => "probe",
            Tool::Log => "log check",
        }
    }
}

/// A rule a report lists: id, default severity, summary (custom rules have
/// owned ids and summaries).
pub type RuleEntry = (Cow<'static, str>, Severity, Cow<'static, str>);

/// The result of a producer: findings and what the writers need around
/// them.
#[derive(Clone, Debug)]
pub struct Report {
    /// Which producer made it.
    pub tool: Tool,
    /// The environments checked, in order (`check`; empty for `doctor`).
    pub environments: Vec<String>,
    /// The rule set each environment checked got (`check`): strict or
    /// not, and why.
    pub rule_sets: std::collections::BTreeMap<String, crate::config::RuleSet>,
    /// The sections a report groups its findings by when they are not
    /// grouped by environment (`doctor`: exported, visible, overrides).
    pub sections: Vec<Section>,
    /// Every finding, in report order.
    pub findings: Vec<Finding>,
    /// How many values and declarations the producers looked at. Reports
    /// do not print it: their counts are [`Report::tally`]'s.
    pub checks: usize,
    /// When it ran (RFC 3339, UTC).
    pub timestamp: String,
    /// Values no rule could read: encrypted, and no identity available.
    pub skipped: Vec<Skipped>,
    /// The project root it ran in.
    pub root: PathBuf,
    /// Every rule that can report: id, severity, summary.
    pub rules: Vec<RuleEntry>,
    /// What happened to each rule in each environment (`check`).
    pub coverage: Vec<Coverage>,
    /// The process audited (`doctor`).
    pub process: Option<Process>,
}

/// A titled group of rules of a report that does not group by environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The id (`exported`), the registry group of its rules.
    pub id: &'static str,
    /// The title shown.
    pub title: &'static str,
    /// Why its checks did not run, when they did not.
    pub skipped: Option<String>,
}

/// What `doctor` audited.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Process {
    /// The process audited; `None` for envward's own environment.
    pub pid: Option<u32>,
    /// The uid owning it, when known.
    pub owner: Option<u32>,
    /// Number of variables audited.
    pub variables: usize,
    /// How many of them were not valid UTF-8 (read lossily).
    pub invalid_utf8: usize,
    /// The project compared with, when there is one.
    pub project: Option<ProjectInfo>,
}

/// The project a process environment was compared with.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectInfo {
    /// The project root.
    pub root: PathBuf,
    /// The environment loaded.
    pub environment: String,
    /// Whether it is strict (production-like).
    pub strict: bool,
}

/// One group of a report as the writers show it: a suite in JUnit, a row
/// in Markdown.
#[derive(Debug)]
pub struct Group<'a> {
    /// The group's name: an environment, `envward.toml`, a section id.
    pub name: &'a str,
    /// What to call it.
    pub title: &'a str,
    /// Why its checks did not run, when they did not.
    pub skipped: Option<&'a str>,
    /// The rules considered in it.
    pub rules: Vec<&'a RuleEntry>,
    /// Its findings, in report order.
    pub findings: Vec<&'a Finding>,
}

/// Whether one rule ran for one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The rule id.
    pub rule: Cow<'static, str>,
    /// The environment; `None` for rules about the project file itself
    /// (`schema.invalid`).
    pub environment: Option<String>,
    /// What happened.
    pub status: RuleStatus,
}

/// What happened to a rule in an environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    /// The rule ran; its findings (if any) are in the report.
    Ran,
    /// The rule applies but was switched off: `enabled = false`, or an
    /// exception for the whole environment. The text says which (it comes
    /// from envward.toml and never holds a value).
    Skipped(String),
    /// The rule does not apply here: a strict-only rule in an environment
    /// that is not strict, a cross-environment rule with one environment, a
    /// custom rule limited to other environments.
    NotApplicable,
}

/// A value the rules could not read.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The environment.
    pub environment: String,
    /// The key.
    pub key: String,
    /// Why (`encrypted`).
    pub reason: &'static str,
}

/// The summary counts of a report: see [`Report::tally`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Rules times groups: JUnit's test cases.
    pub checks: usize,
    /// Checks without a finding.
    pub passed: usize,
    /// Checks of skipped groups.
    pub skipped: usize,
}

/// The name of the group of findings about the project file itself.
const PROJECT_GROUP: &str = crate::config::PROJECT_FILE;

impl Report {
    /// An empty report of `tool`, stamped now.
    pub fn new(tool: Tool, root: PathBuf) -> Self {
        Report {
            tool,
            environments: Vec::new(),
            rule_sets: Default::default(),
            sections: Vec::new(),
            findings: Vec::new(),
            checks: 0,
            timestamp: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now())
                .to_string(),
            skipped: Vec::new(),
            root,
            rules: Vec::new(),
            coverage: Vec::new(),
            process: None,
        }
    }

    /// Number of findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Number of errors, warnings and infos.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info),
        )
    }

    /// The checks every report format counts the same way: one rule in
    /// one group (the project file, an environment, a `doctor` section),
    /// JUnit's test cases. A check passes when it has no finding; the
    /// checks of a skipped group are skipped, not passed.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for group in self.groups() {
            t.checks += group.rules.len();
            if group.skipped.is_some() {
                t.skipped += group.rules.len();
                continue;
            }
            t.passed += group
                .rules
                .iter()
                .filter(|(id, ..)| !group.findings.iter().any(|f| f.rule == *id))
                .count();
        }
        t
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// The status of `rule` in `environment` (`None`: the project file),
    /// when the rule was considered there at all.
    pub fn status(&self, rule: &str, environment: Option<&str>) -> Option<&RuleStatus> {
        self.coverage
            .iter()
            .find(|c| c.rule == rule && c.environment.as_deref() == environment)
            .map(|c| &c.status)
    }

    /// The name of the group `f` belongs to: its section when the report
    /// has sections, else its environment (`envward.toml` for none).
    pub fn group_of<'a>(&'a self, f: &'a Finding) -> &'a str {
        if self.sections.is_empty() {
            f.environment.as_deref().unwrap_or(PROJECT_GROUP)
        } else {
            registry::group_of(&f.rule).unwrap_or("")
        }
    }

    /// The groups, in order, with their rules and findings: the project
    /// file then each environment (rules about the project file only in
    /// the first), or each section.
    pub fn groups(&self) -> Vec<Group<'_>> {
        let group = |r: &RuleEntry| registry::group_of(&r.0);
        let mut out = Vec::new();
        if self.sections.is_empty() {
            let mut names = vec![PROJECT_GROUP];
            names.extend(self.environments.iter().map(String::as_str));
            for (i, name) in names.into_iter().enumerate() {
                let project = i == 0;
                out.push(Group {
                    name,
                    title: name,
                    skipped: None,
                    rules: self
                        .rules
                        .iter()
                        .filter(|r| (group(r) == Some("project")) == project)
                        .collect(),
                    findings: self
                        .findings
                        .iter()
                        .filter(|f| match &f.environment {
                            None => project,
                            Some(e) => !project && e == name,
                        })
                        .collect(),
                });
            }
        } else {
            for s in &self.sections {
                out.push(Group {
                    name: s.id,
                    title: s.title,
                    skipped: s.skipped.as_deref(),
                    rules: self
                        .rules
                        .iter()
                        .filter(|r| group(r) == Some(s.id))
                        .collect(),
                    findings: self
                        .findings
                        .iter()
                        .filter(|f| self.group_of(f) == s.id)
                        .collect(),
                });
            }
        }
        out
    }
}
