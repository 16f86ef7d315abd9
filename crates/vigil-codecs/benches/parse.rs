//! Ingest hot-path costs: syslog, CEF, TCP framing, and NDJSON lines from
//! Security-Datasets through `normalize` to an `Event`; plus the JSON parser
//! comparison behind the choice of serde_json (see `src/ndjson.rs`).
//!
//! `cargo bench -p vigil-codecs --bench parse`

use std::hint::black_box;
use std::io::Read;
use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use vigil_codecs::{
    FrameDecoder, decode_message, ndjson_lines, normalize, parse_cef, parse_syslog,
};
use vigil_model::{EventId, Fields, SourceBinding, SourceId, SourceKind, TenantId, Timestamp};

const RFC5424: &[u8] = br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry with some text in it"#;
const RFC3164: &[u8] = b"<86>Jan  5 08:00:01 web01 sshd[2114]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2";
const FORTIGATE_CEF: &str = "CEF:0|Fortinet|Fortigate|v6.0.3|00013|traffic:forward close|3|deviceExternalId=FGT5HD3915800610 FTNTFGTlogid=0000000013 cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTlevel=notice FTNTFGTvd=vdom1 FTNTFGTeventtime=1545938140 src=10.1.100.11 spt=54190 deviceInboundInterface=port12 dst=52.53.140.235 dpt=443 deviceOutboundInterface=port11 externalId=402 proto=6 act=close app=HTTPS FTNTFGTdstcountry=United States FTNTFGTsrccountry=Reserved out=3652 in=146668 FTNTFGTutmaction=allow";

const CORPUS_ZIP: &str = "../../../shared/corpora/security-datasets/atomic/windows/lateral_movement/host/schtask_modification.zip";
const LINES: usize = 500;

fn reference() -> Timestamp {
    "2024-03-01T00:00:00Z".parse().unwrap()
}

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("bench").unwrap(),
        tenant: TenantId::new("bench").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: "windows".into(),
    }
}

/// The first `LINES` non-blank lines of a Security-Datasets recording, as one NDJSON body.
fn corpus_body() -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS_ZIP);
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!("skipped NDJSON benches: {} is absent", path.display());
        return None;
    };
    let mut archive = zip::ZipArchive::new(file).ok()?;
    let mut text = String::new();
    archive.by_index(0).ok()?.read_to_string(&mut text).ok()?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(LINES)
        .collect();
    Some(lines.join("\n").into_bytes())
}

fn syslog_and_cef(c: &mut Criterion) {
    let mut group = c.benchmark_group("message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("syslog_5424_parse", |b| {
        b.iter(|| parse_syslog(black_box(RFC5424), reference()))
    });
    group.bench_function("syslog_3164_parse", |b| {
        b.iter(|| parse_syslog(black_box(RFC3164), reference()))
    });
    group.bench_function("cef_fortigate_parse", |b| {
        b.iter(|| parse_cef(black_box(FORTIGATE_CEF)))
    });
    let framed = format!("<134>Feb 14 19:04:54 fw01 {FORTIGATE_CEF}");
    let (binding, at) = (binding(), reference());
    group.bench_function("syslog_cef_to_fields", |b| {
        b.iter(|| decode_message(black_box(framed.as_bytes()), at).unwrap())
    });
    group.bench_function("syslog_cef_to_event", |b| {
        b.iter(|| {
            let fields = decode_message(black_box(framed.as_bytes()), at).unwrap();
            normalize(&binding, fields, at, EventId(uuid::Uuid::nil()))
        })
    });
    group.finish();
}

fn framing(c: &mut Criterion) {
    let mut stream = Vec::new();
    for i in 0..1000 {
        if i % 2 == 0 {
            stream.extend(format!("{} ", RFC3164.len()).as_bytes());
            stream.extend(RFC3164);
        } else {
            stream.extend(RFC5424);
            stream.push(b'\n');
        }
    }
    let mut group = c.benchmark_group("framing");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("1000_mixed_frames_in_4k_chunks", |b| {
        b.iter(|| {
            let mut decoder = FrameDecoder::new(64 * 1024);
            let mut frames = 0;
            for chunk in stream.chunks(4096) {
                decoder.push(chunk);
                while let Some(frame) = decoder.next_frame() {
                    frames += usize::from(frame.is_ok());
                }
            }
            while decoder.finish().is_some() {}
            frames
        })
    });
    group.finish();
}

fn ndjson(c: &mut Criterion) {
    let Some(body) = corpus_body() else { return };
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    eprintln!(
        "NDJSON benches: {} lines, {} bytes on average",
        lines.len(),
        body.len() / lines.len()
    );

    let (binding, at) = (binding(), reference());
    let mut group = c.benchmark_group("ndjson");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("security_datasets_lines_to_events", |b| {
        b.iter(|| {
            ndjson_lines(black_box(&body), 1 << 20)
                .map(|(_, fields)| {
                    normalize(&binding, fields.unwrap(), at, EventId(uuid::Uuid::nil()))
                })
                .collect::<Vec<_>>()
        })
    });
    let parsed: Vec<Fields> = ndjson_lines(&body, 1 << 20)
        .map(|(_, f)| f.unwrap())
        .collect();
    // The events are returned so that freeing them falls outside the timing.
    group.bench_function("normalize_only", |b| {
        b.iter_batched(
            || parsed.clone(),
            |batch| {
                batch
                    .into_iter()
                    .map(|fields| normalize(&binding, fields, at, EventId(uuid::Uuid::nil())))
                    .collect::<Vec<_>>()
            },
            BatchSize::LargeInput,
        )
    });
    // The parser choice: serde_json and sonic-rs into the same `Fields`
    // from text already checked to be UTF-8 (as `parse_object` does), and
    // sonic-rs into its own Value, which `Event.fields` cannot use.
    let texts: Vec<&str> = lines
        .iter()
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    group.bench_function("serde_json_to_fields", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|l| serde_json::from_str::<Fields>(black_box(l)).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("sonic_rs_to_fields", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|l| sonic_rs::from_str::<Fields>(black_box(l)).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("sonic_rs_to_own_value", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|l| sonic_rs::from_str::<sonic_rs::Value>(black_box(l)).unwrap())
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, syslog_and_cef, framing, ndjson);
criterion_main!(benches);
