//! `envward log analyze`: what the audit log says per key and per user,
//! its failed decryptions, and the secrets never rotated (from the
//! rotation records).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Action, Entry};
use crate::ops::rotation::{self, Rotation};

/// Changes and reads of one key of one environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeyActivity {
    /// The environment.
    pub environment: String,
    /// The key.
    pub key: String,
    /// Entries that changed it.
    pub changes: usize,
    /// Entries that revealed it.
    pub reads: usize,
    /// When it last changed.
    pub last_change: Option<String>,
    /// Who last changed it.
    pub last_changed_by: Option<String>,
    /// Everyone who changed it.
    pub changed_by: Vec<String>,
}

/// What one user did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserActivity {
    /// The user.
    pub user: String,
    /// The hosts they worked from.
    pub hosts: Vec<String>,
    /// Entries that changed configuration.
    pub writes: usize,
    /// Entries that revealed secrets.
    pub reads: usize,
    /// Failed decryptions.
    pub failed_decryptions: usize,
    /// Their last entry.
    pub last: String,
}

/// One failed decryption.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedDecryption {
    /// When.
    pub time: String,
    /// Who.
    pub user: String,
    /// Where.
    pub host: String,
    /// The command.
    pub command: String,
    /// The environment.
    pub environment: String,
    /// Why (the kind of failure).
    pub detail: Option<String>,
    /// Its line in the log.
    pub line: usize,
}

/// A secret with no rotation record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NeverRotated {
    /// The environment.
    pub environment: String,
    /// The key.
    pub key: String,
}

/// The summary of an audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// Entries read.
    pub entries: usize,
    /// The first entry's time.
    pub first: Option<String>,
    /// The last entry's time.
    pub last: Option<String>,
    /// Per environment and key, most changed first.
    pub keys: Vec<KeyActivity>,
    /// Per user, most active first.
    pub users: Vec<UserActivity>,
    /// Every failed decryption, oldest first.
    pub failed_decryptions: Vec<FailedDecryption>,
    /// Secrets (environment, key) that no rotation record names.
    pub never_rotated: Vec<NeverRotated>,
}

/// Summarises `entries`. `secrets` are the sensitive keys of each
/// environment (environment, key); those without a rotation record in
/// `rotations` are listed as never rotated.
pub fn analyze(
    entries: &[Entry],
    secrets: &[(String, String)],
    rotations: &[Rotation],
) -> Analysis {
    let mut keys: BTreeMap<(&str, &str), KeyActivity> = BTreeMap::new();
    let mut users: BTreeMap<&str, UserActivity> = BTreeMap::new();
    let mut failed = Vec::new();
    for e in entries {
        let u = users.entry(&e.user).or_insert_with(|| UserActivity {
            user: e.user.clone(),
            ..Default::default()
        });
        if !u.hosts.contains(&e.host) {
            u.hosts.push(e.host.clone());
        }
        u.last.clone_from(&e.time);
        match e.action {
            Action::Write => u.writes += 1,
            Action::Read => u.reads += 1,
            Action::DecryptFailed => {
                u.failed_decryptions += 1;
                failed.push(FailedDecryption {
                    time: e.time.clone(),
                    user: e.user.clone(),
                    host: e.host.clone(),
                    command: e.command.clone(),
                    environment: e.environment.clone(),
                    detail: e.detail.clone(),
                    line: e.line,
                });
            }
        }
        for key in &e.keys {
            let k = keys
                .entry((&e.environment, key))
                .or_insert_with(|| KeyActivity {
                    environment: e.environment.clone(),
                    key: key.clone(),
                    ..Default::default()
                });
            match e.action {
                Action::Write => {
                    k.changes += 1;
                    k.last_change = Some(e.time.clone());
                    k.last_changed_by = Some(e.user.clone());
                    if !k.changed_by.contains(&e.user) {
                        k.changed_by.push(e.user.clone());
                    }
                }
                Action::Read => k.reads += 1,
                Action::DecryptFailed => {}
            }
        }
    }
    let mut keys: Vec<KeyActivity> = keys.into_values().collect();
    keys.sort_by(|a, b| b.changes.cmp(&a.changes).then(b.reads.cmp(&a.reads)));
    let mut users: Vec<UserActivity> = users.into_values().collect();
    users.sort_by_key(|u| std::cmp::Reverse(u.writes + u.reads));
    let never_rotated = secrets
        .iter()
        .filter(|(env, key)| rotation::last(rotations, env, key).is_none())
        .map(|(env, key)| NeverRotated {
            environment: env.clone(),
            key: key.clone(),
        })
        .collect();
    Analysis {
        entries: entries.len(),
        first: entries.first().map(|e| e.time.clone()),
        last: entries.last().map(|e| e.time.clone()),
        keys,
        users,
        failed_decryptions: failed,
        never_rotated,
    }
}
