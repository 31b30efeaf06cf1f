//! Throughput benchmarks for the `.env` parser and the loader.
//!
//! Run with `cargo bench -p envward --bench parse`. Both inputs are
//! generated deterministically (fixed-seed PRNG), so runs are comparable.
//!
//! * `parse/10MB-100k-keys`: `Document::parse` over ~10 MB of text with
//!   100,000 keys, dropping the result included (target: >= 500 MB/s).
//!   `parse/10MB-100k-keys-excl-drop` is the same without the drop, and
//!   `parse/10MB-100k-keys-templates` also builds every entry's template
//!   (which an entry does when first asked: the parse checks the syntax
//!   only), as diagnostics.
//! * `resolve/10k-keys-interpolation`: `Config::load` end to end (read the
//!   file, parse, resolve) for a flat project whose `.env` has 10,000 keys,
//!   most of them interpolating others.
//!
//! No timing is asserted here; the figures are in BENCHMARKS.md.

// A benchmark binary reports on stderr (input sizes, dump paths).
#![allow(clippy::print_stderr)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use envward::dotenv::Document;
use envward::{Config, LoadOptions};

mod common;
use common::Rng;

const WORDS: &[&str] = &[
    "alpha", "bravo", "cache", "delta", "edge", "fleet", "gamma", "host", "index", "jobs", "kafka",
    "ledger", "metrics", "node", "orders", "proxy", "queue", "redis", "search", "tenant", "users",
    "vault", "worker", "xray", "yield", "zone",
];

const PREFIXES: &[&str] = &[
    "APP", "DB", "CACHE", "HTTP", "AUTH", "QUEUE", "S3", "SMTP", "LOG", "FEATURE",
];

const SUFFIXES: &[&str] = &[
    "URL", "HOST", "PATH", "NAME", "MODE", "TIMEOUT", "TOKEN", "PASSWORD", "LIST", "OPTS",
];

/// Appends random words separated by `sep` until `out` has grown by about
/// `len` bytes.
fn words(rng: &mut Rng, out: &mut String, len: usize, sep: &str) {
    let start = out.len();
    while out.len() - start < len {
        if out.len() > start {
            out.push_str(sep);
        }
        out.push_str(rng.pick(WORDS));
        if rng.below(3) == 0 {
            write!(out, "{}", rng.below(10_000)).unwrap();
        }
    }
}

/// Appends a value of roughly `len` bytes (quotes included), in one of
/// several realistic shapes, to `out`.
fn value(rng: &mut Rng, i: usize, keys: &[String], len: usize, out: &mut String) {
    let start = out.len();
    match rng.below(20) {
        // Unquoted URL-ish value.
        0..=6 => {
            let host = rng.pick(WORDS);
            write!(out, "https://{host}-{i}.internal.example.com:8443/").unwrap();
            let target = len.saturating_sub(out.len() - start + 18);
            words(rng, out, target.max(8), "/");
            write!(out, "?retry={}&pool={}", rng.below(10), rng.below(64)).unwrap();
        }
        // Unquoted comma list.
        7..=8 => words(rng, out, len, ","),
        // Single-quoted literal: `$`, `#`, backslashes are plain text.
        9..=11 => {
            out.push('\'');
            out.push_str("literal $NOT_A_REF #not-a-comment C:\\dir ");
            words(rng, out, len.saturating_sub(45), " ");
            out.push('\'');
        }
        // Double-quoted with escapes.
        12..=15 => {
            out.push('"');
            out.push_str("line one\\nline \\\"two\\\"\\ttab \\\\share\\\\ cost \\$5 ");
            words(rng, out, len.saturating_sub(52), " ");
            out.push('"');
        }
        // References, unquoted.
        16..=17 => {
            let a = &keys[rng.below(i.max(1) as u64) as usize];
            let b = &keys[rng.below(i.max(1) as u64) as usize];
            write!(out, "${{{a}}}/v1/${{{b}:-fallback}}/").unwrap();
            words(rng, out, len.saturating_sub(40), "/");
        }
        // References, double-quoted.
        _ => {
            let a = &keys[rng.below(i.max(1) as u64) as usize];
            write!(
                out,
                "\"prefix ${{{a}}} and ${{MISSING_{i}:-default value}} "
            )
            .unwrap();
            words(rng, out, len.saturating_sub(60), " ");
            out.push('"');
        }
    }
}

/// ~10 MB of `.env` text with `n` keys: comments every ~10 lines, the odd
/// blank line, `export` prefixes and trailing comments.
fn big_dotenv(n: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let keys: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{}_{}_{i:05}",
                PREFIXES[i % PREFIXES.len()],
                SUFFIXES[(i / 3) % SUFFIXES.len()]
            )
        })
        .collect();
    let mut out = String::with_capacity(n * 110);
    for (i, key) in keys.iter().enumerate() {
        if i % 10 == 0 {
            write!(out, "# --- section {} : ", i / 10).unwrap();
            words(&mut rng, &mut out, 30, " ");
            out.push('\n');
            if rng.below(4) == 0 {
                out.push('\n');
            }
        }
        if rng.below(20) == 0 {
            out.push_str("export ");
        }
        out.push_str(key);
        out.push('=');
        let len = 70 + rng.below(16) as usize;
        value(&mut rng, i, &keys, len, &mut out);
        if rng.below(15) == 0 {
            out.push_str("  # trailing note");
        }
        out.push('\n');
    }
    out
}

/// With `ENVWARD_BENCH_DUMP=<dir>`, writes the generated input there so it
/// can be inspected.
fn dump(name: &str, text: &str) {
    if let Some(dir) = std::env::var_os("ENVWARD_BENCH_DUMP") {
        let path = PathBuf::from(dir).join(name);
        std::fs::write(&path, text).expect("write dump");
        eprintln!("wrote {}", path.display());
    }
}

fn bench_parse(c: &mut Criterion) {
    let text = big_dotenv(100_000);
    // Sanity check of the input (not a timing assertion).
    let doc = Document::parse(&text).expect("generated input parses");
    assert_eq!(doc.entries().len(), 100_000);
    drop(doc);
    dump("parse.env", &text);
    eprintln!(
        "parse input: {} bytes ({:.2} MiB), 100000 keys",
        text.len(),
        text.len() as f64 / (1024.0 * 1024.0)
    );

    let mut g = c.benchmark_group("parse");
    // Iterations take ~0.1 s: flat sampling keeps the run short.
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(text.len() as u64));
    // The figure the target applies to: parse, then drop the document
    // (which zeroizes its copy of the source), as a caller pays.
    g.bench_function("10MB-100k-keys", |b| {
        b.iter(|| Document::parse(black_box(&text)).unwrap())
    });
    // Diagnostic only: the same, with the drop moved out of the timing, to
    // show how the time splits between building and freeing the document.
    g.bench_function("10MB-100k-keys-excl-drop", |b| {
        b.iter_with_large_drop(|| Document::parse(black_box(&text)).unwrap())
    });
    // Diagnostic only: parse, build every template (what a caller reading
    // every value pays on top of the parse), drop.
    g.bench_function("10MB-100k-keys-templates", |b| {
        b.iter(|| {
            let doc = Document::parse(black_box(&text)).unwrap();
            for e in doc.entries() {
                black_box(e.template());
            }
            doc
        })
    });
    g.finish();
}

/// A `.env` of `n` keys where most values interpolate others: chains up
/// to four deep (`K(i) -> K(i-1) -> ...`), `${K:-default}` on defined and
/// undefined keys, and references to random earlier keys.
fn resolve_dotenv(n: usize) -> String {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut out = String::with_capacity(n * 90);
    for i in 0..n {
        if i % 10 == 0 {
            writeln!(out, "# group {}", i / 10).unwrap();
        }
        write!(out, "K{i}=").unwrap();
        match i % 5 {
            // Base values.
            0 => {
                if rng.below(2) == 0 {
                    out.push_str("https://svc-");
                    write!(out, "{i}").unwrap();
                    out.push_str(".internal.example.com:8443/");
                    words(&mut rng, &mut out, 30, "/");
                } else {
                    out.push('"');
                    out.push_str("base \\\"value\\\" ");
                    words(&mut rng, &mut out, 40, " ");
                    out.push('"');
                }
            }
            // Chain links: 1 -> 0, 2 -> 1, 3 -> 2 (three deep).
            1..=3 => {
                write!(out, "${{K{}}}/", i - 1).unwrap();
                words(&mut rng, &mut out, 12, "/");
            }
            // Defaults, on a defined random earlier key and an undefined one.
            _ => {
                let j = rng.below(i as u64);
                write!(
                    out,
                    "\"${{K{j}:-fallback}} ${{UNSET_{i}:-default-{i}}} ${{K{}}}\"",
                    i - 1
                )
                .unwrap();
            }
        }
        out.push('\n');
    }
    out
}

fn bench_resolve(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = resolve_dotenv(10_000);
    std::fs::write(dir.path().join(".env"), &text).expect("write .env");
    let project: PathBuf = dir.path().to_path_buf();
    let options = LoadOptions {
        project_dir: Some(project),
        process_env: Some(Default::default()),
        ..Default::default()
    };
    // Sanity check of the input (not a timing assertion).
    let cfg = Config::load(options.clone()).expect("generated project loads");
    assert_eq!(cfg.len(), 10_000);
    assert!(
        cfg.value("K3")
            .unwrap()
            .starts_with(cfg.value("K2").unwrap())
    );
    assert!(cfg.value("K4").unwrap().contains("default-4"));
    drop(cfg);
    dump("resolve.env", &text);
    eprintln!("resolve input: .env of {} bytes, 10000 keys", text.len());

    let mut g = c.benchmark_group("resolve");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("10k-keys-interpolation", |b| {
        b.iter(|| Config::load(black_box(options.clone())).unwrap())
    });
    g.finish();
    drop(dir);
}

criterion_group!(benches, bench_parse, bench_resolve);
criterion_main!(benches);
