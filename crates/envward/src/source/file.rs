//! A `.env` file of the layout: parsed, decrypted when it is encrypted
//! (or blanked when no identity can open it), checked for duplicate keys.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Conflict, Definition, FilePath, Key, Layer, Origin, Source, Text};
use crate::config::Strictness;
use crate::crypto;
use crate::diagnostic::Diagnostic;
use crate::dotenv::Document;
use crate::error::LoadError;
use crate::excerpt::{Syntax, excerpt_line};
use crate::layout::EnvFile;

/// An encrypted file that no available identity could open.
#[derive(Clone, Debug)]
pub struct SealedFile {
    /// The file, relative to the project root.
    pub path: PathBuf,
    /// The scope it is encrypted for (`production/security`).
    pub scope: String,
    /// The recipients its data key is wrapped to.
    pub recipients: Vec<String>,
    /// The keys whose values are encrypted.
    pub keys: Vec<String>,
    /// The identities tried.
    pub tried: Vec<String>,
}

/// The identities that open encrypted files, loaded the first time an
/// encrypted file needs them (so that nothing asks for a passphrase when
/// no file is encrypted).
pub(crate) struct Keyring<'a> {
    files: &'a [PathBuf],
    process: &'a BTreeMap<String, String>,
    prompt: Option<&'a crypto::PassphrasePrompt>,
    loaded: Option<crypto::Identities>,
}

impl<'a> Keyring<'a> {
    /// Identities from `files` (`--identity`), then the environment
    /// (`ENVWARD_IDENTITY`, …) in `process`, asking `prompt` for a
    /// passphrase.
    pub(crate) fn new(
        files: &'a [PathBuf],
        process: &'a BTreeMap<String, String>,
        prompt: Option<&'a crypto::PassphrasePrompt>,
    ) -> Self {
        Keyring {
            files,
            process,
            prompt,
            loaded: None,
        }
    }

    /// Whether the identities were loaded (an encrypted file needed them).
    #[cfg(test)]
    pub(crate) fn is_loaded(&self) -> bool {
        self.loaded.is_some()
    }

    fn identities(&mut self) -> Result<&crypto::Identities, LoadError> {
        if self.loaded.is_none() {
            let ids = crypto::Identities::load_with(self.files, self.process, self.prompt)
                .map_err(|e| LoadError::Identity(Box::new(e)))?;
            self.loaded = Some(ids);
        }
        Ok(self.loaded.as_ref().expect("loaded just above"))
    }
}

/// A `.env` file, its values in clear.
pub(crate) struct FileSource {
    file: EnvFile,
    /// The file as parsed; when `plain` holds the decrypted values, its
    /// encrypted values are still tokens. Otherwise a decrypted (or
    /// blanked) document, parsed again, header kept (same lines).
    doc: Document,
    /// By entry index: whether its value was encrypted in the file (empty
    /// for a file in clear).
    encrypted: Vec<bool>,
    /// By entry index: the decrypted value of an encrypted entry, when
    /// every one reads back as itself ([`crate::dotenv::is_bare`]): the
    /// common case, where the file needs no decrypted document parsed
    /// again. `None` otherwise.
    plain: Option<crypto::Plaintexts>,
    /// Set when no identity could open the file (encrypted values blanked).
    sealed: Option<SealedFile>,
    /// Whether the file has an encryption header.
    is_encrypted: bool,
    /// Key → index of its last (effective) entry.
    index: EntryIndex,
    /// The file and its namespace as every origin names them (shared).
    shown: (std::sync::Arc<Path>, std::sync::Arc<str>),
}

/// Entry index by key, borrowing the keys from the document (no key is
/// copied): a hash table of entry indexes.
#[derive(Default)]
struct EntryIndex {
    table: hashbrown::HashTable<u32>,
    /// Whether a key ends with `_FILE`: without one, no `KEY_FILE` is
    /// looked up (a second hash lookup for every key, issue 18).
    file_refs: bool,
}

impl EntryIndex {
    fn hash(key: &str) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(key)
    }

    /// Indexes every entry of `doc`; a later duplicate replaces an
    /// earlier one (the last definition wins). The second value says
    /// whether there was one.
    fn of(doc: &Document) -> (Self, bool) {
        let entries = doc.entries();
        let mut table = hashbrown::HashTable::with_capacity(entries.len());
        let mut duplicates = false;
        let mut file_refs = false;
        for (i, e) in entries.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 entries");
            file_refs |= e.key().ends_with(crate::source::FILE_SUFFIX);
            match table.entry(
                Self::hash(e.key()),
                |&j: &u32| entries[j as usize].key() == e.key(),
                |&j: &u32| Self::hash(entries[j as usize].key()),
            ) {
                hashbrown::hash_table::Entry::Occupied(mut o) => {
                    *o.get_mut() = i;
                    duplicates = true;
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        (EntryIndex { table, file_refs }, duplicates)
    }

    fn get(&self, doc: &Document, key: &str) -> Option<usize> {
        let entries = doc.entries();
        self.table
            .find(Self::hash(key), |&j| entries[j as usize].key() == key)
            .map(|&j| j as usize)
    }
}

impl FileSource {
    /// Reads, parses and (when it is encrypted) opens `file`, read for
    /// `environment`; duplicate keys are warnings pushed to `warnings` or,
    /// with `duplicates = error`, an error.
    pub(crate) fn open(
        file: EnvFile,
        environment: &str,
        keyring: &mut Keyring<'_>,
        duplicates: Strictness,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Self, LoadError> {
        let bytes = std::fs::read(&file.path).map_err(|source| LoadError::Read {
            path: file.display.clone(),
            source,
        })?;
        let mut doc =
            Document::parse_vec(bytes).map_err(|e| LoadError::from(e.with_path(&file.display)))?;
        let crypto_err = |source| LoadError::Crypto {
            path: file.display.clone(),
            source: Box::new(source),
        };
        let mut encrypted = Vec::new();
        let mut plain = None;
        let mut sealed = None;
        let header = crypto::header(&doc).map_err(crypto_err)?;
        let is_encrypted = header.is_some();
        if let Some(header) = header {
            let ids = keyring.identities()?;
            encrypted = doc
                .entries()
                .iter()
                .map(|e| doc.text(&e.value_span()).starts_with(crypto::VALUE_PREFIX))
                .collect();
            let scope = file.scope(environment);
            match crypto::open(&doc, header.clone(), &scope, ids) {
                Ok(opened) if values_as_they_are(&doc, opened.values()) => {
                    plain = Some(opened.into_values());
                }
                Ok(opened) => doc = opened.document(&doc, true).map_err(crypto_err)?,
                Err(crypto::CryptoError::NoIdentity) => {
                    let (blank, keys) = crypto::blank(&doc, &header).map_err(crypto_err)?;
                    sealed = Some(SealedFile {
                        path: file.display.clone(),
                        scope: scope.to_string(),
                        recipients: header.recipients.clone(),
                        keys,
                        tried: ids.sources.iter().map(ToString::to_string).collect(),
                    });
                    doc = blank;
                }
                Err(e) => return Err(crypto_err(e)),
            }
        }
        let (index, any_duplicate) = EntryIndex::of(&doc);
        // Reported (with their first definitions) only when the index met
        // one: no second table over every key.
        if any_duplicate {
            check_duplicates(&file, &doc, duplicates, warnings)?;
        }
        Ok(FileSource {
            doc,
            encrypted,
            plain,
            sealed,
            is_encrypted,
            index,
            shown: (
                file.display.as_path().into(),
                file.namespace.as_str().into(),
            ),
            file,
        })
    }

    /// The file read.
    pub(crate) fn file(&self) -> &EnvFile {
        &self.file
    }

    /// Whether the file is encrypted.
    pub(crate) fn is_encrypted(&self) -> bool {
        self.is_encrypted
    }

    /// What no identity could open, if anything.
    pub(crate) fn sealed(&self) -> Option<&SealedFile> {
        self.sealed.as_ref()
    }

    fn origin(&self, entry: usize) -> Origin {
        let e = &self.doc.entries()[entry];
        Origin::File {
            path: self.shown.0.clone(),
            line: e.line(),
            column: e.column(),
            layer: self.file.layer,
            namespace: self.shown.1.clone(),
        }
    }

    fn comment(&self, entry: usize) -> Option<&str> {
        let span = self.doc.entries()[entry].comment()?;
        Some(self.doc.text(&span))
    }
}

impl Source for FileSource {
    fn layer(&self) -> Layer {
        self.file.layer
    }

    fn namespace(&self) -> Option<&str> {
        Some(&self.file.namespace)
    }

    fn rank(&self) -> u8 {
        self.file.rank
    }

    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        for e in self.doc.entries() {
            let key = e
                .key()
                .strip_suffix(super::FILE_SUFFIX)
                .filter(|k| !k.is_empty())
                .unwrap_or(e.key());
            f(key);
        }
    }

    fn not_literal(&self) -> Option<Vec<&str>> {
        let literal = !self.index.file_refs && self.doc.entries().iter().all(|e| !e.has_refs());
        literal.then(Vec::new)
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        let entries = self.doc.entries();
        match (
            self.index.get(&self.doc, key.name),
            if self.index.file_refs {
                self.index.get(&self.doc, key.file)
            } else {
                None
            },
        ) {
            (Some(_), Some(f)) => Err(Conflict {
                origin: self.origin(f),
                at: Some(entries[f].key_span().start),
            }),
            (Some(i), None) => {
                let e = &entries[i];
                if let Some(value) = self.plain.as_ref().and_then(|p| p.get(i)) {
                    // Decrypted, and bare: the value is the text itself.
                    return Ok(Some(Definition {
                        value: Text::Literal(value),
                        origin: self.origin(i),
                        written: Cow::Borrowed(value),
                        encrypted: true,
                        sealed: false,
                        comment: self.comment(i),
                    }));
                }
                let encrypted = self.encrypted.get(i).copied().unwrap_or(false);
                Ok(Some(Definition {
                    value: Text::Template {
                        template: e.template(),
                        start: e.value_span().start,
                    },
                    origin: self.origin(i),
                    written: Cow::Borrowed(self.doc.text(&e.value_span())),
                    encrypted,
                    sealed: encrypted && self.sealed.is_some(),
                    comment: self.comment(i),
                }))
            }
            (None, Some(i)) => {
                let e = &entries[i];
                let declared = self.origin(i);
                let written = self.doc.text(&e.value_span());
                Ok(Some(Definition {
                    value: Text::File {
                        path: FilePath::Template {
                            key: e.key(),
                            template: e.template(),
                            start: e.value_span().start,
                            written,
                            base: self.file.path.parent(),
                        },
                        blame: declared.clone(),
                    },
                    origin: Origin::FileRef {
                        var: key.file.to_string(),
                        path: PathBuf::new(),
                        declared: Box::new(declared),
                    },
                    written: Cow::Borrowed(written),
                    encrypted: false,
                    sealed: false,
                    comment: self.comment(i),
                }))
            }
            (None, None) => Ok(None),
        }
    }

    fn document(&self) -> Option<(&Path, &Document)> {
        Some((&self.file.display, &self.doc))
    }
}

/// Whether the decrypted `values` of `doc`'s entries can be used as they
/// are, without a decrypted document parsed again: every one reads back as
/// itself (bare: no quotes, escapes, references or blanks), and none is
/// the path of a `KEY_FILE` (read through its template). Otherwise the
/// decrypted document is built and parsed (`crypto::Opened::document`).
fn values_as_they_are(doc: &Document, values: &crypto::Plaintexts) -> bool {
    doc.entries().iter().zip(values.iter()).all(|(e, v)| {
        v.is_none_or(|v| crate::dotenv::is_bare(v) && !e.key().ends_with(super::FILE_SUFFIX))
    })
}

/// Duplicate keys of a file reported one by one, before one summary.
const DUPLICATE_WARNINGS: usize = 10;

fn check_duplicates(
    file: &EnvFile,
    doc: &Document,
    strictness: Strictness,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let mut seen: rustc_hash::FxHashMap<&str, (u32, u32)> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(doc.entries().len(), Default::default());
    let (mut shown, mut more) = (0usize, 0usize);
    for e in doc.entries() {
        if let Some(&(line, column)) = seen.get(e.key()) {
            let first = format!("{}:{line}:{column}", file.display.display());
            if strictness == Strictness::Error {
                return Err(LoadError::Duplicate {
                    key: e.key().to_string(),
                    first,
                    second: format!("{}:{}:{}", file.display.display(), e.line(), e.column()),
                });
            }
            if shown == DUPLICATE_WARNINGS {
                more += 1;
                continue;
            }
            shown += 1;
            // The entry's own line, read from its start: linear in the
            // number of duplicates, whatever their number.
            let line = &doc.source().as_bytes()[e.span().start..];
            let quoted = excerpt_line(
                line,
                e.line(),
                e.key_span().start - e.span().start,
                Some(e.value_span().start - e.span().start),
                Syntax::Dotenv,
            )
            .source;
            warnings.push(
                Diagnostic::warning(format!("`{}` is defined twice; the last definition wins", e.key()))
                    .with_location(Some(&file.display), e.line(), e.column())
                    .with_source(quoted, "defined again here")
                    .with_note(format!("first defined at {first}"))
                    .with_help("remove one of them, or set `duplicate_keys = \"error\"` under [resolve] to make this an error"),
            );
        }
        seen.insert(e.key(), (e.line(), e.column()));
    }
    if more > 0 {
        warnings.push(
            Diagnostic::warning(format!(
                "{} defines {more} more {} twice; only the first {DUPLICATE_WARNINGS} are shown",
                file.display.display(),
                crate::plural::noun(more, "key", "keys")
            ))
            .with_help("set `duplicate_keys = \"error\"` under [resolve] to stop at the first one"),
        );
    }
    Ok(())
}
