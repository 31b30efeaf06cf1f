//! Runs the .env conformance corpus (tests/conformance/cases) through the
//! library: each `NAME.env` must resolve to `NAME.json`'s `expect`, or fail
//! with its `error`.

use std::collections::BTreeMap;
use std::path::Path;

use envward::{Config, LoadError, LoadOptions};
use serde_json::Value;

fn run_case(env_file: &Path) -> Result<(), String> {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(env_file.with_extension("json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("bad json: {e}"))?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(env_file, dir.path().join(".env")).unwrap();
    // The process environment is only a fallback for references here, so
    // that `PATH=$PATH:/x` reads it as the lower value.
    std::fs::write(
        dir.path().join("envward.toml"),
        "[resolve]\nprecedence = [\"shared\", \"process\"]\n",
    )
    .unwrap();
    let process: BTreeMap<String, String> = spec["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let result = Config::load(LoadOptions {
        project_dir: Some(dir.path().to_path_buf()),
        process_env: Some(process),
        allow_undefined: spec["allow_undefined"].as_bool().unwrap_or(false),
        ..Default::default()
    });
    match (&spec["expect"], &spec["error"], result) {
        (Value::Object(expect), Value::Null, Ok(cfg)) => {
            let got: serde_json::Map<String, Value> = cfg
                .iter()
                .map(|v| (v.key.to_string(), Value::from(v.value.expose())))
                .collect();
            if &got != expect {
                return Err(format!(
                    "expected {}\n     got {}",
                    Value::Object(expect.clone()),
                    Value::Object(got)
                ));
            }
            Ok(())
        }
        (Value::Null, Value::Object(err), Err(e)) => {
            let (kind, line, column) = match &e {
                LoadError::Parse(p) => (p.kind.code(), Some(p.line), Some(p.column)),
                LoadError::Resolve(r) => {
                    let (l, c) = match r.origin() {
                        envward::Origin::File { line, column, .. } => (Some(*line), Some(*column)),
                        _ => (None, None),
                    };
                    (r.code(), l, c)
                }
                other => return Err(format!("unexpected error: {other}")),
            };
            let want_kind = err["kind"].as_str().unwrap_or("");
            if kind != want_kind {
                return Err(format!("expected error {want_kind}, got {kind}: {e}"));
            }
            if let Some(l) = err.get("line").and_then(Value::as_u64)
                && Some(l as u32) != line
            {
                return Err(format!("expected line {l}, got {line:?}: {e}"));
            }
            if let Some(c) = err.get("column").and_then(Value::as_u64)
                && Some(c as u32) != column
            {
                return Err(format!("expected column {c}, got {column:?}: {e}"));
            }
            Ok(())
        }
        (_, _, Ok(cfg)) => Err(format!(
            "expected an error, got {:?}",
            cfg.iter()
                .map(|v| (v.key.clone(), v.value.expose().to_string()))
                .collect::<Vec<_>>()
        )),
        (_, _, Err(e)) => Err(format!("unexpected error: {e}")),
    }
}

#[test]
fn corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 50,
        "the corpus has only {} cases",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            run_case(c)
                .err()
                .map(|e| format!("{}: {e}", c.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
