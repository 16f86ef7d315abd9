//! SigmaHQ's labelled positives in their EVTX form: every `.evtx` in
//! `regression_data` must be detected by the rule its `info.yml` names, and
//! must match exactly the rules its `.json` twin matches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigil_detect::{LoadOptions, RuleSet};
use vigil_hunt::{Hit, HuntObserver, HuntOptions, Hunter, Problem};

const CORPUS: &str = "../../../shared/corpora/sigma";

#[derive(Default)]
struct Collect {
    rules: BTreeSet<String>,
    problems: Vec<String>,
}

impl HuntObserver for Collect {
    fn hit(&mut self, hit: Hit) {
        self.rules.insert(hit.rule.id.clone());
    }

    fn problem(&mut self, problem: Problem) {
        self.problems
            .push(format!("{}: {}", problem.origin, problem.message));
    }
}

fn info_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            info_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "info.yml") {
            out.push(path);
        }
    }
}

fn with_extension(dir: &Path, ext: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn matched(rules: &RuleSet, path: &Path) -> Collect {
    let mut collect = Collect::default();
    let mut hunter = Hunter::new(rules, HuntOptions::default());
    hunter.hunt_file(path, &mut collect);
    collect
}

#[test]
fn every_labelled_evtx_is_detected_like_its_json_twin() {
    let root = Path::new(CORPUS);
    let folders: Vec<PathBuf> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    if !folders.iter().all(|f| f.is_dir()) || !root.join("regression_data").is_dir() {
        eprintln!("skipped: the Sigma corpus is absent");
        return;
    }
    let rules = RuleSet::load_dirs(&folders, &LoadOptions::default())
        .expect("load rules")
        .ruleset;
    let mut infos = Vec::new();
    info_files(&root.join("regression_data"), &mut infos);
    let (mut total, mut detected, mut failures) = (0usize, 0usize, Vec::new());
    for info in &infos {
        let meta: serde_json::Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(info).expect("read info"))
                .expect("info.yml parses");
        let rule_id = meta["rule_metadata"][0]["id"]
            .as_str()
            .expect("info.yml names a rule")
            .to_owned();
        let dir = info.parent().expect("folder");
        let Some(evtx) = with_extension(dir, "evtx") else {
            continue;
        };
        total += 1;
        let from_evtx = matched(&rules, &evtx);
        if !from_evtx.problems.is_empty() {
            failures.push(format!("{}: {:?}", evtx.display(), from_evtx.problems));
            continue;
        }
        if from_evtx.rules.contains(&rule_id) {
            detected += 1;
        } else {
            failures.push(format!("{}: rule {rule_id} not detected", evtx.display()));
        }
        if let Some(json) = with_extension(dir, "json") {
            let from_json = matched(&rules, &json);
            if from_json.rules != from_evtx.rules {
                failures.push(format!(
                    "{}: EVTX matched {:?}, JSON matched {:?}",
                    evtx.display(),
                    from_evtx.rules,
                    from_json.rules
                ));
            }
        }
    }
    println!("regression data: {detected}/{total} EVTX events detected by their rules");
    for failure in &failures {
        println!("  {failure}");
    }
    assert!(
        total >= 200,
        "expected about 200 labelled EVTX files, found {total}"
    );
    assert!(failures.is_empty(), "{} failures", failures.len());
}
