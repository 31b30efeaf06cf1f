//! Built-in security rules: what a production deploy needs (no DEBUG,
//! strong unique secrets, HTTPS, secure cookies, strict hosts and CORS, TLS
//! to databases, caches and mail servers). Each rule has a stable id, a
//! default severity, the environments it applies to, and documentation
//! (`envward rules explain ID`).

mod catalogue;

use super::{Coverage, Finding, RuleStatus, Severity};
use crate::findings::{RuleInfo, registry};
use crate::value::{Resolved, Var};

pub use catalogue::RULES;

/// Where a rule applies by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Only strict (production-like) environments.
    Strict,
    /// Every environment: the rule's severity in strict ones, a warning
    /// elsewhere.
    All,
}

/// A built-in rule.
pub struct Rule {
    /// Stable id, e.g. `secret.min-length`.
    pub id: &'static str,
    /// Where it applies.
    pub applies: Applies,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
    /// Parameters it takes in `[rules."ID"]`, with their defaults.
    pub params: &'static [(&'static str, &'static str)],
    pub(crate) run: fn(&Ctx<'_>, &mut Emit<'_>),
}

pub use crate::config::rules::{Exception, RuleSettings, SeverityName};

impl Rule {
    /// The rule's entry in the registry of rule metadata.
    pub fn info(&self) -> &'static RuleInfo {
        registry::find(self.id).unwrap_or_else(|| {
            unreachable!(
                "built-in rule `{}` is registered (a test checks it)",
                self.id
            )
        })
    }

    /// Severity in strict environments (a warning elsewhere).
    pub fn severity(&self) -> Severity {
        self.info().severity
    }

    /// One line: what it checks.
    pub fn summary(&self) -> &'static str {
        self.info().summary
    }
}

/// What a rule sees.
pub struct Ctx<'a> {
    /// The environment checked.
    pub cfg: &'a Resolved,
    /// Every environment loaded in this run (for cross-environment rules).
    pub all: &'a [Resolved],
    /// The rule's settings.
    pub settings: Option<&'a RuleSettings>,
    /// Facts gathered once per check run (git's view of the files).
    pub shared: &'a Shared,
}

/// Facts that cost a subprocess, gathered at most once per check run.
pub struct Shared {
    /// `[redact] min_length` of the project.
    pub(crate) redact_min_length: usize,
    git: std::cell::OnceCell<Option<GitFacts>>,
    rotations: std::cell::OnceCell<Vec<crate::ops::rotation::Rotation>>,
}

/// What git says about the env files of every loaded environment.
pub struct GitFacts {
    /// Paths (relative to the project) that git tracks.
    pub tracked: std::collections::HashSet<String>,
    /// Paths that git ignores.
    pub ignored: std::collections::HashSet<String>,
}

impl Shared {
    /// Facts of a project whose `[redact]` settings are `redact`.
    pub fn new(redact: &crate::config::RedactSettings) -> Self {
        Shared {
            redact_min_length: redact.min_length(),
            git: Default::default(),
            rotations: Default::default(),
        }
    }

    /// The minimum length of a value `redact` and `scan` look for.
    pub fn redact_min_length(&self) -> usize {
        self.redact_min_length
    }

    /// The project's rotation records, read once per run.
    pub fn rotations(&self, root: &std::path::Path) -> &[crate::ops::rotation::Rotation] {
        self.rotations
            .get_or_init(|| crate::ops::rotation::load(root))
    }

    /// Git's view of every env file of `all`; `None` outside a work tree
    /// or without git. Asked once per run: three git commands in all.
    pub fn git(&self, all: &[Resolved]) -> Option<&GitFacts> {
        self.git
            .get_or_init(|| {
                let root = &all.first()?.root;
                // No `.git` above the project: not a work tree, and no need
                // to start git to learn it.
                if std::env::var_os("GIT_DIR").is_none()
                    && !root.ancestors().any(|d| d.join(".git").exists())
                {
                    return None;
                }
                let git = |args: &[&str]| -> Option<String> {
                    let output = std::process::Command::new("git")
                        .arg("-C")
                        .arg(root)
                        .args(args)
                        .output()
                        .ok()?;
                    output
                        .status
                        .code()
                        .map(|_| String::from_utf8_lossy(&output.stdout).into_owned())
                };
                if git(&["rev-parse", "--is-inside-work-tree"]).is_none_or(|s| s.trim() != "true") {
                    return None;
                }
                let mut paths: Vec<String> = all
                    .iter()
                    .flat_map(|c| {
                        c.files
                            .iter()
                            .map(|f| f.display.to_string_lossy().into_owned())
                    })
                    .collect();
                paths.sort();
                paths.dedup();
                let ask = |cmd: &str| -> std::collections::HashSet<String> {
                    let mut args = vec![cmd, "--"];
                    args.extend(paths.iter().map(String::as_str));
                    git(&args)
                        .unwrap_or_default()
                        .lines()
                        .map(String::from)
                        .collect()
                };
                Some(GitFacts {
                    tracked: ask("ls-files"),
                    ignored: ask("check-ignore"),
                })
            })
            .as_ref()
    }
}

impl Ctx<'_> {
    /// A numeric parameter, or its default.
    pub fn param_usize(&self, name: &str, default: usize) -> usize {
        self.settings
            .and_then(|s| s.params.get(name))
            .and_then(toml::Value::as_integer)
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(default)
    }

    /// The first of `keys` that is set (non-empty).
    pub fn first(&self, keys: &[&str]) -> Option<&Var> {
        keys.iter().find_map(|k| {
            self.cfg
                .get(k)
                .filter(|v| !v.value.expose().trim().is_empty())
        })
    }
}

/// Collects a rule's findings.
pub struct Emit<'a> {
    rule: &'static Rule,
    severity: Severity,
    env: &'a str,
    findings: Vec<Finding>,
}

impl Emit<'_> {
    /// Reports `var` with `message` (never quote a sensitive value in it).
    pub fn var(&mut self, var: &Var, message: String) {
        self.findings.push(Finding {
            rule: self.rule.id.into(),
            severity: self.severity,
            environment: Some(self.env.to_string()),
            key: Some(var.key.clone()),
            origin: Some(var.origin.clone()),
            message,
            help: Some(self.rule.fix.to_string()),
            location: None,
            tags: Vec::new(),
        });
    }
}

impl Emit<'_> {
    /// Reports line `line` of `path` (relative to the project).
    pub fn at(&mut self, path: &std::path::Path, line: u32, key: &str, message: String) {
        self.findings.push(Finding {
            rule: self.rule.id.into(),
            severity: self.severity,
            environment: Some(self.env.to_string()),
            key: Some(key.to_string()),
            origin: Some(crate::source::Origin::File {
                path: path.to_path_buf(),
                line,
                column: 1,
                layer: crate::source::Layer::Environment,
                namespace: String::new(),
            }),
            message,
            help: Some(self.rule.fix.to_string()),
            location: None,
            tags: Vec::new(),
        });
    }
}

/// Runs every enabled rule on `cfg`; returns how many rules ran. Records
/// in `coverage` what happened to each rule. Under a profile, only the
/// profile's rules run, in every environment, and their findings carry the
/// profile's ids.
pub(crate) fn run(
    cfg: &Resolved,
    all: &[Resolved],
    settings: &indexmap::IndexMap<String, RuleSettings>,
    shared: &Shared,
    profile: Option<Profile>,
    findings: &mut Vec<Finding>,
    coverage: &mut Vec<Coverage>,
) -> usize {
    let in_profile: Option<Vec<&str>> = profile.map(|p| match p {
        Profile::Django => super::django::rules().collect(),
    });
    let mut ran = Vec::new();
    for rule in RULES {
        let s = settings.get(rule.id);
        let mut record = |status| {
            coverage.push(Coverage {
                rule: rule.id.into(),
                environment: Some(cfg.environment.clone()),
                status,
            });
        };
        if let Some(ids) = &in_profile {
            if !ids.contains(&rule.id) {
                record(RuleStatus::Skipped(format!(
                    "not part of --profile {}",
                    profile.map_or("", Profile::name)
                )));
                continue;
            }
        } else if rule.applies == Applies::Strict && !cfg.strict() {
            record(RuleStatus::NotApplicable);
            continue;
        }
        record(RuleStatus::Ran);
        // Severity overrides, `enabled = false`, exceptions and the
        // relaxing outside strict environments are applied to the findings
        // afterwards (`findings::apply_settings`).
        let severity = rule.severity();
        let mut emit = Emit {
            rule,
            severity,
            env: &cfg.environment,
            findings: Vec::new(),
        };
        (rule.run)(
            &Ctx {
                cfg,
                all,
                settings: s,
                shared,
            },
            &mut emit,
        );
        ran.push((emit, s));
    }
    let mut count = ran.len();
    if profile == Some(Profile::Django) {
        django_ids(cfg, &mut ran);
        count += super::django::CHECKS.len();
    }
    for (emit, _) in ran {
        findings.extend(emit.findings);
    }
    count
}

/// Tags the findings that Django's deploy checks also make with Django's
/// id, and reports under the envward rule what Django reports and the rule
/// did not see (an unset setting whose default is unsafe, a condition the
/// rule does not test).
fn django_ids(cfg: &Resolved, ran: &mut [(Emit<'_>, Option<&RuleSettings>)]) {
    for (check, message) in super::django::decide(cfg) {
        let mut tagged = false;
        for (emit, _) in ran.iter_mut() {
            if !check.rules.contains(&emit.rule.id) {
                continue;
            }
            for f in &mut emit.findings {
                if f.key.as_deref() == Some(check.key) && f.django().is_none() {
                    f.tags.push(format!("django:{}", check.id).into());
                    tagged = true;
                }
            }
        }
        if tagged {
            continue;
        }
        let Some((emit, _)) = ran.iter_mut().find(|(e, _)| e.rule.id == check.rules[0]) else {
            continue; // the rule is off: so is Django's check
        };
        let var = cfg.get(check.key);
        emit.findings.push(Finding {
            rule: emit.rule.id.into(),
            severity: emit.severity,
            environment: Some(cfg.environment.clone()),
            key: Some(check.key.to_string()),
            origin: var.map(|v| v.origin.clone()),
            message,
            help: Some(emit.rule.fix.to_string()),
            location: None,
            tags: vec![format!("django:{}", check.id).into()],
        });
    }
}

/// A set of rules that mirrors another tool's checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Django's `manage.py check --deploy` (see [`super::django`]).
    Django,
}

impl Profile {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Django => "django",
        }
    }
}

/// The rule with `id`.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Problems in `[rules]`: unknown rule ids and parameters.
pub(crate) fn validate_settings(
    settings: &indexmap::IndexMap<String, RuleSettings>,
    custom: &[crate::config::rules::CustomRule],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (id, s) in settings {
        // Every rule of the registry takes the same settings (enabled,
        // severity, allow): schema, consistency, security and doctor ones.
        let configurable = registry::RULES.iter();
        let params = match find(id) {
            Some(rule) => rule.params,
            None if configurable.clone().any(|r| r.id == id)
                || custom.iter().any(|c| c.id == *id) =>
            {
                &[]
            }
            None => {
                let help = match crate::suggest::closest(id, configurable.map(|r| r.id)) {
                    Some(c) => format!("did you mean `{c}`? `envward rules` lists them"),
                    None => "`envward rules` lists the rule ids".to_string(),
                };
                out.push((format!("[rules.\"{id}\"] names an unknown rule"), help));
                continue;
            }
        };
        for name in s.params.keys() {
            if !params.iter().any(|(p, _)| p == name) {
                let known: Vec<&str> = params.iter().map(|(p, _)| *p).collect();
                out.push((
                    format!("rule `{id}` has no parameter `{name}`"),
                    if known.is_empty() {
                        "it takes none (only enabled, severity, allow)".to_string()
                    } else {
                        format!("its parameters: {}", known.join(", "))
                    },
                ));
            }
        }
    }
    out
}
