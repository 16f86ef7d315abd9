//! Vigil's shipped rules parse as Sigma YAML with the keys the detection
//! engine needs, and the ids the simulator expects are exactly those files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;
use vigil_sim::rules;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("rules folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            found.push(path);
        }
    }
}

#[test]
fn every_rule_file_is_sigma_with_the_required_keys() {
    let mut files = Vec::new();
    yaml_files(&rules_dir(), &mut files);
    assert!(files.len() >= 12, "{} rule files", files.len());
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let rule: Value =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.display();
        // A correlation (the Sigma correlation specification) has
        // `correlation` where a rule has `logsource` and `detection`.
        let correlation = rule.get("correlation").is_some();
        let shape: &[&str] = if correlation {
            &["correlation"]
        } else {
            &["logsource", "detection"]
        };
        for key in [
            "id",
            "title",
            "description",
            "level",
            "tags",
            "falsepositives",
        ]
        .iter()
        .chain(shape)
        {
            assert!(rule.get(key).is_some(), "{name} lacks {key}");
        }
        let id = rule["id"].as_str().unwrap();
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{name}: id {id} is not a UUID"
        );
        if let Some(other) = ids.insert(id.to_owned(), path.clone()) {
            panic!("{name} and {} share id {id}", other.display());
        }
        let level = rule["level"].as_str().unwrap();
        assert!(
            ["informational", "low", "medium", "high", "critical"].contains(&level),
            "{name}: {level}"
        );
        assert!(rule["tags"].as_sequence().is_some_and(|t| !t.is_empty()));
        assert!(
            rule["falsepositives"]
                .as_sequence()
                .is_some_and(|f| !f.is_empty())
        );
        if correlation {
            let c = &rule["correlation"];
            assert!(c["type"].as_str().is_some(), "{name}: correlation.type");
            assert!(c["rules"].as_sequence().is_some_and(|r| !r.is_empty()));
            assert!(
                c["timespan"].as_str().is_some(),
                "{name}: correlation.timespan"
            );
            continue;
        }
        assert!(
            rule["logsource"]["product"].as_str().is_some(),
            "{name}: logsource.product"
        );
        let detection = rule["detection"].as_mapping().unwrap();
        let condition = rule["detection"]["condition"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: condition"));
        assert!(
            detection.len() >= 2,
            "{name}: a selection besides the condition"
        );
        let tokens: Vec<&str> = condition
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .collect();
        for (k, _) in detection {
            let k = k.as_str().unwrap();
            if k != "condition" {
                let named = tokens.iter().any(|t| match t.strip_suffix('*') {
                    Some(prefix) => k.starts_with(prefix),
                    None => *t == k,
                });
                assert!(named, "{name}: {k} is not used by `{condition}`");
            }
        }
    }
    let shipped: HashSet<&str> = ids.keys().map(String::as_str).collect();
    let expected: HashSet<&str> = rules::ALL
        .iter()
        .copied()
        .chain(rules::estate_files())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        shipped, expected,
        "rules::ALL lists exactly the shipped rules"
    );
    for (id, file) in rules::ALL
        .iter()
        .chain(rules::estate_files().collect::<Vec<_>>().iter())
    {
        assert_eq!(ids[*id], rules_dir().join(file), "{id}");
    }
}
