//! `vigil hunt` explaining itself, end to end with the real binary: the
//! selections and values of each detection in its output, and
//! `--explain RULE EVENT` on a match, a miss and bad input.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// SigmaHQ's "Renamed ProcDump Execution", trimmed.
const RULE: &str = r#"
title: Renamed ProcDump Execution
id: 4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67
level: high
logsource:
    product: windows
    category: process_creation
detection:
    selection_ofn:
        OriginalFileName: 'procdump'
    selection_cli_dump_flag:
        CommandLine|contains|windash:
            - ' -ma '
            - ' -mp '
    selection_cli_eula_flag:
        CommandLine|contains|windash: ' /accepteula'
    filter_main_known_names:
        Image|endswith:
            - '\procdump.exe'
            - '\procdump64.exe'
    condition: (selection_ofn or all of selection_cli_*) and not 1 of filter_main_*
"#;

/// A Security 4688 event of `image` dumping a process.
fn security_4688(image: &str) -> String {
    serde_json::json!({
        "Channel": "Security",
        "EventID": 4688,
        "Computer": "ws1",
        "NewProcessName": image,
        "CommandLine": format!("{image} -accepteula -ma 1234 C:\\temp\\out.dmp"),
    })
    .to_string()
}

/// Runs vigil in `dir` with `stdin`, returning success, stdout, stderr.
fn vigil(args: &[&str], dir: &Path, stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        // Compiled rules are kept in the test's folder, not the user's.
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vigil");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("vigil ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("rules")).expect("rules");
    std::fs::write(dir.path().join("rules/procdump.yml"), RULE).expect("rule");
    std::fs::write(
        dir.path().join("genuine.json"),
        security_4688("C:\\tools\\procdump.exe"),
    )
    .expect("event");
    dir
}

#[test]
fn detections_carry_their_selections_and_fields() {
    let dir = setup();
    let lines = format!(
        "{}\n{}\n",
        security_4688("C:\\tools\\procdump.exe"),
        security_4688("C:\\tools\\dump.exe")
    );
    std::fs::write(dir.path().join("events.jsonl"), lines).expect("events");
    let (ok, stdout, stderr) = vigil(
        &[
            "hunt",
            "--json",
            "--no-progress",
            "--rules",
            "rules",
            "events.jsonl",
        ],
        dir.path(),
        "",
    );
    assert!(ok, "{stderr}");
    let hits: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    // Only the renamed one: the 4688 image is read as `Image` by the
    // routed mapping, so the rule's filter holds for procdump.exe.
    assert_eq!(hits.len(), 1, "{stdout}");
    assert_eq!(
        hits[0]["matched_selections"],
        serde_json::json!(["selection_cli_dump_flag", "selection_cli_eula_flag"])
    );
    assert_eq!(
        hits[0]["matched_fields"],
        serde_json::json!([{
            "field": "CommandLine",
            "value": "C:\\tools\\dump.exe -accepteula -ma 1234 C:\\temp\\out.dmp"
        }])
    );

    // The table names the matched field first.
    let (ok, stdout, stderr) = vigil(
        &["hunt", "--no-progress", "--rules", "rules", "events.jsonl"],
        dir.path(),
        "",
    );
    assert!(ok, "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("Renamed ProcDump"))
        .expect("a detection line");
    assert!(
        line.contains("CommandLine=C:\\tools\\dump.exe -accepteula"),
        "{line}"
    );
}

#[test]
fn explain_says_which_selection_stopped_a_rule() {
    let dir = setup();
    let (ok, stdout, stderr) = vigil(
        &[
            "hunt",
            "--rules",
            "rules",
            "--explain",
            "Renamed ProcDump Execution",
            "genuine.json",
        ],
        dir.path(),
        "",
    );
    assert!(ok, "{stderr}");
    for expected in [
        "rule:       Renamed ProcDump Execution (4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67)",
        "log source: product windows, category process_creation",
        "seen as product windows, service security, category process_creation",
        "condition:  (selection_ofn or (selection_cli_dump_flag and selection_cli_eula_flag)) and not filter_main_known_names",
        "result:     DOES NOT MATCH",
        "selection_ofn: does not hold",
        "selection_cli_dump_flag: holds",
        "filter_main_known_names: holds",
        "no  Image: one of '*\\procdump.exe', '*\\procdump64.exe'",
        "yes NewProcessName: one of '*\\procdump.exe', '*\\procdump64.exe'",
        "event: 'C:\\tools\\procdump.exe'",
        "event: absent",
    ] {
        assert!(stdout.contains(expected), "`{expected}` in:\n{stdout}");
    }
}

#[test]
fn explain_reads_the_event_from_standard_input_and_writes_json() {
    let dir = setup();
    let (ok, stdout, stderr) = vigil(
        &[
            "hunt",
            "--json",
            "--rules",
            "rules",
            "--explain",
            "procdump.yml",
            "-",
        ],
        dir.path(),
        &security_4688("C:\\tools\\dump.exe"),
    );
    assert!(ok, "{stderr}");
    let e: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(e["matched"], true, "{e}");
    assert_eq!(e["routed"], true);
    assert_eq!(e["rule_id"], "4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67");
    let filter = e["selections"]
        .as_array()
        .expect("selections")
        .iter()
        .find(|s| s["name"] == "filter_main_known_names")
        .expect("the filter");
    assert_eq!(filter["holds"], false);
}

#[test]
fn explain_names_what_is_wrong() {
    let dir = setup();
    let explain = |rule: &str, event: &str, stdin: &str| {
        vigil(
            &["hunt", "--rules", "rules", "--explain", rule, event],
            dir.path(),
            stdin,
        )
    };
    let (ok, _, stderr) = explain("No Such Rule", "genuine.json", "");
    assert!(!ok);
    assert!(
        stderr.contains("no loaded rule has the id, title or file `No Such Rule`"),
        "{stderr}"
    );
    let (ok, _, stderr) = explain("procdump.yml", "-", "{\"a\":1}\n{\"a\":2}\n");
    assert!(!ok);
    assert!(stderr.contains("more than one JSON value"), "{stderr}");
    let (ok, _, stderr) = explain("procdump.yml", "-", "not json");
    assert!(!ok);
    assert!(stderr.contains("is not one JSON object"), "{stderr}");
    let (ok, _, stderr) = explain("procdump.yml", "missing.json", "");
    assert!(!ok);
    assert!(stderr.contains("missing.json"), "{stderr}");
}
