//! `check`: findings about configuration, one model for every kind of
//! problem (schema validation now, security rules later), rendered by one
//! writer per format.

pub mod custom;
pub mod django;
pub mod rules;
mod schema_rules;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::config::{PROJECT_FILE, ProjectFile};
use crate::error::LoadError;
use crate::resolve::{Config, LoadOptions, Project};
use crate::source::Origin;
use crate::value::Resolved;

/// The rules of the schema checks (`schema.*`, `consistency.*`), for
/// reports that list every rule: id, severity, summary.
pub const SCHEMA_RULES: &[(&str, Severity, &str)] = &[
    (
        "schema.invalid",
        Severity::Error,
        "the schema in envward.toml contradicts itself",
    ),
    (
        "schema.required",
        Severity::Error,
        "a required key is missing or empty",
    ),
    (
        "schema.type",
        Severity::Error,
        "a value is not of its declared type",
    ),
    (
        "schema.choices",
        Severity::Error,
        "a value is not one of its choices",
    ),
    (
        "schema.pattern",
        Severity::Error,
        "a value does not match its pattern",
    ),
    (
        "schema.range",
        Severity::Error,
        "a number is outside min/max",
    ),
    (
        "schema.length",
        Severity::Error,
        "a value is too short or too long",
    ),
    (
        "schema.equals",
        Severity::Error,
        "a value differs from what the environment requires",
    ),
    (
        "schema.not-equals",
        Severity::Error,
        "a value is one the environment forbids",
    ),
    (
        "schema.deprecated",
        Severity::Warning,
        "a deprecated key is set",
    ),
    (
        "schema.unknown-key",
        Severity::Warning,
        "a key is set that the schema does not declare",
    ),
    (
        "consistency.missing-in-environment",
        Severity::Warning,
        "a key is set in some environments but not in this one",
    ),
];

/// Every rule id with its summary and default severity: the schema rules,
/// then the security rules.
pub fn all_rules() -> Vec<(&'static str, Severity, &'static str)> {
    SCHEMA_RULES
        .iter()
        .copied()
        .chain(rules::RULES.iter().map(|r| (r.id, r.severity, r.summary)))
        .collect()
}

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Must be fixed: fails `check` by default.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found by `check`.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable id of the rule, e.g. `schema.required` (custom rules:
    /// `custom.*`).
    pub rule: std::borrow::Cow<'static, str>,
    /// How serious it is.
    pub severity: Severity,
    /// The environment, when the finding is about one.
    pub environment: Option<String>,
    /// The key, when the finding is about one.
    pub key: Option<String>,
    /// Where the offending value (or declaration) is.
    pub origin: Option<Origin>,
    /// What is wrong. Never contains a sensitive value.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Under `--profile django`: the id of Django's deploy check that
    /// reports the same problem (`security.W018`). Absent from JSON when
    /// `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub django: Option<&'static str>,
}

/// The result of a check over one or more environments.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The environments checked, in order.
    pub environments: Vec<String>,
    /// Every finding, sorted by environment, severity (worst first), key.
    pub findings: Vec<Finding>,
    /// How many individual checks ran (passed + failed).
    pub checks: usize,
    /// When the check ran (RFC 3339, UTC).
    pub timestamp: String,
    /// Values no rule could read: encrypted, and no identity available.
    pub skipped: Vec<Skipped>,
    /// The project root the check ran in.
    #[serde(skip)]
    pub root: PathBuf,
    /// Every rule that can report (schema, built-in, custom): id,
    /// severity, summary.
    #[serde(skip)]
    pub rules: Vec<(Cow<'static, str>, Severity, Cow<'static, str>)>,
    /// What happened to each rule in each environment: ran, skipped or not
    /// applicable (for the environment × rule matrix of the HTML report).
    #[serde(skip)]
    pub coverage: Vec<Coverage>,
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

impl Report {
    /// The status of `rule` in `environment` (`None`: the project file),
    /// when the rule was considered there at all.
    pub fn status(&self, rule: &str, environment: Option<&str>) -> Option<&RuleStatus> {
        self.coverage
            .iter()
            .find(|c| c.rule == rule && c.environment.as_deref() == environment)
            .map(|c| &c.status)
    }
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

impl Report {
    /// Number of findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}

/// What to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// How to load each environment (its `environment` is ignored when
    /// `all_environments` is set).
    pub load: LoadOptions,
    /// Check every known environment.
    pub all_environments: bool,
    /// Run only the rules of a profile, in every environment, with the
    /// profile's ids on the findings (`--profile django`).
    pub profile: Option<rules::Profile>,
}

/// Checks configuration against the schema of `envward.toml`.
///
/// ```
/// use envward::check::{check, CheckOptions, Severity};
/// use envward::LoadOptions;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("envward.toml"), "[vars.PORT]\ntype = \"port\"\nrequired = true\n").unwrap();
/// std::fs::write(dir.path().join(".env"), "PORT=80800\n").unwrap();
/// let report = check(&CheckOptions {
///     load: LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() },
///     all_environments: false,
///     profile: None,
/// }).unwrap();
/// assert_eq!(report.findings[0].rule, "schema.type");
/// assert!(report.fails(Severity::Error));
/// ```
pub fn check(options: &CheckOptions) -> Result<Report, LoadError> {
    let opened = Project::open(options.load.project_dir.as_deref())?;
    let (project, text, known) = (&opened.file, &opened.text, &opened.environments);
    let mut findings = Vec::new();
    let mut coverage = vec![Coverage {
        rule: "schema.invalid".into(),
        environment: None,
        status: RuleStatus::Ran,
    }];
    let mut checks = 0;
    for p in crate::schema::validate_schema(&project.vars, text, known) {
        checks += 1;
        findings.push(Finding {
            rule: "schema.invalid".into(),
            severity: Severity::Error,
            environment: None,
            key: Some(p.key),
            origin: p.line.map(|line| Origin::File {
                path: PathBuf::from(PROJECT_FILE),
                line,
                column: 1,
                layer: crate::source::Layer::Default,
                namespace: String::new(),
            }),
            message: p.message,
            help: Some(p.help),
            django: None,
        });
    }

    let mut loaded: Vec<Resolved> = if options.all_environments {
        known
            .iter()
            .map(|env| {
                let mut load = options.load.clone();
                load.environment = Some(env.clone());
                Config::load_in(&opened, load)
            })
            .collect::<Result<_, _>>()?
    } else {
        vec![Config::load_in(&opened, options.load.clone())?]
    };
    let environments: Vec<String> = loaded.iter().map(|c| c.environment.clone()).collect();
    // Encrypted values no identity opens: rules that need them are skipped
    // (reported as such), rules that need no value still run.
    let mut skipped = Vec::new();
    for cfg in &mut loaded {
        cfg.withhold_sealed();
        skipped.extend(cfg.withheld.iter().map(|key| Skipped {
            environment: cfg.environment.clone(),
            key: key.clone(),
            reason: "encrypted",
        }));
    }
    let mut patterns = schema_rules::Patterns::default();
    for cfg in &loaded {
        checks += schema_rules::check_environment(project, cfg, &mut patterns, &mut findings);
        for (id, ..) in SCHEMA_RULES
            .iter()
            .filter(|(id, ..)| *id != "schema.invalid")
        {
            let applies = match *id {
                "consistency.missing-in-environment" => loaded.len() > 1,
                "schema.unknown-key" => !project.vars.is_empty(),
                _ => true,
            };
            coverage.push(Coverage {
                rule: Cow::Borrowed(id),
                environment: Some(cfg.environment.clone()),
                status: if applies {
                    RuleStatus::Ran
                } else {
                    RuleStatus::NotApplicable
                },
            });
        }
    }
    if loaded.len() > 1 {
        checks += consistency(project, &loaded, &mut findings);
    }
    for problem in rules::validate_settings(&project.rules)
        .into_iter()
        .chain(custom::validate(&project.custom_rules))
    {
        checks += 1;
        findings.push(Finding {
            rule: "schema.invalid".into(),
            severity: Severity::Error,
            environment: None,
            key: None,
            origin: None,
            message: problem.0,
            help: Some(problem.1),
            django: None,
        });
    }
    let shared = rules::Shared::default();
    for cfg in &loaded {
        checks += rules::run(
            cfg,
            &loaded,
            &project.rules,
            &shared,
            options.profile,
            &mut findings,
            &mut coverage,
        );
        checks += custom::run(&project.custom_rules, cfg, &mut findings, &mut coverage);
    }
    sort(&mut findings, &environments);
    Ok(Report {
        environments,
        findings,
        checks,
        skipped,
        root: opened.root.clone(),
        coverage,
        rules: all_rules()
            .into_iter()
            .map(|(id, s, summary)| (Cow::Borrowed(id), s, Cow::Borrowed(summary)))
            .chain(project.custom_rules.iter().map(|r| {
                (
                    Cow::Owned(r.id.clone()),
                    r.severity.map_or(Severity::Error, Severity::from),
                    Cow::Owned(r.message.clone()),
                )
            }))
            .collect(),
        timestamp: jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_string(),
    })
}

/// Keys set in the files of some environments but not in others.
fn consistency(project: &ProjectFile, loaded: &[Resolved], findings: &mut Vec<Finding>) -> usize {
    let mut present: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for cfg in loaded {
        for var in cfg.iter() {
            if !matches!(var.origin, Origin::Default) {
                present
                    .entry(var.key.as_str())
                    .or_default()
                    .insert(cfg.environment.as_str());
            }
        }
        for key in &cfg.withheld {
            present
                .entry(key.as_str())
                .or_default()
                .insert(cfg.environment.as_str());
        }
    }
    let mut checks = 0;
    for (key, envs) in &present {
        checks += 1;
        if envs.len() == loaded.len() {
            continue;
        }
        let declared_default = project.vars.get(*key).is_some_and(|v| v.default.is_some());
        for cfg in loaded {
            if envs.contains(cfg.environment.as_str()) || declared_default {
                continue;
            }
            findings.push(Finding {
                rule: "consistency.missing-in-environment".into(),
                severity: Severity::Warning,
                environment: Some(cfg.environment.clone()),
                key: Some(key.to_string()),
                origin: None,
                message: format!(
                    "`{key}` is set in {} but not in {}",
                    envs.iter().copied().collect::<Vec<_>>().join(", "),
                    cfg.environment
                ),
                help: Some(format!(
                    "set it in {}'s files, or declare a default under [vars.{key}]",
                    cfg.environment
                )),
                django: None,
            });
        }
    }
    checks
}

fn sort(findings: &mut [Finding], environments: &[String]) {
    let env_rank = |e: &Option<String>| match e {
        None => 0,
        Some(e) => {
            1 + environments
                .iter()
                .position(|x| x == e)
                .unwrap_or(usize::MAX - 1)
        }
    };
    findings.sort_by(|a, b| {
        env_rank(&a.environment)
            .cmp(&env_rank(&b.environment))
            .then(b.severity.cmp(&a.severity))
            .then(a.key.cmp(&b.key))
            .then(a.rule.cmp(&b.rule))
    });
}
