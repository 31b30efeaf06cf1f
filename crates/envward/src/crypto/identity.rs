//! Identities (who can decrypt) and recipients (who a file is for).
//!
//! Identities come from, in order: `--identity FILE` (repeatable),
//! `ENVWARD_IDENTITY` (the key text itself, for CI), `ENVWARD_IDENTITY_FILE`,
//! and the default identity file (`$XDG_CONFIG_HOME/envward/identity.txt`,
//! else `~/.config/envward/identity.txt`) when it exists. An identity file
//! holds age X25519 keys (`AGE-SECRET-KEY-1…`, one per line, `#` comments),
//! or is an unencrypted OpenSSH private key (ed25519 or RSA).

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::CryptoError;

type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// Where an identity was read from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// `--identity FILE`, `ENVWARD_IDENTITY_FILE` or the default file.
    File(PathBuf),
    /// The `ENVWARD_IDENTITY` variable.
    Variable,
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::File(p) => write!(f, "{}", p.display()),
            IdentitySource::Variable => f.write_str("ENVWARD_IDENTITY"),
        }
    }
}

/// A function asking for a passphrase, given the identity's source.
pub type AskPassphrase = dyn Fn(&str) -> Option<crate::Secret> + Send + Sync;

/// Asks for the passphrase of a passphrase-protected identity (named by
/// its source); `None` when it cannot ask (no terminal).
#[derive(Clone)]
pub struct PassphrasePrompt(pub std::sync::Arc<AskPassphrase>);

impl std::fmt::Debug for PassphrasePrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassphrasePrompt")
    }
}

/// The identities available to this process.
#[derive(Default)]
pub struct Identities {
    list: Vec<BoxedIdentity>,
    /// Where they came from.
    pub sources: Vec<IdentitySource>,
    passphrase: Option<crate::Secret>,
    prompt: Option<PassphrasePrompt>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

/// The default identity file: `$XDG_CONFIG_HOME/envward/identity.txt`, else
/// `$HOME/.config/envward/identity.txt`.
pub fn default_identity_path(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let base = match env.get("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(env.get("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("envward").join("identity.txt"))
}

/// The identity files [`Identities::load`] reads with these arguments, in
/// its order, without reading them: the `explicit` files,
/// `ENVWARD_IDENTITY_FILE`, and the default file when it exists and
/// nothing else gives an identity.
pub fn identity_files(explicit: &[PathBuf], env: &BTreeMap<String, String>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = explicit.to_vec();
    if let Some(path) = env.get("ENVWARD_IDENTITY_FILE").filter(|v| !v.is_empty()) {
        files.push(PathBuf::from(path));
    }
    let variable = env
        .get("ENVWARD_IDENTITY")
        .is_some_and(|v| !v.trim().is_empty());
    if files.is_empty()
        && !variable
        && let Some(path) = default_identity_path(env)
        && path.is_file()
    {
        files.push(path);
    }
    files
}

/// The permission bits of an identity file when its group or other users
/// have any access to it (an identity is a private key: 0600 or 0400, as
/// ssh asks of its keys); `None` when it is private, absent, or not on
/// Unix.
pub fn identity_file_exposure(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

impl Identities {
    /// Loads the identities named by `explicit` files and the environment
    /// `env` (see the module documentation).
    pub fn load(explicit: &[PathBuf], env: &BTreeMap<String, String>) -> Result<Self, CryptoError> {
        Self::load_with(explicit, env, None)
    }

    /// [`Identities::load`], asking `prompt` for the passphrase of a
    /// passphrase-protected identity file when `ENVWARD_IDENTITY_PASSPHRASE`
    /// is not set.
    pub fn load_with(
        explicit: &[PathBuf],
        env: &BTreeMap<String, String>,
        prompt: Option<&PassphrasePrompt>,
    ) -> Result<Self, CryptoError> {
        let mut ids = Identities {
            passphrase: env
                .get("ENVWARD_IDENTITY_PASSPHRASE")
                .map(|p| crate::Secret::new(p.clone())),
            prompt: prompt.cloned(),
            ..Identities::default()
        };
        for path in explicit {
            ids.add_file(path)?;
        }
        if let Some(text) = env.get("ENVWARD_IDENTITY").filter(|v| !v.trim().is_empty()) {
            ids.add_text(text, IdentitySource::Variable)?;
        }
        if let Some(path) = env.get("ENVWARD_IDENTITY_FILE").filter(|v| !v.is_empty()) {
            ids.add_file(Path::new(path))?;
        }
        if ids.list.is_empty()
            && let Some(path) = default_identity_path(env)
            && path.is_file()
        {
            ids.add_file(&path)?;
        }
        Ok(ids)
    }

    /// Whether there is no identity at all.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The identities, for age.
    pub(super) fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.list.iter().map(|i| i.as_ref() as &dyn age::Identity)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), CryptoError> {
        let source = IdentitySource::File(path.to_path_buf());
        let text = std::fs::read_to_string(path)
            .map(Zeroizing::new)
            .map_err(|e| CryptoError::Identity {
                source_name: path.display().to_string(),
                message: e.to_string(),
            })?;
        self.add_text(&text, source)
    }

    /// Adds the identities in `text` (age keys or an OpenSSH private key).
    pub fn add_text(&mut self, text: &str, source: IdentitySource) -> Result<(), CryptoError> {
        let err = |message: String| CryptoError::Identity {
            source_name: source.to_string(),
            message,
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
            || trimmed.starts_with("-----BEGIN RSA PRIVATE KEY-----")
        {
            let name = match &source {
                IdentitySource::File(p) => Some(p.display().to_string()),
                IdentitySource::Variable => None,
            };
            let id = age::ssh::Identity::from_buffer(BufReader::new(trimmed.as_bytes()), name)
                .map_err(|e| err(e.to_string()))?;
            match id {
                age::ssh::Identity::Unencrypted(_) => {}
                age::ssh::Identity::Encrypted(_) => {
                    return Err(err(
                        "passphrase-protected SSH keys are not supported; use an age identity or an unencrypted deploy key".into(),
                    ));
                }
                age::ssh::Identity::Unsupported(k) => {
                    return Err(err(format!("unsupported SSH key: {k:?}")));
                }
            }
            self.list.push(Box::new(id));
        } else if trimmed.starts_with("age-encryption.org/")
            || trimmed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
        {
            let passphrase = match &self.passphrase {
                Some(p) => p.clone(),
                None => self
                    .prompt
                    .as_ref()
                    .and_then(|p| (p.0)(&source.to_string()))
                    .ok_or_else(|| {
                        err("is passphrase-protected: set ENVWARD_IDENTITY_PASSPHRASE, or run on a terminal to be asked".into())
                    })?,
            };
            let plain = decrypt_with_passphrase(trimmed.as_bytes(), &passphrase).map_err(err)?;
            let text = std::str::from_utf8(&plain)
                .map_err(|_| err("the decrypted identity is not text".into()))?;
            if text.trim_start().starts_with("age-encryption.org/")
                || text.trim_start().starts_with("-----BEGIN AGE")
            {
                return Err(err("is encrypted twice".into()));
            }
            // Records the source too.
            return self.add_text(text, source.clone());
        } else {
            let file = age::IdentityFile::from_buffer(BufReader::new(text.as_bytes()))
                .map_err(|e| err(e.to_string()))?;
            let ids = file.into_identities().map_err(|e| err(e.to_string()))?;
            if ids.is_empty() {
                return Err(err("holds no identity".into()));
            }
            self.list.extend(ids);
        }
        self.sources.push(source);
        Ok(())
    }
}

/// Decrypts an age file encrypted to a passphrase (scrypt), armored or not.
fn decrypt_with_passphrase(
    data: &[u8],
    passphrase: &crate::Secret,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(data))
        .map_err(|e| format!("is not a valid age file: {e}"))?;
    if !decryptor.is_scrypt() {
        return Err("is an age file not encrypted to a passphrase".into());
    }
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(
        passphrase.expose().to_string(),
    ));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                "wrong passphrase".to_string()
            }
            e => e.to_string(),
        })?;
    let mut out = Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(&mut reader, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encrypts an identity file's text to a passphrase (scrypt), armored: the
/// format of `age -p -a`, readable by `age -d`.
pub fn protect_identity(text: &str, passphrase: &crate::Secret) -> Result<String, CryptoError> {
    let encryptor = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
        passphrase.expose().to_string(),
    ));
    let mut out = Vec::new();
    let wrap = |e: std::io::Error| CryptoError::Wrap(e.to_string());
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(wrap)?;
    let mut writer = encryptor.wrap_output(armor).map_err(wrap)?;
    std::io::Write::write_all(&mut writer, text.as_bytes()).map_err(wrap)?;
    writer.finish().and_then(|a| a.finish()).map_err(wrap)?;
    String::from_utf8(out).map_err(|e| CryptoError::Wrap(e.to_string()))
}

/// Parses a recipient: an age X25519 recipient (`age1…`) or an SSH public
/// key (`ssh-ed25519 …`, `ssh-rsa …`).
pub fn parse_recipient(text: &str) -> Result<Box<dyn age::Recipient + Send>, CryptoError> {
    let text = text.trim();
    if text.starts_with("age1") {
        text.parse::<age::x25519::Recipient>()
            .map(|r| Box::new(r) as _)
            .map_err(|_| CryptoError::Recipient(text.to_string()))
    } else if text.starts_with("ssh-") {
        text.parse::<age::ssh::Recipient>()
            .map(|r| Box::new(r) as _)
            .map_err(|_| CryptoError::Recipient(text.to_string()))
    } else {
        Err(CryptoError::Recipient(text.to_string()))
    }
}

/// A new age X25519 identity: (the identity file text, the recipient).
pub fn generate_identity() -> (Zeroizing<String>, String) {
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let now = jiff::Timestamp::now();
    let text = Zeroizing::new(format!(
        "# created: {now}\n# public key: {recipient}\n{}\n",
        id.to_string().expose_secret()
    ));
    (text, recipient)
}
