//! Any bytes as an NDJSON body, as a JSON-lines stream (plain or, when the
//! input starts with the magic, gzip), and every object through normalize.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_model::{EventId, SourceBinding, SourceId, SourceKind, TenantId};
use vigil_codecs::{JsonLinesReader, ndjson_lines, normalize};

fuzz_target!(|data: &[u8]| {
    let binding = SourceBinding {
        id: SourceId::new("fuzz").unwrap(),
        tenant: TenantId::new("fuzz").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: "fuzz".into(),
    };
    let received = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    for (_, fields) in ndjson_lines(data, 4096) {
        if let Ok(fields) = fields {
            let _ = normalize(&binding, fields, received, EventId(uuid::Uuid::nil()));
        }
    }
    if let Ok(reader) = JsonLinesReader::new(data, 4096) {
        for _ in reader {}
    }
});
