//! Changing who can decrypt an environment: `recipients` in
//! `envward.toml`, and every encrypted file rewrapped to match.

use std::path::PathBuf;

use crate::config::{PROJECT_FILE, ProjectFile};
use crate::crypto::{self, KeyPolicy};
use crate::layout::EnvFile;

use super::{Encrypt, Store, StoreError, header, read_doc, write};

/// A change of an environment's recipients.
#[derive(Clone, Debug)]
pub enum RecipientChange {
    /// Add these (age `age1…` or SSH public keys); the data keys are kept
    /// and rewrapped.
    Add(Vec<String>),
    /// Remove these; every data key is rotated and every value encrypted
    /// anew.
    Remove(Vec<String>),
}

impl Store {
    /// Adds or removes recipients of the environment. Every encrypted file
    /// whose recipients come from it (its own, and the shared ones) is
    /// opened and checked first, under the locks of every directory
    /// involved; only when all of them open are `envward.toml` and the
    /// files written. Returns the files rewritten. The change is recorded
    /// in the audit log.
    pub fn change_recipients(
        &self,
        change: &RecipientChange,
    ) -> Result<RecipientsChanged, StoreError> {
        let current = self
            .project
            .file
            .environments
            .get(&self.environment)
            .map(|e| e.recipients.clone())
            .unwrap_or_default();
        match change {
            RecipientChange::Add(list) => {
                for r in list {
                    crypto::parse_recipient(r).map_err(|e| StoreError::Crypto(Box::new(e)))?;
                }
            }
            RecipientChange::Remove(list) => {
                let missing: Vec<String> = list
                    .iter()
                    .filter(|r| !current.contains(r))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(StoreError::NotRecipient {
                        environment: self.environment.clone(),
                        recipients: missing,
                    });
                }
            }
        }
        let toml_path = self.project.root.join(PROJECT_FILE);
        let files = self.all_files()?;
        let _locks = crate::fs::lock_dirs_of(
            std::iter::once(toml_path.as_path()).chain(files.iter().map(|f| f.path.as_path())),
        )
        .map_err(|source| StoreError::Io {
            path: self.project.root.clone(),
            source,
        })?;
        let text = match std::fs::read_to_string(&toml_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(StoreError::Io {
                    path: PathBuf::from(PROJECT_FILE),
                    source,
                });
            }
        };
        let new_text = edit_recipients(&text, &self.environment, |list| match change {
            RecipientChange::Add(add) => {
                for r in add {
                    if !list.contains(r) {
                        list.push(r.clone());
                    }
                }
            }
            RecipientChange::Remove(remove) => list.retain(|r| !remove.contains(r)),
        })?;
        let new_project = match &new_text {
            Some(t) => ProjectFile::parse(t, &toml_path).map_err(crate::LoadError::from)?,
            None => self.project.file.clone(),
        };
        let policy = match change {
            RecipientChange::Add(_) => KeyPolicy::Keep,
            RecipientChange::Remove(_) => KeyPolicy::Rotate,
        };
        // Every file is opened and sealed in memory before anything is
        // written: one tampered file or a missing identity changes nothing.
        let mut sealed = Vec::new();
        for f in files {
            let Some(doc) = read_doc(&f)? else { continue };
            if header(&f, &doc)?.is_none() {
                continue;
            }
            let recipients = new_project.recipients(&self.scope(&f).environment);
            let text = self.seal(
                &f,
                &doc,
                &recipients,
                policy,
                Encrypt::default(),
                |_| Ok(()),
            )?;
            sealed.push((f, text));
        }
        if let Some(t) = &new_text {
            crate::fs::write_atomic(&toml_path, t.as_bytes(), 0o644).map_err(|source| {
                StoreError::Io {
                    path: PathBuf::from(PROJECT_FILE),
                    source,
                }
            })?;
        }
        let mut written = Vec::with_capacity(sealed.len());
        for (f, text) in sealed {
            write(&f.path, text.as_bytes())?;
            written.push(f);
        }
        let (verb, list) = match change {
            RecipientChange::Add(l) => ("added", l),
            RecipientChange::Remove(l) => ("removed", l),
        };
        let record_error = self
            .audit(crate::ops::audit::Event {
                command: &self.command,
                action: crate::ops::audit::Action::Write,
                environment: &self.environment,
                keys: Vec::new(),
                file: Some(PROJECT_FILE.to_string()),
                detail: Some(format!(
                    "{verb} {}; {} rewrapped",
                    crate::plural::count(list.len(), "recipient", "recipients"),
                    crate::plural::count(written.len(), "file", "files")
                )),
            })
            .err();
        Ok(RecipientsChanged {
            files: written,
            record_error,
        })
    }
}

/// What a change of recipients did.
#[derive(Debug)]
pub struct RecipientsChanged {
    /// The encrypted files rewritten.
    pub files: Vec<EnvFile>,
    /// Set when the change was made but the audit log could not record it.
    pub record_error: Option<StoreError>,
}

/// Edits `recipients` of `[environments.<environment>]` in the text of
/// `envward.toml`, keeping its formatting; `None` when nothing changed.
fn edit_recipients(
    text: &str,
    environment: &str,
    edit: impl FnOnce(&mut Vec<String>),
) -> Result<Option<String>, StoreError> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| StoreError::ProjectFile(e.message().to_string()))?;
    let envs = doc
        .entry("environments")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| StoreError::ProjectFile("[environments] is not a table".into()))?;
    let env = envs
        .entry(environment)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| {
            StoreError::ProjectFile(format!("[environments.{environment}] is not a table"))
        })?;
    let mut list: Vec<String> = env
        .get("recipients")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let before = list.clone();
    edit(&mut list);
    if list == before {
        return Ok(None);
    }
    let mut array = toml_edit::Array::new();
    for r in &list {
        array.push_formatted(toml_edit::Value::from(r.as_str()).decorated("\n    ", ""));
    }
    array.set_trailing(",\n");
    array.set_trailing_comma(false);
    env.insert("recipients", toml_edit::value(array));
    Ok(Some(doc.to_string()))
}
