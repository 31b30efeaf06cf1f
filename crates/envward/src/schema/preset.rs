//! Presets: packs of `[vars]` declarations as TOML data (built in, or
//! `*.toml` files in the directory named by `[templates] dir`), merged
//! into `envward.toml` with `toml_edit` so that its comments and layout
//! stay as they are.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use super::VarSpec;

const BUILTIN: &[(&str, &str)] = &[
    ("auth", include_str!("../../presets/auth.toml")),
    ("cache", include_str!("../../presets/cache.toml")),
    ("database", include_str!("../../presets/database.toml")),
    ("django", include_str!("../../presets/django.toml")),
    ("email", include_str!("../../presets/email.toml")),
    ("node", include_str!("../../presets/node.toml")),
    ("rust", include_str!("../../presets/rust.toml")),
    ("web", include_str!("../../presets/web.toml")),
];

/// A pack of declarations.
#[derive(Clone, Debug)]
pub struct Preset {
    /// Its name (`database`).
    pub name: String,
    /// What it declares.
    pub description: String,
    /// Variants (`postgres`, `mysql`, `sqlite`), if any.
    pub options: Vec<String>,
    /// The variant used when none is named.
    pub default_option: Option<String>,
    /// Where it comes from: `built-in` or a file.
    pub source: String,
    doc: DocumentMut,
}

/// A preset could not be read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresetError {
    /// No preset has that name.
    #[error("unknown template `{name}`; available: {}", available.join(", "))]
    Unknown {
        /// What was asked for.
        name: String,
        /// What exists.
        available: Vec<String>,
    },
    /// The preset has no such option.
    #[error("template `{name}` has no option `{option}`; options: {}", options.join(", "))]
    UnknownOption {
        /// The preset.
        name: String,
        /// What was asked for.
        option: String,
        /// What exists.
        options: Vec<String>,
    },
    /// A preset file is malformed.
    #[error("{source_name}: {message}")]
    Invalid {
        /// The file.
        source_name: String,
        /// What is wrong.
        message: String,
    },
}

impl Preset {
    fn parse(name: &str, text: &str, source: &str) -> Result<Preset, PresetError> {
        let invalid = |message: String| PresetError::Invalid {
            source_name: source.to_string(),
            message,
        };
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| invalid(e.to_string()))?;
        let meta = doc.get("preset").and_then(Item::as_table);
        let get_str = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Item::as_str)
                .map(String::from)
        };
        let options: Vec<String> = meta
            .and_then(|m| m.get("options"))
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let preset = Preset {
            name: name.to_string(),
            description: get_str("description").unwrap_or_default(),
            default_option: get_str("default_option"),
            options,
            source: source.to_string(),
            doc,
        };
        // Every declaration must be a valid [vars] entry.
        for option in std::iter::once(None).chain(preset.options.iter().map(Some)) {
            let vars = preset.vars(option.map(String::as_str))?;
            let text = format!("{}", vars_document(&vars));
            toml::from_str::<toml::Table>(&text)
                .ok()
                .and_then(|t| t.get("vars").cloned())
                .map(|v| v.try_into::<indexmap::IndexMap<String, VarSpec>>())
                .transpose()
                .map_err(|e| invalid(e.to_string()))?;
        }
        Ok(preset)
    }

    /// The declarations: the common ones, then those of `option` (or the
    /// default option).
    pub fn vars(&self, option: Option<&str>) -> Result<Table, PresetError> {
        let mut out = Table::new();
        if let Some(common) = self.doc.get("vars").and_then(Item::as_table) {
            for (k, v) in common.iter() {
                out.insert(k, v.clone());
            }
        }
        let option = match option {
            Some(o) => {
                if !self.options.iter().any(|x| x == o) {
                    return Err(PresetError::UnknownOption {
                        name: self.name.clone(),
                        option: o.to_string(),
                        options: self.options.clone(),
                    });
                }
                Some(o.to_string())
            }
            None => self.default_option.clone(),
        };
        if let Some(o) = option
            && let Some(vars) = self
                .doc
                .get("options")
                .and_then(|t| t.get(&o))
                .and_then(|t| t.get("vars"))
                .and_then(Item::as_table)
        {
            for (k, v) in vars.iter() {
                out.insert(k, v.clone());
            }
        }
        Ok(out)
    }
}

/// The built-in presets and those in `dir` (a file's stem is its name; a
/// file overrides a built-in of the same name).
pub fn presets(dir: Option<&Path>) -> Result<Vec<Preset>, PresetError> {
    let mut out: Vec<Preset> = BUILTIN
        .iter()
        .map(|(name, text)| Preset::parse(name, text, "built-in"))
        .collect::<Result<_, _>>()?;
    if let Some(dir) = dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| PresetError::Invalid {
                source_name: dir.display().to_string(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|e| PresetError::Invalid {
                source_name: path.display().to_string(),
                message: e.to_string(),
            })?;
            let preset = Preset::parse(&name, &text, &path.display().to_string())?;
            out.retain(|p| p.name != name);
            out.push(preset);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Finds `NAME` or `NAME:OPTION` among `presets`.
pub fn find<'a>(
    presets: &'a [Preset],
    spec: &str,
) -> Result<(&'a Preset, Option<String>), PresetError> {
    let (name, option) = match spec.split_once(':') {
        Some((n, o)) => (n, Some(o.to_string())),
        None => (spec, None),
    };
    let preset = presets
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| PresetError::Unknown {
            name: name.to_string(),
            available: presets.iter().map(|p| p.name.clone()).collect(),
        })?;
    if let Some(o) = &option
        && !preset.options.contains(o)
    {
        return Err(PresetError::UnknownOption {
            name: name.to_string(),
            option: o.clone(),
            options: preset.options.clone(),
        });
    }
    Ok((preset, option))
}

/// A document holding only `[vars.*]` tables.
pub fn vars_document(vars: &Table) -> DocumentMut {
    let mut doc = DocumentMut::new();
    let mut t = Table::new();
    t.set_implicit(true);
    for (k, v) in vars.iter() {
        t.insert(k, v.clone());
    }
    doc.insert("vars", Item::Table(t));
    doc
}

/// A key both the project (or an earlier pack) and a pack declare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// Who declared it first (kept): `envward.toml` or `template NAME`.
    pub kept: String,
    /// The pack whose declaration was skipped.
    pub skipped: String,
}

/// The result of merging packs into `envward.toml`.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The new text of `envward.toml`.
    pub text: String,
    /// Keys added, with the pack each came from.
    pub added: Vec<(String, String)>,
    /// Keys declared twice; the first declaration is kept.
    pub duplicates: Vec<Duplicate>,
}

/// Merges `packs` (label, declarations) into the text of `envward.toml`,
/// keeping its comments and layout. A key already declared is kept and
/// reported with both sources.
pub fn merge(project_text: &str, packs: &[(String, Table)]) -> Result<Merged, PresetError> {
    let mut doc: DocumentMut =
        project_text
            .parse()
            .map_err(|e: toml_edit::TomlError| PresetError::Invalid {
                source_name: crate::config::PROJECT_FILE.into(),
                message: e.to_string(),
            })?;
    if !doc.contains_key("vars") {
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert("vars", Item::Table(t));
    }
    let vars = doc["vars"]
        .as_table_mut()
        .ok_or_else(|| PresetError::Invalid {
            source_name: crate::config::PROJECT_FILE.into(),
            message: "`vars` is not a table".into(),
        })?;
    let mut from: indexmap::IndexMap<String, String> = vars
        .iter()
        .map(|(k, _)| (k.to_string(), crate::config::PROJECT_FILE.to_string()))
        .collect();
    let mut added = Vec::new();
    let mut duplicates = Vec::new();
    let mut next_position = 1 << 20;
    for (label, table) in packs {
        for (key, item) in table.iter() {
            if let Some(kept) = from.get(key) {
                duplicates.push(Duplicate {
                    key: key.to_string(),
                    kept: kept.clone(),
                    skipped: label.clone(),
                });
                continue;
            }
            let mut item = item.clone();
            // Place the new tables after everything, in insertion order (their
            // positions in the preset file would interleave them otherwise).
            renumber(&mut item, &mut next_position);
            vars.insert(key, item);
            from.insert(key.to_string(), label.clone());
            added.push((key.to_string(), label.clone()));
        }
    }
    Ok(Merged {
        text: doc.to_string(),
        added,
        duplicates,
    })
}

fn renumber(item: &mut Item, next: &mut isize) {
    if let Item::Table(t) = item {
        t.set_position(Some(*next));
        *next += 1;
        for (_, child) in t.iter_mut() {
            renumber(child, next);
        }
    }
}
