//! `headers.csp`: the Content-Security-Policy settings (django-csp 3.x's
//! lists, a whole policy in one setting, report-only mode) of strict
//! environments.

use crate::harness::Project;

/// The `headers.csp` messages of `check -e production` for `env`.
fn csp_messages(env: &str) -> Vec<(String, String)> {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (".env.production", env),
    ]);
    let json = p.check_json("production");
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "headers.csp")
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn weak_script_sources_are_warned_in_production() {
    let found = csp_messages(
        "CSP_DEFAULT_SRC=\"'self'\"\nCSP_SCRIPT_SRC=\"'self','unsafe-inline',unsafe-eval,http:\"\nCSP_STYLE_SRC=\"'self','unsafe-inline',*\"\n",
    );
    assert_eq!(
        found,
        [
            (
                "warning".to_string(),
                "`CSP_SCRIPT_SRC` lets scripts run from 'unsafe-inline', 'unsafe-eval', http:"
                    .to_string()
            ),
            (
                "warning".to_string(),
                "`CSP_STYLE_SRC` lets stylesheets load from *".to_string()
            ),
        ]
    );
}

#[test]
fn a_whole_policy_is_judged_by_script_src_then_default_src() {
    let found = csp_messages("CONTENT_SECURITY_POLICY=\"frame-ancestors 'none'\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .1
            .contains("has neither script-src nor default-src"),
        "{found:?}"
    );
    let found = csp_messages("CSP_POLICY=\"default-src 'self'; script-src 'self' data:\"\n");
    assert_eq!(
        found[0].1,
        "the policy in `CSP_POLICY` lets scripts run from data: (script-src)"
    );
    // A nonce makes 'unsafe-inline' a fallback that browsers ignore;
    // 'strict-dynamic' does the same for hosts and schemes.
    assert!(
        csp_messages(
            "CONTENT_SECURITY_POLICY=\"script-src 'nonce-r4nd0m' 'strict-dynamic' 'unsafe-inline' https: http:; object-src 'none'\"\n"
        )
        .is_empty()
    );
    // Inline styles are not reported; django-csp 4's dict is not a policy.
    assert!(
        csp_messages(
            "CSP_DEFAULT_SRC=\"'self'\"\nCSP_STYLE_SRC=\"'self' 'unsafe-inline' data:\"\nCONTENT_SECURITY_POLICY={\"DIRECTIVES\": {}}\n"
        )
        .is_empty()
    );
}

#[test]
fn report_only_is_warned_and_development_is_left_alone() {
    let found = csp_messages("CSP_REPORT_ONLY=true\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("nothing is blocked"), "{found:?}");
    // Not a strict environment: not judged.
    let p = Project::with(&[(
        ".env",
        "CSP_SCRIPT_SRC=\"'unsafe-inline'\"\nCSP_REPORT_ONLY=true\n",
    )]);
    let json = p.check_json("development");
    assert!(
        !json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "headers.csp"),
        "{json}"
    );
}
