//! The fast JSON document gives the same field values as the `serde_json`
//! map on real events: the Security-Datasets captures (flat Windows events)
//! and SigmaHQ's regression events (nested `Event.System` / `Event.EventData`).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigil_detect::{Document, JsonParser, Scalar};
use vigil_model::Fields;

const DATASETS: &str = "../../../shared/corpora/security-datasets/atomic";
const REGRESSION: &str = "../../../shared/corpora/sigma/regression_data";
/// Lines read from each capture, to keep the test quick.
const LINES_PER_CAPTURE: usize = 1_500;

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn describe<D: Document>(doc: &D, name: &str) -> Option<(bool, Vec<String>)> {
    let value = doc.field(name)?;
    let mut out = Vec::new();
    let mut buf = String::new();
    value.any_scalar(&mut |s| {
        let kind = match s {
            Scalar::Str(_) => "s",
            Scalar::Int(_) => "i",
            Scalar::UInt(_) => "u",
            Scalar::Float(_) => "f",
            Scalar::Bool(_) => "b",
        };
        out.push(format!("{kind}:{}", s.text(&mut buf)));
        false
    });
    Some((value.is_null(), out))
}

fn all_values<D: Document>(doc: &D) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    doc.any_value(&mut |s| {
        out.push(s.text(&mut buf).to_owned());
        false
    });
    out.sort();
    out
}

/// Names rules ask for: every key, dotted paths, the nested Windows names.
fn names(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(k.clone());
            out.push(path.clone());
            if let Value::Object(inner) = v {
                out.extend(inner.keys().map(|a| format!("{k}_{a}")));
            }
            names(v, &path, out);
        }
    }
}

/// Compares one object; returns how many names were compared.
fn compare(text: &[u8], parser: &mut JsonParser, origin: &str) -> usize {
    let fields: Fields = match serde_json::from_slice(text) {
        Ok(fields) => fields,
        Err(_) => {
            assert!(
                parser.parse(text).is_err(),
                "{origin}: the fast parser accepts what serde_json rejects"
            );
            return 0;
        }
    };
    let doc = parser
        .parse(text)
        .unwrap_or_else(|e| panic!("{origin}: the fast parser rejects valid JSON: {e}"));
    assert_eq!(doc.to_fields(), fields, "{origin}: same document");
    let mut wanted = Vec::new();
    names(&Value::from(fields.clone()), "", &mut wanted);
    for name in &wanted {
        assert_eq!(
            describe(&doc, name),
            describe(&fields, name),
            "{origin}: field {name}"
        );
    }
    assert_eq!(
        all_values(&doc),
        all_values(&fields),
        "{origin}: all values"
    );
    wanted.len()
}

#[test]
fn security_datasets_events_read_the_same() {
    let mut zips = Vec::new();
    files(Path::new(DATASETS), "zip", &mut zips);
    if zips.is_empty() {
        eprintln!("skipped: the Security-Datasets corpus is absent");
        return;
    }
    let mut parser = JsonParser::new();
    let (mut events, mut names) = (0usize, 0usize);
    for path in &zips {
        let file = std::fs::File::open(path).expect("open capture");
        let mut zip = zip::ZipArchive::new(file).expect("read zip");
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).expect("zip member");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read member");
            for line in bytes
                .split(|b| *b == b'\n')
                .filter(|l| l.starts_with(b"{"))
                .take(LINES_PER_CAPTURE)
            {
                names += compare(line, &mut parser, &path.display().to_string());
                events += 1;
            }
        }
    }
    println!("{events} events, {names} field lookups compared");
    assert!(
        events > 50_000,
        "expected the whole corpus, read {events} events"
    );
}

#[test]
fn regression_events_read_the_same() {
    let mut jsons = Vec::new();
    files(Path::new(REGRESSION), "json", &mut jsons);
    if jsons.is_empty() {
        eprintln!("skipped: the Sigma regression data is absent");
        return;
    }
    let mut parser = JsonParser::new();
    let mut events = 0;
    for path in &jsons {
        let text = std::fs::read(path).expect("read event");
        // Files may hold several pretty-printed objects one after another.
        let mut rest: &[u8] = &text;
        loop {
            let start = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            rest = &rest[start..];
            if rest.is_empty() {
                break;
            }
            let end = {
                let (_, end) = parser
                    .parse_prefix(rest)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                end
            };
            compare(&rest[..end], &mut parser, &path.display().to_string());
            events += 1;
            rest = &rest[end..];
        }
    }
    println!("{events} regression events compared");
    assert!(events >= 200);
}
