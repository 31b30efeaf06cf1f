//! One secret of a remote store (OpenBao / Vault KV v2), read when the
//! environment was loaded: a source of the `remote` layer serving one
//! namespace (`common` for the main path, so every namespace falls back
//! to it).

use std::borrow::Cow;
use std::sync::Arc;

use super::{Conflict, Definition, Key, Layer, Origin, Source, Text};
use crate::remote::Fetched;

/// The keys and values of one secret.
pub(crate) struct RemoteSource {
    fetched: Fetched,
    store: Arc<RemoteLocation>,
}

/// Where a remote value is: shared by every key of a secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RemoteLocation {
    /// The kind of store (`vault`).
    pub store: &'static str,
    /// The KV mount.
    pub mount: String,
    /// The secret's path.
    pub path: String,
    /// The version read.
    pub version: u64,
    /// When that version was written (RFC 3339), as the server says.
    pub created_time: Option<String>,
    /// The namespace the secret serves.
    pub namespace: String,
}

impl RemoteSource {
    pub(crate) fn new(fetched: Fetched) -> Self {
        let store = Arc::new(RemoteLocation {
            store: "vault",
            mount: fetched.mount.clone(),
            path: fetched.path.clone(),
            version: fetched.version,
            created_time: fetched.created_time.clone(),
            namespace: fetched.namespace.clone(),
        });
        RemoteSource { fetched, store }
    }
}

impl Source for RemoteSource {
    fn layer(&self) -> Layer {
        Layer::Remote
    }

    fn namespace(&self) -> Option<&str> {
        Some(&self.fetched.namespace)
    }

    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        for key in self.fetched.data.keys() {
            f(key);
        }
    }

    fn not_literal(&self) -> Option<Vec<&str>> {
        Some(Vec::new())
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        let Some((name, value)) = self.fetched.data.get_key_value(key.name) else {
            return Ok(None);
        };
        Ok(Some(Definition {
            value: Text::Literal(value.expose()),
            origin: Origin::Remote {
                location: self.store.clone(),
                key: name.clone(),
            },
            written: Cow::Borrowed(value.expose()),
            // Kept encrypted by the store: sensitive unless the schema
            // says otherwise, never "in clear".
            encrypted: true,
            sealed: false,
            comment: None,
        }))
    }
}
