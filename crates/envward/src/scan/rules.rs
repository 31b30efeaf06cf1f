//! Provider rules: credential formats as data (`rules.toml`, compiled into
//! the binary), a keyword prefilter (one Aho-Corasick automaton over every
//! rule's keywords), then each candidate rule's regex, then the noise
//! checks of [`super::noise`].

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use serde::Deserialize;

use super::noise;
use crate::config::scan::ScanRule;
use crate::findings::Severity;

/// The built-in rules, as shipped.
pub const BUILTIN: &str = include_str!("rules.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    examples: Vec<String>,
    placeholders: Vec<String>,
    rule: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    keywords: Vec<String>,
    regex: String,
    #[serde(default)]
    entropy: f64,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    checksum: Option<Checksum>,
    #[serde(skip)]
    severity: Option<Severity>,
}

/// A check a rule's secret must pass, beyond its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Checksum {
    /// GitHub's (and npm's) token checksum: `PREFIX_` then 30 random
    /// characters then 6, the base62 CRC32 of the 30.
    #[serde(rename = "github-crc32")]
    GithubCrc32,
    /// HTTP Basic and Docker `auth` credentials: the secret is the base64
    /// of printable `user:password` text (a password of 4 characters or
    /// more).
    #[serde(rename = "base64-user-password")]
    Base64UserPassword,
}

impl Checksum {
    /// Whether `secret` passes the check.
    pub fn passes(self, secret: &[u8]) -> bool {
        match self {
            Checksum::GithubCrc32 => noise::github_checksum_ok(secret),
            Checksum::Base64UserPassword => noise::base64_user_password(secret),
        }
    }
}

/// One provider rule, compiled.
#[derive(Debug)]
pub struct Rule {
    /// The id without the `scan.` prefix (`github-token`).
    pub id: String,
    /// What it finds.
    pub title: String,
    /// Its keywords (empty: every file is searched).
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// An assignment rule: values that read as code are dropped.
    pub generic: bool,
    /// A checksum the secret must pass.
    pub checksum: Option<Checksum>,
    /// The severity of its findings (built-in rules: error).
    pub severity: Severity,
    /// Whether it comes from `[[scan.rules]]` in envward.toml.
    pub user: bool,
    regex: Regex,
}

/// Every provider rule, ready to search.
#[derive(Debug)]
pub struct Rules {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    keywords: Option<AhoCorasick>,
    /// For each keyword of the automaton, the rules that have it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: always searched.
    always: Vec<usize>,
    examples: Vec<String>,
    placeholders: Vec<String>,
}

/// What is wrong with a rules file.
#[derive(Debug, thiserror::Error)]
#[error("scan rules: {0}")]
pub struct RulesError(String);

/// A secret a rule found in a text.
#[derive(Clone, Debug)]
pub struct RuleHit {
    /// Index of the rule in [`Rules::rules`].
    pub rule: usize,
    /// Byte range of the secret.
    pub start: usize,
    /// End of the secret.
    pub end: usize,
}

impl Rules {
    /// The built-in rules.
    pub fn builtin() -> Result<Rules, RulesError> {
        Rules::parse(BUILTIN)
    }

    /// The built-in rules and the project's own (`[[scan.rules]]`, already
    /// checked when envward.toml was read); an error when one of the
    /// project's ids is a built-in one.
    pub fn with_project(user: &[ScanRule]) -> Result<Rules, RulesError> {
        let mut file: File = toml::from_str(BUILTIN).map_err(|e| RulesError(e.to_string()))?;
        for u in user {
            let id = u.id.get_ref();
            if file.rule.iter().any(|r| r.id == *id) {
                return Err(RulesError(format!(
                    "[[scan.rules]] in envward.toml: `{id}` is the id of a built-in rule (give yours another id; `[rules.\"scan.{id}\"] enabled = false` switches the built-in one off)"
                )));
            }
            file.rule.push(RuleSpec {
                id: id.clone(),
                title: u.description.clone(),
                keywords: u.keywords.clone(),
                regex: u.regex.get_ref().clone(),
                entropy: u.entropy.as_ref().map_or(0.0, |e| *e.get_ref()),
                generic: false,
                checksum: None,
                severity: Some(u.severity.map_or(Severity::Error, Severity::from)),
            });
        }
        Rules::build(file)
    }

    /// Rules from the text of a rules file (the format of `rules.toml`).
    pub fn parse(text: &str) -> Result<Rules, RulesError> {
        let file: File = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        Rules::build(file)
    }

    fn build(file: File) -> Result<Rules, RulesError> {
        let mut rules = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, spec) in file.rule.into_iter().enumerate() {
            // Bytes, not Unicode: files are scanned as bytes, and ASCII
            // word boundaries keep the fast (DFA) engines usable on text
            // that is not ASCII.
            let regex = regex::bytes::RegexBuilder::new(&spec.regex)
                .unicode(false)
                .build()
                .map_err(|e| RulesError(format!("rule `{}`: {e}", spec.id)))?;
            if spec.keywords.is_empty() {
                always.push(i);
            }
            for k in &spec.keywords {
                let k = k.to_ascii_lowercase();
                match words.iter().position(|w| *w == k) {
                    Some(at) => keyword_rules[at].push(i),
                    None => {
                        words.push(k);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
            rules.push(Rule {
                id: spec.id,
                title: spec.title,
                keywords: spec.keywords,
                entropy: spec.entropy,
                generic: spec.generic,
                checksum: spec.checksum,
                severity: spec.severity.unwrap_or(Severity::Error),
                user: spec.severity.is_some(),
                regex,
            });
        }
        let keywords = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    // A full DFA: one table lookup per byte. With a few
                    // hundred keywords the prefilters give up and the
                    // default (NFA) kinds cost far more per byte.
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&words)
                    .map_err(|e| RulesError(e.to_string()))?,
            )
        };
        Ok(Rules {
            rules,
            keywords,
            keyword_rules,
            always,
            examples: file.examples,
            placeholders: file
                .placeholders
                .into_iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
        })
    }

    /// The secrets the rules find in `text`, noise removed.
    pub fn find(&self, text: &[u8]) -> Vec<RuleHit> {
        let mut candidate = vec![false; self.rules.len()];
        for &i in &self.always {
            candidate[i] = true;
        }
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(text) {
                for &i in &self.keyword_rules[m.pattern().as_usize()] {
                    candidate[i] = true;
                }
            }
        }
        let mut hits = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !candidate[i] {
                continue;
            }
            for caps in rule.regex.captures_iter(text) {
                // The first named group that took part (`secret`, `token`…;
                // `name…` groups hold the assigned name, not the secret),
                // else all.
                let mut secret = None;
                let mut name = None;
                for n in rule.regex.capture_names().flatten() {
                    let Some(m) = caps.name(n) else { continue };
                    if n.starts_with("name") {
                        name = name.or(Some(m.as_bytes()));
                    } else if secret.is_none() {
                        secret = Some((n.starts_with("bare"), m));
                    }
                }
                let (bare, secret) = match (secret, caps.get(0)) {
                    (Some(found), _) => found,
                    (None, Some(all)) => (false, all),
                    (None, None) => continue,
                };
                let value = Value {
                    start: secret.start(),
                    end: secret.end(),
                    bare,
                };
                if self.is_noise(rule, text, value, name) {
                    continue;
                }
                hits.push(RuleHit {
                    rule: i,
                    start: secret.start(),
                    end: secret.end(),
                });
            }
        }
        hits
    }

    fn is_noise(&self, rule: &Rule, text: &[u8], value: Value, name: Option<&[u8]>) -> bool {
        let Value { start, end, .. } = value;
        let secret = &text[start..end];
        let lower = secret.to_ascii_lowercase();
        // The part that should be random: after the rule's keyword when the
        // secret starts with it (`shpat_`, `AKIA`).
        let body = rule
            .keywords
            .iter()
            .filter(|k| lower.starts_with(k.to_ascii_lowercase().as_bytes()))
            .map(|k| &secret[k.len()..])
            .min_by_key(|b| b.len())
            .unwrap_or(secret);
        noise::is_ciphertext(text, start, end)
            || noise::is_reference(secret)
            || self
                .examples
                .iter()
                .any(|e| memchr::memmem::find(secret, e.as_bytes()).is_some())
            || self.has_placeholder(&lower)
            || noise::decoded_base64_text(secret).is_some_and(|t| self.has_placeholder(&t))
            || noise::distinct(body) < 5
            || noise::entropy(secret) < min_entropy(rule, name)
            || rule.checksum.is_some_and(|c| !c.passes(secret))
            || (rule.generic && generic_noise(text, value, name))
    }

    /// Whether lower-cased text holds a placeholder.
    fn has_placeholder(&self, lower: &[u8]) -> bool {
        self.placeholders
            .iter()
            .any(|p| memchr::memmem::find(lower, p.as_bytes()).is_some())
    }
}

/// The entropy a rule's secret needs. A password assigned to a name that
/// says so needs less than a token (3.0 bits per byte at most): people
/// choose passwords, shorter ones, from fewer characters; machines make
/// tokens.
fn min_entropy(rule: &Rule, name: Option<&[u8]>) -> f64 {
    if rule.generic && name.is_some_and(names_a_password) {
        rule.entropy.min(3.0)
    } else {
        rule.entropy
    }
}

/// Whether an assigned name is a password's (`DB_PASSWORD`, `passwd`,
/// `passphrase`).
fn names_a_password(name: &[u8]) -> bool {
    name.windows(4).any(|w| w.eq_ignore_ascii_case(b"pass"))
}

/// Where a rule's secret is in the text.
#[derive(Clone, Copy)]
struct Value {
    start: usize,
    end: usize,
    /// An assignment's unquoted value (the `bare` group).
    bare: bool,
}

/// What an assignment rule drops: a value that reads as code, a name
/// that holds no secret, an identifier under an API field's name (a UUID,
/// words), and an unquoted value that code follows.
fn generic_noise(text: &[u8], value: Value, name: Option<&[u8]>) -> bool {
    let secret = &text[value.start..value.end];
    if noise::reads_as_code(secret, !value.bare) || name.is_some_and(noise::not_a_secret_name) {
        return true;
    }
    let name = name.unwrap_or_default();
    // A UUID under an API field's `…Token` name is an identifier (a
    // request, change or idempotency token: `ClientRequestToken`,
    // `changeToken`); under an environment variable's name (`SNYK_TOKEN`)
    // or a key's (`api_key`, `HEROKU_API_KEY`) it is a credential.
    if noise::is_uuid(secret)
        && name.iter().any(u8::is_ascii_lowercase)
        && name.len() >= 5
        && name[name.len() - 5..].eq_ignore_ascii_case(b"token")
    {
        return true;
    }
    // Words (`PublicIpv4Pools`) are a name, not a random value; people
    // choose passwords from words, machines make tokens and keys.
    if noise::reads_as_words(secret) && !names_a_password(name) {
        return true;
    }
    value.bare && noise::code_follows(text, value.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile_with_unique_ids() {
        let rules = Rules::builtin().unwrap();
        let mut ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(n >= 25);
    }

    #[test]
    fn keywords_gate_the_regexes() {
        let rules = Rules::builtin().unwrap();
        let text = format!(
            "token: {}\n",
            crate::scan::rules_tests::github_style("ghp", 1)
        );
        let hits = rules.find(text.as_bytes());
        let ids: Vec<&str> = hits
            .iter()
            .map(|h| rules.rules[h.rule].id.as_str())
            .collect();
        assert!(ids.contains(&"github-token"), "{ids:?}");
    }
}
