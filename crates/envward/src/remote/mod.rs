//! Remote secret stores: an OpenBao or HashiCorp Vault KV version 2
//! secret as a source of an environment's values, and the reads and
//! writes of `envward pull` and `envward push`.
//!
//! `[environments.<env>.sources.vault]` names the server, the mount and the
//! secret (see [`VaultSettings`]). The loader reads it with the rest of
//! the environment ([`fetch`]): its values rank as the `remote` layer of
//! `[resolve] precedence` (by default above the files, below the process
//! environment and the secrets directory), are sensitive by default, and
//! name their origin as `vault:secret/myapp/production#KEY@v3`. A store
//! that cannot be read fails the load (exit 2): nothing is started on a
//! partial view.

mod client;
mod error;
pub mod sync;

use std::collections::BTreeMap;

pub use crate::config::vault::{SourcesSettings, VaultAuth, VaultSettings};
pub use client::{Client, KvSecret, describe};
pub use error::RemoteError;

use crate::secret::Secret;

/// Each secret of `settings` to read and the namespace it serves: `path`
/// for `common`, then each of `paths`.
pub fn secrets_of(settings: &VaultSettings) -> Vec<(&str, &str)> {
    std::iter::once((crate::layout::COMMON, settings.path.as_str()))
        .chain(
            settings
                .paths
                .iter()
                .map(|(ns, p)| (ns.as_str(), p.as_str())),
        )
        .collect()
}

/// One secret read from the store, and the namespace it serves.
#[derive(Debug)]
pub struct Fetched {
    /// The namespace it serves (`common` for `path`).
    pub namespace: String,
    /// The KV mount.
    pub mount: String,
    /// The secret's path.
    pub path: String,
    /// The version read.
    pub version: u64,
    /// When that version was written (RFC 3339).
    pub created_time: Option<String>,
    /// Its keys and values.
    pub data: BTreeMap<String, Secret>,
}

/// Reads every secret of `settings` (`path` and each of `paths`), the
/// secrets in parallel, logged in with the variables of `process`.
pub fn fetch(
    environment: &str,
    settings: &VaultSettings,
    process: &BTreeMap<String, String>,
) -> Result<Vec<Fetched>, RemoteError> {
    let client = Client::connect(environment, settings, process)?;
    let secrets = secrets_of(settings);
    let read = |(namespace, path): (&str, &str)| {
        client
            .read(&settings.mount, path, settings.version)
            .map(|s| Fetched {
                namespace: namespace.to_string(),
                mount: settings.mount.clone(),
                path: path.to_string(),
                version: s.version,
                created_time: s.created_time,
                data: s.data,
            })
    };
    let results: Vec<Result<Fetched, RemoteError>> = if secrets.len() == 1 {
        secrets.into_iter().map(read).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = secrets
                .into_iter()
                .map(|s| scope.spawn(move || read(s)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(RemoteError::Protocol {
                            address: client.address().to_string(),
                            what: "a read".to_string(),
                            why: "the reading thread failed".to_string(),
                        })
                    })
                })
                .collect()
        })
    };
    client.finish();
    results.into_iter().collect()
}
