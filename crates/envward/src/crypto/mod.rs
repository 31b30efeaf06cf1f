//! Per-value envelope encryption of `.env` files.
//!
//! An encrypted file is still a `.env` file: keys, comments and order stay
//! in clear, each encrypted value is `envward:v1:<base64url>`, and a header
//! of `# envward:` comment lines at the top holds the file's scope
//! (environment and namespace), its recipients, the per-file data key
//! wrapped to every recipient as a standard armored age file, and the file
//! MAC. `docs/encryption.md` is the normative description, with test
//! vectors.
//!
//! - Values: XChaCha20-Poly1305 under a key derived from the data key
//!   (HKDF-SHA256), with associated data binding the ciphertext to its
//!   environment, namespace and key.
//! - MAC: HMAC-SHA256 under another derived key, over the scope, the
//!   recipients and the ordered list of every entry (key and value as
//!   stored, plaintext entries included).
//! - The data key: 32 random bytes, wrapped with the `age` crate to X25519
//!   and SSH recipients.

mod file;
mod identity;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::dotenv::Document;

pub use file::{Header, Opened, Plaintexts, Seal, blank, check_structure, header, one_line, open};
pub use identity::{
    Identities, IdentitySource, PassphrasePrompt, default_identity_path, generate_identity,
    identity_file_exposure, identity_files, parse_recipient, protect_identity,
};

/// The prefix of an encrypted value.
pub const VALUE_PREFIX: &str = "envward:v1:";
/// The prefix of every header line.
pub const HEADER_PREFIX: &str = "# envward:";
const VERSION_LINE: &str = "# envward:v1 ";
const RECIPIENT_LINE: &str = "# envward:recipient ";
const KEY_LINE: &str = "# envward:key ";
const MAC_LINE: &str = "# envward:mac ";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The environment name of the scope of a file shared by every
/// environment (`.env`, `env/common.env`).
pub use crate::config::SHARED_SCOPE;

/// Where an encrypted file belongs: ciphertexts and the MAC are bound to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The environment, or [`SHARED_SCOPE`] for a file of every environment.
    pub environment: String,
    /// The namespace (`common` in the flat layout).
    pub namespace: String,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.environment, self.namespace)
    }
}

/// Why an encrypted file could not be read or written. Never holds a
/// value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The header or a value names a format version this build does not know.
    #[error("line {line}: unknown encryption format `{found}` (this envward reads envward:v1)")]
    UnknownVersion {
        /// 1-based line.
        line: u32,
        /// The version found.
        found: String,
    },
    /// The header is malformed or incomplete.
    #[error("malformed envward header: {0}")]
    Header(String),
    /// A value is encrypted but the file has no header.
    #[error(
        "line {line}: `{key}` holds an encrypted value but the file has no envward header (truncated, or the header was removed)"
    )]
    NoHeader {
        /// 1-based line.
        line: u32,
        /// The key.
        key: String,
    },
    /// No identity could unwrap the data key.
    #[error("no identity can decrypt this file")]
    NoIdentity,
    /// Unwrapping the data key failed for another reason.
    #[error("cannot unwrap the data key: {0}")]
    Unwrap(String),
    /// The MAC does not match: entries were added, removed, reordered or edited.
    #[error(
        "the file MAC does not match: entries were added, removed, reordered or edited outside envward, or the header belongs to another file"
    )]
    Mac,
    /// The file was encrypted for another scope.
    #[error("the file was encrypted for {found} but is read as {expected} (moved or copied?)")]
    Scope {
        /// The scope in the header.
        found: String,
        /// The scope the layout gives the file.
        expected: String,
    },
    /// A value failed authentication.
    #[error(
        "line {line}: the encrypted value of `{key}` does not decrypt: it was edited, corrupted, or moved from another key or file"
    )]
    Value {
        /// 1-based line.
        line: u32,
        /// The key.
        key: String,
    },
    /// A value is not valid base64 or too short.
    #[error("line {line}: the encrypted value of `{key}` is corrupted (not valid envward:v1 data)")]
    Corrupt {
        /// 1-based line.
        line: u32,
        /// The key.
        key: String,
    },
    /// A recipient does not parse.
    #[error(
        "invalid recipient `{0}`: expected an age X25519 recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)"
    )]
    Recipient(String),
    /// No recipients are configured for a scope.
    #[error("no recipients for {0}")]
    NoRecipients(String),
    /// age failed to wrap the data key.
    #[error("cannot wrap the data key: {0}")]
    Wrap(String),
    /// An identity file could not be read or parsed.
    #[error("identity {source_name}: {message}")]
    Identity {
        /// Where the identity came from.
        source_name: String,
        /// Why it failed (never the key).
        message: String,
    },
    /// The decrypted text is not a valid value.
    #[error("line {line}: the decrypted value of `{key}` is not valid UTF-8 .env text")]
    Plaintext {
        /// 1-based line.
        line: u32,
        /// The key.
        key: String,
    },
    /// The file could not be re-parsed after an edit.
    #[error("cannot re-parse the file: {0}")]
    Reparse(String),
}

impl CryptoError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::error_kind::ErrorKind {
        use crate::error_kind::ErrorKind;
        match self {
            CryptoError::UnknownVersion { .. }
            | CryptoError::Header(_)
            | CryptoError::NoHeader { .. }
            | CryptoError::Mac
            | CryptoError::Scope { .. }
            | CryptoError::Value { .. }
            | CryptoError::Corrupt { .. }
            | CryptoError::Plaintext { .. } => ErrorKind::Tamper,
            CryptoError::NoIdentity | CryptoError::Unwrap(_) | CryptoError::Identity { .. } => {
                ErrorKind::Identity
            }
            CryptoError::Recipient(_) | CryptoError::NoRecipients(_) => ErrorKind::Usage,
            CryptoError::Wrap(_) | CryptoError::Reparse(_) => ErrorKind::Internal,
        }
    }

    /// The 1-based line the error is about, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            CryptoError::UnknownVersion { line, .. }
            | CryptoError::NoHeader { line, .. }
            | CryptoError::Value { line, .. }
            | CryptoError::Corrupt { line, .. }
            | CryptoError::Plaintext { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// What to do about it, naming no command (see [`CryptoError::hint`]).
    pub fn help(&self) -> String {
        match self {
            CryptoError::UnknownVersion { .. } => {
                "upgrade envward, or restore the file from version control".into()
            }
            CryptoError::NoHeader { .. } | CryptoError::Header(_) => {
                "restore the file from version control; an encrypted file must keep its `# envward:` header lines".into()
            }
            CryptoError::NoIdentity | CryptoError::Identity { .. } => IDENTITY_HELP.into(),
            CryptoError::Mac
            | CryptoError::Value { .. }
            | CryptoError::Corrupt { .. }
            | CryptoError::Scope { .. }
            | CryptoError::Plaintext { .. } => {
                "the file was changed outside envward: review `git diff` and restore it from version control".into()
            }
            CryptoError::Recipient(_) => {
                "a recipient is an age recipient (`age1…`) or an `ssh-ed25519` public key".into()
            }
            CryptoError::NoRecipients(scope) => {
                let env = scope.split('/').next().unwrap_or(scope);
                format!("give the environment recipients: `recipients = [\"age1…\"]` under [environments.{env}] in envward.toml")
            }
            CryptoError::Unwrap(_) | CryptoError::Wrap(_) | CryptoError::Reparse(_) => {
                "restore the file from version control".into()
            }
        }
    }

    /// The error as a diagnostic without a place (a file's errors are
    /// located by [`crate::LoadError::Crypto`]): message, help and hint.
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic::error(self.to_string())
            .with_help(self.help())
            .with_hint(self.hint())
    }

    /// The next step for the caller to word (a command of the binary).
    pub fn hint(&self) -> Option<crate::diagnostic::Hint> {
        use crate::diagnostic::Hint;
        match self {
            CryptoError::NoIdentity | CryptoError::Identity { .. } => Some(Hint::ProvideIdentity),
            CryptoError::Mac
            | CryptoError::Value { .. }
            | CryptoError::Corrupt { .. }
            | CryptoError::Scope { .. }
            | CryptoError::Plaintext { .. } => Some(Hint::ChangeThroughEnvward),
            CryptoError::Recipient(_) => Some(Hint::CreateIdentity),
            CryptoError::NoRecipients(scope) => Some(Hint::AddRecipient {
                environment: scope.split('/').next().unwrap_or(scope).to_string(),
            }),
            _ => None,
        }
    }
}

/// HKDF-SHA256 (no salt) of `raw` for `info`: 32 bytes.
fn subkey(raw: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = hkdf::Hkdf::<Sha256>::new(None, raw);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 255 × 32.
    hk.expand(info, out.as_mut())
        .unwrap_or_else(|_| unreachable!("32-byte HKDF output"));
    out
}

/// Variables that hold envward's own secrets (identities, passphrases,
/// keys): never passed to a program `envward run` starts.
pub const OWN_SECRETS: &[&str] = &[
    "ENVWARD_IDENTITY",
    "ENVWARD_IDENTITY_PASSPHRASE",
    "ENVWARD_FINGERPRINT_KEY",
];

/// How to provide an identity.
pub const IDENTITY_HELP: &str = "provide an identity: `ENVWARD_IDENTITY` (the key itself), `ENVWARD_IDENTITY_FILE`, or the default identity file (`$XDG_CONFIG_HOME/envward/identity.txt`)";

/// The per-file data key. Zeroized on drop.
pub struct DataKey {
    raw: Zeroizing<[u8; 32]>,
    /// The value key and the MAC key, derived once.
    value_key: Zeroizing<[u8; 32]>,
    mac_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        getrandom::fill(raw.as_mut()).map_err(|e| CryptoError::Wrap(e.to_string()))?;
        Ok(Self::with_subkeys(raw))
    }

    fn with_subkeys(raw: Zeroizing<[u8; 32]>) -> Self {
        let value_key = subkey(&raw, b"envward:v1 values");
        let mac_key = subkey(&raw, b"envward:v1 mac");
        DataKey {
            raw,
            value_key,
            mac_key,
        }
    }

    /// A key from its 32 bytes (for test vectors and recovery).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::with_subkeys(Zeroizing::new(bytes))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.value_key[..]))
    }

    /// Wraps the key to `recipients` as an armored age file.
    pub fn wrap(&self, recipients: &[String]) -> Result<String, CryptoError> {
        let encryptor = encryptor(recipients, "this file")?;
        let mut out = Vec::new();
        let armor =
            age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
                .map_err(|e| CryptoError::Wrap(e.to_string()))?;
        let mut writer = encryptor
            .wrap_output(armor)
            .map_err(|e| CryptoError::Wrap(e.to_string()))?;
        let mut text = Zeroizing::new(STANDARD.encode(&self.raw[..]));
        text.push('\n');
        std::io::Write::write_all(&mut writer, text.as_bytes())
            .and_then(|()| writer.finish())
            .and_then(|armor| armor.finish())
            .map_err(|e| CryptoError::Wrap(e.to_string()))?;
        String::from_utf8(out).map_err(|e| CryptoError::Wrap(e.to_string()))
    }

    /// Unwraps a key from an armored age file with one of `identities`.
    pub fn unwrap(armored: &str, identities: &Identities) -> Result<Self, CryptoError> {
        let decryptor =
            age::Decryptor::new_buffered(age::armor::ArmoredReader::new(armored.as_bytes()))
                .map_err(|e| CryptoError::Header(format!("wrapped key: {e}")))?;
        let mut reader = match decryptor.decrypt(identities.iter()) {
            Ok(r) => r,
            Err(age::DecryptError::NoMatchingKeys) => return Err(CryptoError::NoIdentity),
            Err(e) => return Err(CryptoError::Unwrap(e.to_string())),
        };
        let mut text = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut reader, &mut text)
            .map_err(|e| CryptoError::Unwrap(e.to_string()))?;
        let trimmed = text.strip_suffix(b"\n").unwrap_or(&text);
        let bytes = Zeroizing::new(
            STANDARD
                .decode(trimmed)
                .map_err(|_| CryptoError::Unwrap("the wrapped data key is malformed".into()))?,
        );
        let raw: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Unwrap("the wrapped data key is not 32 bytes".into()))?;
        Ok(DataKey::from_bytes(raw))
    }

    /// Encrypts the raw text of a value (as written, quotes included) for
    /// `key` in `scope`.
    pub fn encrypt_value(
        &self,
        scope: &Scope,
        key: &str,
        raw: &str,
    ) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| CryptoError::Wrap(e.to_string()))?;
        self.encrypt_value_with_nonce(scope, key, raw, nonce)
    }

    /// [`DataKey::encrypt_value`] with a given nonce: for test vectors only.
    /// A nonce must never be used twice with the same key.
    pub fn encrypt_value_with_nonce(
        &self,
        scope: &Scope,
        key: &str,
        raw: &str,
        nonce: [u8; NONCE_LEN],
    ) -> Result<String, CryptoError> {
        let aad = associated_data(scope, key);
        let ct = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: raw.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Wrap("value encryption failed".into()))?;
        let mut payload = Vec::with_capacity(NONCE_LEN + ct.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&ct);
        Ok(format!("{VALUE_PREFIX}{}", URL_SAFE_NO_PAD.encode(payload)))
    }

    /// Decrypts a value token of `key` (at `line`) in `scope` to the raw text
    /// that was encrypted. For many values, [`DataKey::value_cipher`] sets
    /// the cipher up once.
    pub fn decrypt_value(
        &self,
        scope: &Scope,
        key: &str,
        line: u32,
        token: &str,
    ) -> Result<Zeroizing<String>, CryptoError> {
        self.value_cipher().decrypt(scope, key, line, token)
    }

    /// The cipher of this key's values, set up once to decrypt many.
    pub fn value_cipher(&self) -> ValueCipher {
        ValueCipher(self.cipher())
    }

    /// The file MAC over the scope, the recipients and the ordered entries
    /// (key, value as stored).
    pub fn mac<'a>(
        &self,
        scope: &Scope,
        recipients: &[String],
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.mac_key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        let mut field = |bytes: &[u8]| {
            mac.update(&(bytes.len() as u64).to_be_bytes());
            mac.update(bytes);
        };
        field(b"envward:v1 mac");
        field(scope.environment.as_bytes());
        field(scope.namespace.as_bytes());
        field(&(recipients.len() as u64).to_be_bytes());
        for r in recipients {
            field(r.as_bytes());
        }
        for (k, v) in entries {
            field(k.as_bytes());
            field(v.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// The value cipher of a data key (XChaCha20-Poly1305 under the value
/// key; the key is wiped on drop), set up once for the values of a file.
pub struct ValueCipher(XChaCha20Poly1305);

impl fmt::Debug for ValueCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ValueCipher([redacted])")
    }
}

impl ValueCipher {
    /// Decrypts a value token of `key` (at `line`) in `scope` to the raw
    /// text that was encrypted.
    pub fn decrypt(
        &self,
        scope: &Scope,
        key: &str,
        line: u32,
        token: &str,
    ) -> Result<Zeroizing<String>, CryptoError> {
        let mut scratch = Zeroizing::new(Vec::new());
        let mut out = Zeroizing::new(String::with_capacity(token.len()));
        self.decrypt_into(scope, key, line, token, &mut scratch, &mut out)?;
        Ok(out)
    }

    /// [`ValueCipher::decrypt`], appending the text to `out`, with
    /// `scratch` as the buffer the token is decoded into, checked and
    /// decrypted in place: no allocation per value once both are large
    /// enough. `out` must have room for [`plaintext_bound`] of the token
    /// more bytes, so that it never moves (a move would leave a copy of
    /// what it holds behind, unwiped); `scratch` is only ever replaced by a
    /// larger buffer after being wiped. Both hold plaintext: the caller
    /// wipes them (`Zeroizing`).
    pub fn decrypt_into(
        &self,
        scope: &Scope,
        key: &str,
        line: u32,
        token: &str,
        scratch: &mut Vec<u8>,
        out: &mut String,
    ) -> Result<(), CryptoError> {
        use chacha20poly1305::aead::AeadInPlace;
        let corrupt = || CryptoError::Corrupt {
            line,
            key: key.to_string(),
        };
        let body = token.strip_prefix(VALUE_PREFIX).ok_or_else(corrupt)?;
        let bound = decoded_bound(body.len());
        if scratch.capacity() < bound {
            let mut old = std::mem::replace(scratch, Vec::with_capacity(bound.max(256)));
            old.zeroize();
        }
        scratch.clear();
        URL_SAFE_NO_PAD
            .decode_vec(body, scratch)
            .map_err(|_| corrupt())?;
        if scratch.len() < NONCE_LEN + TAG_LEN {
            return Err(corrupt());
        }
        let len = scratch.len() - NONCE_LEN - TAG_LEN;
        let (nonce, rest) = scratch.split_at_mut(NONCE_LEN);
        let (ct, tag) = rest.split_at_mut(len);
        let mut stack = [0u8; 256];
        let aad = associated_data_in(scope, key, &mut stack);
        self.0
            .decrypt_in_place_detached(
                XNonce::from_slice(nonce),
                &aad,
                ct,
                chacha20poly1305::Tag::from_slice(tag),
            )
            .map_err(|_| CryptoError::Value {
                line,
                key: key.to_string(),
            })?;
        let text = std::str::from_utf8(ct).map_err(|_| CryptoError::Plaintext {
            line,
            key: key.to_string(),
        })?;
        debug_assert!(out.capacity() - out.len() >= text.len(), "room reserved");
        out.push_str(text);
        Ok(())
    }
}

/// At most how many bytes of plaintext a value token holds (its base64
/// decoded, before the nonce and tag are taken off): what to reserve in
/// the `out` of [`ValueCipher::decrypt_into`].
pub fn plaintext_bound(token: &str) -> usize {
    decoded_bound(token.len().saturating_sub(VALUE_PREFIX.len()))
}

/// What base64 decoding of `len` characters may need (as the base64
/// crate sizes it).
fn decoded_bound(len: usize) -> usize {
    len.div_ceil(4) * 3
}

/// [`associated_data`] in `stack` when it fits (no allocation).
fn associated_data_in<'b>(
    scope: &Scope,
    key: &str,
    stack: &'b mut [u8; 256],
) -> std::borrow::Cow<'b, [u8]> {
    let parts: [&[u8]; 6] = [
        b"envward:v1\0",
        scope.environment.as_bytes(),
        b"\0",
        scope.namespace.as_bytes(),
        b"\0",
        key.as_bytes(),
    ];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > stack.len() {
        return std::borrow::Cow::Owned(associated_data(scope, key));
    }
    let mut at = 0;
    for p in parts {
        stack[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    std::borrow::Cow::Borrowed(&stack[..len])
}

fn associated_data(scope: &Scope, key: &str) -> Vec<u8> {
    let mut aad =
        Vec::with_capacity(16 + scope.environment.len() + scope.namespace.len() + key.len());
    aad.extend_from_slice(b"envward:v1\0");
    aad.extend_from_slice(scope.environment.as_bytes());
    aad.push(0);
    aad.extend_from_slice(scope.namespace.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key.as_bytes());
    aad
}

/// How [`rewrite`] treats the data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Keep the data key (rewrap it only when the recipients changed), and
    /// keep the ciphertext of every unchanged value.
    Keep,
    /// A new data key: every value is encrypted anew.
    Rotate,
}

/// Rewrites a file encrypted: opens it when it already is (an identity is
/// then required), applies `edit` to the plaintext, and seals the result to
/// `recipients`. Values `encrypt` selects are encrypted, and so is every
/// value that already was.
pub fn rewrite(
    doc: &Document,
    scope: &Scope,
    recipients: &[String],
    identities: &Identities,
    policy: KeyPolicy,
    edit: impl FnOnce(&mut Document) -> Result<(), CryptoError>,
    encrypt: impl Fn(&crate::dotenv::Entry, &str) -> bool,
) -> Result<String, CryptoError> {
    if recipients.is_empty() {
        return Err(CryptoError::NoRecipients(scope.to_string()));
    }
    let (mut plain, key, wrapped, previous) = match header(doc)? {
        Some(h) => {
            let opened = open(doc, h, scope, identities)?;
            let plain = opened.document(doc, false)?;
            if policy == KeyPolicy::Rotate {
                let key = DataKey::generate()?;
                let wrapped = key.wrap(recipients)?;
                let previous: std::collections::HashMap<_, _> = opened
                    .previous(doc)
                    .into_iter()
                    .map(|(k, (p, _))| (k, (p, String::new())))
                    .collect();
                (plain, key, wrapped, previous)
            } else {
                let wrapped = if opened.header.recipients == recipients {
                    opened.header.wrapped.clone()
                } else {
                    opened.key.wrap(recipients)?
                };
                let previous = opened.previous(doc);
                (plain, opened.key, wrapped, previous)
            }
        }
        None => {
            let key = DataKey::generate()?;
            let wrapped = key.wrap(recipients)?;
            (doc.clone(), key, wrapped, Default::default())
        }
    };
    edit(&mut plain)?;
    // Tokens are reused only under the same key.
    let reuse: std::collections::HashMap<_, _> = previous
        .iter()
        .filter(|(_, (_, token))| !token.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Seal {
        plain: &plain,
        scope,
        recipients,
        key: &key,
        wrapped: &wrapped,
        previous: Some(&reuse),
    }
    .write(|e| previous.contains_key(e.key()) || encrypt(e, plain.text(&e.value_span())))
}

/// Decrypts an encrypted file to its plaintext (header removed).
pub fn decrypt_document(
    doc: &Document,
    scope: &Scope,
    identities: &Identities,
) -> Result<Document, CryptoError> {
    match header(doc)? {
        Some(h) => open(doc, h, scope, identities)?.document(doc, false),
        None => Ok(doc.clone()),
    }
}

/// An age encryptor to `recipients` (at least one; `what` names what is
/// encrypted in the error when there is none).
fn encryptor(recipients: &[String], what: &str) -> Result<age::Encryptor, CryptoError> {
    if recipients.is_empty() {
        return Err(CryptoError::NoRecipients(what.into()));
    }
    let parsed = recipients
        .iter()
        .map(|r| parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()?;
    age::Encryptor::with_recipients(parsed.iter().map(|r| r.as_ref() as _))
        .map_err(|e| CryptoError::Wrap(e.to_string()))
}

/// Encrypts a whole stream (a backup archive) to `recipients` as a binary
/// age file written to `out`; call `finish` on the writer to complete it.
pub fn encrypt_stream<W: std::io::Write>(
    recipients: &[String],
    out: W,
) -> Result<age::stream::StreamWriter<W>, CryptoError> {
    encryptor(recipients, "the backup")?
        .wrap_output(out)
        .map_err(|e| CryptoError::Wrap(e.to_string()))
}

/// Whether `start` (the first bytes of a file) begins an age file, binary
/// or armored.
pub fn is_age_file(start: &[u8]) -> bool {
    start.starts_with(b"age-encryption.org/v1") || start.starts_with(b"-----BEGIN AGE ENCRYPTED")
}

/// Decrypts a whole age file (binary or armored) read from `input` with
/// one of `identities`: a reader of its plaintext.
pub fn decrypt_stream<'r, R: std::io::BufRead + 'r>(
    input: R,
    identities: &Identities,
) -> Result<Box<dyn std::io::Read + 'r>, CryptoError> {
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(input))
        .map_err(|e| CryptoError::Unwrap(e.to_string()))?;
    match decryptor.decrypt(identities.iter()) {
        Ok(r) => Ok(Box::new(r)),
        Err(age::DecryptError::NoMatchingKeys) => Err(CryptoError::NoIdentity),
        Err(e) => Err(CryptoError::Unwrap(e.to_string())),
    }
}

#[cfg(test)]
mod tests;
