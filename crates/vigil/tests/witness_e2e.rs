//! End to end: a witness cosigns the audit log's checkpoints as the log
//! grows (C2SP tlog-witness: `vigil audit witness-request` on the
//! provider's side, `vigil audit witness` on the witness's), refuses a
//! forked history the provider made from a copy of its data folder, and
//! `vigil audit verify` reports which checkpoints a witness cosigned.

mod common;

use std::path::Path;
use std::process::Command;

fn vigil(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        .output()
        .expect("run vigil");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(args: &[&str], dir: &Path) -> String {
    let (ok, stdout, stderr) = vigil(args, dir);
    assert!(ok, "vigil {args:?}: {stdout}\n{stderr}");
    stdout
}

/// Appends to the audit log and signs a checkpoint over it: an evidence
/// pack records its digests under a fresh checkpoint.
fn grow(dir: &Path, data: &str, out: &str) {
    let today = chrono::Utc::now().date_naive();
    let period = format!("{}..{today}", today - chrono::Duration::days(7));
    ok(
        &[
            "compliance",
            "report",
            "--data",
            data,
            "--tenant",
            "acme",
            "--framework",
            "iso27001",
            "--period",
            &period,
            "--out",
            out,
        ],
        dir,
    );
}

/// The tree size of the newest checkpoint in a request.
fn size_of(request: &str) -> u64 {
    let note = request.split("\n\n").nth(1).expect("a note");
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a size")
}

#[test]
fn a_witness_follows_the_log_and_refuses_a_fork() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let line = format!(
        r#"{{"EventID":4624,"Hostname":"ws1","TargetUserName":"ann","@timestamp":"{}T10:00:00Z"}}"#,
        common::day()
    );
    std::fs::write(d.join("events.jsonl"), format!("{line}\n")).unwrap();
    ok(
        &[
            "ingest",
            "--data",
            "data",
            "--tenant",
            "acme",
            "events.jsonl",
        ],
        d,
    );
    grow(d, "data", "p1.json");
    let log_key = std::fs::read_to_string(d.join("data/audit-signing.key.pub")).unwrap();
    let log_key = log_key.trim().to_owned();
    let witness = |request: &str| {
        vigil(
            &[
                "audit",
                "witness",
                request,
                "--log-key",
                &log_key,
                "--key",
                "witness.key",
                "--state",
                "witness.state",
                "--name",
                "witness.example",
            ],
            d,
        )
    };

    // First sight: from size 0.
    ok(
        &[
            "audit",
            "witness-request",
            "--data",
            "data",
            "--out",
            "r1.txt",
        ],
        d,
    );
    let first = size_of(&std::fs::read_to_string(d.join("r1.txt")).unwrap());
    let (cosigned, line1, stderr) = witness("r1.txt");
    assert!(cosigned, "{stderr}");
    assert!(line1.starts_with("\u{2014} witness.example "), "{line1}");

    // The provider copies its data folder before the log grows further.
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    };
    copy(&d.join("data"), &d.join("fork"));

    // The log grows; the witness follows with a consistency proof.
    grow(d, "data", "p2.json");
    let old = first.to_string();
    ok(
        &[
            "audit",
            "witness-request",
            "--data",
            "data",
            "--old",
            &old,
            "--out",
            "r2.txt",
        ],
        d,
    );
    let second = size_of(&std::fs::read_to_string(d.join("r2.txt")).unwrap());
    assert!(second > first);
    let (cosigned, line2, stderr) = witness("r2.txt");
    assert!(cosigned, "{stderr}");

    // The copy grows differently — a second history signed with the same
    // key. Shown to the same witness, it is refused.
    grow(d, "fork", "f1.json");
    grow(d, "fork", "f2.json");
    let old = second.to_string();
    ok(
        &[
            "audit",
            "witness-request",
            "--data",
            "fork",
            "--old",
            &old,
            "--out",
            "f.txt",
        ],
        d,
    );
    let (cosigned, stdout, stderr) = witness("f.txt");
    assert!(!cosigned, "a forked history was cosigned: {stdout}");
    assert!(stderr.contains("forked or rewritten history"), "{stderr}");

    // The provider's verification reports the cosigned checkpoints.
    std::fs::write(d.join("cosignatures.txt"), format!("{line1}{line2}")).unwrap();
    let witness_key = std::fs::read_to_string(d.join("witness.key.pub")).unwrap();
    let named = format!("witness.example={}", witness_key.trim());
    let report = ok(
        &[
            "audit",
            "verify",
            "--data",
            "data",
            "--cosignatures",
            "cosignatures.txt",
            "--witness",
            &named,
        ],
        d,
    );
    assert!(
        report.contains(&format!("(size {first}): cosigned by witness.example"))
            && report.contains(&format!("(size {second}): cosigned by witness.example")),
        "{report}"
    );
    assert!(report.contains("audit chain intact"), "{report}");
}
