//! `vigil bench hunt` end to end, on a tiny corpus and without the
//! reference engine: it runs `vigil hunt` as a process of its own, round
//! after round, and reports its figures and detections (speed is printed,
//! never asserted).

use std::io::Write as _;
use std::process::Command;

const RULE: &str = r#"
title: Door Forced In A Bench
id: 5d1c0a8e-4b1e-4d7a-9f0e-2b6c3f1a0b01
logsource:
    product: windows
detection:
    selection:
        door|startswith: 'D-'
        state: forced
    condition: selection
"#;

#[test]
fn bench_hunt_runs_vigil_hunt_in_rounds_and_reports_its_detections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&rules).expect("rules folder");
    std::fs::create_dir_all(&corpus).expect("corpus folder");
    std::fs::write(rules.join("door.yml"), RULE).expect("rule");
    // Windows events are told by their fields; these carry a Channel.
    let line = |i: usize, state: &str| {
        format!(
            "{{\"Channel\":\"Security\",\"EventID\":1,\"door\":\"D-{i}\",\"state\":\"{state}\"}}\n"
        )
    };
    let mut plain = String::new();
    for i in 0..30 {
        plain.push_str(&line(i, if i % 3 == 0 { "forced" } else { "closed" }));
    }
    std::fs::write(corpus.join("plain.json"), plain).expect("plain");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(corpus.join("z.zip")).expect("zip"));
    zip.start_file("inner.json", zip::write::SimpleFileOptions::default())
        .expect("member");
    for i in 0..5 {
        zip.write_all(line(i, "forced").as_bytes()).expect("member");
    }
    zip.finish().expect("finish");

    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["bench", "hunt", "--rounds", "2", "--rules"])
        .arg(&rules)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .output()
        .expect("run vigil");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("round ")).count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("empty rule cache: vigil compiles and stores the rules"),
        "{stdout}"
    );
    // engine, wall, cpu, peak MB, events/s, detections
    let summary: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("vigil "))
        .expect("a summary line for vigil")
        .split_whitespace()
        .collect();
    assert_eq!(summary.len(), 6, "{stdout}");
    assert_eq!(
        summary[5], "15",
        "10 plain and 5 zipped detections: {stdout}"
    );
    assert!(
        summary[3].parse::<f64>().expect("peak MB") > 0.0,
        "{stdout}"
    );
    assert!(!stdout.contains("reference"), "{stdout}");
}
