//! The field mappings that go with routing: a Security 4688 event is
//! routed to `process_creation` rules, and those rules read its names
//! (`NewProcessName` for `Image` …) without any pipeline being named.

use std::path::Path;

use serde_json::json;
use vigil_model::EventClass;

use super::{fields, matches};
use crate::{LoadOptions, RuleSet};

/// SigmaHQ's rule, read from the shared corpus.
const RULE_PATH: &str = "../../../shared/corpora/sigma/rules/windows/process_creation/proc_creation_win_renamed_sysinternals_procdump.yml";

/// The rule's logic, for when the corpus is absent: a procdump by its
/// original file name or its flags, unless the image is named procdump.
const RULE_FALLBACK: &str = "title: Renamed ProcDump Execution\nid: 4a0b2c7e-7cb2-495d-8b63-5f268e7bfd67\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection_ofn:\n    OriginalFileName: 'procdump'\n  selection_cli_dump_flag:\n    CommandLine|contains|windash:\n      - ' -ma '\n      - ' -mp '\n  selection_cli_eula_flag:\n    CommandLine|contains|windash: ' /accepteula'\n  filter_main_known_names:\n    Image|endswith:\n      - '\\procdump.exe'\n      - '\\procdump64.exe'\n      - '\\procdump64a.exe'\n  condition: (selection_ofn or all of selection_cli_*) and not 1 of filter_main_*\nlevel: high\n";

fn rule_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(RULE_PATH);
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        eprintln!("note: {} is absent; using the rule's text", path.display());
        RULE_FALLBACK.to_owned()
    })
}

fn security_4688(image: &str) -> vigil_model::Fields {
    fields(json!({
        "Channel": "Security",
        "EventID": 4688,
        "NewProcessName": image,
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": format!("{image} -accepteula -ma 1234 C:\\temp\\out.dmp"),
        "SubjectUserName": "alice",
    }))
}

#[test]
fn security_4688_fields_are_mapped_without_naming_a_pipeline() {
    let report = RuleSet::load_sources(
        [("procdump.yml".to_owned(), rule_text())],
        &LoadOptions::default(),
    );
    assert!(report.rejected().next().is_none(), "{:?}", report.outcomes);
    let set = report.ruleset;
    let genuine = security_4688("C:\\tools\\procdump.exe");
    let renamed = security_4688("C:\\tools\\dump.exe");
    assert!(
        matches(&set, &genuine, "windows", EventClass::Other).is_empty(),
        "a procdump.exe that is not renamed is excluded by the rule's filter on Image"
    );
    assert_eq!(
        matches(&set, &renamed, "windows", EventClass::Other),
        ["Renamed ProcDump Execution"]
    );

    // Without the mapping the filter on `Image` cannot exclude anything:
    // the false positive this mapping removes.
    let unmapped = RuleSet::load_sources(
        [("procdump.yml".to_owned(), rule_text())],
        &LoadOptions {
            without_routed_mappings: true,
            ..LoadOptions::default()
        },
    )
    .ruleset;
    assert_eq!(
        matches(&unmapped, &genuine, "windows", EventClass::Other).len(),
        1
    );
}

#[test]
fn naming_the_pipeline_as_well_does_not_apply_it_twice() {
    let options = LoadOptions::default()
        .with_pipeline(crate::pipeline::Pipeline::builtin("windows-4688").expect("built-in"));
    assert_eq!(options.routed_pipelines().len(), 1);
    assert_eq!(LoadOptions::default().routed_pipelines().len(), 1);
    let set = RuleSet::load_sources([("procdump.yml".to_owned(), rule_text())], &options).ruleset;
    let renamed = security_4688("C:\\tools\\dump.exe");
    let genuine = security_4688("C:\\tools\\procdump64.exe");
    assert_eq!(
        matches(&set, &renamed, "windows", EventClass::Other).len(),
        1
    );
    assert!(matches(&set, &genuine, "windows", EventClass::Other).is_empty());
}
