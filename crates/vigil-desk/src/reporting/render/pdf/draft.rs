//! A NIS-2 report draft as a PDF, for the analyst who reads it before
//! sending and for the authority's portal that takes an attachment. The
//! JSON document is what is submitted and digested; the PDF says so on its
//! first lines and shows the same content, section by section.

use serde_json::Value;
use vigil_compliance::nis2::ReportDraft;

use super::super::chart::{Anchor, GREY, INK};
use super::layout::{Doc, MARGIN};

/// Keys of the document shown in the title block rather than as sections.
const HEADER_KEYS: [&str; 5] = ["format", "kind", "legal_basis", "version", "incident"];

/// The PDF's bytes.
pub(in crate::reporting::render) fn nis2_draft(draft: &ReportDraft) -> Vec<u8> {
    let doc_json = &draft.document;
    let kind = human(draft.kind.as_str());
    let reference = doc_json["incident"]["reference"].as_str().unwrap_or("?");
    let title = doc_json["incident"]["title"].as_str().unwrap_or("");
    let mut doc = Doc::new();
    doc.y = 90.0;
    doc.text_at(
        MARGIN,
        doc.y,
        &format!("NIS-2 {kind}"),
        24.0,
        true,
        INK,
        Anchor::Start,
    );
    doc.y += 30.0;
    doc.text_at(MARGIN, doc.y, title, 14.0, false, INK, Anchor::Start);
    doc.y += 10.0;
    for line in [
        format!("Incident {reference}, version {}", draft.version),
        format!("Legal basis: {}", draft.kind.article()),
        format!(
            "Aware at: {}",
            doc_json["incident"]["aware_at"].as_str().unwrap_or("?")
        ),
        format!(
            "The submitted form is the JSON document ({}); its SHA-256 is {}.",
            doc_json["format"].as_str().unwrap_or("?"),
            draft.digest
        ),
    ] {
        doc.para(&line, 9.0, GREY);
    }
    if let Value::Object(map) = doc_json {
        for (key, value) in map {
            if HEADER_KEYS.contains(&key.as_str()) {
                continue;
            }
            doc.heading(&human(key));
            section(&mut doc, "", value);
        }
    }
    let footer = format!(
        "Vigil · NIS-2 {kind} · incident {reference} · version {}",
        draft.version
    );
    super::finish(doc, &footer, &format!("NIS-2 {kind}: {reference}"))
}

/// Writes `value` under the label `path`: objects one line per member
/// (nested ones prefixed by their parent), lists one bullet per item.
fn section(doc: &mut Doc, path: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let label = if path.is_empty() {
                    human(key)
                } else {
                    format!("{path} — {}", human(key))
                };
                section(doc, &label, v);
            }
        }
        Value::Array(items) if items.is_empty() => line(doc, path, "none"),
        Value::Array(items) => {
            if !path.is_empty() {
                doc.para(&format!("{path}:"), 10.0, INK);
            }
            for item in items {
                doc.para(&format!("• {}", inline(item)), 9.5, INK);
            }
        }
        other => line(doc, path, &inline(other)),
    }
}

fn line(doc: &mut Doc, label: &str, text: &str) {
    if label.is_empty() {
        doc.para(text, 10.0, INK);
    } else {
        doc.para(&format!("{label}: {text}"), 10.0, INK);
    }
}

/// A value on one line: scalars as themselves, an object's members as
/// `key: value; …`.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "not known".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::String(s) if s == "unknown" => "not known yet".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(inline).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", human(k), inline(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// `snake_case` keys as words: `indicators_of_compromise` → `Indicators
/// of compromise`.
fn human(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
