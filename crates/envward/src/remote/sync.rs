//! `envward pull` and `envward push`: an environment's files and its
//! store secret compared key by key (never showing a value), then one side
//! brought in line with the other.
//!
//! The files' side is the environment's own and shared files, resolved
//! without the store, the process environment or the secrets directory
//! ([`LoadOptions::files_only`]); local overrides (`.env.local`) and schema
//! defaults are never pushed. Pull writes through the one write path
//! ([`crate::store`]): an encrypted file stays encrypted. Push writes a new
//! KV version with check-and-set, based on the version read when planning,
//! so a write by someone else in between is refused.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::client::{Client, describe};
use super::error::RemoteError;
use crate::config::Layer;
use crate::config::vault::VaultSettings;
use crate::layout::COMMON;
use crate::resolve::{Config, LoadOptions, Project};
use crate::secret::Secret;
use crate::source::Origin;
use crate::store::{Store, StoreError};

/// What happens to one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyChange {
    /// Only on the side being read: written to the other.
    Added,
    /// On both sides with different values: overwritten.
    Changed,
    /// The same on both sides.
    Unchanged,
    /// Only on the side being written: left as it is.
    Kept,
    /// Only in the store, removed by `push --prune`.
    Removed,
}

impl KeyChange {
    /// One character for the text diff.
    pub fn sign(self) -> char {
        match self {
            KeyChange::Added => '+',
            KeyChange::Changed => '~',
            KeyChange::Unchanged => '=',
            KeyChange::Kept => '·',
            KeyChange::Removed => '-',
        }
    }

    /// Whether applying the plan changes something for this key.
    pub fn writes(self) -> bool {
        matches!(
            self,
            KeyChange::Added | KeyChange::Changed | KeyChange::Removed
        )
    }
}

/// The plan for one secret of the store.
#[derive(Debug, Serialize)]
pub struct SecretPlan {
    /// The namespace it serves.
    pub namespace: String,
    /// `secret/myapp/production`.
    pub secret: String,
    /// The version read (`None`: there is no secret yet).
    pub version: Option<u64>,
    /// Each key and what happens to it, by key.
    pub keys: Vec<(String, KeyChange)>,
    #[serde(skip)]
    path: String,
    /// The values to write (push: the whole new version; pull: the keys
    /// to write to the files).
    #[serde(skip)]
    values: BTreeMap<String, Secret>,
}

impl SecretPlan {
    /// How many keys change.
    pub fn changes(&self) -> usize {
        self.keys.iter().filter(|(_, c)| c.writes()).count()
    }
}

/// A planned pull or push.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// `pull` or `push`.
    pub direction: &'static str,
    /// The environment.
    pub environment: String,
    /// The server.
    pub address: String,
    /// One entry per secret (`path`, then each of `paths`).
    pub secrets: Vec<SecretPlan>,
    /// A `version` pinned in `envward.toml` (reads stay on it after a push).
    pub pinned: Option<u64>,
}

impl Plan {
    /// How many keys change in all.
    pub fn changes(&self) -> usize {
        self.secrets.iter().map(SecretPlan::changes).sum()
    }
}

/// The store settings of the environment `options` select.
fn settings(options: &LoadOptions) -> Result<(Project, String, VaultSettings), StoreError> {
    let project = Project::open(options.project_dir.as_deref())?;
    let process = options.process_env();
    let environment = project.environment(options.environment.as_deref(), &process)?;
    let vault = project
        .file
        .environments
        .get(&environment)
        .and_then(|e| e.sources.vault.clone())
        .ok_or_else(|| {
            crate::LoadError::from(RemoteError::NoSource {
                environment: environment.clone(),
            })
        })?;
    Ok((project, environment, vault))
}

/// The files' values of the environment, by the namespace whose secret
/// they belong to (a namespace with its own path, else `common`).
fn file_values(
    project: &Project,
    options: &LoadOptions,
    environment: &str,
    vault: &VaultSettings,
) -> Result<BTreeMap<String, BTreeMap<String, Secret>>, StoreError> {
    let cfg = Config::load_in(
        project,
        LoadOptions {
            environment: Some(environment.to_string()),
            namespace: None,
            files_only: true,
            ..options.clone()
        },
    )?;
    let mut out: BTreeMap<String, BTreeMap<String, Secret>> = BTreeMap::new();
    for var in cfg.iter() {
        let Origin::File {
            layer, namespace, ..
        } = &var.origin
        else {
            continue;
        };
        if !matches!(layer, Layer::Environment | Layer::Shared) || var.sealed {
            continue;
        }
        let ns = if vault.paths.contains_key(&**namespace) {
            namespace.to_string()
        } else {
            COMMON.to_string()
        };
        out.entry(ns).or_default().insert(
            var.key.to_string(),
            Secret::new(var.value.expose().to_string()),
        );
    }
    Ok(out)
}

/// What one secret's comparison gives: the version read, each key and
/// what happens to it, and the values to write.
type Compared = (
    Option<u64>,
    Vec<(String, KeyChange)>,
    BTreeMap<String, Secret>,
);

/// The plan of `direction`: the store's settings, a login, the files'
/// values, then `compare` for each secret (with the files' values of the
/// namespace it serves).
fn plan(
    options: &LoadOptions,
    direction: &'static str,
    compare: impl Fn(
        &Client,
        &VaultSettings,
        &str,
        &BTreeMap<String, Secret>,
    ) -> Result<Compared, RemoteError>,
) -> Result<Plan, StoreError> {
    let (project, environment, vault) = settings(options)?;
    let client = Client::connect(&environment, &vault, &options.process_env()).map_err(load)?;
    let files = file_values(&project, options, &environment, &vault)?;
    let empty = BTreeMap::new();
    let mut secrets = Vec::new();
    for (namespace, path) in super::secrets_of(&vault) {
        let local = files.get(namespace).unwrap_or(&empty);
        let (version, keys, values) = compare(&client, &vault, path, local).map_err(load)?;
        secrets.push(SecretPlan {
            namespace: namespace.to_string(),
            secret: describe(&vault.mount, path, None),
            version,
            keys,
            path: path.to_string(),
            values,
        });
    }
    let address = client.address().to_string();
    client.finish();
    Ok(Plan {
        direction,
        environment,
        address,
        secrets,
        pinned: vault.version,
    })
}

/// Compares the store (read) with the files (written) for `envward pull`.
pub fn plan_pull(options: &LoadOptions) -> Result<Plan, StoreError> {
    plan(options, "pull", |client, vault, path, local| {
        let stored = client.read(&vault.mount, path, vault.version)?;
        let mut keys = Vec::new();
        let mut values = BTreeMap::new();
        for (key, value) in &stored.data {
            let change = match local.get(key) {
                None => KeyChange::Added,
                Some(v) if v.expose() == value.expose() => KeyChange::Unchanged,
                Some(_) => KeyChange::Changed,
            };
            if change.writes() {
                values.insert(key.clone(), Secret::new(value.expose().to_string()));
            }
            keys.push((key.clone(), change));
        }
        keys.extend(
            local
                .keys()
                .filter(|k| !stored.data.contains_key(*k))
                .map(|k| (k.clone(), KeyChange::Kept)),
        );
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Ok((Some(stored.version), keys, values))
    })
}

/// Writes a pull plan's added and changed keys to the environment's files,
/// through the write path (`command` names it in records). Returns the
/// number of keys written.
pub fn apply_pull(options: &LoadOptions, plan: &Plan, command: &str) -> Result<usize, StoreError> {
    let mut written = 0;
    for secret in &plan.secrets {
        let namespace = (secret.namespace != COMMON).then(|| secret.namespace.clone());
        let store = Store::open(
            &LoadOptions {
                environment: Some(plan.environment.clone()),
                namespace: namespace.clone(),
                ..options.clone()
            },
            command,
        )?;
        // Each key goes to the environment's own file that defines it,
        // else to the namespace's file: never to a shared file (other
        // environments read it) or a local override.
        let mut by_file: BTreeMap<std::path::PathBuf, (crate::layout::EnvFile, Vec<&str>)> =
            BTreeMap::new();
        for key in secret.values.keys() {
            let mut file = store.file_for_key(key)?;
            if file.layer != Layer::Environment || file.shared {
                file = store.namespace_file()?;
            }
            by_file
                .entry(file.path.clone())
                .or_insert_with(|| (file, Vec::new()))
                .1
                .push(key);
        }
        for (file, keys) in by_file.values() {
            let mut tx = store.edit(file)?;
            for key in keys {
                tx.set(key, secret.values[*key].expose())?;
            }
            tx.commit()?;
            written += keys.len();
        }
    }
    Ok(written)
}

/// Compares the files (read) with the store (written) for `envward push`;
/// with `prune`, keys only in the store are removed.
pub fn plan_push(options: &LoadOptions, prune: bool) -> Result<Plan, StoreError> {
    plan(options, "push", |client, vault, path, local| {
        let stored = client.read_for_write(&vault.mount, path)?;
        let empty = BTreeMap::new();
        let remote = stored.as_ref().map_or(&empty, |s| &s.data);
        let names: BTreeSet<&String> = local.keys().chain(remote.keys()).collect();
        let mut keys = Vec::new();
        let mut values = BTreeMap::new();
        for key in names {
            let change = match (local.get(key), remote.get(key)) {
                (Some(_), None) => KeyChange::Added,
                (Some(l), Some(r)) if l.expose() == r.expose() => KeyChange::Unchanged,
                (Some(_), Some(_)) => KeyChange::Changed,
                (None, Some(_)) if prune => KeyChange::Removed,
                (None, _) => KeyChange::Kept,
            };
            let kept = local
                .get(key)
                .or_else(|| remote.get(key).filter(|_| !prune));
            if let Some(v) = kept {
                values.insert(key.clone(), Secret::new(v.expose().to_string()));
            }
            keys.push((key.clone(), change));
        }
        Ok((stored.as_ref().map(|s| s.version), keys, values))
    })
}

/// Writes a push plan: one new version per secret that changes, each
/// only if the secret is still at the version the plan read (or at
/// `expect_version` for `path`, when given). Returns the new versions.
pub fn apply_push(
    options: &LoadOptions,
    plan: &Plan,
    expect_version: Option<u64>,
) -> Result<Vec<(String, u64)>, StoreError> {
    let (_, environment, vault) = settings(options)?;
    let process = options.process_env();
    let client = Client::connect(&environment, &vault, &process).map_err(load)?;
    let mut done = Vec::new();
    for secret in &plan.secrets {
        let main = secret.namespace == COMMON;
        if secret.changes() == 0 && !(main && expect_version.is_some()) {
            continue;
        }
        let cas = match expect_version.filter(|_| main) {
            Some(v) => v,
            None => secret.version.unwrap_or(0),
        };
        let version = client
            .write(&vault.mount, &secret.path, &secret.values, cas)
            .map_err(load)?;
        done.push((secret.secret.clone(), version));
    }
    client.finish();
    Ok(done)
}

fn load(e: RemoteError) -> StoreError {
    StoreError::Load(crate::LoadError::from(e))
}
