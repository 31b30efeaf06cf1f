//! JSON Web Tokens: the signing algorithm (`jwt.algorithm`) and the
//! lifetimes of access and refresh tokens (`jwt.lifetime`).

use std::time::Duration;

use super::{Ctx, Emit};
use crate::value::FromValue;

/// `jwt.algorithm`: `none` accepts unsigned tokens (anyone can forge one);
/// an empty algorithm is a value left unfilled, which libraries reject or
/// read as `none`.
pub(super) fn algorithm(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["JWT_ALGORITHM", "SIMPLE_JWT_ALGORITHM"] {
        for v in ctx.each(key) {
            let text = v.value.expose().trim();
            if text.eq_ignore_ascii_case("none") {
                out.var(
                    v,
                    format!(
                        "`{}` = {text:?}: tokens are not signed, and anyone can forge one",
                        v.key
                    ),
                );
            } else if text.is_empty() && !ctx.missing.iter().any(|k| *k == v.key) {
                out.var(
                    v,
                    format!(
                        "`{}` is set but empty: no signing algorithm (read as `none`, or refused at start-up)",
                        v.key
                    ),
                );
            }
        }
    }
}

/// How a key gives a lifetime: a duration (`15m`, a bare number is
/// seconds), or a number of this many seconds.
#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Seconds(u64),
}

/// The keys that give an access token's lifetime.
const ACCESS: &[(&str, Unit)] = &[
    ("JWT_ACCESS_TOKEN_LIFETIME", Unit::Duration),
    ("JWT_ACCESS_TOKEN_LIFETIME_SECONDS", Unit::Seconds(1)),
    ("JWT_ACCESS_TOKEN_LIFETIME_MINUTES", Unit::Seconds(60)),
    ("JWT_ACCESS_TOKEN_LIFETIME_HOURS", Unit::Seconds(3600)),
    ("ACCESS_TOKEN_EXPIRE_MINUTES", Unit::Seconds(60)),
];

/// The keys that give a refresh token's lifetime.
const REFRESH: &[(&str, Unit)] = &[
    ("JWT_REFRESH_TOKEN_LIFETIME", Unit::Duration),
    ("JWT_REFRESH_TOKEN_LIFETIME_HOURS", Unit::Seconds(3600)),
    ("JWT_REFRESH_TOKEN_LIFETIME_DAYS", Unit::Seconds(86_400)),
    ("REFRESH_TOKEN_EXPIRE_DAYS", Unit::Seconds(86_400)),
];

/// A duration parameter (`"1h"`, `"30d"`, or a number of seconds), or its
/// default.
fn param_duration(ctx: &Ctx<'_>, name: &str, default: Duration) -> Duration {
    match ctx.settings.and_then(|s| s.params.get(name)) {
        Some(toml::Value::Integer(i)) => u64::try_from(*i).map_or(default, Duration::from_secs),
        Some(toml::Value::String(s)) => Duration::from_value(s).unwrap_or(default),
        _ => default,
    }
}

fn lifetime(text: &str, unit: Unit) -> Option<Duration> {
    match unit {
        Unit::Duration => Duration::from_value(text),
        Unit::Seconds(n) => text
            .trim()
            .parse::<u64>()
            .ok()
            .map(|v| Duration::from_secs(v.saturating_mul(n))),
    }
}

/// `jwt.lifetime`: a stolen access token works until it expires, a
/// stolen refresh token mints new ones until it does.
pub(super) fn lifetimes(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let max_access = param_duration(ctx, "max_access", Duration::from_secs(3600));
    let max_refresh = param_duration(ctx, "max_refresh", Duration::from_secs(30 * 86_400));
    for (keys, max, what) in [
        (ACCESS, max_access, "access"),
        (REFRESH, max_refresh, "refresh"),
    ] {
        for &(key, unit) in keys {
            for v in ctx.each(key) {
                let Some(d) = lifetime(v.value.expose(), unit) else {
                    continue;
                };
                if d > max {
                    out.var(
                        v,
                        format!(
                            "`{}` gives {what} tokens a lifetime of {}, above the maximum of {}",
                            v.key,
                            humantime::format_duration(d),
                            humantime::format_duration(max)
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_read_in_their_unit() {
        assert_eq!(
            lifetime("720", Unit::Seconds(3600)),
            Some(Duration::from_secs(720 * 3600))
        );
        assert_eq!(
            lifetime("15m", Unit::Duration),
            Some(Duration::from_secs(900))
        );
        assert_eq!(
            lifetime("30days", Unit::Duration),
            Some(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(lifetime("soon", Unit::Seconds(60)), None);
    }
}
