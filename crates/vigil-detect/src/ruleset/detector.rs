//! The rule set as the pipeline's [`Detector`].

use std::cell::RefCell;

use vigil_model::Event;

use super::RuleSet;
use crate::document::{JsonDocument, JsonParser};
use crate::logsource::EventLogSource;
use crate::{Detection, Detector};

impl Detector for RuleSet {
    fn detect(&self, event: &Event, out: &mut Vec<Detection>) {
        thread_local! {
            static PARSER: RefCell<JsonParser> = RefCell::new(JsonParser::new());
        }
        // Fields still in the text they came as (an NDJSON line nobody has
        // looked into since) are read with the document reader, not built
        // into their map: the same answers at a fraction of the cost.
        if !event.fields.is_read()
            && let Some(text) = event.fields.json_text()
        {
            let read = PARSER.with(|parser| {
                let Ok(mut parser) = parser.try_borrow_mut() else {
                    return false;
                };
                match parser.parse(text.as_bytes()) {
                    Ok(doc) => {
                        self.detect_read(event, &doc, out);
                        true
                    }
                    Err(_) => false,
                }
            });
            if read {
                return;
            }
        }
        let source = EventLogSource::of_event(event);
        self.detect_document(&event.fields, &source, out);
    }

    fn detect_read(&self, event: &Event, doc: &JsonDocument<'_>, out: &mut Vec<Detection>) {
        let source = EventLogSource::derive(doc, &event.source.product, event.class);
        self.detect_document(doc, &source, out);
    }

    fn rule_count(&self) -> usize {
        self.inner.rules.len()
    }

    fn matched(&self, rule_id: &str, event: &Event) -> Option<crate::MatchDetail> {
        let inner = &*self.inner;
        let rule = inner.rules.iter().find(|r| r.meta.id == rule_id)?;
        let source = EventLogSource::of_event(event);
        if !source.admits(&rule.meta.logsource) {
            return None;
        }
        let detection = &rule.detection;
        let explained =
            crate::sigma::explain::explain(detection, &inner.engine.atoms, &event.fields, false);
        explained.holds.then(|| {
            crate::sigma::explain::match_detail(detection, &inner.engine.atoms, &event.fields)
        })
    }
}
