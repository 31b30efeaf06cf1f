//! `template` and `init`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::Project;

#[test]
fn template_list_and_show() {
    let p = Project::new();
    let r = p.run(&["template", "list"]).ok();
    for name in [
        "auth", "cache", "database", "django", "email", "node", "rust", "web",
    ] {
        assert!(
            r.stdout().lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{}",
            r.stdout()
        );
    }
    let r = p.run(&["template", "show", "database:mysql"]).ok();
    assert!(r.stdout().contains("[vars.MYSQL_USER]") && r.stdout().contains("[vars.DATABASE_URL]"));
    assert!(!r.stdout().contains("POSTGRES"));
    let r = p.run(&["template", "show", "database"]).ok();
    assert!(
        r.stdout().contains("[vars.POSTGRES_USER]"),
        "the default option is postgres"
    );
    let r = p.run(&["template", "show", "datbase"]).expect_code(2);
    assert!(
        r.stderr().contains("did you mean `database`?"),
        "{}",
        r.stderr()
    );
    let r = p
        .run(&["template", "show", "database:oracle"])
        .expect_code(2);
    assert!(
        r.stderr().contains("options: postgres, mysql, sqlite"),
        "{}",
        r.stderr()
    );
}

#[test]
fn template_add_keeps_the_file_and_reports_duplicates() {
    let existing = "# mine\n[environments.production]\nstrict = true\n\n[vars.JWT_SECRET_KEY] # keep me\ntype = \"secret\"\n";
    let p = Project::with(&[("envward.toml", existing)]);
    let r = p
        .run(&[
            "--color", "never", "template", "add", "auth", "django", "cache",
        ])
        .ok();
    let text = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    assert!(text.starts_with(existing), "{text}");
    assert!(
        r.stderr()
            .contains("`JWT_SECRET_KEY` is declared by envward.toml and by template auth"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains(
            "`JWT_ACCESS_TOKEN_LIFETIME` is declared by template auth and by template django"
        ),
        "{}",
        r.stderr()
    );
    // New declarations follow in the order the templates were named.
    let pos = |k: &str| {
        text.find(&format!("[vars.{k}]"))
            .unwrap_or_else(|| panic!("{k} missing"))
    };
    assert!(
        pos("JWT_ALGORITHM") < pos("DJANGO_SECRET_KEY")
            && pos("DJANGO_SECRET_KEY") < pos("REDIS_URL")
    );
    assert!(
        pos("DJANGO_DEBUG") < pos("ALLOWED_HOSTS"),
        "a table's sub-tables stay with it"
    );
    p.run(&["check", "--fail-on", "never"]).ok();
}

#[test]
fn third_party_templates() {
    let p = Project::with(&[
        ("envward.toml", "[templates]\ndir = \"packs\"\n"),
        (
            "packs/payments.toml",
            "[preset]\ndescription = \"Stripe\"\n[vars.STRIPE_KEY]\ntype = \"secret\"\nrequired = true\n",
        ),
        ("packs/broken.toml", "[vars.X]\ntype = \"int\"\nbogus = 1\n"),
    ]);
    let r = p.run(&["template", "list"]).expect_code(2);
    assert!(
        r.stderr().contains("broken.toml") && r.stderr().contains("bogus"),
        "{}",
        r.stderr()
    );
    std::fs::remove_file(p.join("packs/broken.toml")).unwrap();
    let r = p.run(&["template", "list"]).ok();
    assert!(
        r.stdout().contains("payments") && r.stdout().contains("packs/payments.toml"),
        "{}",
        r.stdout()
    );
    p.run(&["template", "add", "payments"]).ok();
    assert!(
        std::fs::read_to_string(p.join("envward.toml"))
            .unwrap()
            .contains("[vars.STRIPE_KEY]")
    );
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn init_every_preset_gives_a_working_development_and_a_blocked_production() {
    for preset in ["django", "web", "node", "rust"] {
        for layout in ["dir", "flat"] {
            let p = Project::new();
            p.run(&["init", "--preset", preset, "--layout", layout])
                .ok();
            let r = p.run(&["--color", "never", "check", "-e", "development"]);
            assert_eq!(
                r.code(),
                Some(0),
                "{preset}/{layout}: development must check clean:\n{}",
                r.stdout()
            );
            let r = p
                .run(&["check", "-e", "production", "--format", "json"])
                .expect_code(1);
            let v: serde_json::Value = r.json();
            let rules: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap())
                .collect();
            assert!(
                rules.contains(&"schema.required"),
                "{preset}/{layout}: {rules:?}"
            );
            p.run(&["example", "--check"]).ok();
        }
    }
}

#[test]
fn init_is_idempotent_and_never_overwrites() {
    let p = Project::with(&[(".gitignore", "target/\n.env\n")]);
    let r = p
        .run(&[
            "init",
            "--preset",
            "django",
            "--envs",
            "development,production",
        ])
        .ok();
    assert!(
        r.stderr().contains("created env/production/common.env"),
        "{}",
        r.stderr()
    );
    let gi = std::fs::read_to_string(p.join(".gitignore")).unwrap();
    assert!(gi.starts_with("target/\n.env\n"), "{gi}");
    assert_eq!(gi.lines().filter(|l| *l == ".env").count(), 1, "{gi}");
    assert!(gi.contains("env/**/*.local.env"), "{gi}");
    let dev = std::fs::read_to_string(p.join("env/development/common.env")).unwrap();
    assert!(dev.contains("DJANGO_SECRET_KEY=dev-only-"), "{dev}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("env/development/common.env"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = snapshot(p.path());
    let r = p
        .run(&[
            "init",
            "--preset",
            "django",
            "--envs",
            "development,production",
        ])
        .ok();
    assert!(
        r.stderr().contains("kept    envward.toml"),
        "{}",
        r.stderr()
    );
    assert_eq!(before, snapshot(p.path()), "a second init changed files");
    p.write("env/production/common.env", "EDITED=1\n");
    p.run(&[
        "init",
        "--preset",
        "django",
        "--envs",
        "development,production",
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(p.join("env/production/common.env")).unwrap(),
        "EDITED=1\n"
    );
    p.run(&[
        "init",
        "--preset",
        "django",
        "--envs",
        "development,production",
        "--force",
    ])
    .ok();
    assert_ne!(
        std::fs::read_to_string(p.join("env/production/common.env")).unwrap(),
        "EDITED=1\n"
    );
    p.run(&["init", "--envs", "dev elopment"]).expect_code(2);
}
