//! Throughput of the whole SigmaHQ Windows rule set over recorded attack
//! events (OTRF Security-Datasets, every Windows dataset), JSON parsing
//! included. Run on one core: `taskset -c 0 cargo bench -p vigil-detect`;
//! criterion reports events per second (`thrpt`). `cargo test` does not
//! build or run this (bench targets are not test targets).
//!
//! - `hunt_json_lines`: each JSON line read by the fast [`JsonParser`], its
//!   log source derived, and matched (what `vigil hunt` does per event).
//! - `server_parse_and_detect`: each line parsed by `serde_json` into a
//!   `vigil_model::Event` and run through [`Detector::detect`] (what the
//!   server pipeline does per event, without normalization and storage).
//! - `server_detect_only`: [`Detector::detect`] on events already parsed.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_detect::{Detector, EventLogSource, JsonParser, LoadOptions, RuleSet};
use vigil_model::{
    Event, EventClass, EventId, Severity, SourceId, SourceKind, SourceRef, TenantId,
};

const RULES: &str = "../../../shared/corpora/sigma/rules/windows";
const DATASETS: &str = "../../../shared/corpora/security-datasets/atomic/windows";
/// Lines taken from each dataset, so that a few very large captures do not
/// stand for the whole corpus.
const LINES_PER_DATASET: usize = 4_000;

/// The JSON lines of every Windows dataset (up to the cap each), joined.
struct Corpus {
    text: Vec<u8>,
    lines: Vec<(usize, usize)>,
}

fn zips(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            zips(&path, out);
        } else if path.extension().is_some_and(|e| e == "zip") {
            out.push(path);
        }
    }
}

fn corpus() -> Corpus {
    let mut files = Vec::new();
    zips(Path::new(DATASETS), &mut files);
    let mut corpus = Corpus {
        text: Vec::new(),
        lines: Vec::new(),
    };
    for path in files {
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        let Ok(mut zip) = zip::ZipArchive::new(file) else {
            continue;
        };
        let mut taken = 0;
        for i in 0..zip.len() {
            let Ok(mut entry) = zip.by_index(i) else {
                continue;
            };
            let mut bytes = Vec::new();
            if entry.read_to_end(&mut bytes).is_err() {
                continue;
            }
            for line in bytes.split(|b| *b == b'\n') {
                // Captures also hold pcaps and macOS resource forks.
                if taken == LINES_PER_DATASET || !line.starts_with(b"{") {
                    continue;
                }
                let start = corpus.text.len();
                corpus.text.extend_from_slice(line);
                corpus.lines.push((start, corpus.text.len()));
                taken += 1;
            }
        }
    }
    corpus
}

fn event(fields: vigil_model::Fields) -> Event {
    let at = chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap_or_default();
    Event {
        id: EventId(uuid::Uuid::nil()),
        tenant: TenantId::new("bench").expect("tenant"),
        site: None,
        observed_at: at,
        received_at: at,
        source: SourceRef {
            id: SourceId::new("winlogbeat").expect("source"),
            kind: SourceKind::File,
            product: "windows".into(),
            device: None,
        },
        class: EventClass::Other,
        severity: Severity::Info,
        entities: Vec::new(),
        fields,
    }
}

/// One pass of the hunt path; returns (events, detections).
fn hunt_pass(set: &RuleSet, corpus: &Corpus, parser: &mut JsonParser) -> (usize, usize) {
    let mut out = Vec::new();
    let (mut events, mut detections) = (0, 0);
    for &(start, end) in &corpus.lines {
        let Ok(doc) = parser.parse(&corpus.text[start..end]) else {
            continue;
        };
        let source = EventLogSource::derive(&doc, "windows", EventClass::Other);
        out.clear();
        set.detect_document(&doc, &source, &mut out);
        events += 1;
        detections += out.len();
    }
    (events, detections)
}

fn server_pass(set: &RuleSet, corpus: &Corpus) -> (usize, usize) {
    let mut out = Vec::new();
    let (mut events, mut detections) = (0, 0);
    for &(start, end) in &corpus.lines {
        let Ok(fields) = serde_json::from_slice(&corpus.text[start..end]) else {
            continue;
        };
        out.clear();
        set.detect(&event(fields), &mut out);
        events += 1;
        detections += out.len();
    }
    (events, detections)
}

/// Time this thread has spent on a CPU (Linux), so that figures taken on a
/// busy machine still say what one core does.
fn cpu_nanos() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn bench(c: &mut Criterion) {
    if !Path::new(RULES).is_dir() || !Path::new(DATASETS).is_dir() {
        eprintln!("skipped: corpus absent");
        return;
    }
    let started = Instant::now();
    let report =
        RuleSet::load_dirs(&[PathBuf::from(RULES)], &LoadOptions::default()).expect("load rules");
    let load_time = started.elapsed();
    let set = report.ruleset;
    let corpus = corpus();
    let bytes = corpus.text.len();
    println!(
        "loaded {} windows rules in {load_time:.2?}; {:?}",
        set.rule_count(),
        set.engine_summary()
    );
    println!(
        "corpus: {} lines, {:.1} MB",
        corpus.lines.len(),
        bytes as f64 / 1e6
    );

    let mut parser = JsonParser::new();
    // For profilers: only the hunt path, for a while.
    if let Some(seconds) = std::env::var("VIGIL_PROFILE_HUNT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        let started = Instant::now();
        let cpu_before = cpu_nanos();
        let mut events = 0;
        // A fixed number of passes instead, for instruction counts.
        let passes: Option<usize> = std::env::var("VIGIL_PROFILE_HUNT_PASSES")
            .ok()
            .and_then(|s| s.parse().ok());
        let mut done = 0;
        while passes.map_or(started.elapsed().as_secs_f64() < seconds, |p| done < p) {
            events += hunt_pass(&set, &corpus, &mut parser).0;
            done += 1;
        }
        if let (Some(before), Some(after)) = (cpu_before, cpu_nanos()) {
            let cpu = (after - before) as f64 / 1e9;
            println!(
                "hunt path: {events} events in {cpu:.2} s of CPU: {:.0} events/s, {:.0} MB/s per CPU second",
                events as f64 / cpu,
                events as f64 / cpu * (bytes as f64 / corpus.lines.len() as f64) / 1e6
            );
        }
        return;
    }
    let started = Instant::now();
    let (events, detections) = hunt_pass(&set, &corpus, &mut parser);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "hunt path, one pass: {events} events, {detections} detections, {:.0} events/s, {:.0} MB/s",
        events as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    // Lines that are not JSON objects are skipped, not counted as events.
    let hunt_events = events as u64;
    let started = Instant::now();
    let (events, detections) = server_pass(&set, &corpus);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "server path, one pass: {events} events, {detections} detections, {:.0} events/s, {:.0} MB/s",
        events as f64 / secs,
        bytes as f64 / secs / 1e6
    );

    let mut group = c.benchmark_group("windows_rules");
    group.sample_size(10);
    // Events per second is the figure the engine is held to; the MB/s of
    // the same passes are printed above.
    group.throughput(Throughput::Elements(hunt_events));
    group.bench_function("hunt_json_lines", |b| {
        b.iter(|| hunt_pass(&set, &corpus, &mut parser));
    });
    group.bench_function("server_parse_and_detect", |b| {
        b.iter(|| server_pass(&set, &corpus));
    });
    let events: Vec<Event> = corpus
        .lines
        .iter()
        .filter_map(|&(s, e)| serde_json::from_slice(&corpus.text[s..e]).ok())
        .map(event)
        .collect();
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("server_detect_only", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                out.clear();
                set.detect(e, &mut out);
                n += out.len();
            }
            n
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
