//! `vigil hunt --explain RULE EVENT`: why one rule matches one event, or
//! does not, selection by selection.

use std::io::{self, Read, Write};

use anyhow::{Context, bail};
use vigil_detect::{EventLogSource, JsonErrorKind, JsonParser, LoadReport};
use vigil_model::EventClass;

/// An event given to explain is read up to this size.
const MAX_EVENT_BYTES: u64 = 64 << 20;

/// Explains every loaded rule `key` names (an id, a title, or a file) on
/// the event in `event` (a file, or `-` for standard input), as text or
/// as one JSON object per rule.
pub fn run(
    report: &LoadReport,
    key: &str,
    event: &str,
    product: &str,
    json: bool,
) -> anyhow::Result<()> {
    let rules = &report.ruleset;
    let found = rules.find_rules(key);
    if found.is_empty() {
        // A rule that did not load is named with the reason.
        let mut why = report.rejected().filter(|o| {
            o.id.as_deref() == Some(key)
                || o.title.as_deref() == Some(key)
                || o.origin
                    .replace('\\', "/")
                    .ends_with(&key.replace('\\', "/"))
        });
        if let Some(outcome) = why.next() {
            bail!("the rule was not loaded: {outcome}");
        }
        bail!("no loaded rule has the id, title or file `{key}`");
    }
    let bytes = read_event(event)?;
    let mut parser = JsonParser::new();
    let doc = parser.parse(&bytes).map_err(|e| match e.kind {
        JsonErrorKind::TrailingCharacters => anyhow::anyhow!(
            "{event} holds more than one JSON value (at byte {}): give one event",
            e.offset
        ),
        _ => anyhow::anyhow!("{event} is not one JSON object: {e}"),
    })?;
    let product = product.to_lowercase();
    let source = EventLogSource::derive(&doc, &product, EventClass::Other);
    let mut out = io::stdout().lock();
    for (n, rule) in found.iter().enumerate() {
        let Some(explanation) = rules.explain(&rule.id, &doc, &source) else {
            continue;
        };
        if json {
            writeln!(out, "{}", serde_json::to_string(&explanation)?)?;
        } else {
            if n > 0 {
                writeln!(out)?;
            }
            write!(out, "{explanation}")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn read_event(event: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if event == "-" {
        io::stdin()
            .lock()
            .take(MAX_EVENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("reading the event from standard input")?;
    } else {
        std::fs::File::open(event)
            .with_context(|| format!("opening {event}"))?
            .take(MAX_EVENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {event}"))?;
    }
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        bail!("{event} is larger than {MAX_EVENT_BYTES} bytes: give one event");
    }
    Ok(bytes)
}
