//! "Did you mean …?": the closest candidate by edit distance.

/// The candidate closest to `input`, if it is close enough to be a typo.
///
/// ```
/// use envward::suggest::closest;
/// assert_eq!(closest("prodution", ["development", "production"]), Some("production"));
/// assert_eq!(closest("xyz", ["development", "production"]), None);
/// assert_eq!(closest("integer", ["string", "int"]), Some("int"));
/// ```
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_l = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let c_l = c.to_ascii_lowercase();
            let d = strsim::levenshtein(&input_l, &c_l);
            // `integer` for `int`: one is the start of the other.
            let prefix = c_l.len() >= 3
                && input_l.len() >= 3
                && (input_l.starts_with(&c_l) || c_l.starts_with(&input_l));
            let close = d <= (c.len().max(input.len()) / 3).max(1);
            (d, c, close || prefix)
        })
        .filter(|(_, _, ok)| *ok)
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, c, _)| c)
}
