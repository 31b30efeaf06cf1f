//! Throughput of the streaming redactor with 1,000 known values.
//!
//! Run with `cargo bench -p envward --bench redact`. The values and the
//! log are generated deterministically (fixed-seed PRNG), the same shape as
//! `bench/scan.sh`'s redact log: 1,000 values of 32 random characters
//! (about 10,000 patterns with their base64, URL-safe base64, percent and
//! hex forms), a 16 MB log of word lines, one value every 100 lines.
//!
//! * `redact/1000-values-16MB`: `Redactor` over the log, written in 64 KiB
//!   chunks, into a `Vec` (target of issue 15: >= 500 MB/s).
//! * `redact/build-1000-values`: compiling the 1,000 values (the automaton
//!   and the window prefilter): the start-up cost of `envward redact`.
//!
//! No timing is asserted here; the figures are in BENCHMARKS.md.

use std::hint::black_box;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use envward::known::KnownValues;
use envward::redact::Redactor;

mod common;
use common::Rng;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const WORDS: &[&str] = &[
    "GET", "POST", "request", "served", "user", "session", "cache", "miss", "hit", "latency", "ms",
    "status", "200", "404", "upstream",
];

fn values(rng: &mut Rng) -> Vec<String> {
    (0..1000)
        .map(|_| {
            (0..32)
                .map(|_| ALNUM[rng.below(ALNUM.len() as u64) as usize] as char)
                .collect()
        })
        .collect()
}

fn known(values: &[String]) -> KnownValues {
    let mut b = KnownValues::builder(8);
    for (i, v) in values.iter().enumerate() {
        b.add("production", &format!("SECRET_{i}_TOKEN"), v);
    }
    b.build()
}

fn log(rng: &mut Rng, values: &[String], bytes: usize) -> Vec<u8> {
    let mut out = String::with_capacity(bytes + 200);
    let mut n = 0usize;
    while out.len() < bytes {
        n += 1;
        out.push_str(&format!("2026-12-04T17:{:02}:00Z INFO", n % 60));
        for _ in 0..12 {
            out.push(' ');
            out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        }
        if n.is_multiple_of(100) {
            out.push_str(" token=");
            out.push_str(&values[n % values.len()]);
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn bench_redact(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_1000);
    let values = values(&mut rng);
    let known = Arc::new(known(&values));
    let log = log(&mut rng, &values, 16 * 1024 * 1024);

    let mut group = c.benchmark_group("redact");
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(20);
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.bench_function("1000-values-16MB", |b| {
        b.iter(|| {
            let mut r = Redactor::new(Arc::clone(&known), Vec::with_capacity(log.len()));
            for chunk in log.chunks(64 * 1024) {
                r.write_all(chunk).unwrap();
            }
            black_box(r.finish().unwrap().len())
        })
    });
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("build-1000-values", |b| {
        b.iter(|| black_box(known_len(&values)))
    });
    group.finish();
}

fn known_len(values: &[String]) -> usize {
    known(values).patterns()
}

criterion_group!(benches, bench_redact);
criterion_main!(benches);
