//! Fake credentials for tests (the library's and the binary's): built at
//! run time from a seed, so the repository holds no token-shaped text.
//! Not part of the API.

/// The characters of most tokens.
pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A deterministic random string of `n` characters over `alphabet`.
pub fn random(alphabet: &str, n: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            chars[((x >> 33) % chars.len() as u64) as usize]
        })
        .collect()
}

/// A GitHub-style token (`PREFIX_`, 30 random characters, the base62
/// CRC32 of those in 6) that passes the checksum check.
pub fn github_token(prefix: &str, seed: u64) -> String {
    let body = random(ALNUM, 30, seed);
    let check = super::noise::base62_crc32(body.as_bytes());
    format!("{prefix}_{body}{}", String::from_utf8_lossy(&check))
}

/// A deterministic random UUID (8-4-4-4-12 lower-case hex digits).
pub fn uuid(seed: u64) -> String {
    let h = random("0123456789abcdef", 32, seed);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `text` in standard base64.
pub fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
