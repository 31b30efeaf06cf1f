//! Content-Security-Policy, as far as envward judges it: where a policy
//! lets scripts (and styles) come from. One reading for the live header
//! (`probe.csp`) and the settings that build it (`headers.csp`).
//!
//! Browsers ignore `'unsafe-inline'` in a directive that also has a nonce
//! or a hash, and host and scheme sources (`*`, `http:`, `data:`) in one
//! with `'strict-dynamic'`: a policy written that way for old browsers
//! (Google's "strict CSP") is not reported for them.

/// The sources that let injected or foreign script run.
const WEAK_FOR_SCRIPTS: &[&str] = &["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "data:"];

/// The sources that let any site's stylesheet in. (`'unsafe-inline'` and
/// `data:` in style-src are common and far less dangerous than in
/// script-src: not reported.)
const WEAK_FOR_STYLES: &[&str] = &["*", "http:"];

/// What a directive is judged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// script-src, default-src.
    Scripts,
    /// style-src.
    Styles,
}

/// The directives of a policy: name (lower case), sources, in order; a
/// repeated directive is ignored, as browsers do.
pub(crate) fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for part in policy.split(';') {
        let mut words = part.split_ascii_whitespace();
        let Some(name) = words.next() else { continue };
        let name = name.to_ascii_lowercase();
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.push((name, words.map(str::to_string).collect()));
    }
    out
}

/// The weak sources among `sources` for `kind`, in the order of
/// [`WEAK_FOR_SCRIPTS`] (each once, as written in the policy's own form).
pub(crate) fn weak_sources(sources: &[String], kind: Kind) -> Vec<&'static str> {
    let lower: Vec<String> = sources.iter().map(|s| s.to_ascii_lowercase()).collect();
    let has = |s: &str| lower.iter().any(|x| x == s);
    let nonce_or_hash = lower.iter().any(|s| {
        ["'nonce-", "'sha256-", "'sha384-", "'sha512-"]
            .iter()
            .any(|p| s.starts_with(p))
    });
    let strict_dynamic = has("'strict-dynamic'");
    let list = match kind {
        Kind::Scripts => WEAK_FOR_SCRIPTS,
        Kind::Styles => WEAK_FOR_STYLES,
    };
    list.iter()
        .copied()
        .filter(|w| has(w))
        .filter(|w| match *w {
            "'unsafe-inline'" => !nonce_or_hash && !strict_dynamic,
            "*" | "http:" | "data:" => !strict_dynamic,
            _ => true,
        })
        .collect()
}

/// Why `policy` (one Content-Security-Policy header) does not hold
/// scripts back, in words; `None` when it does.
pub(crate) fn script_weakness(policy: &str) -> Option<String> {
    let d = directives(policy);
    let Some((name, sources)) = d
        .iter()
        .find(|(n, _)| n == "script-src")
        .or_else(|| d.iter().find(|(n, _)| n == "default-src"))
    else {
        return Some("has neither script-src nor default-src: scripts from anywhere run".into());
    };
    let weak = weak_sources(sources, Kind::Scripts);
    (!weak.is_empty()).then(|| format!("lets scripts run from {} ({name})", weak.join(", ")))
}

/// The sources of a django-csp 3.x setting (`CSP_SCRIPT_SRC`): a list
/// written with commas or spaces, in brackets or quotes as Python or JSON
/// would write it; keywords written without their single quotes
/// (`unsafe-inline`) are read as the keyword.
pub(crate) fn setting_sources(value: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "self",
        "none",
        "unsafe-inline",
        "unsafe-eval",
        "strict-dynamic",
        "unsafe-hashes",
        "wasm-unsafe-eval",
    ];
    value
        .split([',', ' ', '\t', '\n'])
        .map(|s| s.trim_matches(|c: char| "[]()\"".contains(c) || c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .map(|s| {
            let bare = s.trim_matches('\'');
            let lower = bare.to_ascii_lowercase();
            if KEYWORDS.contains(&lower.as_str())
                || ["nonce-", "sha256-", "sha384-", "sha512-"]
                    .iter()
                    .any(|p| lower.starts_with(p))
            {
                format!("'{bare}'")
            } else {
                s.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn weak_script_sources_are_found() {
        assert_eq!(
            weak_sources(
                &words("* 'unsafe-eval' 'UNSAFE-INLINE' data: http:"),
                Kind::Scripts
            ),
            ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "data:"]
        );
        assert!(weak_sources(&words("'self' https://cdn.example.com"), Kind::Scripts).is_empty());
        assert!(weak_sources(&words("*.example.com https:"), Kind::Scripts).is_empty());
        // A nonce or hash makes 'unsafe-inline' a fallback browsers ignore.
        assert!(
            weak_sources(&words("'self' 'unsafe-inline' 'nonce-abc'"), Kind::Scripts).is_empty()
        );
        assert!(
            weak_sources(
                &words("'nonce-abc' 'strict-dynamic' https: http: * 'unsafe-inline'"),
                Kind::Scripts
            )
            .is_empty()
        );
        assert_eq!(
            weak_sources(
                &words("'sha256-x' 'unsafe-inline' 'unsafe-eval'"),
                Kind::Scripts
            ),
            ["'unsafe-eval'"]
        );
        assert_eq!(
            weak_sources(&words("'self' 'unsafe-inline' data: *"), Kind::Styles),
            ["*"]
        );
    }

    #[test]
    fn policies_are_judged_by_script_src_then_default_src() {
        assert_eq!(script_weakness("default-src 'self'; img-src *"), None);
        assert_eq!(
            script_weakness("default-src * 'unsafe-inline'; script-src 'self'"),
            None
        );
        assert_eq!(
            script_weakness("default-src 'self'; SCRIPT-SRC 'self' 'unsafe-eval'").as_deref(),
            Some("lets scripts run from 'unsafe-eval' (script-src)")
        );
        assert!(
            script_weakness("frame-ancestors 'none'")
                .unwrap()
                .contains("neither script-src nor default-src")
        );
        // The first of a repeated directive counts.
        assert_eq!(script_weakness("script-src 'self'; script-src *"), None);
    }

    #[test]
    fn settings_are_read_as_django_csp_writes_them() {
        assert_eq!(
            setting_sources("'self','unsafe-inline'"),
            ["'self'", "'unsafe-inline'"]
        );
        assert_eq!(
            setting_sources("[\"'self'\", \"https://cdn.example.com\"]"),
            ["'self'", "https://cdn.example.com"]
        );
        assert_eq!(
            setting_sources("self unsafe-eval *"),
            ["'self'", "'unsafe-eval'", "*"]
        );
    }
}
