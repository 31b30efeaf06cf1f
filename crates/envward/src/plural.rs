//! Counted nouns, the one way every message and report words a number:
//! "1 file", "2 files", "0 errors" (never "1 files" or "2 error(s)").

/// `n` and the noun that agrees with it: `one` for 1, `many` otherwise.
///
/// ```
/// use envward::plural::count;
/// assert_eq!(count(1, "file", "files"), "1 file");
/// assert_eq!(count(0, "error", "errors"), "0 errors");
/// assert_eq!(count(3, "entry", "entries"), "3 entries");
/// ```
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

/// The noun alone that agrees with `n`: `one` for 1, `many` otherwise.
///
/// ```
/// use envward::plural::noun;
/// assert_eq!(noun(1, "key", "keys"), "key");
/// assert_eq!(noun(2, "key", "keys"), "keys");
/// ```
pub fn noun<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
