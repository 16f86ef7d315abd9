//! End to end: `vigil compliance report` on a data folder writes an
//! evidence pack (JSON and PDF) whose digests are recorded in the audit
//! chain, `vigil compliance verify` checks it against that chain and names
//! a changed entry, and bad input changes nothing.

mod common;

use std::process::Command;

use serde_json::Value;

fn vigil(args: &[&str], dir: &std::path::Path) -> (bool, String, String) {
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

/// The audit chain's length, as `vigil audit verify` prints it.
fn audit_entries(dir: &std::path::Path) -> u64 {
    let (ok, stdout, stderr) = vigil(&["audit", "verify", "--data", "data"], dir);
    assert!(ok, "{stdout}\n{stderr}");
    stdout
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stdout}"))
}

#[test]
fn compliance_report_writes_a_pack_that_verifies_against_the_audit_chain() {
    let dir = tempfile::tempdir().expect("dir");
    let lines = concat!(
        r#"{"EventID":4624,"Hostname":"ws1","TargetUserName":"ann","@timestamp":"@DAY@T10:00:00Z"}"#,
        "\n",
        r#"{"EventID":4625,"Hostname":"ws1","TargetUserName":"bob","@timestamp":"@DAY@T11:00:00Z"}"#,
        "\n",
    )
    .replace("@DAY@", &common::day());
    std::fs::write(dir.path().join("events.jsonl"), lines).expect("write");
    let (ok, stdout, stderr) = vigil(
        &[
            "ingest",
            "--data",
            "data",
            "--tenant",
            "acme",
            "events.jsonl",
        ],
        dir.path(),
    );
    assert!(ok, "{stdout}\n{stderr}");

    let today = chrono::Utc::now().date_naive();
    let period = format!("{}..{today}", today - chrono::Duration::days(7));
    let report = |extra: &[&str]| {
        let mut args = vec!["compliance", "report", "--data", "data", "--tenant", "acme"];
        args.extend_from_slice(extra);
        vigil(&args, dir.path())
    };

    // Bad input is named with what is accepted, and nothing is written.
    let before = audit_entries(dir.path());
    let (ok, _, stderr) = report(&[
        "--framework",
        "soc2",
        "--period",
        &period,
        "--out",
        "x.json",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("unknown framework `soc2`; expected iso27001 or nis2"),
        "{stderr}"
    );
    let (ok, _, stderr) = report(&[
        "--framework",
        "nis2",
        "--period",
        "last week",
        "--out",
        "x.json",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("period `last week` is not of the form FROM..TO"),
        "{stderr}"
    );
    let (ok, _, stderr) = vigil(
        &[
            "compliance",
            "report",
            "--data",
            "data",
            "--tenant",
            "nobody",
            "--framework",
            "iso27001",
            "--period",
            &period,
            "--out",
            "x.json",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(
        stderr.contains("no client `nobody` in data (clients: acme)"),
        "{stderr}"
    );
    assert_eq!(
        audit_entries(dir.path()),
        before,
        "bad input writes nothing"
    );
    assert!(!dir.path().join("x.json").exists());

    // The pack, as JSON.
    let (ok, _, stderr) = report(&[
        "--framework",
        "iso27001",
        "--period",
        &period,
        "--out",
        "pack.json",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("json iso27001 evidence for acme:"),
        "{stderr}"
    );
    assert_eq!(
        audit_entries(dir.path()),
        before + 1,
        "the pack is on the record"
    );
    let text = std::fs::read_to_string(dir.path().join("pack.json")).expect("pack");
    let pack: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(pack["format"], "vigil.compliance-evidence/1");
    assert_eq!(pack["controls"].as_array().map(Vec::len), Some(93));
    let entry = |id: &str| {
        pack["entries"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(entry("logging.sources")["data"]["events_stored"], 2);
    assert_eq!(
        entry("logging.retention")["status"],
        "not_evidenced",
        "without --config the retention is not known"
    );
    assert!(
        pack["record"]["seq"].as_u64().is_some(),
        "{}",
        pack["record"]
    );
    assert!(
        pack["record"]["checkpoint"].as_u64().is_some(),
        "{}",
        pack["record"]
    );

    // It verifies against the data folder's chain.
    let (ok, stdout, stderr) = vigil(
        &["compliance", "verify", "--data", "data", "pack.json"],
        dir.path(),
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("iso27001 pack of acme verifies"),
        "{stdout}"
    );

    // One entry changed: named.
    let mut tampered = pack.clone();
    let i = tampered["entries"]
        .as_array()
        .and_then(|es| es.iter().position(|e| e["id"] == "logging.sources"))
        .expect("entry");
    tampered["entries"][i]["data"]["events_stored"] = 2000.into();
    std::fs::write(
        dir.path().join("tampered.json"),
        serde_json::to_vec_pretty(&tampered).expect("json"),
    )
    .expect("write");
    let (ok, _, stderr) = vigil(
        &["compliance", "verify", "--data", "data", "tampered.json"],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("PACK DOES NOT VERIFY"), "{stderr}");
    assert!(
        stderr.contains("evidence entry `logging.sources`"),
        "{stderr}"
    );

    // NIS-2 for this month, as PDF.
    let month = today.format("%Y-%m").to_string();
    let (ok, _, stderr) = report(&[
        "--framework",
        "nis2",
        "--month",
        &month,
        "--format",
        "pdf",
        "--out",
        "pack.pdf",
    ]);
    assert!(ok, "{stderr}");
    let pdf = std::fs::read(dir.path().join("pack.pdf")).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(out) = Command::new("pdftotext")
        .arg(dir.path().join("pack.pdf"))
        .arg("-")
        .output()
    {
        assert!(out.status.success(), "pdftotext refused the file");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Directive (EU) 2022/2555"), "{text}");
        assert!(text.contains("21(2)(j)"), "{text}");
    }
}
