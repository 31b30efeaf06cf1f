//! Encrypted files: the header, opening (MAC check, decryption) and sealing.

use std::borrow::Cow;
use std::collections::HashMap;

use zeroize::Zeroizing;

use super::{
    CryptoError, DataKey, HEADER_PREFIX, Identities, KEY_LINE, MAC_LINE, RECIPIENT_LINE, Scope,
    VALUE_PREFIX, VERSION_LINE,
};
use crate::dotenv::{Document, Entry, Quote, quote_value};

/// The header of an encrypted file, as written.
#[derive(Clone, Debug)]
pub struct Header {
    /// The scope the file says it was encrypted for.
    pub scope: Scope,
    /// The recipients the data key is wrapped to.
    pub recipients: Vec<String>,
    /// The wrapped data key: an armored age file.
    pub wrapped: String,
    /// The file MAC.
    pub mac: String,
    /// Byte ranges of the header lines (line ending included).
    lines: Vec<std::ops::Range<usize>>,
}

/// Whether `doc` is an encrypted file, and its header. A file without a
/// header that holds an `envward:` value is an error (truncated file).
pub fn header(doc: &Document) -> Result<Option<Header>, CryptoError> {
    let src = doc.source();
    let mut found: Option<Header> = None;
    let mut wrapped = String::new();
    let mut mac = None;
    for c in doc.comments() {
        let text = doc.text(&c.span);
        if !text.starts_with(HEADER_PREFIX) {
            continue;
        }
        let line_end = line_end(src, c.span.end);
        if found.is_none() {
            // Only `# envward:v<N> …` starts a header; other `# envward:`
            // comments are ordinary comments.
            let is_version = text[HEADER_PREFIX.len()..]
                .strip_prefix('v')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
            if !is_version {
                continue;
            }
            let Some(rest) = text.strip_prefix(VERSION_LINE) else {
                let found = text[HEADER_PREFIX.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                return Err(CryptoError::UnknownVersion {
                    line: c.line,
                    found: format!("envward:{found}"),
                });
            };
            let scope_text = rest.split_whitespace().next().unwrap_or("");
            let Some((environment, namespace)) = scope_text.split_once('/') else {
                return Err(CryptoError::Header(format!(
                    "line {}: expected `{VERSION_LINE}<environment>/<namespace>`",
                    c.line
                )));
            };
            found = Some(Header {
                scope: Scope {
                    environment: environment.to_string(),
                    namespace: namespace.to_string(),
                },
                recipients: Vec::new(),
                wrapped: String::new(),
                mac: String::new(),
                lines: std::iter::once(c.span.start..line_end).collect(),
            });
            continue;
        }
        let h = found.as_mut().unwrap_or_else(|| unreachable!());
        let is_header_line = [RECIPIENT_LINE, KEY_LINE, MAC_LINE, VERSION_LINE]
            .iter()
            .any(|p| text.starts_with(p));
        if !is_header_line {
            continue;
        }
        h.lines.push(c.span.start..line_end);
        if let Some(r) = text.strip_prefix(RECIPIENT_LINE) {
            h.recipients.push(r.trim().to_string());
        } else if let Some(k) = text.strip_prefix(KEY_LINE) {
            wrapped.push_str(k.trim());
            wrapped.push('\n');
        } else if let Some(m) = text.strip_prefix(MAC_LINE) {
            if mac.is_some() {
                return Err(CryptoError::Header(format!(
                    "line {}: a second MAC",
                    c.line
                )));
            }
            mac = Some(m.trim().to_string());
        } else {
            return Err(CryptoError::Header(format!(
                "line {}: a second header (two encrypted files pasted together?)",
                c.line
            )));
        }
    }
    let Some(mut h) = found else {
        // A file that never names a token has none (one fast search
        // instead of a look at every value).
        if memchr::memmem::find(doc.source().as_bytes(), b"envward:v").is_none() {
            return Ok(None);
        }
        for e in doc.entries() {
            check_token_version(doc, e)?;
            if doc.text(&e.value_span()).starts_with(VALUE_PREFIX) {
                return Err(CryptoError::NoHeader {
                    line: e.line(),
                    key: e.key().to_string(),
                });
            }
        }
        return Ok(None);
    };
    h.wrapped = wrapped;
    h.mac = mac.ok_or_else(|| CryptoError::Header("no `# envward:mac` line".into()))?;
    if h.wrapped.is_empty() {
        return Err(CryptoError::Header("no `# envward:key` lines".into()));
    }
    Ok(Some(h))
}

fn check_token_version(doc: &Document, e: &Entry) -> Result<(), CryptoError> {
    let raw = doc.text(&e.value_span());
    if let Some(rest) = raw.strip_prefix("envward:v")
        && !raw.starts_with(VALUE_PREFIX)
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        let version = rest.split(':').next().unwrap_or("");
        return Err(CryptoError::UnknownVersion {
            line: e.line(),
            found: format!("envward:v{version}"),
        });
    }
    Ok(())
}

fn line_end(src: &str, from: usize) -> usize {
    match memchr::memchr(b'\n', &src.as_bytes()[from..]) {
        Some(i) => from + i + 1,
        None => src.len(),
    }
}

/// Whether the stored value of `e` is an encrypted token.
fn is_token(doc: &Document, e: &Entry) -> bool {
    doc.text(&e.value_span()).starts_with(VALUE_PREFIX)
}

/// From how many entries decryption runs in parallel.
const PARALLEL_FROM: usize = 512;
/// How many entries one task of a parallel decryption takes.
const CHUNK: usize = 256;

/// An encrypted file whose data key was unwrapped and whose MAC checked.
pub struct Opened {
    /// The header.
    pub header: Header,
    /// The data key.
    pub key: DataKey,
    /// The decrypted raw text of each encrypted entry, by entry index.
    plain: Plaintexts,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// The decrypted raw texts (as written, quotes included) of the encrypted
/// entries of a file, by entry index, all in one buffer that is wiped on
/// drop: no allocation per value.
pub struct Plaintexts {
    text: Zeroizing<String>,
    /// By entry: where its text is in `text`; [`IN_CLEAR`] for an entry
    /// that was not encrypted.
    spans: Vec<(usize, usize)>,
}

const IN_CLEAR: (usize, usize) = (usize::MAX, usize::MAX);

impl std::fmt::Debug for Plaintexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Plaintexts([redacted])")
    }
}

impl Plaintexts {
    /// The decrypted raw text of entry `entry`; `None` when it was not
    /// encrypted.
    pub fn get(&self, entry: usize) -> Option<&str> {
        match self.spans.get(entry) {
            None | Some(&IN_CLEAR) => None,
            Some(&(start, end)) => Some(&self.text[start..end]),
        }
    }

    /// Every entry's decrypted raw text, in entry order (`None` for an
    /// entry that was not encrypted).
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.spans.len()).map(|i| self.get(i))
    }

    /// The values of `entries` decrypted into one buffer, sized first so
    /// that it never moves (a move would leave plaintext behind).
    fn decrypt(
        doc: &Document,
        entries: &[Entry],
        cipher: &super::ValueCipher,
        scope: &Scope,
    ) -> Result<Plaintexts, CryptoError> {
        let bound = entries
            .iter()
            .filter(|e| is_token(doc, e))
            .map(|e| super::plaintext_bound(doc.text(&e.value_span())))
            .sum();
        let mut text = Zeroizing::new(String::with_capacity(bound));
        let mut scratch = Zeroizing::new(Vec::new());
        let mut spans = Vec::with_capacity(entries.len());
        for e in entries {
            check_token_version(doc, e)?;
            if !is_token(doc, e) {
                spans.push(IN_CLEAR);
                continue;
            }
            let start = text.len();
            cipher.decrypt_into(
                scope,
                e.key(),
                e.line(),
                doc.text(&e.value_span()),
                &mut scratch,
                &mut text,
            )?;
            if text[start..].contains(['\n', '\r', '\0']) {
                return Err(CryptoError::Plaintext {
                    line: e.line(),
                    key: e.key().to_string(),
                });
            }
            spans.push((start, text.len()));
        }
        Ok(Plaintexts { text, spans })
    }

    /// The parts, in order, as one (their buffers are wiped as they go).
    fn concat(parts: Vec<Plaintexts>) -> Plaintexts {
        let mut text = Zeroizing::new(String::with_capacity(
            parts.iter().map(|p| p.text.len()).sum(),
        ));
        let mut spans = Vec::with_capacity(parts.iter().map(|p| p.spans.len()).sum());
        for part in parts {
            let at = text.len();
            text.push_str(&part.text);
            spans.extend(part.spans.iter().map(|&span| match span {
                IN_CLEAR => IN_CLEAR,
                (start, end) => (start + at, end + at),
            }));
        }
        Plaintexts { text, spans }
    }
}

/// Opens an encrypted file read as `scope`: unwraps the data key, checks
/// the MAC, decrypts every value.
pub fn open(
    doc: &Document,
    header: Header,
    scope: &Scope,
    identities: &Identities,
) -> Result<Opened, CryptoError> {
    let key = match DataKey::unwrap(&header.wrapped, identities) {
        Ok(key) => key,
        Err(CryptoError::NoIdentity) => {
            // Without the data key the MAC and the values cannot be
            // checked; what can be, is, so that tampering visible from
            // the outside is reported even without an identity.
            check_structure(doc, &header, scope)?;
            return Err(CryptoError::NoIdentity);
        }
        Err(e) => return Err(e),
    };
    if header.scope != *scope {
        return Err(CryptoError::Scope {
            found: header.scope.to_string(),
            expected: scope.to_string(),
        });
    }
    let cipher = key.value_cipher();
    // Values first, for the most precise error (which key), then the MAC
    // for what values cannot show (entries added, removed, reordered,
    // plaintext edited). Nothing is returned before both pass.
    //
    // Big files decrypt on every core, in runs of entries; a thread pool
    // costs more than it saves below a few hundred values. Either way the
    // first error in file order is the one reported (a failed parallel
    // pass is redone in order).
    //
    // The MAC covers the file as stored: it is computed while the values
    // decrypt (on another core for a big file), and checked after them.
    let entries = doc.entries();
    let mac = || {
        key.mac(
            scope,
            &header.recipients,
            entries.iter().map(|e| (e.key(), doc.text(&e.value_span()))),
        )
    };
    let sequential = || Plaintexts::decrypt(doc, entries, &cipher, scope);
    let (plain, mac) = if entries.len() >= PARALLEL_FROM {
        use rayon::prelude::*;
        let (parts, mac) = rayon::join(
            || {
                entries
                    .par_chunks(CHUNK)
                    .map(|run| Plaintexts::decrypt(doc, run, &cipher, scope))
                    .collect::<Result<Vec<_>, _>>()
            },
            mac,
        );
        match parts {
            Ok(parts) => (Plaintexts::concat(parts), mac),
            Err(_) => (sequential()?, mac),
        }
    } else {
        (sequential()?, mac())
    };
    if !constant_time_eq(mac.as_bytes(), header.mac.as_bytes()) {
        return Err(CryptoError::Mac);
    }
    Ok(Opened { header, key, plain })
}

/// What can be checked of an encrypted file without its data key: the
/// scope in the header, the shape of the MAC (32 bytes of base64url), and
/// the shape of every value token (version, base64url, at least a nonce
/// and a tag). The wrapped key was already parsed as an armored age file.
/// Not checkable without the key: the MAC itself (entries added, removed,
/// reordered, a plaintext value edited), and whether a token decrypts (a
/// ciphertext swapped, a bit flipped).
pub fn check_structure(doc: &Document, header: &Header, scope: &Scope) -> Result<(), CryptoError> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if header.scope != *scope {
        return Err(CryptoError::Scope {
            found: header.scope.to_string(),
            expected: scope.to_string(),
        });
    }
    if URL_SAFE_NO_PAD
        .decode(&header.mac)
        .map_or(true, |m| m.len() != 32)
    {
        return Err(CryptoError::Header(
            "the `# envward:mac` line is not a MAC (32 bytes of base64url)".into(),
        ));
    }
    for e in doc.entries() {
        check_token_version(doc, e)?;
        if !is_token(doc, e) {
            continue;
        }
        let body = &doc.text(&e.value_span())[VALUE_PREFIX.len()..];
        let ok = URL_SAFE_NO_PAD
            .decode(body)
            .is_ok_and(|p| p.len() >= super::NONCE_LEN + super::TAG_LEN);
        if !ok {
            return Err(CryptoError::Corrupt {
                line: e.line(),
                key: e.key().to_string(),
            });
        }
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Opened {
    /// The decrypted raw text (as written, quotes included) of each entry,
    /// by entry index: `None` for an entry that was not encrypted.
    pub fn values(&self) -> &Plaintexts {
        &self.plain
    }

    /// [`Opened::values`], taken: a reader that needs no decrypted
    /// document keeps these beside the file as read.
    pub fn into_values(self) -> Plaintexts {
        self.plain
    }

    /// The decrypted document: every encrypted value replaced by its
    /// plaintext. With `keep_header` the header lines stay (as comments),
    /// so line numbers match the encrypted file.
    pub fn document(&self, doc: &Document, keep_header: bool) -> Result<Document, CryptoError> {
        rebuild(doc, &self.header, keep_header, |i| {
            self.plain.get(i).map(Cow::Borrowed)
        })
    }

    /// Key → (plaintext raw text, stored token) of every encrypted entry:
    /// sealing reuses a token whose plaintext did not change.
    pub fn previous(&self, doc: &Document) -> HashMap<String, (Zeroizing<String>, String)> {
        doc.entries()
            .iter()
            .zip(self.plain.iter())
            .filter_map(|(e, p)| {
                Some((
                    e.key().to_string(),
                    (
                        Zeroizing::new(p?.to_string()),
                        doc.text(&e.value_span()).to_string(),
                    ),
                ))
            })
            .collect()
    }
}

/// The document with every encrypted value blanked: what can be read of a
/// file no identity opens. Returns it and the keys blanked.
pub fn blank(doc: &Document, header: &Header) -> Result<(Document, Vec<String>), CryptoError> {
    let keys = doc
        .entries()
        .iter()
        .filter(|e| is_token(doc, e))
        .map(|e| e.key().to_string())
        .collect();
    let doc = rebuild(doc, header, true, |i| {
        is_token(doc, &doc.entries()[i]).then_some(Cow::Borrowed(""))
    })?;
    Ok((doc, keys))
}

fn rebuild<'a>(
    doc: &Document,
    header: &Header,
    keep_header: bool,
    replacement: impl Fn(usize) -> Option<Cow<'a, str>>,
) -> Result<Document, CryptoError> {
    let src = doc.source();
    let mut out = Zeroizing::new(String::with_capacity(src.len()));
    let mut cuts: Vec<(std::ops::Range<usize>, Cow<'a, str>)> = Vec::new();
    if !keep_header {
        cuts.extend(header.lines.iter().map(|r| (r.clone(), Cow::Borrowed(""))));
    }
    for (i, e) in doc.entries().iter().enumerate() {
        if let Some(text) = replacement(i) {
            cuts.push((e.value_span().clone(), text));
        }
    }
    cuts.sort_by_key(|(r, _)| r.start);
    let mut from = 0;
    for (range, text) in &cuts {
        out.push_str(&src[from..range.start]);
        out.push_str(text);
        from = range.end;
    }
    out.push_str(&src[from..]);
    Document::parse(&out)
        .map_err(|e| CryptoError::Reparse(format!("line {}: {}", e.line, e.kind.code())))
}

/// The raw text of a value on one line, meaning unchanged: a multi-line
/// quoted value becomes one double-quoted line with `\n` escapes, so
/// decrypting a file never moves the lines after it.
pub fn one_line<'a>(doc: &'a Document, e: &Entry) -> Cow<'a, str> {
    let raw = doc.text(&e.value_span());
    if !raw.contains(['\n', '\r']) {
        return Cow::Borrowed(raw);
    }
    match e.quote() {
        Quote::Double => Cow::Owned(raw.replace('\r', "\\r").replace('\n', "\\n")),
        Quote::Single | Quote::None => {
            let inner = raw
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .unwrap_or(raw);
            Cow::Owned(quote_value(inner))
        }
    }
}

/// What to seal: a plaintext document (no header) and its scope.
pub struct Seal<'a> {
    /// The plaintext document, without a header.
    pub plain: &'a Document,
    /// The scope.
    pub scope: &'a Scope,
    /// The recipients.
    pub recipients: &'a [String],
    /// The data key.
    pub key: &'a DataKey,
    /// The data key wrapped to `recipients` (reused when they did not change).
    pub wrapped: &'a str,
    /// Tokens of the previous version, reused for unchanged values.
    pub previous: Option<&'a HashMap<String, (Zeroizing<String>, String)>>,
}

impl Seal<'_> {
    /// The encrypted file text: the header, then the document with the
    /// values `encrypt` selects replaced by tokens.
    pub fn write(&self, encrypt: impl Fn(&Entry) -> bool) -> Result<String, CryptoError> {
        let doc = self.plain;
        let src = doc.source();
        let nl = if doc.uses_crlf() { "\r\n" } else { "\n" };
        let mut body = String::with_capacity(src.len() * 2);
        let mut stored: Vec<(String, String)> = Vec::with_capacity(doc.entries().len());
        let mut from = 0;
        for e in doc.entries() {
            let raw = one_line(doc, e);
            let value = if encrypt(e) || raw.starts_with(VALUE_PREFIX) {
                match self.previous.and_then(|p| p.get(e.key())) {
                    Some((old, token)) if old.as_str() == raw.as_ref() => token.clone(),
                    _ => self.key.encrypt_value(self.scope, e.key(), &raw)?,
                }
            } else {
                raw.into_owned()
            };
            body.push_str(&src[from..e.value_span().start]);
            body.push_str(&value);
            from = e.value_span().end;
            stored.push((e.key().to_string(), value));
        }
        body.push_str(&src[from..]);
        let mac = self.key.mac(
            self.scope,
            self.recipients,
            stored.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let mut out = String::with_capacity(body.len() + 1024);
        out.push_str(VERSION_LINE);
        out.push_str(&self.scope.to_string());
        out.push_str(" (encrypted by envward: change values with `envward set` or `envward edit`)");
        out.push_str(nl);
        for r in self.recipients {
            out.push_str(RECIPIENT_LINE);
            out.push_str(r);
            out.push_str(nl);
        }
        for line in self.wrapped.lines() {
            out.push_str(KEY_LINE);
            out.push_str(line);
            out.push_str(nl);
        }
        out.push_str(MAC_LINE);
        out.push_str(&mac);
        out.push_str(nl);
        out.push_str(&body);
        Ok(out)
    }
}
