//! Checks that cut noise: ciphertexts, entropy, variety, values that read
//! as code, names that hold no secret.

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// How many distinct bytes `bytes` has.
pub fn distinct(bytes: &[u8]) -> usize {
    let mut seen = [false; 256];
    bytes
        .iter()
        .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
        .count()
}

/// Whether `text[start..end]` is part of an envward (`envward:v1:…`) or
/// sops (`ENC[…]`) ciphertext: the word holding it starts with one.
pub fn is_ciphertext(text: &[u8], start: usize, end: usize) -> bool {
    let mut from = start;
    while from > 0
        && !matches!(
            text[from - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'='
        )
    {
        from -= 1;
    }
    let word = &text[from..end.max(from)];
    word.starts_with(b"envward:v1:") || memchr::memmem::find(word, b"ENC[").is_some()
}

/// Whether a secret is only a reference to one, in a template or format
/// string: `{name}`, `{0}`, `$NAME`, `%s`, `%(name)s`, `:name`.
pub fn is_reference(secret: &[u8]) -> bool {
    let ident = |s: &[u8]| {
        !s.is_empty()
            && s.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
    };
    match secret {
        [b'{', inner @ .., b'}'] => ident(inner),
        [b'$', rest @ ..] | [b':', rest @ ..] => ident(rest),
        [b'%', b'(', inner @ .., b')', b's'] => ident(inner),
        b"%s" => true,
        _ => false,
    }
}

/// Whether an assigned value reads as code or configuration rather than a
/// literal secret: a reference (`$VAR`, `${…}`, `#{…}`, `%(…)s`,
/// `{{ … }}`, `os.environ[…]`), a call, a dotted name, a constant's name, a
/// word, a path, a URL, a boolean. Unquoted (`quoted` false), a value
/// starting with `[`, `(`, `&`, `*`, `@` or `#` is code too (a list, a
/// pointer, a decorator, a comment); inside quotes those are characters of
/// a password like any other.
pub fn reads_as_code(value: &[u8], quoted: bool) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    let lower = v.to_ascii_lowercase();
    let code_start: &[char] = if quoted {
        &['$', '%', '{', '<', '/', '~']
    } else {
        &['$', '%', '{', '<', '[', '(', '&', '*', '/', '~', '@', '#']
    };
    if v.starts_with(code_start)
        || v.starts_with("./")
        || v.contains("${")
        || v.contains("#{")
        || v.contains("{{")
        // A format string's slot: `"Software\\{}.{}".format(…)`.
        || v.contains("{}")
        || is_call(v)
        || v.contains("://")
        || ["process.env", "os.environ", "getenv", "env[", "environ"]
            .iter()
            .any(|w| lower.contains(w))
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "none" | "nil" | "undefined"
        )
    {
        return true;
    }
    if is_integer_literal(&lower) {
        return true;
    }
    // Letters and underscores only: a word or a name, not a random value.
    if v.bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'-')
    {
        return true;
    }
    // A dotted or namespaced name (`settings.SECRET_KEY`, `Foo::BAR`).
    let ident = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    // Indexes do not change that (`Stream.Shards[-1].ShardId`).
    let mut unindexed = String::with_capacity(v.len());
    let mut depth = 0usize;
    for c in v.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => unindexed.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = unindexed
        .split(['.', ':'])
        .filter(|s| !s.is_empty())
        .collect();
    parts.len() > 1 && parts.iter().all(|p| ident(p))
}

/// Whether a (lower-cased) value is an integer literal of code: hex of up
/// to 16 digits (64 bits: a constant, not a key), or digits with a type
/// suffix or `_` separators (`0x8004170b_u32`, `4i32`, `10_000usize`).
fn is_integer_literal(lower: &str) -> bool {
    let unsuffixed = ["size", "128", "64", "32", "16", "8"]
        .iter()
        .find_map(|bits| {
            let s = lower.strip_suffix(bits)?;
            s.strip_suffix('u').or_else(|| s.strip_suffix('i'))
        })
        .map_or(lower, |s| s.trim_end_matches('_'));
    let digits = |s: &str, hex: bool| {
        s.bytes().any(|b| b != b'_')
            && s.bytes().all(|b| {
                b == b'_'
                    || if hex {
                        b.is_ascii_hexdigit()
                    } else {
                        b.is_ascii_digit()
                    }
            })
    };
    match unsuffixed.strip_prefix("0x") {
        Some(hex) => digits(hex, true) && hex.bytes().filter(|b| *b != b'_').count() <= 16,
        // Plain digits may be a PIN or a numeric password: only a suffix
        // or a separator makes them code.
        None => digits(unsuffixed, false) && (unsuffixed != lower || lower.contains('_')),
    }
}

/// Whether a value is a call: a (dotted) name, `(`, …, `)` at the end
/// (`get_secret("django")`, `vault.read(path)`).
fn is_call(v: &str) -> bool {
    let Some((callee, _)) = v.split_once('(') else {
        return false;
    };
    v.ends_with(')')
        && callee
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && callee
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':'))
}

/// Whether `value` is a UUID (`123e4567-e89b-12d3-a456-426614174000`).
pub fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Whether `value` reads as words glued into a name (`PublicIpv4Pools`,
/// `S3AccessPointAttachments`, `result_rows`): letters, digits and `_`/`-`
/// only, every run of lower-case letters at least 2 long, at most 2 digits
/// in a row, and mostly lower-case letters. Random text of the same
/// alphabet nearly always has a lone lower-case letter somewhere.
pub fn reads_as_words(value: &[u8]) -> bool {
    if value.is_empty()
        || !value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        return false;
    }
    let lower = value.iter().filter(|b| b.is_ascii_lowercase()).count();
    if lower * 10 < value.len() * 6 {
        return false;
    }
    let class = |b: u8| {
        if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        }
    };
    value
        .chunk_by(|a, b| class(*a) == class(*b))
        .all(|run| match class(run[0]) {
            0 => run.len() >= 2,
            2 => run.len() <= 2,
            _ => true,
        })
}

/// Whether code follows an unquoted value ending at `end`: a bracket, a
/// call, a comma right after it (`line[start:pos]`, `field: Type,`), or,
/// after blanks, an operator (`NAME: Type = 4`, `a + b`). Configuration
/// ends an unquoted value with the line, a blank, a `;`, or the quote
/// around the whole setting (`-H "X-Auth-Token: …"`).
pub fn code_follows(text: &[u8], end: usize) -> bool {
    let Some(&next) = text.get(end) else {
        return false;
    };
    if !matches!(
        next,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'"' | b'\'' | b'`'
    ) {
        return true;
    }
    let rest = &text[end..];
    let after = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .map(|i| rest[i]);
    matches!(
        after,
        Some(b'=' | b'+' | b'*' | b'/' | b'%' | b'?' | b':' | b'.')
    )
}

/// The text a base64 secret (standard or URL-safe alphabet, padded or
/// not, 12 characters or more) decodes to, lower-cased, when it is
/// printable text; `None` otherwise.
pub fn decoded_base64_text(secret: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
    if secret.len() < 12 {
        return None;
    }
    let bytes = STANDARD
        .decode(secret)
        .or_else(|_| URL_SAFE.decode(secret))
        .ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    if text.chars().any(char::is_control) {
        return None;
    }
    Some(text.to_ascii_lowercase().into_bytes())
}

/// Whether a secret is the base64 of `user:password` text (HTTP Basic,
/// Docker's `auth`): printable, a user, a `:`, a password of at least 4
/// characters that is not a plain word (`martin:secret` in a test).
pub fn base64_user_password(secret: &[u8]) -> bool {
    let Some(text) = decoded_base64_text(secret) else {
        return false;
    };
    let Some(colon) = memchr::memchr(b':', &text) else {
        return false;
    };
    let password = &text[colon + 1..];
    colon > 0 && password.len() >= 4 && !password.iter().all(u8::is_ascii_alphabetic)
}

/// Names that end like a secret's but hold none (`PUBLIC_KEY`,
/// `primary_key`, `SORT_KEY`…).
pub fn not_a_secret_name(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "public",
        "primary",
        "foreign",
        "sort_key",
        "partition",
        "cache_key",
        "idempotency",
        "_key_id",
        "keyid",
        "token_type",
        "max_token",
        "tokens",
        // Pagination: where the next page of a listing starts.
        "next_token",
        "nexttoken",
        "continuation",
        "page_token",
        "pagetoken",
        "pagination",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
}

/// Base62 digits in the order GitHub's checksums use.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The 6-character base62 form of a CRC32 (most significant digit first,
/// zero-padded).
pub fn base62_crc32(data: &[u8]) -> [u8; 6] {
    let mut n = crc32fast::hash(data);
    let mut out = [b'0'; 6];
    for digit in out.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Whether a GitHub (`ghp_…`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm
/// (`npm_…`) token's last 6 characters are the base62 CRC32 of the 30
/// random characters after its prefix: a token that fails was never
/// issued (a made-up example, a hash that happens to look like one).
pub fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(underscore) = memchr::memchr(b'_', token) else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62_crc32(random) == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_checksums() {
        let random = b"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1";
        let check = base62_crc32(random);
        let token = [b"ghp_".as_slice(), random, &check].concat();
        assert!(github_checksum_ok(&token));
        let mut wrong = token.clone();
        wrong[10] = if wrong[10] == b'x' { b'y' } else { b'x' };
        assert!(!github_checksum_ok(&wrong));
        assert!(!github_checksum_ok(b"ghp_short"));
        // A small CRC is zero-padded to 6 digits.
        assert_eq!(&base62_crc32(b"")[..], b"000000");
    }

    #[test]
    fn entropy_and_variety() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!(entropy(b"Xk2#pQ9!vL4@mN7+wR1%") > 4.0);
        assert_eq!(distinct(b"abcabc"), 3);
    }

    #[test]
    fn ciphertexts() {
        let t = b"A=envward:v1:abcdefAKIAABCDEFGHIJKLMNOP\nB=ENC[AES256_GCM,data:xyz]";
        assert!(is_ciphertext(t, 18, 38));
        assert!(is_ciphertext(t, 41, 55));
        assert!(!is_ciphertext(b"A=AKIAABCDEFGHIJKLMNOP", 2, 22));
    }

    #[test]
    fn references_in_templates() {
        for r in ["{url_pw}", "{0}", "$DB_PASS", "%(password)s", ":pass"] {
            assert!(is_reference(r.as_bytes()), "{r}");
        }
        assert!(!is_reference(b"{x}y"));
        assert!(!is_reference(b"k2#pQ9!vL4"));
    }

    #[test]
    fn code_is_not_a_secret() {
        for v in [
            "os.environ['X']",
            "${SECRET}",
            "settings.SECRET_KEY",
            "get_secret()",
            "/run/secrets/db",
            "true",
            "my_secret_name",
        ] {
            assert!(reads_as_code(v.as_bytes(), false), "{v}");
            assert!(reads_as_code(v.as_bytes(), true), "{v}");
        }
        assert!(!reads_as_code(b"Xk2#pQ9!vL4@mN7+wR1", false));
        // Quoted, punctuation is a password's; unquoted, a leading `*` or
        // `#` is code.
        for p in ["#k8v!2zq$9m@x4r", "*DL6mhX##V4spGt", "k#8v!2zq(5u)0o_a-Lq"] {
            assert!(!reads_as_code(p.as_bytes(), true), "{p}");
        }
        assert!(reads_as_code(b"*ptr_to_secret", false));
        assert!(reads_as_code(b"#{ENV['X']}", true));
        for n in ["0x8004170B_u32", "4i32", "10_000usize", "0xdeadbeef"] {
            assert!(reads_as_code(n.as_bytes(), false), "{n}");
        }
        // A PIN; 256 bits of hex is a key, not a constant.
        assert!(!reads_as_code(b"84729163", false));
        let key = format!("0x{}", "4c0883a69102937d".repeat(4));
        assert!(!reads_as_code(key.as_bytes(), false));
    }

    #[test]
    fn uuids_words_and_base64_credentials() {
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid(b"123e4567-e89b-12d3-a456-42661417400g"));
        for w in ["PublicIpv4Pools", "S3AccessPointAttachments", "result_rows"] {
            assert!(reads_as_words(w.as_bytes()), "{w}");
        }
        for r in ["aB3dE5gH7jK9mN1pQ3sT", "a8f5f167f44f4964e6c998dee827110c"] {
            assert!(!reads_as_words(r.as_bytes()), "{r}");
        }
        // ci-bot:icD-Uz8YtFNIae; martin:secret (a word); no colon.
        assert!(base64_user_password(b"Y2ktYm90OmljRC1VejhZdEZOSWFl"));
        assert!(!base64_user_password(b"bWFydGluOnNlY3JldA=="));
        assert!(!base64_user_password(b"aGVsbG8gd29ybGQ="));
        assert_eq!(
            decoded_base64_text(b"bm90IG15IHJlYWwgcGFzc3dvcmQ=").as_deref(),
            Some(&b"not my real password"[..])
        );
    }
}
