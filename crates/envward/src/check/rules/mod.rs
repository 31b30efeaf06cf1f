//! Built-in security rules: what a production deploy needs (no DEBUG,
//! strong unique secrets, HTTPS, secure cookies, strict hosts and CORS, TLS
//! to databases, caches and mail servers). Each rule has a stable id, a
//! default severity, the environments it applies to, and documentation
//! (`envward rules explain ID`).

mod catalogue;
mod deploy;
mod isolation;
mod jwt;
mod origins;
pub mod strength;

use super::{Coverage, Finding, RuleStatus, Severity};
use crate::findings::{RuleInfo, registry};
use crate::value::{Resolved, Var};

pub use catalogue::RULES;
pub(crate) use deploy::{Declared, Expected, OwnKeys};

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
    /// The profile asked for (`--profile django`), if any.
    pub profile: Option<Profile>,
    /// Whether `cfg` is checked as a Django environment (a Django project,
    /// or `--profile django`): unset Django settings have Django's defaults.
    pub django: bool,
    /// Keys that `schema.required` reports missing in this environment: a
    /// rule does not report them unset a second time.
    pub missing: &'a std::collections::BTreeSet<String>,
}

/// Facts that cost a subprocess, gathered at most once per check run.
#[derive(Default)]
pub struct Shared {
    /// `[redact] min_length` of the project.
    pub(crate) redact_min_length: usize,
    git: std::cell::OnceCell<Option<GitFacts>>,
    rotations: std::cell::OnceCell<Vec<crate::ops::rotation::Rotation>>,
    fingerprint_key: std::cell::OnceCell<Option<Vec<u8>>>,
    digests: std::cell::OnceCell<Vec<EnvDigests>>,
    /// Digests of the secrets of environments loaded only to be compared
    /// with (`check -e production` reads development to find reuse).
    pub(crate) compared: Vec<EnvDigests>,
    /// The identity files envward would read in this run (`--identity`,
    /// `ENVWARD_IDENTITY_FILE`, the default file when it exists).
    pub(crate) identity_files: Vec<std::path::PathBuf>,
    digest_key: std::cell::OnceCell<[u8; 32]>,
    /// The project's environments, each with its aliases
    /// (`env.name-mismatch`).
    pub(crate) environments: Vec<(String, Vec<String>)>,
    /// What `config.missing-in-strict` compares a strict environment with.
    pub(crate) expected: Expected,
}

/// The secrets of one environment as keyed digests (HMAC-SHA256 under a
/// key drawn for this run): what reuse rules compare, so that the values
/// of environments that are not checked are not kept.
pub(crate) struct EnvDigests {
    pub(crate) environment: String,
    /// Whether the environment is strict (`env.isolation` compares strict
    /// environments only).
    pub(crate) strict: bool,
    /// The secrets, and the passwords inside URLs.
    pub(crate) secrets: Vec<SecretDigest>,
    /// The databases, caches and brokers it points at (hosts are not
    /// secrets; no user or password is kept).
    pub(crate) endpoints: Vec<isolation::Endpoint>,
}

/// One secret of an environment, as a keyed digest.
pub(crate) struct SecretDigest {
    /// The key that holds it.
    pub(crate) key: String,
    /// The keyed digest of the value (of the `%`-decoded password, for a
    /// password inside a URL).
    pub(crate) digest: [u8; 32],
    /// Where the value came from.
    pub(crate) origin: crate::source::Origin,
    /// Whether it is the password inside the URL `key` holds.
    pub(crate) in_url: bool,
}

/// What git says about the env files of every loaded environment.
pub struct GitFacts {
    /// Paths (relative to the project) that git tracks.
    pub tracked: std::collections::HashSet<String>,
    /// Paths that git ignores.
    pub ignored: std::collections::HashSet<String>,
}

impl Shared {
    /// The keyed digest of a secret value (never stored, never shown).
    pub(crate) fn digest(&self, value: &str) -> [u8; 32] {
        use hmac::Mac;
        let key = self.digest_key.get_or_init(|| {
            let mut k = [0u8; 32];
            // Without randomness the digests are still only compared with
            // each other in memory: a fixed key changes nothing visible.
            let _ = getrandom::fill(&mut k);
            k
        });
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The digests of the secrets of `cfg`: every sensitive, non-empty,
    /// non-URL value that was decrypted (sealed ones are not known), then
    /// the password inside every URL that carries one; and the databases,
    /// caches and brokers it points at.
    pub(crate) fn digests_of(&self, cfg: &Resolved) -> EnvDigests {
        let plain = cfg
            .iter()
            .filter(|v| is_comparable_secret(v))
            .map(|v| SecretDigest {
                key: v.key.to_string(),
                digest: self.digest(v.value.expose()),
                origin: v.origin.clone(),
                in_url: false,
            });
        let in_urls = url_passwords(cfg).map(|(v, password)| SecretDigest {
            key: v.key.to_string(),
            digest: self.digest(&password),
            origin: v.origin.clone(),
            in_url: true,
        });
        EnvDigests {
            environment: cfg.environment.clone(),
            strict: cfg.strict(),
            secrets: plain.chain(in_urls).collect(),
            endpoints: isolation::endpoints(cfg),
        }
    }

    /// The digests of every environment checked in this run, then of
    /// those loaded only to be compared with.
    pub(crate) fn all_digests(&self, all: &[Resolved]) -> impl Iterator<Item = &EnvDigests> {
        self.digests
            .get_or_init(|| all.iter().map(|c| self.digests_of(c)).collect())
            .iter()
            .chain(&self.compared)
    }

    /// Whether an environment other than `environment` is checked in this
    /// run or loaded to be compared with: without one, nothing is digested.
    pub(crate) fn has_others(&self, all: &[Resolved], environment: &str) -> bool {
        all.iter().any(|c| c.environment != environment)
            || self.compared.iter().any(|d| d.environment != environment)
    }

    /// The minimum length of a value `redact` and `scan` look for.
    pub fn redact_min_length(&self) -> usize {
        self.redact_min_length
    }

    /// The latest snapshot of `environment` in the project's history (a
    /// history that cannot be read has none). Only that line is parsed:
    /// `run`'s deploy gate pays for this too.
    pub fn last_snapshot(
        &self,
        root: &std::path::Path,
        environment: &str,
    ) -> Option<crate::ops::history::Snapshot> {
        crate::ops::history::last_of(root, environment)
            .ok()
            .flatten()
    }

    /// The fingerprint key when one exists (never created by a check).
    pub fn fingerprint_key(&self) -> Option<&[u8]> {
        self.fingerprint_key
            .get_or_init(|| {
                let process: std::collections::BTreeMap<String, String> =
                    ["ENVWARD_FINGERPRINT_KEY", "XDG_CONFIG_HOME", "HOME"]
                        .iter()
                        .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
                        .collect();
                crate::diff::existing_fingerprint_key(&process).map(|k| k.key)
            })
            .as_deref()
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

/// A secret the reuse rules compare: a secret by itself (not a setting
/// that is only encrypted), set, not sealed, not a URL (URLs carry other
/// rules).
pub(crate) fn is_comparable_secret(v: &Var) -> bool {
    v.sensitive
        && !v.sealed
        && !v.value.expose().is_empty()
        && !v.value.expose().contains("://")
        && v.is_secret()
}

/// The variables of `cfg` whose value is a URL carrying a password, with
/// that password `%`-decoded (decrypted values only; an empty password is
/// left out).
pub(crate) fn url_passwords(cfg: &Resolved) -> impl Iterator<Item = (&Var, String)> {
    cfg.iter().filter(|v| !v.sealed).filter_map(|v| {
        let text = v.value.expose().trim();
        if !text.contains("://") {
            return None;
        }
        let url = url::Url::parse(text).ok()?;
        let password = catalogue::percent_decoded(url.password()?);
        (!password.is_empty()).then_some((v, password))
    })
}

impl Ctx<'_> {
    /// A numeric parameter, or its default.
    pub fn param_usize(&self, name: &str, default: usize) -> usize {
        self.settings
            .and_then(|s| s.int(name))
            .and_then(|i| usize::try_from(i).ok())
            .unwrap_or(default)
    }

    /// The first of `keys` that is set (non-empty), each read as
    /// [`Ctx::get`] reads it.
    pub fn first(&self, keys: &[&str]) -> Option<&Var> {
        keys.iter()
            .find_map(|k| self.get(k).filter(|v| !v.value.expose().trim().is_empty()))
    }

    /// The setting `name`, as `NAME` or `DJANGO_NAME` ([`super::setting::get`]).
    pub fn get(&self, name: &str) -> Option<&Var> {
        super::setting::get(self.cfg, name)
    }

    /// Every variable that sets `name`: `NAME`, then `DJANGO_NAME`.
    pub fn each(&self, name: &str) -> impl Iterator<Item = &Var> {
        super::setting::each(self.cfg, name)
    }

    /// Whether the setting `name` is unset (or empty) and `schema.required`
    /// does not already say so: then a rule reports it with the default.
    pub fn unset(&self, name: &str) -> bool {
        self.get(name)
            .is_none_or(|v| v.value.expose().trim().is_empty())
            && !self
                .missing
                .iter()
                .any(|k| super::setting::is_in(self.cfg, k, name))
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
            key: Some(var.key.to_string()),
            origin: Some(var.origin.clone()),
            message,
            help: Some(self.rule.fix.to_string()),
            location: None,
            tags: Vec::new(),
        });
    }
}

impl Emit<'_> {
    /// Reports a file about no key (`path` as it should be shown).
    pub fn file(&mut self, path: &std::path::Path, message: String) {
        self.at(path, 1, "", message);
        if let Some(f) = self.findings.last_mut() {
            f.key = None;
        }
    }

    /// Reports the setting `name`, unset: at its line when it is set empty.
    pub fn unset(&mut self, ctx: &Ctx<'_>, name: &str, message: String) {
        match ctx.get(name) {
            Some(v) => self.var(v, message),
            None => self.findings.push(Finding {
                rule: self.rule.id.into(),
                severity: self.severity,
                environment: Some(self.env.to_string()),
                key: Some(name.to_string()),
                origin: None,
                message,
                help: Some(unset_help(self.rule.fix, name)),
                location: None,
                tags: Vec::new(),
            }),
        }
    }

    /// Reports line `line` of `path` (relative to the project).
    pub fn at(&mut self, path: &std::path::Path, line: u32, key: &str, message: String) {
        self.findings.push(Finding {
            rule: self.rule.id.into(),
            severity: self.severity,
            environment: Some(self.env.to_string()),
            key: Some(key.to_string()),
            origin: Some(crate::source::Origin::File {
                path: path.into(),
                line,
                column: 1,
                layer: crate::source::Layer::Environment,
                namespace: "".into(),
            }),
            message,
            help: Some(self.rule.fix.to_string()),
            location: None,
            tags: Vec::new(),
        });
    }
}

/// Runs every enabled rule on `cfg`; returns how many checks ran. Records
/// in `coverage` what happened to each rule. The rules that apply only to
/// strict environments run there; under a profile, the profile's rules run
/// in every environment too, and the findings the profile's tool would also
/// make carry its ids. In a Django environment (`django`, or the profile),
/// unset Django settings are judged by Django's defaults.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    cfg: &Resolved,
    all: &[Resolved],
    settings: &indexmap::IndexMap<String, RuleSettings>,
    shared: &Shared,
    profile: Option<Profile>,
    django: bool,
    findings: &mut Vec<Finding>,
    coverage: &mut Vec<Coverage>,
) -> usize {
    let in_profile: Vec<&str> = match profile {
        Some(Profile::Django) => super::django::rules().collect(),
        None => Vec::new(),
    };
    let django = django || profile == Some(Profile::Django);
    let missing: std::collections::BTreeSet<String> = findings
        .iter()
        .filter(|f| f.rule == "schema.required" && f.environment.as_ref() == Some(&cfg.environment))
        .filter_map(|f| f.key.clone())
        .collect();
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
        if rule.applies == Applies::Strict && !cfg.strict() && !in_profile.contains(&rule.id) {
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
                profile,
                django,
                missing: &missing,
            },
            &mut emit,
        );
        ran.push(emit);
    }
    let mut count = ran.len();
    if django {
        count += django_defaults(cfg, &mut ran, profile.is_some(), &missing, findings);
    }
    for emit in ran {
        findings.extend(emit.findings);
    }
    count
}

/// Django's deploy checks on `cfg`: what Django reports and the envward
/// rule that covers the setting did not see (an unset setting whose
/// default is unsafe, a condition the rule does not test) is reported
/// under that rule. With `ids` (`--profile django`), every finding Django
/// also makes carries Django's id, a `schema.required` one included.
/// Returns how many checks ran (those whose rule ran).
fn django_defaults(
    cfg: &Resolved,
    ran: &mut [Emit<'_>],
    ids: bool,
    missing: &std::collections::BTreeSet<String>,
    findings: &mut [Finding],
) -> usize {
    use super::setting;
    let mut count = 0;
    // Findings that stand for one of Django's checks already: each stands
    // for one (a key can fail two checks, W022 and E023).
    let mut claimed = std::collections::BTreeSet::new();
    for check in super::django::CHECKS {
        if ran.iter().any(|e| check.rules.contains(&e.rule.id)) {
            count += 1;
        }
    }
    for (check, message) in super::django::decide(cfg) {
        let tag = || std::borrow::Cow::Owned(format!("django:{}", check.id));
        let mut seen = false;
        for (i, emit) in ran.iter_mut().enumerate() {
            if !check.rules.contains(&emit.rule.id) {
                continue;
            }
            for (j, f) in emit.findings.iter_mut().enumerate() {
                if f.key
                    .as_deref()
                    .is_some_and(|k| setting::is_in(cfg, k, check.key))
                    && claimed.insert((i, j))
                {
                    if ids {
                        f.tags.push(tag());
                    }
                    seen = true;
                }
            }
        }
        if seen {
            continue;
        }
        let Some(i) = ran.iter().position(|e| e.rule.id == check.rules[0]) else {
            continue; // the rule does not run here, or is off: so is Django's check
        };
        let var = setting::get(cfg, check.key);
        let key = var.map_or(check.key, |v| v.key.as_str());
        if missing.iter().any(|k| setting::is_in(cfg, k, check.key)) {
            // `schema.required` says it already.
            if ids
                && let Some(f) = findings.iter_mut().find(|f| {
                    f.rule == "schema.required"
                        && f.environment.as_ref() == Some(&cfg.environment)
                        && f.key
                            .as_deref()
                            .is_some_and(|k| setting::is_in(cfg, k, check.key))
                        && f.django().is_none()
                })
            {
                f.tags.push(tag());
            }
            continue;
        }
        let emit = &mut ran[i];
        emit.findings.push(Finding {
            rule: emit.rule.id.into(),
            severity: emit.severity,
            environment: Some(cfg.environment.clone()),
            key: Some(key.to_string()),
            origin: var.map(|v| v.origin.clone()),
            message,
            help: Some(match var {
                Some(_) => emit.rule.fix.to_string(),
                None => unset_help(emit.rule.fix, key),
            }),
            location: None,
            tags: if ids { vec![tag()] } else { Vec::new() },
        });
        claimed.insert((i, emit.findings.len() - 1));
    }
    count
}

/// The help of a finding about a setting no source sets: the rule's fix,
/// and how envward comes to see a value provided from outside its files.
fn unset_help(fix: &str, key: &str) -> String {
    format!(
        "{fix}; set `{key}` in this environment's files, the process environment or the secrets directory"
    )
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
                crate::probe::params(id)
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
