//! The Python binding (`crates/envward-py`): its wheel built with the real
//! maturin, installed into a temporary directory with pip, and its pytest
//! suite (`crates/envward-py/tests`) run against it, with this build's
//! `envward` binary to compare with.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::require_tool;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A command without the variables cargo sets for this test, which would
/// otherwise steer the nested build.
fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" || name.starts_with("ENVWARD_") {
            cmd.env_remove(&*name);
        }
    }
    cmd
}

#[test]
fn the_python_binding_passes_its_pytest_suite() {
    if !(require_tool("python3") && require_tool("maturin") && require_tool("pytest")) {
        return;
    }
    let root = workspace();
    let tmp = tempfile::tempdir().unwrap();
    let wheels = tmp.path().join("wheels");
    // Its own target directory: the one of this `cargo test` is locked
    // while it runs.
    let out = command("maturin")
        .args(["build", "--quiet", "--locked", "-m"])
        .arg(root.join("crates/envward-py/Cargo.toml"))
        .arg("-o")
        .arg(&wheels)
        .env("CARGO_TARGET_DIR", root.join("target/python"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "maturin build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("maturin wrote no wheel");
    let site = tmp.path().join("site");
    let out = command("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
        ])
        .arg(&site)
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install of the wheel failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = command("python3")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp"])
        .arg(tmp.path().join("pytest"))
        .arg(root.join("crates/envward-py/tests"))
        .env("PYTHONPATH", &site)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("ENVWARD_BIN", env!("CARGO_BIN_EXE_envward"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pytest failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
