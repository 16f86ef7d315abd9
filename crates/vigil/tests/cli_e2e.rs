//! End to end: `vigil ingest` on files and `vigil rules check` on a folder.

mod common;

use std::io::Write;
use std::process::Command;

const RULE: &str = r#"
title: Credential dumping command line
id: 3d5c3c4e-7d84-4b0e-8a0a-6b9c7b3f2e11
level: high
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'sekurlsa::'
  condition: selection
"#;

const BROKEN_RULE: &str = r#"
title: Broken
id: 4d5c3c4e-7d84-4b0e-8a0a-6b9c7b3f2e11
logsource:
  product: windows
detection:
  selection:
    CommandLine|sideways: 'x'
  condition: selection
"#;

/// Good regex syntax, but compiled far over the regex engine's size limit:
/// loading checks the syntax only, the check compiles it.
const HUGE_REGEX_RULE: &str = r#"
title: Huge regex
id: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
logsource:
  product: windows
detection:
  selection:
    CommandLine|re: '\w{1000}{1000}'
  condition: selection
"#;

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

#[test]
fn ingest_imports_gzip_json_lines_with_a_summary_and_replays_converge() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/dump.yml"), RULE).unwrap();
    let lines = concat!(
        r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Hostname":"ws1","CommandLine":"x.exe sekurlsa::logonpasswords","@timestamp":"@DAY@T10:00:00Z"}"#,
        "\n",
        r#"{"Channel":"Security","EventID":4624,"Hostname":"ws1","TargetUserName":"ann","@timestamp":"@DAY@T10:00:01Z"}"#,
        "\n",
        "this line is not json\n",
    )
    .replace("@DAY@", &common::day());
    let file = std::fs::File::create(dir.path().join("events.jsonl.gz")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(lines.as_bytes()).unwrap();
    gz.finish().unwrap();

    let args = [
        "ingest",
        "--data",
        "data",
        "--tenant",
        "acme",
        "--product",
        "windows",
        "--rules",
        "rules",
        "--no-builtin-rules",
        "events.jsonl.gz",
    ];
    let (ok, stdout, stderr) = vigil(&args, dir.path());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("2 events stored, 1 dead letters, 1 alerts raised"),
        "{stdout}"
    );
    assert!(stdout.contains("events.jsonl.gz line 3"), "{stdout}");

    let (ok, stdout, _) = vigil(&args, dir.path());
    assert!(ok);
    assert!(
        stdout.contains("0 alerts raised"),
        "a replay raises nothing new: {stdout}"
    );

    let (ok, _, stderr) = vigil(
        &[
            "ingest",
            "--data",
            "data",
            "--tenant",
            "acme",
            "missing.jsonl",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("missing.jsonl is not a file"), "{stderr}");
}

#[test]
fn rules_check_reports_each_rule_and_why_it_was_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/good.yml"), RULE).unwrap();
    std::fs::write(dir.path().join("rules/broken.yml"), BROKEN_RULE).unwrap();
    std::fs::write(dir.path().join("rules/huge.yml"), HUGE_REGEX_RULE).unwrap();
    let (ok, stdout, _) = vigil(&["rules", "check", "rules"], dir.path());
    assert!(!ok, "a rejected rule fails the check");
    assert!(
        stdout.contains("loaded    Credential dumping command line"),
        "{stdout}"
    );
    assert!(stdout.contains("REJECTED  Broken"), "{stdout}");
    assert!(
        stdout.contains("sideways"),
        "the reason names the modifier: {stdout}"
    );
    assert!(
        stdout.contains("REJECTED  Huge regex") && stdout.contains("exceeds size limit"),
        "a regex is compiled by the check, not only parsed: {stdout}"
    );
    assert!(!stdout.contains("loaded    Huge regex"), "{stdout}");
    assert!(stdout.contains("1 rules loaded, 2 rejected"), "{stdout}");
}

#[test]
fn rules_check_names_a_pipeline_item_it_does_not_perform() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/good.yml"), RULE).unwrap();
    // `query_expression_placeholders` is a pySigma transformation a
    // matching engine cannot perform (it writes query text); the
    // `value_placeholders` item and its `vars` are performed.
    std::fs::write(
        dir.path().join("p.yml"),
        "name: client\nvars:\n  Admins: [admin]\ntransformations:\n  - type: value_placeholders\n  - id: lookup\n    type: query_expression_placeholders\n    expression: '{field} in admins'\n    rule_conditions:\n      - type: logsource\n        category: process_creation\n",
    )
    .unwrap();
    let (ok, stdout, _) = vigil(
        &["rules", "check", "rules", "--pipeline", "p.yml"],
        dir.path(),
    );
    assert!(!ok, "a rule the item applies to is rejected: {stdout}");
    assert!(
        stdout.contains("REJECTED  Credential dumping command line")
            && stdout.contains(
                "pipeline `client`, item `lookup`: transformation `query_expression_placeholders` is not supported"
            ),
        "{stdout}"
    );
    assert!(
        stdout.contains("UNSUPPORTED  p.yml, line 6: pipeline `client`, item `lookup`"),
        "the item is named with where it is: {stdout}"
    );

    // Where the item applies to no rule, the rules load and the item is
    // still named.
    std::fs::write(
        dir.path().join("p.yml"),
        "name: client\ntransformations:\n  - id: lookup\n    type: query_expression_placeholders\n    expression: '{field}'\n    rule_conditions:\n      - type: logsource\n        product: linux\n",
    )
    .unwrap();
    let (ok, stdout, _) = vigil(
        &["rules", "check", "rules", "--pipeline", "p.yml"],
        dir.path(),
    );
    assert!(ok, "{stdout}");
    assert!(stdout.contains("1 rules loaded, 0 rejected"), "{stdout}");
    assert!(
        stdout.contains(
            "UNSUPPORTED  p.yml, line 3: pipeline `client`, item `lookup`: transformation `query_expression_placeholders`"
        ),
        "{stdout}"
    );
}

#[test]
fn rules_check_performs_regex_custom_attributes_and_strict_field_mapping() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/good.yml"), RULE).unwrap();
    // Performed, so not named as unsupported; the strict check fails the
    // rule, whose `CommandLine` the pipeline does not map.
    std::fs::write(
        dir.path().join("p.yml"),
        "name: client\ntransformations:\n  - type: regex\n  - type: set_custom_attribute\n    attribute: owner\n    value: soc\n  - id: strict\n    type: strict_field_mapping_failure\n",
    )
    .unwrap();
    let (ok, stdout, _) = vigil(
        &["rules", "check", "rules", "--pipeline", "p.yml"],
        dir.path(),
    );
    assert!(!ok, "{stdout}");
    assert!(!stdout.contains("UNSUPPORTED"), "{stdout}");
    assert!(
        stdout.contains("REJECTED  Credential dumping command line")
            && stdout.contains(
                "pipeline `client`, item `strict`: the following fields are not mapped: CommandLine"
            ),
        "{stdout}"
    );
    // With the field mapped, the rule loads.
    std::fs::write(
        dir.path().join("p.yml"),
        "name: client\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      CommandLine: process.command_line\n  - type: regex\n  - type: strict_field_mapping_failure\n",
    )
    .unwrap();
    let (ok, stdout, _) = vigil(
        &["rules", "check", "rules", "--pipeline", "p.yml"],
        dir.path(),
    );
    assert!(ok, "{stdout}");
    assert!(stdout.contains("1 rules loaded, 0 rejected"), "{stdout}");
}

#[test]
fn report_service_writes_a_client_s_month_from_a_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = vigil(
        &[
            "report", "service", "--data", "data", "--tenant", "acme", "--month", "2026-03",
            "--out", "r.pdf",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("no database at data/vigil.db"), "{stderr}");

    // A data folder with a client in it.
    std::fs::write(dir.path().join("events.jsonl"), "{\"EventID\":1}\n").unwrap();
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

    let report = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "service",
            "--data",
            "data",
            "--month",
            "2026-03",
            "--as-of",
            "2026-04-02T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        vigil(&args, dir.path())
    };
    let (ok, _, stderr) = report(&["--tenant", "acme", "--format", "csv", "--out", "r.csv"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("csv 2026-03 for acme: 0 alarms"),
        "{stderr}"
    );
    let csv = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
    assert!(csv.starts_with("record,id,tenant,"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("summary,") && l.ends_with(",alarms,0")),
        "{csv}"
    );
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("week,") && l.contains(",alarms,"))
            .count(),
        14
    );

    let (ok, _, stderr) = report(&["--tenant", "acme", "--out", "r.pdf"]);
    assert!(ok, "{stderr}");
    assert!(
        std::fs::read(dir.path().join("r.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );

    let (ok, _, stderr) = report(&["--tenant", "nobody", "--out", "x.pdf"]);
    assert!(!ok);
    assert!(
        stderr.contains("no client `nobody` in data (clients: acme)"),
        "{stderr}"
    );
    let (ok, _, stderr) = vigil(
        &[
            "report", "service", "--data", "data", "--month", "2026-13", "--out", "x.pdf",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(stderr.contains("has no month 13"), "{stderr}");
    let (ok, _, stderr) = report(&["--format", "docx", "--out", "x.docx"]);
    assert!(!ok);
    assert!(
        stderr.contains("format `docx` is not one of json, csv, html, pdf"),
        "{stderr}"
    );
}
