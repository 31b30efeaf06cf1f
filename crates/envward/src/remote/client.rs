//! A small blocking client of the KV v2 HTTP API (ureq + rustls): log in,
//! read a secret (latest or pinned version), write one with check-and-set.
//! Retries 5xx, 429 and transport failures a bounded number of times with
//! backoff, never 4xx. TLS verification is always on.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::error::RemoteError;
use crate::config::vault::{VaultAuth, VaultSettings};
use crate::secret::Secret;

/// Attempts per request (the first and two retries).
const ATTEMPTS: u32 = 3;
/// The first backoff; doubled before each further retry.
const BACKOFF: Duration = Duration::from_millis(100);

/// One version of a KV v2 secret.
#[derive(Debug)]
pub struct KvSecret {
    /// Its keys and values (non-string JSON values as their JSON text).
    pub data: BTreeMap<String, Secret>,
    /// Its version.
    pub version: u64,
    /// When the version was written (RFC 3339), as the server says.
    pub created_time: Option<String>,
}

/// A connection to one server, logged in.
pub struct Client {
    address: String,
    agent: ureq::Agent,
    token: Secret,
    namespace: Option<String>,
    /// Whether the token came from a login (and is revoked when done).
    login: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("address", &self.address)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl Client {
    /// Connects to the server of `settings` and logs in, with the
    /// variables of `process` (`BAO_ADDR`, `BAO_TOKEN`, …).
    pub fn connect(
        environment: &str,
        settings: &VaultSettings,
        process: &BTreeMap<String, String>,
    ) -> Result<Client, RemoteError> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| process.get(*n).filter(|v| !v.trim().is_empty()))
                .map(|v| v.trim().to_string())
        };
        let address = settings
            .address
            .clone()
            .or_else(|| var(&["BAO_ADDR", "VAULT_ADDR"]))
            .ok_or_else(|| RemoteError::NoAddress {
                environment: environment.to_string(),
            })?;
        let address = check_address(address.trim_end_matches('/'))?;
        let ca = settings
            .ca_cert
            .clone()
            .or_else(|| var(&["BAO_CACERT", "VAULT_CACERT"]).map(Into::into));
        let agent = agent(settings.timeout, ca.as_deref())?;
        let namespace = settings
            .vault_namespace
            .clone()
            .or_else(|| var(&["BAO_NAMESPACE", "VAULT_NAMESPACE"]));
        let mut client = Client {
            address,
            agent,
            token: Secret::new(String::new()),
            namespace,
            login: false,
        };
        match &settings.auth {
            VaultAuth::Token => {
                let token = var(&["BAO_TOKEN", "VAULT_TOKEN"])
                    .or_else(|| {
                        let home = process.get("HOME")?;
                        let text =
                            std::fs::read_to_string(Path::new(home).join(".vault-token")).ok()?;
                        Some(text.trim().to_string()).filter(|t| !t.is_empty())
                    })
                    .ok_or(RemoteError::NoToken)?;
                client.token = Secret::new(token);
            }
            VaultAuth::Approle { mount, role_id } => {
                let role_id = match role_id {
                    Some(r) => r.clone(),
                    None => {
                        credential(process, "ENVWARD_VAULT_ROLE_ID", "approle", &client.address)?
                    }
                };
                let secret_id = credential(
                    process,
                    "ENVWARD_VAULT_SECRET_ID",
                    "approle",
                    &client.address,
                )?;
                let body = json!({ "role_id": role_id, "secret_id": secret_id });
                client.log_in(mount, "approle", &body)?;
            }
            VaultAuth::Kubernetes {
                mount,
                role,
                token_file,
            } => {
                let jwt =
                    std::fs::read_to_string(token_file).map_err(|e| RemoteError::Credential {
                        method: "kubernetes",
                        address: client.address.clone(),
                        why: format!(
                            "cannot read the service-account token {}: {e}",
                            token_file.display()
                        ),
                    })?;
                let body = json!({ "role": role, "jwt": jwt.trim() });
                client.log_in(mount, "kubernetes", &body)?;
            }
        }
        Ok(client)
    }

    /// The server's address, as configured.
    pub fn address(&self) -> &str {
        &self.address
    }

    fn log_in(
        &mut self,
        mount: &str,
        method: &'static str,
        body: &Json,
    ) -> Result<(), RemoteError> {
        let what = format!("auth/{mount}/login");
        let (status, answer) = self.request("POST", &what, Some(body), &what, false)?;
        if status != 200 {
            return Err(self.status_error(status, &answer, &what));
        }
        let token = answer
            .pointer("/auth/client_token")
            .and_then(Json::as_str)
            .ok_or_else(|| RemoteError::Credential {
                method,
                address: self.address.clone(),
                why: "the answer holds no token".to_string(),
            })?;
        self.token = Secret::new(token.to_string());
        self.login = true;
        Ok(())
    }

    /// Reads `mount/path`, at `version` or the latest.
    pub fn read(
        &self,
        mount: &str,
        path: &str,
        version: Option<u64>,
    ) -> Result<KvSecret, RemoteError> {
        let what = describe(mount, path, version);
        match self.read_or_deleted(mount, path, version)? {
            Read::Found(secret) => Ok(secret),
            Read::Missing => Err(RemoteError::Missing {
                address: self.address.clone(),
                what,
            }),
            Read::Deleted { version, state } => Err(RemoteError::Deleted {
                address: self.address.clone(),
                what: describe(mount, path, Some(version)),
                state,
            }),
        }
    }

    /// The latest version of `mount/path` for a write: `None` when there is
    /// none; a deleted latest version reads as empty with its number (the
    /// check-and-set of the next write).
    pub fn read_for_write(&self, mount: &str, path: &str) -> Result<Option<KvSecret>, RemoteError> {
        Ok(match self.read_or_deleted(mount, path, None)? {
            Read::Found(secret) => Some(secret),
            Read::Missing => None,
            Read::Deleted { version, .. } => Some(KvSecret {
                data: BTreeMap::new(),
                version,
                created_time: None,
            }),
        })
    }

    fn read_or_deleted(
        &self,
        mount: &str,
        path: &str,
        version: Option<u64>,
    ) -> Result<Read, RemoteError> {
        let what = describe(mount, path, version);
        let mut api = format!("{}/data/{}", encode(mount), encode(path));
        if let Some(v) = version {
            api.push_str(&format!("?version={v}"));
        }
        let (status, answer) = self.request("GET", &api, None, &what, true)?;
        let metadata = answer.pointer("/data/metadata").filter(|m| m.is_object());
        match status {
            200 => {}
            404 => {
                let Some(meta) = metadata else {
                    return Ok(Read::Missing);
                };
                let version = meta.get("version").and_then(Json::as_u64).unwrap_or(0);
                let destroyed = meta
                    .get("destroyed")
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                let deleted = meta
                    .get("deletion_time")
                    .and_then(Json::as_str)
                    .filter(|t| !t.is_empty());
                return Ok(match (destroyed, deleted) {
                    (true, _) => Read::Deleted {
                        version,
                        state: "destroyed".to_string(),
                    },
                    (false, Some(at)) => Read::Deleted {
                        version,
                        state: format!("deleted (at {at})"),
                    },
                    (false, None) => Read::Missing,
                });
            }
            _ => return Err(self.status_error(status, &answer, &what)),
        }
        let protocol = |why: &str| RemoteError::Protocol {
            address: self.address.clone(),
            what: what.clone(),
            why: why.to_string(),
        };
        let meta = metadata.ok_or_else(|| protocol("no metadata (is the mount KV version 2?)"))?;
        let version = meta
            .get("version")
            .and_then(Json::as_u64)
            .ok_or_else(|| protocol("no version in the metadata"))?;
        let created_time = meta
            .get("created_time")
            .and_then(Json::as_str)
            .map(str::to_string);
        let fields = answer
            .pointer("/data/data")
            .and_then(Json::as_object)
            .ok_or_else(|| protocol("no data (is the mount KV version 2?)"))?;
        let mut data = BTreeMap::new();
        for (key, value) in fields {
            if !crate::dotenv::is_valid_key(key) {
                return Err(RemoteError::BadKey {
                    what: what.clone(),
                    key: key.clone(),
                });
            }
            let text = match value {
                Json::String(s) => s.clone(),
                Json::Null => String::new(),
                Json::Bool(_) | Json::Number(_) => value.to_string(),
                Json::Array(_) | Json::Object(_) => value.to_string(),
            };
            data.insert(key.clone(), Secret::new(text));
        }
        Ok(Read::Found(KvSecret {
            data,
            version,
            created_time,
        }))
    }

    /// Writes `data` as a new version of `mount/path`, only if the latest
    /// version is still `cas` (0: only if there is none). Returns the new
    /// version.
    pub fn write(
        &self,
        mount: &str,
        path: &str,
        data: &BTreeMap<String, Secret>,
        cas: u64,
    ) -> Result<u64, RemoteError> {
        let what = describe(mount, path, None);
        let fields: serde_json::Map<String, Json> = data
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.expose().to_string())))
            .collect();
        let body = json!({ "options": { "cas": cas }, "data": fields });
        let api = format!("{}/data/{}", encode(mount), encode(path));
        let (status, answer) = self.request("POST", &api, Some(&body), &what, false)?;
        if status == 400
            && messages(&answer)
                .iter()
                .any(|m| m.contains("check-and-set"))
        {
            let current = self
                .read_for_write(mount, path)
                .ok()
                .flatten()
                .map_or_else(|| "unknown".to_string(), |s| s.version.to_string());
            return Err(RemoteError::CasConflict {
                address: self.address.clone(),
                what,
                expected: cas,
                current,
            });
        }
        if status != 200 && status != 204 {
            return Err(self.status_error(status, &answer, &what));
        }
        answer
            .pointer("/data/version")
            .and_then(Json::as_u64)
            .ok_or_else(|| RemoteError::Protocol {
                address: self.address.clone(),
                what,
                why: "no version in the answer".to_string(),
            })
    }

    /// Revokes a token this client logged in for (best effort): a login
    /// leaves nothing valid behind.
    pub fn finish(self) {
        if self.login {
            let _ = self.request("POST", "../auth/token/revoke-self", None, "revoke", false);
        }
    }

    fn status_error(&self, status: u16, answer: &Json, what: &str) -> RemoteError {
        let messages = messages(answer);
        match status {
            401 | 403 => RemoteError::Denied {
                address: self.address.clone(),
                what: what.to_string(),
                messages,
            },
            _ => RemoteError::Status {
                address: self.address.clone(),
                what: what.to_string(),
                status,
                messages,
            },
        }
    }

    /// One request to `/v1/<api>` (`api` is relative to `/v1/`), retried on
    /// 5xx, 429 and transport failures when `retry`; the status and the
    /// JSON body (`null` when empty or not JSON).
    fn request(
        &self,
        method: &str,
        api: &str,
        body: Option<&Json>,
        what: &str,
        retry: bool,
    ) -> Result<(u16, Json), RemoteError> {
        let url = match api.strip_prefix("../") {
            Some(rest) => format!("{}/v1/{rest}", self.address),
            None => format!("{}/v1/{api}", self.address),
        };
        let attempts = if retry { ATTEMPTS } else { 1 };
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
            }
            let result = match (method, body) {
                ("GET", _) => self.with_headers(self.agent.get(&url)).call(),
                (_, Some(b)) => self.with_headers(self.agent.post(&url)).send_json(b),
                (_, None) => self.with_headers(self.agent.post(&url)).send_empty(),
            };
            match result {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    if retry && (status >= 500 || status == 429) && attempt + 1 < attempts {
                        last = format!("status {status}");
                        continue;
                    }
                    let text = response
                        .body_mut()
                        .with_config()
                        .limit(64 * 1024 * 1024)
                        .read_to_string()
                        .unwrap_or_default();
                    let json = serde_json::from_str(&text).unwrap_or(Json::Null);
                    return Ok((status, json));
                }
                Err(e) => last = crate::tls::transport_error(&e),
            }
        }
        Err(RemoteError::Unreachable {
            address: self.address.clone(),
            what: what.to_string(),
            why: last,
        })
    }

    fn with_headers<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let request = if self.token.expose().is_empty() {
            request
        } else {
            request.header("X-Vault-Token", self.token.expose())
        };
        let request = request.header("X-Vault-Request", "true");
        match &self.namespace {
            Some(ns) => request.header("X-Vault-Namespace", ns),
            None => request,
        }
    }
}

enum Read {
    Found(KvSecret),
    Missing,
    Deleted { version: u64, state: String },
}

/// `secret/myapp/production`, `@v3` when pinned.
pub fn describe(mount: &str, path: &str, version: Option<u64>) -> String {
    match version {
        Some(v) => format!("{mount}/{path}@v{v}"),
        None => format!("{mount}/{path}"),
    }
}

/// The server's `errors` messages.
fn messages(answer: &Json) -> Vec<String> {
    answer
        .get("errors")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encodes what a path segment cannot hold as it is.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.trim_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `https://…`, or `http://` to a loopback host.
fn check_address(address: &str) -> Result<String, RemoteError> {
    let uri: ureq::http::Uri =
        address
            .parse()
            .map_err(|e: ureq::http::uri::InvalidUri| RemoteError::BadAddress {
                address: address.to_string(),
                why: e.to_string(),
            })?;
    let host = uri.host().unwrap_or_default();
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(RemoteError::Insecure {
                address: address.to_string(),
            });
        }
        _ => {
            return Err(RemoteError::BadAddress {
                address: address.to_string(),
                why: "expected https://host:port".to_string(),
            });
        }
    }
    if host.is_empty() {
        return Err(RemoteError::BadAddress {
            address: address.to_string(),
            why: "no host".to_string(),
        });
    }
    Ok(address.to_string())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An agent with a timeout, status codes as answers, no redirects (a
/// redirect would carry the token elsewhere), and the CA file if any.
fn agent(timeout: u64, ca: Option<&Path>) -> Result<ureq::Agent, RemoteError> {
    let tls = crate::tls::config(ca).map_err(|why| RemoteError::CaCert {
        path: ca.map(|p| p.display().to_string()).unwrap_or_default(),
        why,
    })?;
    let timeout = Duration::from_secs(timeout.max(1));
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
        .tls_config(tls)
        .build()
        .into())
}

/// A login credential from `NAME` or the file named by `NAME_FILE`.
fn credential(
    process: &BTreeMap<String, String>,
    name: &str,
    method: &'static str,
    address: &str,
) -> Result<String, RemoteError> {
    if let Some(v) = process.get(name).filter(|v| !v.trim().is_empty()) {
        return Ok(v.trim().to_string());
    }
    let file_var = format!("{name}_FILE");
    if let Some(path) = process.get(&file_var).filter(|v| !v.trim().is_empty()) {
        return std::fs::read_to_string(path)
            .map(|t| t.trim().to_string())
            .map_err(|e| RemoteError::Credential {
                method,
                address: address.to_string(),
                why: format!("cannot read {file_var} ({path}): {e}"),
            });
    }
    Err(RemoteError::Credential {
        method,
        address: address.to_string(),
        why: format!("set {name} or {file_var}"),
    })
}
