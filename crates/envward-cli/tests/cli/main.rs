//! Integration tests: one binary, one module per area, each test a few
//! lines through the real `envward` binary (see `harness`).

mod harness;

mod audit;
mod backup;
mod check;
mod conformance;
mod diff;
mod django_parity;
mod django_project;
mod doctor;
mod encryption;
mod environments_apart;
mod errors;
mod excerpts;
mod export;
mod export_encrypted;
mod gate;
mod gate_env;
mod generate;
mod get_list_explain;
mod hardening;
mod headers_csp;
mod history;
mod hostile;
mod html;
mod integrity;
mod layouts;
mod list_stream;
mod misc;
mod newcomer;
mod prefixes;
mod probe;
mod python;
mod redact;
mod reports;
mod rotation;
mod rules;
mod run;
mod sarif_schema;
mod scan;
mod scan_git;
mod scan_rules;
mod scan_shapes;
mod schema;
mod secrets;
mod sensitivity;
mod sentinel;
mod status;
mod template_init;
mod vault;

/// Every file in tests/cli/ must be a module above, or it silently never runs.
#[test]
fn every_test_file_is_wired_in() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("main.rs") {
            let stem = path.file_stem().unwrap().to_str().unwrap();
            assert!(
                main.contains(&format!("mod {stem};")),
                "tests/cli/{stem}.rs is not declared in tests/cli/main.rs"
            );
        }
    }
}
