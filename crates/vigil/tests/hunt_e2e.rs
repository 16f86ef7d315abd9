//! `vigil hunt` end to end: the real binary over a folder holding a zip of
//! JSON lines, a gzip of a JSON array, and an EVTX file from SigmaHQ's
//! regression data.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const CORPUS: &str = "../../../shared/corpora/sigma";

const RULES: &str = r#"
title: Whoami From A Test
id: 6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c01
level: high
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
fields:
    - CommandLine
---
title: Door Forced In A Test
id: 6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c02
level: critical
logsource:
    product: acme
detection:
    selection:
        door|startswith: 'D-'
        state: forced
    condition: selection
"#;

fn vigil(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("VIGIL_LOG", "warn")
        // Compiled rules are kept in the test's folder, not the user's.
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .expect("run vigil");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The first labelled EVTX of a Windows rule in the regression data, and
/// the id of its rule.
fn regression_evtx() -> Option<(PathBuf, String)> {
    let root = Path::new(CORPUS).join("regression_data/rules/windows");
    let mut stack = vec![root];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "evtx") {
                found.push(path);
            }
        }
    }
    found.sort();
    let evtx = found.into_iter().next()?;
    let info = std::fs::read_to_string(evtx.parent()?.join("info.yml")).ok()?;
    let id = info
        .lines()
        .skip_while(|l| !l.contains("rule_metadata"))
        .find_map(|l| l.trim().strip_prefix("- id:"))?
        .trim()
        .to_owned();
    Some((evtx, id))
}

fn setup(dir: &Path) -> Option<(PathBuf, String)> {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("rules folder");
    std::fs::write(rules.join("test.yml"), RULES).expect("write rules");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data folder");

    // A zip holding JSON lines (one bad line among them) and a note.
    let zip_file = std::fs::File::create(data.join("events.zip")).expect("zip");
    let mut zip = zip::ZipWriter::new(zip_file);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("lines.json", options).expect("member");
    let lines = [
        r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"UtcTime":"2024-05-01 10:00:00.000","Computer":"ws1","Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}"#,
        r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\notepad.exe"}"#,
        r#"{"Channel": broken"#,
        r#"{"Channel":"Security","EventID":4688,"NewProcessName":"x","Image":"C:\\tools\\WHOAMI.EXE","Computer":"ws2"}"#,
    ];
    zip.write_all(lines.join("\n").as_bytes()).expect("lines");
    zip.start_file("notes.txt", options).expect("member");
    zip.write_all(b"collected on site").expect("note");
    zip.finish().expect("finish zip");

    // A gzip holding a JSON array of physical access events.
    let gz = std::fs::File::create(data.join("doors.json.gz")).expect("gz");
    let mut gz = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    gz.write_all(
        br#"[{"door":"D-17","state":"forced","time":"2024-05-01T10:01:00Z"},
             {"door":"D-18","state":"closed"}]"#,
    )
    .expect("gzip");
    gz.finish().expect("finish gzip");

    let (evtx, id) = regression_evtx()?;
    std::fs::copy(&evtx, data.join("sample.evtx")).expect("copy evtx");
    Some((evtx, id))
}

#[test]
fn hunt_reads_zip_gzip_and_evtx_and_reports_detections() {
    let windows_rules = Path::new(CORPUS).join("rules/windows");
    let windows_rules = std::fs::canonicalize(&windows_rules).ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_, evtx_rule)) = setup(dir.path()) else {
        eprintln!("skipped: the Sigma regression data is absent");
        return;
    };
    let Some(windows_rules) = windows_rules else {
        eprintln!("skipped: the SigmaHQ rules are absent");
        return;
    };
    let windows_rules = windows_rules.to_string_lossy().into_owned();

    let args = [
        "hunt",
        "--rules",
        "rules",
        "--rules",
        &windows_rules,
        "--product",
        "acme",
        "--json",
        "--stats",
        "--no-progress",
        "data",
    ];
    let (ok, stdout, stderr) = vigil(&args, dir.path());
    assert!(ok, "hunt failed: {stderr}");
    let hits: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let by_rule = |id: &str| -> Vec<&serde_json::Value> {
        hits.iter().filter(|h| h["rule"]["id"] == id).collect()
    };
    let whoami = by_rule("6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c01");
    assert_eq!(whoami.len(), 2, "both whoami events, any case: {stdout}");
    assert!(
        whoami[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("events.zip!lines.json")
    );
    assert_eq!(whoami[0]["host"], "ws1");
    assert_eq!(whoami[0]["time"], "2024-05-01 10:00:00.000");
    assert_eq!(whoami[0]["fields"]["CommandLine"], "whoami /all");
    assert_eq!(whoami[0]["rule"]["level"], "high");
    assert_eq!(whoami[0]["position"]["offset"], 0);
    let doors = by_rule("6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c02");
    assert_eq!(doors.len(), 1);
    assert!(
        doors[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("doors.json.gz")
    );
    let evtx_hits = by_rule(&evtx_rule);
    assert!(
        !evtx_hits.is_empty(),
        "the EVTX event is detected by {evtx_rule}: {stdout}"
    );
    assert!(evtx_hits[0]["position"]["record"].is_u64());
    assert!(
        evtx_hits[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("sample.evtx")
    );

    // Problems, the summary and the figures go to standard error.
    assert!(stderr.contains("notes.txt: not an event file"), "{stderr}");
    assert!(
        stderr.contains("lines.json: 1 unreadable line, the rest read: line 3 (not JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("Whoami From A Test"), "{stderr}");
    assert!(stderr.contains("events/s"), "{stderr}");
    assert!(stderr.contains("MB peak resident"), "{stderr}");
    assert!(stderr.contains("1 unreadable"), "{stderr}");

    // The same hunt again takes the compiled rules from the cache and
    // finds the same, in the same order; another build would not.
    assert!(stderr.contains("compiled and cached"), "{stderr}");
    let (ok, again, again_err) = vigil(&args, dir.path());
    assert!(ok, "hunt failed: {again_err}");
    assert!(again_err.contains("from the cache"), "{again_err}");
    assert_eq!(again, stdout);
    let mut uncached = args.to_vec();
    uncached.insert(1, "--no-rule-cache");
    let (ok, compiled, compiled_err) = vigil(&uncached, dir.path());
    assert!(ok, "hunt failed: {compiled_err}");
    assert!(compiled_err.contains(", compiled"), "{compiled_err}");
    assert_eq!(compiled, stdout);

    // The table: one line per detection, then the summary per rule.
    let (ok, stdout, _) = vigil(
        &[
            "hunt",
            "--rules",
            "rules",
            "--product",
            "acme",
            "--no-progress",
            "data",
        ],
        dir.path(),
    );
    assert!(ok);
    assert!(stdout.contains("Door Forced In A Test"), "{stdout}");
    assert!(stdout.contains("CommandLine=whoami /all"), "{stdout}");
    let summary = stdout
        .lines()
        .find(|l| l.contains("detections by"))
        .expect("summary");
    assert_eq!(summary, "3 detections by 2 rules");
    let critical_first = stdout
        .lines()
        .skip_while(|l| !l.contains("detections by"))
        .nth(2)
        .expect("first summary row");
    assert!(
        critical_first.contains("critical") && critical_first.contains("Door"),
        "{stdout}"
    );
}

#[test]
fn hunt_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("r.yml"), RULES).expect("rules");
    std::fs::write(dir.path().join("e.json"), "{}").expect("events");
    let (ok, _, stderr) = vigil(
        &[
            "hunt",
            "--rules",
            "r.yml",
            "--pipeline",
            "no-such-pipeline",
            "e.json",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("pipeline `no-such-pipeline`"), "{stderr}");
    let (ok, _, stderr) = vigil(&["hunt", "--rules", "r.yml", "missing"], dir.path());
    assert!(!ok);
    assert!(stderr.contains("missing"), "{stderr}");
}

const PLACEHOLDER_RULE: &str = r#"
title: Request From A Known CDC A Test
id: 6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c03
level: high
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID: 4886
        Attributes|expand|contains: '%known_cdcs%'
    condition: selection
"#;

#[test]
fn placeholders_come_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("r.yml"), PLACEHOLDER_RULE).expect("rules");
    std::fs::write(
        dir.path().join("e.json"),
        concat!(
            r#"{"Channel":"Security","EventID":4886,"Attributes":"cdc:DC01.corp.example"}"#,
            "\n",
            r#"{"Channel":"Security","EventID":4886,"Attributes":"cdc:ws7.corp.example"}"#,
            "\n"
        ),
    )
    .expect("events");

    // Without a value the rule is listed with the reason, grouped.
    let (ok, stdout, _) = vigil(&["rules", "check", "--quiet", "r.yml"], dir.path());
    assert!(!ok, "{stdout}");
    assert!(
        stdout.contains("placeholder `%known_cdcs%` has no configured value"),
        "{stdout}"
    );
    assert!(stdout.contains("unfilled placeholder"), "{stdout}");

    let (ok, stdout, stderr) = vigil(
        &[
            "rules",
            "check",
            "--placeholder",
            "known_cdcs=dc01",
            "r.yml",
        ],
        dir.path(),
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("1 rules loaded, 0 rejected"), "{stdout}");

    // Values may be wildcards, and the name may keep its `%`s.
    let (ok, stdout, stderr) = vigil(
        &[
            "hunt",
            "--json",
            "--no-progress",
            "--placeholder",
            "%known_cdcs%=dc0?.corp",
            "--placeholder",
            "known_cdcs=nothing-here",
            "--rules",
            "r.yml",
            "e.json",
        ],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    let hits: Vec<&str> = stdout.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(hits.len(), 1, "{stdout}");
    // The first event (at offset 0) is the one from dc01.
    assert!(hits[0].contains(r#""offset":0"#), "{stdout}");

    let (ok, _, stderr) = vigil(
        &[
            "hunt",
            "--placeholder",
            "no-equals",
            "--rules",
            "r.yml",
            "e.json",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("expected NAME=VALUE"), "{stderr}");
}

#[test]
fn hunt_evaluates_correlation_rules_and_shows_their_alerts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = format!(
        "{RULES}---\ntitle: Many Whoami\ncorrelation:\n    type: event_count\n    rules: [6b0c4e0e-93a1-4c1e-9a57-0d1f3a6b1c01]\n    group-by: [Computer]\n    timespan: 5m\n    condition: {{gte: 3}}\n"
    );
    std::fs::write(dir.path().join("r.yml"), rules).expect("rules");
    let day = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let events: Vec<String> = [("ws1", "10:00:00"), ("ws1", "10:01:00"), ("ws9", "10:01:30"), ("ws1", "10:02:00")]
        .iter()
        .map(|(computer, time)| {
            format!(
                r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"UtcTime":"{day} {time}.000","Computer":"{computer}","Image":"C:\\Windows\\System32\\whoami.exe"}}"#
            )
        })
        .collect();
    std::fs::write(dir.path().join("e.json"), events.join("\n")).expect("events");
    let (ok, stdout, stderr) = vigil(
        &["hunt", "--no-progress", "--rules", "r.yml", "e.json"],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("not evaluated"), "{stderr}");
    let alert = stdout
        .lines()
        .find(|l| l.contains("Many Whoami"))
        .unwrap_or_else(|| panic!("no correlation alert: {stdout}"));
    assert!(alert.starts_with(&format!("{day}T10:00:00Z")), "{alert}");
    assert!(alert.contains("Computer=ws1"), "{alert}");
    assert!(
        alert.contains("correlation=event_count value=3 events=3"),
        "{alert}"
    );
    assert!(stdout.contains("e.json at byte 0"), "{stdout}");
    assert!(
        stdout.contains("1 correlation alerts by 1 of 1 correlation rules"),
        "{stdout}"
    );
    // The whoami rule is silent (the correlation refers to it).
    assert!(stdout.contains("0 detections by 0 rules"), "{stdout}");
}

#[test]
fn a_file_whose_first_line_is_not_json_is_read_line_by_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("r.yml"), RULES).expect("rules");
    let whoami = r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami"}"#;
    // An AppleDouble resource fork concatenated in front, then the events,
    // a truncated record among them.
    let mut text: Vec<u8> = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\n".to_vec();
    for line in [whoami, r#"{"Channel":"Microsoft-Windows-Sysmon/Op"#, whoami] {
        text.extend_from_slice(line.as_bytes());
        text.push(b'\n');
    }
    std::fs::write(dir.path().join("events.jsonl"), &text).expect("events");
    // A text file with no JSON line is still not read as events.
    std::fs::write(
        dir.path().join("notes.txt"),
        "collected on site\n{ by hand }\n",
    )
    .expect("note");

    let (ok, stdout, stderr) = vigil(
        &[
            "hunt",
            "--json",
            "--stats",
            "--no-progress",
            "--rules",
            "r.yml",
            "events.jsonl",
            "notes.txt",
        ],
        dir.path(),
    );
    assert!(ok, "{stderr}");
    let hits: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(hits.len(), 2, "both whoami events are detected: {stdout}");
    assert!(
        stderr.contains("events.jsonl: 2 unreadable lines, the rest read: line 1 (not JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("line 3 (not JSON"), "{stderr}");
    assert!(stderr.contains("notes.txt: not an event file"), "{stderr}");
    assert!(stderr.contains("events:  2 (2 unreadable)"), "{stderr}");
}
