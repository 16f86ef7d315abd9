//! Throughput of the whole SigmaHQ Windows rule set over recorded attack
//! events (OTRF Security-Datasets), one core.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_detect::{Detector, LoadOptions, RuleSet};
use vigil_model::{
    Event, EventClass, EventId, Severity, SourceId, SourceKind, SourceRef, TenantId,
};

const RULES: &str = "../../../shared/corpora/sigma/rules/windows";
const DATASET: &str = "../../../shared/corpora/security-datasets/atomic/windows/persistence/host/empire_persistence_registry_modification_run_keys_standard_user.zip";

fn events(zip_path: &Path) -> Vec<Event> {
    let file = std::fs::File::open(zip_path).expect("open dataset zip");
    let mut zip = zip::ZipArchive::new(file).expect("read zip");
    let at = chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap_or_default();
    let tenant = TenantId::new("bench").expect("tenant");
    let source = SourceId::new("winlogbeat").expect("source");
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read entry");
        for line in bytes.split(|b| *b == b'\n') {
            // A few lines are not JSON; the pipeline dead-letters them.
            let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(line) else {
                continue;
            };
            out.push(Event {
                id: EventId(uuid::Uuid::nil()),
                tenant: tenant.clone(),
                site: None,
                observed_at: at,
                received_at: at,
                source: SourceRef {
                    id: source.clone(),
                    kind: SourceKind::File,
                    product: "windows".into(),
                    device: None,
                },
                class: EventClass::Other,
                severity: Severity::Info,
                entities: Vec::new(),
                fields,
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    if !Path::new(RULES).is_dir() || !Path::new(DATASET).is_file() {
        eprintln!("skipped: corpus absent");
        return;
    }
    let started = Instant::now();
    let report =
        RuleSet::load_dirs(&[PathBuf::from(RULES)], &LoadOptions::default()).expect("load rules");
    let load_time = started.elapsed();
    let set = report.ruleset;
    let events = events(Path::new(DATASET));
    println!(
        "loaded {} windows rules in {:.2?} ({} rejected); {} events",
        set.rule_count(),
        load_time,
        report.outcomes.len() - set.rule_count(),
        events.len()
    );

    let mut out = Vec::new();
    let started = Instant::now();
    let mut detections = 0usize;
    for event in &events {
        out.clear();
        set.detect(event, &mut out);
        detections += out.len();
    }
    let elapsed = started.elapsed();
    println!(
        "one pass: {} events, {detections} detections, {:.0} events/s",
        events.len(),
        events.len() as f64 / elapsed.as_secs_f64()
    );

    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("windows_rules_over_dataset", |b| {
        b.iter(|| {
            let mut n = 0;
            for event in &events {
                out.clear();
                set.detect(event, &mut out);
                n += out.len();
            }
            n
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
