//! "Did you mean …?": the closest candidate by edit distance.

/// The candidate closest to `input`, if it is close enough to be a typo.
///
/// ```
/// use envward::suggest::closest;
/// assert_eq!(closest("prodution", ["development", "production"]), Some("production"));
/// assert_eq!(closest("xyz", ["development", "production"]), None);
/// ```
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_l = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&input_l, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(input.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
