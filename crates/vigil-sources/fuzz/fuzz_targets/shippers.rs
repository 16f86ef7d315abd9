//! Any bytes into the shippers' decoders — an OTLP logs request (protobuf
//! and OTLP/JSON), HEC event envelopes and raw lines, an Elasticsearch
//! `_bulk` body: each decodes or refuses, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::{bulk, hec, otlp};

fuzz_target!(|data: &[u8]| {
    let _ = otlp::decode::records_of_body(false, data);
    let _ = otlp::decode::records_of_body(true, data);
    let decoded = hec::decode::events(data);
    if let Some(problem) = decoded.problem {
        assert!(problem.event_number < decoded.records.len());
    }
    let _ = hec::decode::lines(data, &[("host", "h".to_owned())]);
    if let Ok(decoded) = bulk::decode::bulk(data, Some("index")) {
        assert_eq!(decoded.items.len(), decoded.records.len());
    }
});
