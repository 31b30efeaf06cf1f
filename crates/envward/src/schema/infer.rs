//! `schema infer`: a starting schema guessed from the env files of every
//! environment.

use std::collections::BTreeMap;

use crate::value::{Resolved, parse_bool};

/// What was guessed about one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inferred {
    /// The key.
    pub key: String,
    /// `bool`, `port`, `int`, `float`, `list`, `url`, `email`, `secret` or `string`.
    pub kind: &'static str,
    /// Whether it looks like a secret.
    pub sensitive: bool,
    /// Set (non-empty) in every environment.
    pub required: bool,
    /// The environments that set it.
    pub environments: Vec<String>,
}

fn kind_of(key: &str, v: &str) -> &'static str {
    let t = v.trim();
    if parse_bool(t).is_some() && !t.chars().all(|c| c.is_ascii_digit()) {
        "bool"
    } else if let Ok(n) = t.parse::<i64>() {
        if key.to_ascii_uppercase().ends_with("PORT") && (1..=65535).contains(&n) {
            "port"
        } else {
            "int"
        }
    } else if t.parse::<f64>().is_ok_and(f64::is_finite) {
        "float"
    } else if t.contains(',') && !t.starts_with(['{', '[']) {
        "list"
    } else if t.contains("://") && url::Url::parse(t).is_ok() {
        "url"
    } else if super::check_type(super::VarType::Email, t).is_ok() {
        "email"
    } else {
        "string"
    }
}

/// The most specific kind every value fits: `int` and `float` widen to
/// `float`, `port` to `int`, anything else mixed to `string`.
fn unify(a: &'static str, b: &'static str) -> &'static str {
    match (a, b) {
        (a, b) if a == b => a,
        ("port", "int") | ("int", "port") => "int",
        ("int" | "port", "float") | ("float", "int" | "port") => "float",
        // A list with one item looks like a plain value.
        ("list", "string" | "url" | "email") | ("string" | "url" | "email", "list") => "list",
        _ => "string",
    }
}

/// Guesses a schema from loaded environments (values as resolved).
///
/// ```
/// use envward::{Config, LoadOptions};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join(".env.staging"), "PORT=8080\nDEBUG=False\nAPI_TOKEN=x\nRATIO=1\nHOSTS=a.example\n").unwrap();
/// std::fs::write(dir.path().join(".env.production"), "PORT=443\nDEBUG=off\nAPI_TOKEN=y\nRATIO=0.5\nONLY=1\nHOSTS=a,b\n").unwrap();
/// let load = |e: &str| Config::load(LoadOptions { project_dir: Some(dir.path().into()), environment: Some(e.into()), process_env: Some(Default::default()), ..Default::default() }).unwrap();
/// let got = envward::schema::infer(&[load("staging"), load("production")]);
/// let find = |k: &str| got.iter().find(|i| i.key == k).unwrap().clone();
/// assert_eq!(find("PORT").kind, "port");
/// assert_eq!(find("DEBUG").kind, "bool");
/// assert_eq!(find("RATIO").kind, "float");
/// assert_eq!(find("HOSTS").kind, "list");
/// assert!(find("API_TOKEN").sensitive && find("API_TOKEN").required);
/// assert!(!find("ONLY").required);
/// ```
pub fn infer(environments: &[Resolved]) -> Vec<Inferred> {
    let mut out: BTreeMap<String, Inferred> = BTreeMap::new();
    for cfg in environments {
        for var in cfg.iter() {
            let value = var.value.expose();
            let entry = out.entry(var.key.to_string()).or_insert_with(|| Inferred {
                key: var.key.to_string(),
                kind: "",
                sensitive: false,
                required: true,
                environments: Vec::new(),
            });
            if value.is_empty() {
                entry.required = false;
            } else {
                let k = kind_of(&var.key, value);
                entry.kind = if entry.kind.is_empty() {
                    k
                } else {
                    unify(entry.kind, k)
                };
            }
            entry.sensitive |= var.sensitive;
            entry.environments.push(cfg.environment.clone());
        }
    }
    let n = environments.len();
    out.into_values()
        .map(|mut i| {
            if i.kind.is_empty() {
                i.kind = "string";
            }
            if i.sensitive && i.kind == "string" {
                i.kind = "secret";
            }
            i.required &= i.environments.len() == n;
            i
        })
        .collect()
}

/// `[vars.*]` tables for the inferred keys that `existing` does not
/// declare yet, appended to `existing` (the text of `envward.toml`).
/// `required_in` names the environments a key set everywhere is required
/// in; `None` means all (`required = true`).
pub fn append_to(
    existing: &str,
    inferred: &[Inferred],
    declared: &dyn Fn(&str) -> bool,
    required_in: Option<&[String]>,
) -> String {
    let mut out = existing.to_string();
    let new: Vec<_> = inferred.iter().filter(|i| !declared(&i.key)).collect();
    if new.is_empty() {
        return out;
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str("# Inferred by `envward schema infer`: review the types and requirements.\n");
    for i in new {
        let key = if i
            .key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            i.key.clone()
        } else {
            format!("{:?}", i.key)
        };
        out.push_str(&format!("\n[vars.{key}]\ntype = \"{}\"\n", i.kind));
        if i.required {
            match required_in {
                None => out.push_str("required = true\n"),
                Some(envs) => {
                    let list: Vec<String> = envs.iter().map(|e| format!("{e:?}")).collect();
                    out.push_str(&format!("required = [{}]\n", list.join(", ")));
                }
            }
        } else {
            out.push_str(&format!("# set in: {}\n", i.environments.join(", ")));
        }
        if i.sensitive && i.kind != "secret" {
            out.push_str("sensitive = true\n");
        }
    }
    out
}
