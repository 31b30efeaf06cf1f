//! Known values: the project's own secrets, as `redact` and `scan` look
//! for them.
//!
//! Every resolved sensitive value of the environments loaded (decrypted
//! when an identity opens them; what no identity opens is skipped with a
//! note), with the forms it travels in: as written, base64 (standard and
//! URL-safe alphabets, at each of the three alignments it can have inside a
//! longer encoded text), percent-encoded and hex. A value of several lines
//! is also looked for line by line, so no pattern spans a line end (which
//! is what lets a [`crate::redact::Redactor`] pass each complete line on at
//! once). Values shorter than `[redact] min_length` (default 8) are left
//! out: too many innocent matches (`check` reports them as
//! `secret.too-short-to-redact`).
//!
//! Everything is compiled into one Aho-Corasick automaton
//! (leftmost-longest: of two values that start at the same place, the
//! longer wins).

use aho_corasick::{
    AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, Input, MatchKind, StartKind,
};
use zeroize::Zeroizing;

use crate::error::LoadError;
use crate::resolve::{Config, LoadOptions, Project};
use crate::secret::Secret;

/// The form a known value was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// As written.
    Plain,
    /// One line of a value of several lines.
    Line,
    /// Base64, standard alphabet (`+/`), any alignment.
    Base64,
    /// Base64, URL-safe alphabet (`-_`), any alignment.
    Base64Url,
    /// Percent-encoded (`%2B`, or `+` for a space in a form).
    UrlEncoded,
    /// Hexadecimal, lower or upper case.
    Hex,
}

impl Encoding {
    /// A word for messages: `plain`, `base64`, …
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Plain => "plain",
            Encoding::Line => "one line",
            Encoding::Base64 => "base64",
            Encoding::Base64Url => "base64url",
            Encoding::UrlEncoded => "URL-encoded",
            Encoding::Hex => "hex",
        }
    }
}

/// What one pattern of the automaton stands for.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The key holding the value (the first one, when several hold it).
    pub key: String,
    /// The environment it was read in.
    pub environment: String,
    /// The form the pattern has.
    pub encoding: Encoding,
    /// Which value (index into the values; never shown).
    value: usize,
}

/// A known value found in a text.
#[derive(Clone, Copy, Debug)]
pub struct KnownMatch<'a> {
    /// Byte offset where it starts.
    pub start: usize,
    /// Byte offset just after it.
    pub end: usize,
    /// What it is.
    pub pattern: &'a Pattern,
}

/// The project's known secret values, compiled for searching.
pub struct KnownValues {
    matcher: Option<AhoCorasick>,
    /// For many patterns: which 4-byte windows start one (a hashed bit
    /// set), so the automaton runs only where a pattern may begin.
    starts: Option<Starts>,
    patterns: Vec<Pattern>,
    values: Vec<Secret>,
    max_len: usize,
    min_length: usize,
    /// What was left out and why (files no identity opens). Names
    /// environments, files and keys, never values.
    pub notes: Vec<String>,
    /// Sensitive values too short to look for: (environment, key).
    pub too_short: Vec<(String, String)>,
}

impl std::fmt::Debug for KnownValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownValues")
            .field("values", &self.values.len())
            .field("patterns", &self.patterns.len())
            .field("min_length", &self.min_length)
            .field("notes", &self.notes)
            .finish()
    }
}

/// Collects values, then compiles them ([`KnownValues::builder`]).
pub struct Builder {
    min_length: usize,
    entries: Vec<(Zeroizing<Vec<u8>>, Pattern)>,
    values: Vec<Secret>,
    notes: Vec<String>,
    too_short: Vec<(String, String)>,
    /// Whether many patterns get the window prefilter (tests compare both).
    prefilter: bool,
}

impl Builder {
    /// Adds every sensitive value of `cfg` (a sealed file noted instead).
    pub fn add_environment(&mut self, cfg: &crate::Resolved) -> &mut Self {
        for file in &cfg.sealed {
            self.notes.push(format!(
                "{}: {} could not be decrypted (no identity matches its recipients): its values are not known",
                cfg.environment,
                file.path.display()
            ));
        }
        for v in cfg.iter().filter(|v| v.sensitive && !v.sealed) {
            self.add(&cfg.environment, &v.key, v.value.expose());
        }
        self
    }

    /// Adds one sensitive value of `key` in `environment`, with its
    /// encoded forms. Values shorter than the minimum length (in bytes,
    /// ignoring surrounding blanks) are recorded in `too_short` instead.
    pub fn add(&mut self, environment: &str, key: &str, value: &str) -> &mut Self {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return self;
        }
        if !redactable(trimmed, self.min_length) {
            self.too_short
                .push((environment.to_string(), key.to_string()));
            return self;
        }
        let index = self.values.len();
        self.values.push(Secret::new(trimmed.to_string()));
        let mut push = |bytes: Vec<u8>, encoding: Encoding| {
            let bytes = Zeroizing::new(bytes);
            if bytes.len() < self.min_length || bytes.contains(&b'\n') {
                return;
            }
            self.entries.push((
                bytes,
                Pattern {
                    key: key.to_string(),
                    environment: environment.to_string(),
                    encoding,
                    value: index,
                },
            ));
        };
        let mut forms = vec![(trimmed.as_bytes().to_vec(), Encoding::Plain)];
        if value != trimmed {
            forms.push((value.as_bytes().to_vec(), Encoding::Plain));
        }
        if trimmed.contains('\n') {
            forms.extend(
                trimmed
                    .lines()
                    .map(|l| (l.trim().as_bytes().to_vec(), Encoding::Line)),
            );
        }
        let raw = trimmed.as_bytes();
        for core in base64_cores(&base64::engine::general_purpose::STANDARD_NO_PAD, raw) {
            forms.push((core, Encoding::Base64));
        }
        for core in base64_cores(&base64::engine::general_purpose::URL_SAFE_NO_PAD, raw) {
            forms.push((core, Encoding::Base64Url));
        }
        for upper in [true, false] {
            forms.push((percent_encode(raw, upper, false), Encoding::UrlEncoded));
            forms.push((percent_encode(raw, upper, true), Encoding::UrlEncoded));
            forms.push((hex(raw, upper), Encoding::Hex));
        }
        for (bytes, encoding) in forms {
            push(bytes, encoding);
        }
        self
    }

    /// Compiles the values into one automaton.
    pub fn build(mut self) -> KnownValues {
        // One pattern per text: the first value added that has it names it.
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.entries.dedup_by(|later, first| later.0 == first.0);
        let max_len = self.entries.iter().map(|(b, _)| b.len()).max().unwrap_or(0);
        // A full DFA is the fastest search, but its size grows with the
        // patterns (states × byte classes): used for the usual handful of
        // values, the default (NFA) kinds beyond.
        let total: usize = self.entries.iter().map(|(b, _)| b.len()).sum();
        let small = total <= DFA_MAX_PATTERN_BYTES;
        let kind = small.then_some(AhoCorasickKind::DFA);
        // Beyond, the NFA is slow to walk byte by byte: it runs anchored,
        // only at the positions whose next 4 bytes start some pattern.
        let starts = (self.prefilter
            && !small
            && self.entries.iter().all(|(b, _)| b.len() >= Starts::WIDTH))
        .then(|| Starts::new(self.entries.iter().map(|(b, _)| b.as_slice())));
        let matcher = (!self.entries.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(kind)
                .start_kind(if starts.is_some() {
                    StartKind::Anchored
                } else {
                    StartKind::Unanchored
                })
                .build(self.entries.iter().map(|(b, _)| b.as_slice()))
                .unwrap_or_else(|e| unreachable!("patterns are bounded by the values loaded: {e}"))
        });
        KnownValues {
            matcher,
            starts,
            patterns: self.entries.into_iter().map(|(_, p)| p).collect(),
            values: self.values,
            max_len,
            min_length: self.min_length,
            notes: self.notes,
            too_short: self.too_short,
        }
    }
}

/// Which 4-byte windows begin a pattern: a bit set indexed by a
/// multiplicative hash of the window (2^20 bits, 128 KiB: about 1 % of
/// positions pass for 10,000 patterns).
struct Starts {
    bits: Vec<u64>,
}

impl Starts {
    const WIDTH: usize = 4;
    const BITS: u32 = 20;

    fn new<'p>(patterns: impl Iterator<Item = &'p [u8]>) -> Starts {
        let mut bits = vec![0u64; (1usize << Self::BITS) / 64];
        for p in patterns {
            let h = Self::hash(&p[..Self::WIDTH]);
            bits[h / 64] |= 1 << (h % 64);
        }
        Starts { bits }
    }

    #[inline]
    fn hash(window: &[u8]) -> usize {
        let w = u32::from_le_bytes([window[0], window[1], window[2], window[3]]);
        (w.wrapping_mul(0x9E37_79B1) >> (32 - Self::BITS)) as usize
    }

    /// The first position at or after `from` whose window may begin a
    /// pattern.
    #[inline]
    fn next_candidate(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let last = haystack.len().checked_sub(Self::WIDTH)?;
        let mut at = from;
        while at <= last {
            let h = Self::hash(&haystack[at..at + Self::WIDTH]);
            if self.bits[h / 64] & (1 << (h % 64)) != 0 {
                return Some(at);
            }
            at += 1;
        }
        None
    }
}

/// Up to this many bytes of patterns, the automaton is a full DFA (a few
/// MB at most).
const DFA_MAX_PATTERN_BYTES: usize = 16 * 1024;

/// Whether a value is long enough to be redacted and searched for.
pub fn redactable(value: &str, min_length: usize) -> bool {
    value.trim().len() >= min_length
}

impl KnownValues {
    /// An empty collection: values shorter than `min_length` bytes will be
    /// left out.
    ///
    /// ```
    /// use envward::known::{Encoding, KnownValues};
    /// let mut b = KnownValues::builder(8);
    /// b.add("production", "API_TOKEN", "s3cr3t-t0ken-value");
    /// let known = b.build();
    /// let text = b"Authorization: czNjcjN0LXQwa2VuLXZhbHVl";
    /// let m = known.find_iter(text).next().unwrap();
    /// assert_eq!(m.pattern.key, "API_TOKEN");
    /// assert_eq!(m.pattern.encoding, Encoding::Base64);
    /// ```
    pub fn builder(min_length: usize) -> Builder {
        Builder {
            prefilter: true,
            min_length: min_length.max(1),
            entries: Vec::new(),
            values: Vec::new(),
            notes: Vec::new(),
            too_short: Vec::new(),
        }
    }

    /// The sensitive values of the environment `options` selects, or of
    /// every environment of the project with `all_environments`. An
    /// encrypted file no identity opens is skipped with a note (its values
    /// are not known); any other load error is returned.
    pub fn load(
        project: &Project,
        options: &LoadOptions,
        all_environments: bool,
    ) -> Result<KnownValues, LoadError> {
        Self::load_with(project, options, all_environments, false)
    }

    /// The sensitive values of every environment that loads, for `scan`:
    /// an environment that does not load (an undefined reference, a
    /// malformed file) is skipped with a note, so a broken configuration
    /// never stops a search for credential formats. (`redact` keeps
    /// [`KnownValues::load`]: redacting without the values would leak.)
    pub fn load_lenient(project: &Project, options: &LoadOptions) -> KnownValues {
        Self::load_with(project, options, true, true)
            .unwrap_or_else(|_| unreachable!("lenient loading turns every error into a note"))
    }

    fn load_with(
        project: &Project,
        options: &LoadOptions,
        all_environments: bool,
        lenient: bool,
    ) -> Result<KnownValues, LoadError> {
        let mut b = KnownValues::builder(project.file.redact.min_length());
        let environments: Vec<Option<String>> = if all_environments {
            project.environments.iter().cloned().map(Some).collect()
        } else {
            vec![options.environment.clone()]
        };
        for env in environments {
            let mut load = options.clone();
            load.environment = env;
            let name = load.environment.clone().unwrap_or_default();
            let cfg = match Config::load_in(project, load) {
                Ok(cfg) => cfg,
                Err(e) if lenient => {
                    let why = e.to_string();
                    let why = why.lines().next().unwrap_or_default();
                    b.notes.push(format!(
                        "{name}: its values are not known (it does not load: {why})"
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            };
            b.add_environment(&cfg);
        }
        Ok(b.build())
    }

    /// The sensitive values of one environment already loaded (an
    /// encrypted file no identity opened noted, its values not known).
    pub fn of(cfg: &crate::Resolved, min_length: usize) -> KnownValues {
        let mut b = KnownValues::builder(min_length);
        b.add_environment(cfg);
        b.build()
    }

    /// The matches in `haystack`, leftmost-longest, not overlapping.
    pub fn find_iter<'a>(&'a self, haystack: &'a [u8]) -> impl Iterator<Item = KnownMatch<'a>> {
        let to_known = move |m: aho_corasick::Match| KnownMatch {
            start: m.start(),
            end: m.end(),
            pattern: &self.patterns[m.pattern().as_usize()],
        };
        let plain = self
            .matcher
            .iter()
            .filter(|_| self.starts.is_none())
            .flat_map(move |ac| ac.find_iter(haystack).map(to_known));
        let filtered = self
            .matcher
            .iter()
            .zip(self.starts.iter())
            .flat_map(move |(ac, starts)| {
                // The leftmost position where a pattern matches, and the
                // longest there: leftmost-longest, as the automaton's own
                // search, then on from the match's end.
                let mut pos = 0;
                std::iter::from_fn(move || {
                    while let Some(at) = starts.next_candidate(haystack, pos) {
                        let input = Input::new(haystack)
                            .span(at..haystack.len())
                            .anchored(Anchored::Yes);
                        if let Some(m) = ac.find(input) {
                            pos = m.end();
                            return Some(m);
                        }
                        pos = at + 1;
                    }
                    pos = haystack.len();
                    None
                })
                .map(to_known)
            });
        plain.chain(filtered)
    }

    /// The value a pattern stands for (for fingerprints and `--reveal`).
    pub fn value(&self, pattern: &Pattern) -> &Secret {
        &self.values[pattern.value]
    }

    /// The length of the longest pattern, in bytes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The minimum length of a value looked for.
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// How many values are known.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many patterns (values and their forms) are searched for.
    pub fn patterns(&self) -> usize {
        self.patterns.len()
    }
}

/// The base64 text of `raw` where it does not depend on the bytes around
/// it, at each of the three alignments `raw` can have in a longer text.
fn base64_cores<E: base64::Engine>(engine: &E, raw: &[u8]) -> Vec<Vec<u8>> {
    (0..3usize)
        .filter_map(|k| {
            let mut buf = vec![0u8; k];
            buf.extend_from_slice(raw);
            let encoded = engine.encode(&buf);
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + raw.len())) / 6;
            (start < end).then(|| encoded.as_bytes()[start..end].to_vec())
        })
        .collect()
}

/// Percent-encoding of every byte outside `A-Za-z0-9-._~`; with `form`,
/// a space becomes `+`.
fn percent_encode(raw: &[u8], upper: bool, form: bool) -> Vec<u8> {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = Vec::with_capacity(raw.len() * 3);
    for &b in raw {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else if form && b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', digits[(b >> 4) as usize], digits[(b & 15) as usize]]);
        }
    }
    out
}

fn hex(raw: &[u8], upper: bool) -> Vec<u8> {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    raw.iter()
        .flat_map(|&b| [digits[(b >> 4) as usize], digits[(b & 15) as usize]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn known(value: &str) -> KnownValues {
        let mut b = KnownValues::builder(8);
        b.add("production", "TOKEN", value);
        b.build()
    }

    /// Many values (so the window prefilter is on): every search gives what
    /// the automaton's own unanchored leftmost-longest search gives.
    #[test]
    fn the_window_prefilter_finds_what_the_plain_search_finds() {
        use proptest::prelude::RngCore;
        use proptest::test_runner::{RngAlgorithm, TestRng};
        let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut b = KnownValues::builder(8);
        let mut values = Vec::new();
        for i in 0..600 {
            let len = 8 + (rng.next_u32() % 30) as usize;
            let v: String = (0..len)
                .map(|_| alnum[rng.next_u32() as usize % alnum.len()] as char)
                .collect();
            // Some values share a prefix with another: longest must win.
            let v = if i % 50 == 1 {
                format!("{}{v}", values.last().unwrap())
            } else {
                v
            };
            b.add("production", &format!("K{i}"), &v);
            values.push(v);
        }
        let mut without = KnownValues::builder(8);
        without.prefilter = false;
        for (i, v) in values.iter().enumerate() {
            without.add("production", &format!("K{i}"), v);
        }
        let plain = without.build();
        assert!(plain.starts.is_none());
        let k = b.build();
        assert!(
            k.starts.is_some(),
            "the prefilter is on for this many patterns"
        );
        let mut matched = 0;
        for round in 0..300 {
            let mut hay = Vec::new();
            for _ in 0..20 {
                match rng.next_u32() % 4 {
                    0 => hay.extend_from_slice(
                        values[rng.next_u32() as usize % values.len()].as_bytes(),
                    ),
                    1 => {
                        // A cut-off value: a prefix that matches nothing.
                        let v = values[rng.next_u32() as usize % values.len()].as_bytes();
                        hay.extend_from_slice(&v[..v.len() / 2]);
                    }
                    2 => hay.extend(
                        base64::engine::general_purpose::STANDARD
                            .encode(&values[rng.next_u32() as usize % values.len()])
                            .bytes(),
                    ),
                    _ => {
                        hay.extend((0..(rng.next_u32() % 9)).map(|_| (rng.next_u32() % 256) as u8))
                    }
                }
            }
            let ours: Vec<(usize, usize, usize)> = k
                .find_iter(&hay)
                .map(|m| (m.start, m.end, m.end - m.start))
                .collect();
            let theirs: Vec<(usize, usize, usize)> = plain
                .find_iter(&hay)
                .map(|m| (m.start, m.end, m.end - m.start))
                .collect();
            assert_eq!(ours, theirs, "round {round}");
            matched += ours.len();
        }
        assert!(matched > 1000, "{matched}");
    }

    fn found(k: &KnownValues, text: &[u8]) -> Vec<Encoding> {
        k.find_iter(text).map(|m| m.pattern.encoding).collect()
    }

    #[test]
    fn every_form_is_found() {
        let value = "p@ss w0rd/with+chars?";
        let k = known(value);
        assert_eq!(found(&k, value.as_bytes()), [Encoding::Plain]);
        let e = base64::engine::general_purpose::STANDARD;
        let u = base64::engine::general_purpose::URL_SAFE;
        for prefix in ["", "a", "ab", "abc"] {
            let blob = format!("{prefix}{value}tail");
            let std = e.encode(blob.as_bytes());
            assert_eq!(found(&k, std.as_bytes()), [Encoding::Base64], "{prefix:?}");
            let url = u.encode(blob.as_bytes());
            assert!(!found(&k, url.as_bytes()).is_empty(), "{prefix:?}");
        }
        assert_eq!(
            found(&k, b"p%40ss%20w0rd%2Fwith%2Bchars%3F"),
            [Encoding::UrlEncoded]
        );
        assert_eq!(
            found(&k, b"p%40ss+w0rd%2fwith%2bchars%3f"),
            [Encoding::UrlEncoded]
        );
        let h = hex(value.as_bytes(), false);
        assert_eq!(found(&k, &h), [Encoding::Hex]);
        assert_eq!(found(&k, &hex(value.as_bytes(), true)), [Encoding::Hex]);
    }

    #[test]
    fn short_values_are_left_out_and_reported() {
        let k = known("short");
        assert!(k.is_empty());
        assert_eq!(k.too_short, [("production".into(), "TOKEN".into())]);
        assert_eq!(k.find_iter(b"short short").count(), 0);
    }

    #[test]
    fn lines_of_a_long_value_are_patterns_and_no_pattern_spans_lines() {
        let k = known("-----BEGIN KEY-----\nAAAABBBBCCCCDDDD\n-----END KEY-----");
        assert_eq!(found(&k, b"x AAAABBBBCCCCDDDD y"), [Encoding::Line]);
        assert!(k.max_len() > 0);
    }

    #[test]
    fn longest_value_wins() {
        let mut b = KnownValues::builder(8);
        b.add("e", "SHORT", "abcdefgh");
        b.add("e", "LONG", "abcdefghijkl");
        let k = b.build();
        let m: Vec<_> = k.find_iter(b"--abcdefghijkl--").collect();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].pattern.key, "LONG");
    }
}
