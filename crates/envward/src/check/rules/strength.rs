//! What a strong secret is: the kinds of secret and the length each needs,
//! placeholders, development values and known-weak passwords. Used by
//! `secret.min-length` and `secret.weak`; documented in `docs/rules.md`
//! (section "Secrets").
//!
//! A length only means something for a secret the project generates
//! itself: a signing or encryption key can always be made longer. A
//! password or a token issued by a provider (an SMTP password, an API key)
//! has the length the provider gives it; for those the rules look for
//! placeholders, known-weak values and values too short to be real.

/// What kind of secret a key holds, from its name and value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// A key the project generates and can make as long as it likes:
    /// `SECRET_KEY`, `*_SIGNING_KEY`, `JWT_SECRET`, `*_ENCRYPTION_KEY`,
    /// `HMAC_KEY`, `SESSION_SECRET`, salts and peppers.
    GeneratedKey,
    /// A password: `*_PASSWORD`, `*_PASSWD`, `*_PASSPHRASE`, `*_PWD`, `*_PIN`.
    Password,
    /// A credential issued by a third party (`STRIPE_SECRET_KEY`,
    /// `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, a value with a known token
    /// prefix), and any other secret.
    Token,
}

impl SecretKind {
    /// What it is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SecretKind::GeneratedKey => "a key the project generates",
            SecretKind::Password => "a password",
            SecretKind::Token => "a credential issued by a provider",
        }
    }
}

/// Words that make a key a generated signing or encryption key wherever
/// they are in its name.
const GENERATED_WORDS: &[&str] = &[
    "SIGNING",
    "SIGN",
    "SIGNATURE",
    "ENCRYPTION",
    "ENCRYPT",
    "DECRYPTION",
    "HMAC",
    "JWT",
    "FERNET",
    "CIPHER",
    "SALT",
    "PEPPER",
];

/// Words before `SECRET`, `SECRET_KEY` or `KEY` that make it the
/// application's own key (`DJANGO_SECRET_KEY`, `SESSION_SECRET`,
/// `APP_KEY`); any other word (`STRIPE_SECRET_KEY`) names a provider.
const APPLICATION_WORDS: &[&str] = &[
    "DJANGO",
    "FLASK",
    "RAILS",
    "LARAVEL",
    "APP",
    "APPLICATION",
    "SESSION",
    "COOKIE",
    "CSRF",
    "AUTH",
    "NEXTAUTH",
    "MASTER",
    "SERVER",
    "SITE",
    "WEB",
];

/// The kind of the secret `value` of `key` (see [`SecretKind`]): a value
/// with a provider's token prefix is a token whatever its name; then a
/// password word, a signing/encryption word, and the application's own
/// `SECRET_KEY` decide; anything else is a token.
///
/// ```
/// use envward::check::rules::strength::{kind_of, SecretKind};
/// assert_eq!(kind_of("SECRET_KEY", "x"), SecretKind::GeneratedKey);
/// assert_eq!(kind_of("DJANGO_SECRET_KEY", "x"), SecretKind::GeneratedKey);
/// assert_eq!(kind_of("JWT_SECRET", "x"), SecretKind::GeneratedKey);
/// assert_eq!(kind_of("EMAIL_HOST_PASSWORD", "x"), SecretKind::Password);
/// assert_eq!(kind_of("STRIPE_SECRET_KEY", "x"), SecretKind::Token);
/// assert_eq!(kind_of("SIGNING_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"), SecretKind::Token);
/// ```
pub fn kind_of(key: &str, value: &str) -> SecretKind {
    let v = value.trim();
    if crate::secret::TOKEN_PREFIXES
        .iter()
        .any(|(p, _)| v.starts_with(p) && v.len() >= p.len() + 8)
    {
        return SecretKind::Token;
    }
    let upper = key.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if matches!(words.last(), Some(&"SALT" | &"PEPPER")) {
        return SecretKind::GeneratedKey;
    }
    if ["PASSWORD", "PASSWD", "PASSPHRASE"]
        .iter()
        .any(|w| upper.contains(w))
        || (words.len() > 1 && matches!(words.last(), Some(&"PWD" | &"PIN")))
    {
        return SecretKind::Password;
    }
    if has(GENERATED_WORDS) {
        return SecretKind::GeneratedKey;
    }
    // `SECRET_KEY`, `SECRET_KEY_BASE`, `SECRET`, `APP_KEY`, and the same
    // after an application word: the application's own key.
    let base_at = words
        .iter()
        .position(|w| *w == "SECRET" || *w == "KEY")
        .unwrap_or(words.len());
    let (before, base) = words.split_at(base_at);
    let own_base = matches!(
        base,
        ["SECRET"] | ["SECRET", "KEY"] | ["SECRET", "KEY", "BASE"] | ["KEY"] | ["KEY", "BASE"]
    );
    let own_prefix = before.iter().all(|w| APPLICATION_WORDS.contains(w))
        && (!before.is_empty() || base.first() == Some(&"SECRET"));
    if own_base && own_prefix {
        return SecretKind::GeneratedKey;
    }
    SecretKind::Token
}

/// Whether `key` is Django's `SECRET_KEY` (`SECRET_KEY` itself in a Django
/// project, or `DJANGO_SECRET_KEY` anywhere).
pub fn is_django_secret_key(key: &str, django_project: bool) -> bool {
    key == "DJANGO_SECRET_KEY" || (django_project && key == "SECRET_KEY")
}

/// Text that marks a placeholder or development value wherever it is in
/// the value (case-insensitive). Seven characters or more: a random value
/// does not hold one by chance.
const PLACEHOLDER_TEXT: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "replaceme",
    "replace-me",
    "replace_me",
    "placeholder",
    "insecure",
    "example",
    "notasecret",
    "not-a-secret",
    "dev-secret",
    "dev_secret",
    "devsecret",
    "test-secret",
    "test_secret",
    "testsecret",
    "secret-key-here",
    "dev-only",
];

/// Words that mark a placeholder or development value when they stand
/// alone in the value, between separators (`dummy-…`, `…-test-…`,
/// `dev-key`): inside a random string they mean nothing.
const PLACEHOLDER_WORDS: &[&str] = &[
    "dummy",
    "test",
    "testing",
    "fake",
    "sample",
    "todo",
    "tbd",
    "fixme",
    "dev",
    "development",
    "local",
    "demo",
    "default",
    "secret",
    "password",
    "mysecret",
    "secretkey",
    "redacted",
    "foobar",
];

/// Whether `value` is a placeholder or a development value: it holds one of
/// [`PLACEHOLDER_TEXT`], has one of [`PLACEHOLDER_WORDS`] as a word of its
/// own (separated by anything but a letter or digit), has a word of three
/// `x` or more (`xxx`, `XXXX-XXXX`), or reads `your-…-here` or `<…>`. A
/// token with a provider's prefix (`sk_test_…`) is judged by the text only,
/// as its prefix holds such words by design.
///
/// ```
/// use envward::check::rules::strength::is_placeholder;
/// assert!(is_placeholder("changeme"));
/// assert!(is_placeholder("dummy-3f9a0c"));
/// assert!(is_placeholder("test-secret-key-for-ci-0123456789abcdef"));
/// assert!(is_placeholder("changemechangemechangeme"));
/// assert!(is_placeholder("dev-secret-key"));
/// assert!(is_placeholder("your-api-key-here"));
/// assert!(!is_placeholder("q7Lr9xT2mVw4Zp8Ks1Nd6Hc3Bf5Jg0Ya"));
/// assert!(!is_placeholder("sk_test_4eC39HqLyjWDarjtT1zdp7dc"));
/// ```
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return false;
    }
    if PLACEHOLDER_TEXT.iter().any(|t| lower.contains(t)) {
        return true;
    }
    if crate::secret::TOKEN_PREFIXES.iter().any(|(p, _)| {
        lower
            .as_bytes()
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes()))
    }) {
        return false;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| PLACEHOLDER_WORDS.contains(w) || (w.len() >= 3 && w.bytes().all(|b| b == b'x')))
        || (lower.starts_with('<') && lower.ends_with('>'))
        || (words.first() == Some(&"your") && words.last() == Some(&"here"))
        || lower.chars().all(|c| c == '*' || c == 'x')
}

/// Passwords every attacker tries first, compared in lower case after
/// trailing digits and punctuation are taken off (`Password123!`).
const KNOWN_WEAK: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "admin",
    "administrator",
    "root",
    "qwerty",
    "qwertyuiop",
    "letmein",
    "welcome",
    "iloveyou",
    "monkey",
    "dragon",
    "master",
    "secret",
    "postgres",
    "mysql",
    "changeit",
    "guest",
    "abc",
    "abcdef",
    "abcd",
    "asdf",
    "asdfgh",
    "trustno1",
    "starwars",
];

/// Whether `value` is a known-weak password (see [`KNOWN_WEAK`]), or
/// digits only.
///
/// ```
/// use envward::check::rules::strength::is_known_weak;
/// assert!(is_known_weak("Password123!"));
/// assert!(is_known_weak("12345678"));
/// assert!(!is_known_weak("Tr0ub4dor-horse-staple-91"));
/// ```
pub fn is_known_weak(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    stem.is_empty() || KNOWN_WEAK.contains(&stem)
}

/// How a value is made by hand rather than drawn at random, when it is:
/// mostly a run of consecutive characters (`abcdefgh…`, `0123456789…`,
/// `zyxw…`), or one block repeated (`Summer2024!Summer2024!`,
/// `0123456789` three times). Values shorter than 8 bytes are left to the
/// length rules.
///
/// ```
/// use envward::check::rules::strength::pattern_of;
/// assert!(pattern_of("abcdefghijklmnopqrstuvwxyzabcdefghij").is_some());
/// assert!(pattern_of("0123456789012345678901234567890123").is_some());
/// assert!(pattern_of("Summer2024!Summer2024!").is_some());
/// assert!(pattern_of("q7Lr9xT2mVw4Zp8Ks1Nd6Hc3Bf5Jg0Ya").is_none());
/// assert!(pattern_of("sk_live_4eC39HqLyjWDarjtT1zdp7dc").is_none());
/// ```
pub fn pattern_of(value: &str) -> Option<&'static str> {
    let b = value.trim().as_bytes();
    let n = b.len();
    if n < 8 {
        return None;
    }
    let steps = b
        .windows(2)
        .filter(|w| {
            w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric() && w[0].abs_diff(w[1]) == 1
        })
        .count();
    // Random text of 62 symbols has about 3 % of such steps.
    if steps * 10 >= (n - 1) * 6 {
        return Some("mostly a run of consecutive characters (`abcd…`, `1234…`)");
    }
    // The shortest period, on a bounded prefix: quadratic at worst.
    let b = &b[..n.min(1024)];
    let n = b.len();
    if (1..=n / 2).any(|p| (p..n).all(|i| b[i] == b[i - p])) {
        return Some("one short block repeated");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_secret() {
        use SecretKind::*;
        let cases: &[(&str, &str, SecretKind)] = &[
            ("SECRET_KEY", "abc", GeneratedKey),
            ("DJANGO_SECRET_KEY", "abc", GeneratedKey),
            ("SECRET_KEY_BASE", "abc", GeneratedKey),
            ("FLASK_SECRET_KEY", "abc", GeneratedKey),
            ("APP_KEY", "base64:abc", GeneratedKey),
            ("SESSION_SECRET", "abc", GeneratedKey),
            ("NEXTAUTH_SECRET", "abc", GeneratedKey),
            ("JWT_SECRET", "abc", GeneratedKey),
            ("JWT_SECRET_KEY", "abc", GeneratedKey),
            ("JWT_SIGNING_KEY", "abc", GeneratedKey),
            ("FIELD_ENCRYPTION_KEY", "abc", GeneratedKey),
            ("HMAC_KEY", "abc", GeneratedKey),
            ("PASSWORD_SALT", "abc", GeneratedKey),
            ("MASTER_KEY", "abc", GeneratedKey),
            ("EMAIL_HOST_PASSWORD", "abc", Password),
            ("POSTGRES_PASSWORD", "abc", Password),
            ("DB_PWD", "abc", Password),
            ("GPG_PASSPHRASE", "abc", Password),
            ("STRIPE_SECRET_KEY", "abc", Token),
            ("STRIPE_KEY", "abc", Token),
            ("GITHUB_TOKEN", "abc", Token),
            ("AWS_SECRET_ACCESS_KEY", "abc", Token),
            ("GOOGLE_CLIENT_SECRET", "abc", Token),
            ("SENDGRID_API_KEY", "abc", Token),
            ("WEBHOOK_SECRET", "abc", Token),
            ("SECRET_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", Token),
        ];
        for &(key, value, kind) in cases {
            assert_eq!(kind_of(key, value), kind, "{key}");
        }
    }

    #[test]
    fn placeholders_both_ways() {
        for p in [
            "changeme",
            "CHANGEME",
            "change-me-please",
            "changemechangemechangemechangeme",
            "dummy",
            "dummy-3f9a0c7e1b",
            "dummy_value_for_tests_0123456789",
            "test-secret-key-0123456789abcdef0123456789",
            "ci-test-key-0123456789abcdef",
            "dev-secret-key",
            "dev-only-86ede1f8f1c27189fa0a4ac17dd9260651ee2810",
            "my-dev-key-2024",
            "placeholder",
            "insecure-key-do-not-use",
            "django-insecure-abc",
            "your-secret-key-here",
            "your_api_token_here",
            "<secret>",
            "xxx",
            "XXXX-XXXX-XXXX",
            "***",
            "secret",
            "sk_live_EXAMPLE0000000000000000",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ] {
            assert!(is_placeholder(p), "{p} should be a placeholder");
        }
        for real in [
            "q7Lr9xT2mVw4Zp8Ks1Nd6Hc3Bf5Jg0Ya",
            "pr0d-Hx7#Qm2!Vz9@Lc4%Rb8&Tn1*Kw6^Yp3(Fd5)Js0-Ge7+Ua2",
            "Prd-4Tz8-Qw1n-Xc6v-Lb3m-Hy9k-Rq7s-Vm2d",
            "st4g1ng-jwt-Vb3Nq7Rt1Xw5Zc9Lm2Pk6Hd0Fs4Gy8Ju",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
            "AbcdTestwordXyz0123456789",
            "7f3c9a1e5b2d8f4a6c0e9b7d5f3a1c8e",
            "Zm9vYmFyYmF6cXV4/dGVzdA+x=",
            "",
        ] {
            assert!(!is_placeholder(real), "{real} is not a placeholder");
        }
    }

    #[test]
    fn known_weak_passwords() {
        for w in [
            "password",
            "Password1",
            "P@ssw0rd!",
            "admin123",
            "qwerty",
            "123456789",
        ] {
            assert!(is_known_weak(w), "{w}");
        }
        for ok in ["n8Vq2-Lx7Rt-Wz4Kp-9Hd3F", "correct horse battery staple"] {
            assert!(!is_known_weak(ok), "{ok}");
        }
    }
}
