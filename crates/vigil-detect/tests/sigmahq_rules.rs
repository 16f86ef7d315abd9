//! Every SigmaHQ rule loads, except those whose `expand` placeholders have
//! no configured value.

use std::path::Path;

use vigil_detect::{LoadOptions, LoadReport, RuleError, RuleSet};

const CORPUS: &str = "../../../shared/corpora/sigma";

fn load(folder: &str) -> Option<LoadReport> {
    let path = Path::new(CORPUS).join(folder);
    if !path.is_dir() {
        eprintln!("skipped: {} is absent", path.display());
        return None;
    }
    Some(RuleSet::load_dirs(&[path], &LoadOptions::default()).expect("walk rule folder"))
}

fn summarize(folder: &str, report: &LoadReport) {
    println!(
        "{folder}: {} documents, {} loaded, {} rejected",
        report.outcomes.len(),
        report.loaded(),
        report.rejected().count()
    );
    for (kind, outcomes) in report.rejections_by_kind() {
        println!("  {kind}: {}", outcomes.len());
        for outcome in outcomes {
            println!("    {outcome}");
        }
    }
}

#[test]
fn every_sigmahq_rule_loads_except_unfilled_placeholders() {
    let Some(report) = load("rules") else { return };
    summarize("rules", &report);
    assert_eq!(report.outcomes.len(), 3141, "the corpus holds 3,141 rules");
    let unexpected: Vec<String> = report
        .rejected()
        .filter(|o| !matches!(o.result, Err(RuleError::UnfilledPlaceholder { .. })))
        .map(ToString::to_string)
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected rejections:\n{}",
        unexpected.join("\n")
    );
    assert_eq!(report.loaded() + report.rejected().count(), 3141);
}

#[test]
fn emerging_threats_and_threat_hunting_rules_load() {
    for folder in ["rules-emerging-threats", "rules-threat-hunting"] {
        let Some(report) = load(folder) else { continue };
        summarize(folder, &report);
        let unexpected: Vec<String> = report
            .rejected()
            .filter(|o| !matches!(o.result, Err(RuleError::UnfilledPlaceholder { .. })))
            .map(ToString::to_string)
            .collect();
        assert!(
            unexpected.is_empty(),
            "{folder}: unexpected rejections:\n{}",
            unexpected.join("\n")
        );
    }
}

#[test]
fn configured_placeholders_let_the_placeholder_rules_load() {
    let path = Path::new(CORPUS).join("rules-emerging-threats");
    if !path.is_dir() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let options = LoadOptions::default().with_placeholder("known_cdcs", ["dc01.corp.example"]);
    let report = RuleSet::load_dirs(&[path], &options).expect("walk rule folder");
    assert_eq!(
        report.rejected().count(),
        0,
        "{:?}",
        report
            .rejected()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}
