//! The resolver over a list of sources: ranking by precedence and
//! namespace, and a source of another kind answering lookups.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::resolver::Resolver;
use crate::config::{Layer, ProjectFile, Strictness};
use crate::layout::{COMMON, EnvFile};
use crate::source::{Conflict, Definition, FileSource, Key, Keyring, Origin, Source, Text};
use crate::value::Var;

/// A source held in memory, as a remote store would be.
struct Memory {
    name: &'static str,
    layer: Layer,
    namespace: Option<&'static str>,
    vars: BTreeMap<&'static str, &'static str>,
}

impl Memory {
    fn new(name: &'static str, layer: Layer, vars: &[(&'static str, &'static str)]) -> Self {
        Memory {
            name,
            layer,
            namespace: None,
            vars: vars.iter().copied().collect(),
        }
    }
}

impl Source for Memory {
    fn layer(&self) -> Layer {
        self.layer
    }

    fn namespace(&self) -> Option<&str> {
        self.namespace
    }

    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        self.vars.keys().for_each(|k| f(k));
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        Ok(self.vars.get(key.name).map(|value| Definition {
            value: Text::Literal(value),
            origin: Origin::SecretsDir {
                path: PathBuf::from(format!("{}/{}", self.name, key.name)),
            },
            written: Cow::Borrowed(value),
            encrypted: false,
            sealed: false,
            comment: None,
        }))
    }
}

fn resolve(
    project: &ProjectFile,
    sources: Vec<Box<dyn Source + '_>>,
    namespace: Option<&str>,
) -> BTreeMap<String, Var> {
    let process = BTreeMap::new();
    let mut namespaces = vec![COMMON.to_string()];
    namespaces.extend(namespace.map(String::from));
    namespaces.sort();
    let r = Resolver::new(project, sources, &process, namespaces, false);
    let view = r.view_of(namespace);
    let vars = r.resolve_view(view, None).expect("resolves").0;
    vars.into_vec()
        .into_iter()
        .map(|v| (v.key.to_string(), v))
        .collect()
}

fn origin(vars: &BTreeMap<String, Var>, key: &str) -> String {
    vars[key].origin.to_string()
}

fn project(precedence: &[Layer]) -> ProjectFile {
    let mut p = ProjectFile::default();
    p.resolve.precedence = precedence.to_vec();
    p
}

#[test]
fn sources_are_asked_in_precedence_order_whatever_the_order_of_the_list() {
    let sources = || -> Vec<Box<dyn Source>> {
        vec![
            Box::new(Memory::new(
                "shared",
                Layer::Shared,
                &[("A", "s"), ("B", "s")],
            )),
            Box::new(Memory::new("local", Layer::Local, &[("A", "l")])),
            Box::new(Memory::new(
                "env",
                Layer::Environment,
                &[("A", "e"), ("B", "e")],
            )),
        ]
    };
    let p = ProjectFile::default();
    let vars = resolve(&p, sources(), None);
    assert_eq!(vars["A"].value.expose(), "l");
    assert_eq!(origin(&vars, "A"), "local/A (secrets directory)");
    let chain: Vec<String> = vars["A"]
        .overridden
        .iter()
        .map(|o| o.origin.to_string())
        .collect();
    assert_eq!(
        chain,
        ["env/A (secrets directory)", "shared/A (secrets directory)"]
    );
    assert_eq!(vars["B"].value.expose(), "e");

    // Reversed precedence: shared files win, and a layer not listed is not read.
    let p = project(&[Layer::Shared, Layer::Environment]);
    let vars = resolve(&p, sources(), None);
    assert_eq!(vars["A"].value.expose(), "s");
    assert_eq!(vars["A"].overridden.len(), 1);
    assert_eq!(vars["B"].value.expose(), "s");
}

#[test]
fn a_selected_namespace_wins_over_common_in_the_same_layer() {
    let mut ns = Memory::new("api", Layer::Environment, &[("A", "api")]);
    ns.namespace = Some("api");
    let mut common = Memory::new("common", Layer::Environment, &[("A", "common"), ("C", "c")]);
    common.namespace = Some(COMMON);
    let p = ProjectFile::default();
    let vars = resolve(&p, vec![Box::new(common), Box::new(ns)], Some("api"));
    assert_eq!(vars["A"].value.expose(), "api");
    assert_eq!(vars["C"].value.expose(), "c");
}

#[test]
fn a_source_of_another_kind_answers_lookups_and_references() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".env");
    std::fs::write(
        &path,
        "URL=postgres://app:${DB_PASSWORD}@${DB_HOST}/app\nDB_HOST=localhost\n",
    )
    .expect("write .env");
    let file = EnvFile {
        path,
        display: PathBuf::from(".env"),
        layer: Layer::Shared,
        namespace: COMMON.to_string(),
        rank: 0,
        shared: true,
    };
    let process = BTreeMap::new();
    let mut keyring = Keyring::new(&[], &process, None);
    let mut warnings = Vec::new();
    let file = FileSource::open(
        file,
        "development",
        &mut keyring,
        Strictness::Warn,
        &mut warnings,
    )
    .expect("opens");
    // The store ranks above the files (it stands in the process layer).
    let store = Memory::new(
        "store",
        Layer::Process,
        &[("DB_PASSWORD", "hunter2"), ("DB_HOST", "db.internal")],
    );
    let p = ProjectFile::default();
    let vars = resolve(&p, vec![Box::new(file), Box::new(store)], None);
    assert_eq!(
        vars["URL"].value.expose(),
        "postgres://app:hunter2@db.internal/app"
    );
    // Built from a secret: a secret itself.
    assert!(vars["URL"].sensitive);
    assert_eq!(origin(&vars, "URL"), ".env:1:1");
    assert_eq!(
        origin(&vars, "DB_HOST"),
        "store/DB_HOST (secrets directory)"
    );
    assert_eq!(vars["DB_HOST"].overridden[0].origin.to_string(), ".env:2:1");
    // Keys only the store defines are listed too.
    assert_eq!(vars["DB_PASSWORD"].value.expose(), "hunter2");
    // Nothing was encrypted: no identity was loaded.
    assert!(!keyring.is_loaded());
}
