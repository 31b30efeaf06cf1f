//! `probe.cert-expiry`: how long the certificates a deployment presents
//! remain valid. The chain comes from a handshake of its own
//! ([`crate::tls::peer_chain`], verified as every request is), the dates
//! from the DER (`x509-cert`).

use crate::findings::Severity;

/// `[rules."probe.cert-expiry"]` parameters, with their defaults.
pub const PARAMS: &[(&str, &str)] = &[("warn_days", "30"), ("error_days", "7")];

const DAY: i64 = 86_400;

/// When a certificate is reported: fewer than `warn_days` days left, a
/// warning; fewer than `error_days`, an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Days left under which a warning is given.
    pub warn_days: u64,
    /// Days left under which an error is given.
    pub error_days: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warn_days: 30,
            error_days: 7,
        }
    }
}

impl Thresholds {
    /// The thresholds `[rules."probe.cert-expiry"]` sets (the defaults for
    /// what it leaves out).
    pub fn of(rules: &indexmap::IndexMap<String, crate::config::rules::RuleSettings>) -> Self {
        let d = Thresholds::default();
        let param = |name: &str, default: u64| {
            crate::config::rules::int_param(rules, "probe.cert-expiry", name)
                .and_then(|i| u64::try_from(i).ok())
                .unwrap_or(default)
        };
        Thresholds {
            warn_days: param("warn_days", d.warn_days),
            error_days: param("error_days", d.error_days),
        }
    }

    fn severity(&self, left: i64) -> Option<Severity> {
        let under = |days: u64| left < i64::try_from(days).unwrap_or(i64::MAX).saturating_mul(DAY);
        if under(self.error_days) {
            Some(Severity::Error)
        } else if under(self.warn_days) {
            Some(Severity::Warning)
        } else {
            None
        }
    }
}

/// One certificate of a chain, as far as this rule needs it.
struct Cert {
    subject: String,
    self_issued: bool,
    /// notAfter, in seconds since the Unix epoch.
    not_after: i64,
}

fn parse(der: &[u8]) -> Option<Cert> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    Some(Cert {
        subject: tbs.subject.to_string(),
        self_issued: tbs.subject == tbs.issuer,
        not_after: i64::try_from(tbs.validity.not_after.to_unix_duration().as_secs())
            .unwrap_or(i64::MAX),
    })
}

/// When and in how long, in words.
fn when(not_after: i64, left: i64) -> String {
    let date = jiff::Timestamp::from_second(not_after)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "an unreadable date".to_string());
    if left < 0 {
        format!("expired on {date}")
    } else if left < DAY {
        format!("expires in less than a day, on {date}")
    } else {
        // To the nearest day: a certificate made for 3 days shows 3 days
        // whether or not a second has passed since.
        let days = usize::try_from(left.saturating_add(DAY / 2) / DAY).unwrap_or(usize::MAX);
        format!(
            "expires in {}, on {date}",
            crate::plural::count(days, "day", "days")
        )
    }
}

/// The findings for `chain` (the server's certificate first) at `now`
/// (seconds since the Unix epoch): the server's certificate when it
/// expires within the thresholds, and each intermediate that does and
/// expires before it (a root the server sends along is not judged: the
/// client's own copy is used). Certificates that do not parse are passed
/// over (the handshake accepted them).
pub(super) fn judge(
    chain: &[Vec<u8>],
    authority: &str,
    now: i64,
    t: Thresholds,
) -> Vec<(Severity, String)> {
    let mut out = Vec::new();
    let Some(leaf) = chain.first().and_then(|d| parse(d)) else {
        return out;
    };
    let left = leaf.not_after.saturating_sub(now);
    if let Some(severity) = t.severity(left) {
        out.push((
            severity,
            format!(
                "the certificate of {authority} (`{}`) {}",
                leaf.subject,
                when(leaf.not_after, left)
            ),
        ));
    }
    for c in chain[1..].iter().filter_map(|d| parse(d)) {
        if c.self_issued || c.not_after >= leaf.not_after {
            continue;
        }
        let left = c.not_after.saturating_sub(now);
        if let Some(severity) = t.severity(left) {
            out.push((
                severity,
                format!(
                    "the intermediate certificate `{}` that {authority} sends {}, before its own certificate",
                    c.subject,
                    when(c.not_after, left)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_pick_the_severity() {
        let t = Thresholds::default();
        assert_eq!(t.severity(400 * DAY), None);
        assert_eq!(t.severity(30 * DAY), None);
        assert_eq!(t.severity(30 * DAY - 1), Some(Severity::Warning));
        assert_eq!(t.severity(7 * DAY), Some(Severity::Warning));
        assert_eq!(t.severity(7 * DAY - 1), Some(Severity::Error));
        assert_eq!(t.severity(-5), Some(Severity::Error));
        let huge = Thresholds {
            warn_days: u64::MAX,
            error_days: 0,
        };
        assert_eq!(huge.severity(i64::MAX - 1), Some(Severity::Warning));
    }

    #[test]
    fn words_say_when() {
        assert_eq!(
            when(86_400 * 3, 86_400 * 2 + 5),
            "expires in 2 days, on 1970-01-04 00:00 UTC"
        );
        assert_eq!(
            when(86_400 * 3, 86_400 * 3 - 5),
            "expires in 3 days, on 1970-01-04 00:00 UTC"
        );
        assert!(when(0, 3_600).starts_with("expires in less than a day"));
        assert!(when(0, -1).starts_with("expired on 1970-01-01"));
    }

    #[test]
    fn garbage_is_passed_over() {
        assert!(
            judge(
                &[b"not a certificate".to_vec()],
                "x",
                0,
                Thresholds::default()
            )
            .is_empty()
        );
        assert!(judge(&[], "x", 0, Thresholds::default()).is_empty());
    }
}
