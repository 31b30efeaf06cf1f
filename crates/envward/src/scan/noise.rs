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
/// literal secret: a reference (`$VAR`, `${…}`, `%(…)s`, `{{ … }}`,
/// `os.environ[…]`), a call, a dotted name, a constant's name, a word, a
/// path, a URL, a boolean.
pub fn reads_as_code(value: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    let lower = v.to_ascii_lowercase();
    if v.starts_with(['$', '%', '{', '<', '[', '(', '&', '*', '/', '~', '@', '#'])
        || v.starts_with("./")
        || v.contains("${")
        || v.contains("{{")
        || v.contains('(')
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
    let parts: Vec<&str> = v.split(['.', ':']).filter(|s| !s.is_empty()).collect();
    parts.len() > 1 && parts.iter().all(|p| ident(p))
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
            assert!(reads_as_code(v.as_bytes()), "{v}");
        }
        assert!(!reads_as_code(b"Xk2#pQ9!vL4@mN7+wR1"));
    }
}
