//! Key-based differences between two configurations: added, removed,
//! changed (and type-changed) keys; ordering and formatting ignored.
//! Sensitive values are never shown: a keyed fingerprint stands for them.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::config::ProjectFile;
use crate::dotenv::{Document, Part, RefOp, Template};
use crate::value::Resolved;

/// One side of a comparison: key → (value, sensitive).
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// What the side is (`production`, a file name).
    pub label: String,
    /// Values, sensitive flag.
    pub values: BTreeMap<String, (String, bool)>,
}

impl Side {
    /// A loaded environment.
    pub fn from_resolved(cfg: &Resolved) -> Side {
        Side {
            label: cfg.environment.clone(),
            values: cfg
                .iter()
                .map(|v| {
                    (
                        v.key.to_string(),
                        (v.value.expose().to_string(), v.sensitive),
                    )
                })
                .collect(),
        }
    }

    /// One `.env` document, values as written in canonical form (quotes
    /// and escapes decoded; references normalised to `${NAME}` syntax, not
    /// resolved). Duplicates: the last definition. Sensitivity is the one
    /// rule, with the schema of `project`.
    pub fn from_document(label: &str, doc: &Document, project: &ProjectFile) -> Side {
        Side {
            label: label.to_string(),
            values: doc
                .entries()
                .iter()
                .map(|e| {
                    let text = canonical(e.template());
                    let sensitive = project.is_sensitive_value(e.key(), &text);
                    (e.key().to_string(), (text, sensitive))
                })
                .collect(),
        }
    }
}

/// A template written back in one canonical form.
fn canonical(t: &Template) -> String {
    let mut out = String::new();
    for part in t.parts() {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Ref(r) => {
                out.push_str("${");
                if let Some(ns) = &r.namespace {
                    out.push_str(ns);
                    out.push(':');
                }
                out.push_str(&r.name);
                let op = match r.op {
                    RefOp::Plain => "",
                    RefOp::Default { colon: true } => ":-",
                    RefOp::Default { colon: false } => "-",
                    RefOp::Alternative { colon: true } => ":+",
                    RefOp::Alternative { colon: false } => "+",
                    RefOp::Required { colon: true } => ":?",
                    RefOp::Required { colon: false } => "?",
                };
                out.push_str(op);
                if r.op != RefOp::Plain {
                    out.push_str(&canonical(&r.word));
                }
                out.push('}');
            }
        }
    }
    out
}

/// A key only one side has.
#[derive(Clone, Debug, Serialize)]
pub struct OneSided {
    /// The key.
    pub key: String,
    /// Its value, `None` when sensitive (or when comparing keys only).
    pub value: Option<String>,
    /// Keyed fingerprint of a sensitive value.
    pub fingerprint: Option<String>,
}

/// A key whose value differs.
#[derive(Clone, Debug, Serialize)]
pub struct Changed {
    /// The key.
    pub key: String,
    /// Whether either side is sensitive (then no value is shown).
    pub sensitive: bool,
    /// Left value (non-sensitive only).
    pub left: Option<String>,
    /// Right value (non-sensitive only).
    pub right: Option<String>,
    /// Fingerprints of sensitive values, left and right.
    pub fingerprints: Option<(String, String)>,
    /// The kind of value changed too (`int` → `string`), when it did.
    pub type_change: Option<(&'static str, &'static str)>,
}

/// The differences between two sides.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// Left label.
    pub left: String,
    /// Right label.
    pub right: String,
    /// Keys only on the right.
    pub added: Vec<OneSided>,
    /// Keys only on the left.
    pub removed: Vec<OneSided>,
    /// Keys on both sides with different values.
    pub changed: Vec<Changed>,
    /// Keys on both sides with the same value.
    pub unchanged: usize,
}

impl Diff {
    /// Whether the sides differ.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two sides. With `keys_only`, values are ignored (for
/// comparing with `.env.example`). `fingerprint_key` keys the HMAC that
/// stands for sensitive values; without one, no fingerprint is given.
///
/// ```
/// use envward::dotenv::Document;
/// use envward::diff::{Side, diff};
/// let schema = envward::config::ProjectFile::default();
/// let a = Side::from_document("a", &Document::parse("A=1\nB=\"x\"\nTOKEN=s1\n").unwrap(), &schema);
/// let b = Side::from_document("b", &Document::parse("export B=x\nA=one\nTOKEN=s2\nC=3\n").unwrap(), &schema);
/// let d = diff(&a, &b, false, Some(b"k"));
/// assert_eq!(d.added[0].key, "C");
/// assert_eq!(d.changed.len(), 2);
/// assert_eq!(d.changed[0].type_change, Some(("int", "string")));
/// assert!(d.changed[1].left.is_none() && d.changed[1].fingerprints.is_some());
/// assert_eq!(d.unchanged, 1);
/// ```
pub fn diff(left: &Side, right: &Side, keys_only: bool, fingerprint_key: Option<&[u8]>) -> Diff {
    let fp = |v: &str| fingerprint_key.map(|k| fingerprint(k, v));
    let one = |key: &String, (value, sensitive): &(String, bool)| OneSided {
        key: key.clone(),
        value: (!sensitive && !keys_only).then(|| value.clone()),
        fingerprint: if *sensitive && !keys_only {
            fp(value)
        } else {
            None
        },
    };
    let mut d = Diff {
        left: left.label.clone(),
        right: right.label.clone(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for (key, l) in &left.values {
        match right.values.get(key) {
            None => d.removed.push(one(key, l)),
            Some(r) if keys_only || r.0 == l.0 => d.unchanged += 1,
            Some(r) => {
                let sensitive = l.1 || r.1;
                let (lt, rt) = (kind_of(&l.0), kind_of(&r.0));
                d.changed.push(Changed {
                    key: key.clone(),
                    sensitive,
                    left: (!sensitive).then(|| l.0.clone()),
                    right: (!sensitive).then(|| r.0.clone()),
                    fingerprints: if sensitive {
                        fp(&l.0).zip(fp(&r.0))
                    } else {
                        None
                    },
                    type_change: (lt != rt && !sensitive).then_some((lt, rt)),
                });
            }
        }
    }
    for (key, r) in &right.values {
        if !left.values.contains_key(key) {
            d.added.push(one(key, r));
        }
    }
    d
}

/// The kind of a value, as `schema infer` would guess it.
pub fn kind_of(v: &str) -> &'static str {
    let t = v.trim();
    if t.is_empty() {
        "empty"
    } else if crate::value::parse_bool(t).is_some() && !t.chars().all(|c| c.is_ascii_digit()) {
        "bool"
    } else if t.parse::<i64>().is_ok() {
        "int"
    } else if t.parse::<f64>().is_ok_and(f64::is_finite) {
        "float"
    } else if t.contains("://") && url::Url::parse(t).is_ok() {
        "url"
    } else {
        "string"
    }
}

/// First 8 bytes of HMAC-SHA256(key, value), in hex: equal values give equal
/// fingerprints under the same key, and nothing about the value can be
/// learned from it without the key.
pub fn fingerprint(key: &[u8], value: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(value.as_bytes());
    let bytes = mac.finalize().into_bytes();
    bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The key that keys fingerprints, and whether getting it created a file.
#[derive(Debug)]
pub struct FingerprintKey {
    /// The key's bytes.
    pub key: Vec<u8>,
    /// The key file, when this call created it (the caller says so once).
    pub created: Option<std::path::PathBuf>,
}

/// The fingerprint key: `ENVWARD_FINGERPRINT_KEY` when set, else the
/// per-user key file `$XDG_CONFIG_HOME/envward/fingerprint.key` (or
/// `~/.config/…`), created with 32 random bytes and mode 0600 on first use
/// (then named in [`FingerprintKey::created`]). `None` when neither can be
/// had.
pub fn fingerprint_key(process: &BTreeMap<String, String>) -> Option<FingerprintKey> {
    fingerprint_key_with(process, true)
}

/// [`fingerprint_key`] without creating the key file: `None` when neither
/// `ENVWARD_FINGERPRINT_KEY` nor the file exists (for readers such as
/// `check`, that compare with fingerprints made earlier).
pub fn existing_fingerprint_key(process: &BTreeMap<String, String>) -> Option<FingerprintKey> {
    fingerprint_key_with(process, false)
}

/// An id of a fingerprint key (the fingerprint of a fixed text under it):
/// fingerprints made under keys with different ids cannot be compared.
/// It tells nothing about the key.
pub fn key_id(key: &[u8]) -> String {
    fingerprint(key, "envward fingerprint key id")
}

fn fingerprint_key_with(
    process: &BTreeMap<String, String>,
    create: bool,
) -> Option<FingerprintKey> {
    if let Some(k) = process
        .get("ENVWARD_FINGERPRINT_KEY")
        .filter(|k| !k.is_empty())
    {
        return Some(FingerprintKey {
            key: k.as_bytes().to_vec(),
            created: None,
        });
    }
    let base = process
        .get("XDG_CONFIG_HOME")
        .filter(|s| !s.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            process
                .get("HOME")
                .map(|h| std::path::Path::new(h).join(".config"))
        })?;
    let path = base.join("envward").join("fingerprint.key");
    if let Ok(bytes) = std::fs::read(&path)
        && bytes.len() >= 16
    {
        return Some(FingerprintKey {
            key: bytes,
            created: None,
        });
    }
    if !create {
        return None;
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).ok()?;
    crate::fs::create_dir_all_mode(path.parent()?, 0o700).ok()?;
    crate::fs::write_atomic(&path, &key, 0o600).ok()?;
    Some(FingerprintKey {
        key: key.to_vec(),
        created: Some(path),
    })
}
