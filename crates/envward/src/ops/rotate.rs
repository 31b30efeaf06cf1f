//! Rotation of generated secrets: a new value for a key, the old one kept
//! where the application still accepts it during the rollover, then
//! dropped (`rotate --finish`). Every write goes through the store (one
//! transaction per file, a [`crate::store::Batch`] for many), which
//! re-seals encrypted files and records the rotation in
//! `.envward/rotations.jsonl` with the key that keeps the old value.
//!
//! Where the old value goes: `[vars.KEY] rotate = { keep_in = "…", keep =
//! N }`; by default `<KEY>_PREVIOUS` (one value), and for Django's
//! `SECRET_KEY` in a Django project `SECRET_KEY_FALLBACKS` (Django reads
//! it). A key keeping several values holds them comma-separated, newest
//! first.

use crate::config::ProjectFile;
use crate::dotenv::Document;
use crate::layout::EnvFile;
use crate::ops::generate::{self, GenerateError, Recipe};
use crate::store::{Committed, Store, StoreError, Transaction};

/// A rotation could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// Writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The value cannot be generated.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The key has no value in the file to rotate.
    #[error("`{key}` is not set in {file}: there is nothing to rotate")]
    NotSet {
        /// The key.
        key: String,
        /// The file.
        file: String,
    },
    /// `--finish` without an old value kept.
    #[error("`{kept_in}` is not set in {file}: no rotation of `{key}` to finish")]
    NothingToFinish {
        /// The key.
        key: String,
        /// Where old values would be.
        kept_in: String,
        /// The file.
        file: String,
    },
    /// The schema's `rotate` setting is unusable.
    #[error("`{key}`: {message}")]
    Setting {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl RotateError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            RotateError::Store(e) => e.kind(),
            RotateError::Generate(e) => e.kind(),
            RotateError::NotSet { .. } | RotateError::NothingToFinish { .. } => {
                crate::ErrorKind::Usage
            }
            RotateError::Setting { .. } => crate::ErrorKind::Input,
        }
    }
}

/// Where the old values of `key` are kept, and how many.
pub fn keep_policy(
    project: &ProjectFile,
    key: &str,
    django: bool,
) -> Result<(String, usize), RotateError> {
    let spec = project.vars.get(key).and_then(|s| s.rotate.as_ref());
    let default = if crate::check::rules::strength::is_django_secret_key(key, django) {
        format!("{key}_FALLBACKS")
    } else {
        format!("{key}_PREVIOUS")
    };
    let kept_in = spec.and_then(|s| s.keep_in.clone()).unwrap_or(default);
    let keep = spec.and_then(|s| s.keep).unwrap_or(1);
    let bad = |message: String| RotateError::Setting {
        key: key.to_string(),
        message,
    };
    if keep == 0 {
        return Err(bad("rotate.keep must be at least 1".into()));
    }
    if kept_in == key || !crate::dotenv::is_valid_key(&kept_in) {
        return Err(bad(format!(
            "rotate.keep_in = `{kept_in}` is not another valid key"
        )));
    }
    Ok((kept_in, keep))
}

/// The declared key whose old values `key` keeps during a rollover (its
/// `rotate.keep_in`, or `<KEY>_PREVIOUS` / `<KEY>_FALLBACKS`), if any: such
/// a key needs no declaration of its own.
pub fn keeps_old_values_of<'p>(project: &'p ProjectFile, key: &str) -> Option<&'p str> {
    project.vars.iter().find_map(|(declared, spec)| {
        let named = spec
            .rotate
            .as_ref()
            .and_then(|r| r.keep_in.as_deref())
            .is_some_and(|k| k == key);
        let default = key
            .strip_prefix(declared.as_str())
            .is_some_and(|rest| rest == "_PREVIOUS" || rest == "_FALLBACKS");
        (named || default).then_some(declared.as_str())
    })
}

/// The value of `key` in `doc` as a program sees it.
fn value_of(doc: &Document, key: &str) -> Option<String> {
    let e = doc.get(key)?;
    Some(
        e.template()
            .as_literal()
            .map_or_else(|| doc.text(&e.value_span()).to_string(), str::to_string),
    )
}

/// What one rotation did (never a value).
#[derive(Debug, Clone)]
pub struct Rotated {
    /// The key.
    pub key: String,
    /// Where the old value went (`None` with `no_keep`).
    pub kept_in: Option<String>,
    /// The recipe of the new value.
    pub recipe: Recipe,
}

/// Stages a rotation of `key` in `tx`: a new value, the old one kept
/// (unless `no_keep`: then old values kept before are dropped too, for an
/// emergency where they are compromised). Written on commit.
pub fn rotate(
    tx: &mut Transaction<'_>,
    plain: &Document,
    project: &ProjectFile,
    key: &str,
    environment: &str,
    django: bool,
    no_keep: bool,
) -> Result<Rotated, RotateError> {
    let file = tx.file().display.display().to_string();
    let old = value_of(plain, key).ok_or_else(|| RotateError::NotSet {
        key: key.to_string(),
        file: file.clone(),
    })?;
    let (kept_in, keep) = keep_policy(project, key, django)?;
    let recipe = generate::recipe(project, key, environment, django)?;
    let new = generate::generate(recipe)?;
    tx.set(key, &new)?;
    if no_keep {
        tx.hide(&kept_in)?;
        return Ok(Rotated {
            key: key.to_string(),
            kept_in: None,
            recipe,
        });
    }
    let mut kept: Vec<String> = vec![old.clone()];
    if keep > 1 {
        if old.contains(',') {
            return Err(RotateError::Setting {
                key: key.to_string(),
                message: format!(
                    "the old value holds a comma: it cannot be kept in the comma-separated list `{kept_in}`"
                ),
            });
        }
        if let Some(list) = value_of(plain, &kept_in) {
            kept.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && *v != old)
                    .map(str::to_string),
            );
        }
        kept.truncate(keep);
    }
    let kept = zeroize::Zeroizing::new(kept.join(","));
    tx.keep_old(key, &kept_in, &kept)?;
    Ok(Rotated {
        key: key.to_string(),
        kept_in: Some(kept_in),
        recipe,
    })
}

/// Stages the end of a rollover: the old value(s) of `key` dropped.
/// Returns the key that held them.
pub fn finish(
    tx: &mut Transaction<'_>,
    project: &ProjectFile,
    key: &str,
    django: bool,
) -> Result<String, RotateError> {
    let (kept_in, _) = keep_policy(project, key, django)?;
    if !tx.contains(&kept_in) {
        return Err(RotateError::NothingToFinish {
            key: key.to_string(),
            kept_in,
            file: tx.file().display.display().to_string(),
        });
    }
    tx.hide(&kept_in)?;
    Ok(kept_in)
}

/// The sensitive keys of one file, split for an emergency rotation.
#[derive(Debug, Default)]
pub struct Triage {
    /// Keys envward generates (see [`generate::is_generatable`]).
    pub generatable: Vec<String>,
    /// Passwords and provider credentials: to be rotated at the provider.
    pub at_provider: Vec<String>,
}

/// Which sensitive keys of `plain` envward can rotate itself. Keys that
/// hold old values of another key (its `keep_in`) are neither.
pub fn triage(project: &ProjectFile, plain: &Document, django: bool) -> Triage {
    let mut holders: Vec<String> = Vec::new();
    for e in plain.entries() {
        if let Ok((kept_in, _)) = keep_policy(project, e.key(), django) {
            holders.push(kept_in);
        }
    }
    let mut out = Triage::default();
    let mut seen = std::collections::HashSet::new();
    for e in plain.entries() {
        if !seen.insert(e.key()) || holders.iter().any(|h| *h == e.key()) {
            continue;
        }
        let raw = plain.text(&e.value_span());
        let value = value_of(plain, e.key()).unwrap_or_default();
        if value.trim().is_empty() || !project.is_sensitive_value(e.key(), raw) {
            continue;
        }
        if generate::is_generatable(project, e.key(), &value) {
            out.generatable.push(e.key().to_string());
        } else {
            out.at_provider.push(e.key().to_string());
        }
    }
    out
}

/// One secret an emergency rotation renewed (never a value).
#[derive(Debug, Clone)]
pub struct RotatedKey {
    /// The key.
    pub key: String,
    /// The file the new value was written to, as shown to users.
    pub file: String,
    /// Where the old value went (`None` with `no_keep`).
    pub kept_in: Option<String>,
    /// The shared file the environment read the old value from, when the
    /// new value now overrides it in the environment's own file.
    pub shared_from: Option<String>,
}

/// A secret an emergency rotation left to its provider.
#[derive(Debug, Clone)]
pub struct LeftAtProvider {
    /// The key.
    pub key: String,
    /// The file it is set in, as shown to users.
    pub file: String,
    /// Whether that file is shared by every environment.
    pub shared: bool,
}

/// What [`rotate_all`] did.
#[derive(Debug, Default)]
pub struct RotatedAll {
    /// Secrets renewed, in the order of their files.
    pub rotated: Vec<RotatedKey>,
    /// Passwords and provider credentials, untouched.
    pub at_provider: Vec<LeftAtProvider>,
    /// The files written (none when nothing could be generated).
    pub committed: Vec<Committed>,
}

/// An emergency rotation of every secret the environment reads that
/// envward can generate, written in one [`crate::store::Batch`] (all files
/// or none).
///
/// The environment's own files are rotated in place. A secret it reads
/// from a shared file (`.env`, `env/<namespace>.env`) that none of its own
/// files overrides gets its new value in the environment's own file of
/// that namespace, which then overrides the shared value: the shared file
/// and the other environments are left as they are. The old value is kept
/// there too (or, with `no_keep`, old values the shared file keeps are
/// hidden: [`Transaction::hide`]). `keep_plain` writes every file in clear.
pub fn rotate_all(
    store: &Store,
    django: bool,
    no_keep: bool,
    keep_plain: bool,
) -> Result<RotatedAll, RotateError> {
    let project = &store.project().file;
    let env = store.environment().to_string();
    let mut files: Vec<EnvFile> = store
        .files(&[])?
        .into_iter()
        .filter(|f| f.path.exists())
        .collect();
    // Keys are in clear even in an encrypted file: the own files' keys
    // need no decryption.
    let mut own_keys = std::collections::HashSet::new();
    for f in &files {
        if let Some(doc) = crate::store::read_doc(f)? {
            own_keys.extend(doc.entries().iter().map(|e| e.key().to_string()));
        }
    }
    let mut out = RotatedAll::default();
    // (key, index into `shared`, target file)
    let mut from_shared: Vec<(String, usize, EnvFile)> = Vec::new();
    let mut shared: Vec<(EnvFile, Document)> = Vec::new();
    for f in store.shared_files()? {
        let plain = store.plaintext(&f)?;
        let triage = triage(project, &plain, django);
        let shown = f.display.display().to_string();
        for key in triage.generatable {
            if own_keys.contains(&key) || from_shared.iter().any(|(k, ..)| *k == key) {
                continue;
            }
            let target = store.file_in_namespace(&f.namespace)?;
            if !files.iter().any(|o| o.path == target.path) {
                files.push(target.clone());
            }
            from_shared.push((key, shared.len(), target));
        }
        for key in triage.at_provider {
            if !own_keys.contains(&key) && !out.at_provider.iter().any(|a| a.key == key) {
                out.at_provider.push(LeftAtProvider {
                    key,
                    file: shown.clone(),
                    shared: true,
                });
            }
        }
        shared.push((f, plain));
    }
    let mut batch = store.edit_many(&files)?;
    let mut own_at_provider = Vec::new();
    for tx in batch.transactions() {
        let shown = tx.file().display.display().to_string();
        if tx.exists() {
            let plain = tx.plaintext()?;
            let triage = triage(project, &plain, django);
            for key in triage.generatable {
                let done = rotate(tx, &plain, project, &key, &env, django, no_keep)?;
                out.rotated.push(RotatedKey {
                    key,
                    file: shown.clone(),
                    kept_in: done.kept_in,
                    shared_from: None,
                });
            }
            own_at_provider.extend(triage.at_provider.into_iter().map(|key| LeftAtProvider {
                key,
                file: shown.clone(),
                shared: false,
            }));
        }
        for (key, i, target) in &from_shared {
            if target.path != tx.file().path {
                continue;
            }
            let (file, plain) = &shared[*i];
            let done = rotate(tx, plain, project, key, &env, django, no_keep)?;
            out.rotated.push(RotatedKey {
                key: key.clone(),
                file: shown.clone(),
                kept_in: done.kept_in,
                shared_from: Some(file.display.display().to_string()),
            });
        }
        if keep_plain {
            tx.keep_plain();
        }
    }
    own_at_provider.append(&mut out.at_provider);
    out.at_provider = own_at_provider;
    if !out.rotated.is_empty() {
        out.committed = batch.commit()?;
    }
    Ok(out)
}
