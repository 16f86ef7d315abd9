//! An Elasticsearch `_bulk` body as Vigil's records: action lines, each
//! `index` or `create` followed by the document, which becomes one event
//! (its keys are the event's fields, as an NDJSON line's, and the index it
//! was meant for is kept as `_index` unless the document has one).
//! `update` and `delete` change stored documents, which a log of events
//! does not do: they are answered as failed items and kept as dead letters.

use serde_json::{Map, Value};
use vigil_model::Fields;

/// One record, decoded or refused, with the bytes it came as.
pub type Record = (Result<Fields, String>, Vec<u8>);

/// What a `_bulk` action asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `index`: add (or replace) a document.
    Index,
    /// `create`: add a document.
    Create,
    /// `update`: change a document.
    Update,
    /// `delete`: remove a document.
    Delete,
}

impl Op {
    /// Its name in actions and answers.
    pub fn name(self) -> &'static str {
        match self {
            Op::Index => "index",
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    fn of(name: &str) -> Option<Op> {
        Some(match name {
            "index" => Op::Index,
            "create" => Op::Create,
            "update" => Op::Update,
            "delete" => Op::Delete,
            _ => return None,
        })
    }
}

/// One action of the request, and what became of it here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The action.
    pub op: Op,
    /// The index it names (or the path's).
    pub index: String,
    /// The id it names, if any.
    pub id: Option<String>,
    /// Why it fails (Elasticsearch's error type and reason), if it does.
    pub error: Option<(&'static str, String)>,
}

/// A request the way Elasticsearch refuses it whole: its error type and
/// reason (nothing of it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Elasticsearch's error type.
    pub kind: &'static str,
    /// What is wrong, naming the line.
    pub reason: String,
}

/// The items of a request (for the answer) and its records (one per item,
/// in order, refused ones as dead letters to be).
#[derive(Debug, Default)]
pub struct Decoded {
    /// The actions, in order.
    pub items: Vec<Item>,
    /// Their records.
    pub records: Vec<Record>,
}

/// Decodes a `_bulk` body; `default_index` is the path's index
/// (`/{index}/_bulk`), for actions that name none.
pub fn bulk(body: &[u8], default_index: Option<&str>) -> Result<Decoded, Malformed> {
    let mut out = Decoded::default();
    let mut lines = body
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty());
    while let Some((number, line)) = lines.next() {
        let (op, meta) = action(number, line)?;
        let index = meta
            .get("_index")
            .and_then(Value::as_str)
            .or(default_index)
            .unwrap_or_default()
            .to_owned();
        let id = match meta.get("_id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let mut item = Item {
            op,
            index,
            id,
            error: None,
        };
        if op == Op::Delete {
            let reason = "delete is not supported: Vigil keeps events as they came".to_owned();
            item.error = Some(("illegal_argument_exception", reason.clone()));
            out.records.push((Err(reason), line.to_vec()));
            out.items.push(item);
            continue;
        }
        let Some((_, document)) = lines.next() else {
            return Err(Malformed {
                kind: "illegal_argument_exception",
                reason: format!(
                    "The bulk request must be terminated by a newline [\\n]; line {number}'s {} action has no document",
                    op.name()
                ),
            });
        };
        let fields = if op == Op::Update {
            Err("update is not supported: Vigil keeps events as they came".to_owned())
        } else {
            match serde_json::from_slice::<Value>(document) {
                Ok(Value::Object(mut fields)) => {
                    if !item.index.is_empty() && !fields.contains_key("_index") {
                        fields.insert("_index".into(), Value::String(item.index.clone()));
                    }
                    Ok(fields.into())
                }
                Ok(_) => Err("the document is not a JSON object".to_owned()),
                Err(e) => Err(format!("the document does not parse: {e}")),
            }
        };
        if let Err(reason) = &fields {
            let kind = if op == Op::Update {
                "illegal_argument_exception"
            } else {
                "document_parsing_exception"
            };
            item.error = Some((kind, reason.clone()));
        }
        // The action and the document, for the fingerprint and the dead
        // letter.
        let mut raw = line.to_vec();
        raw.push(b'\n');
        raw.extend_from_slice(document);
        out.records.push((fields, raw));
        out.items.push(item);
    }
    Ok(out)
}

/// One action line: its operation and metadata.
fn action(number: usize, line: &[u8]) -> Result<(Op, Map<String, Value>), Malformed> {
    let malformed = |what: String| Malformed {
        kind: "illegal_argument_exception",
        reason: format!("Malformed action/metadata line [{number}], {what}"),
    };
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| malformed(format!("expected a JSON object: {e}")))?;
    let Value::Object(map) = value else {
        return Err(malformed("expected START_OBJECT".into()));
    };
    let mut entries = map.into_iter();
    let (Some((name, meta)), None) = (entries.next(), entries.next()) else {
        return Err(malformed("expected one action".into()));
    };
    let op = Op::of(&name).ok_or_else(|| malformed(format!("unknown action [{name}]")))?;
    let Value::Object(meta) = meta else {
        return Err(malformed(format!(
            "the {name} action's metadata is not an object"
        )));
    };
    Ok((op, meta))
}
