//! Any bytes as a syslog datagram or frame: the header parser, the CEF/LEEF
//! payload decoder, and normalization of whatever decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_model::{EventId, SourceBinding, SourceId, SourceKind, TenantId};
use vigil_codecs::{decode_message, normalize, parse_syslog};

fuzz_target!(|data: &[u8]| {
    let reference = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let _ = parse_syslog(data, reference);
    if let Ok(fields) = decode_message(data, reference) {
        let binding = SourceBinding {
            id: SourceId::new("fuzz").unwrap(),
            tenant: TenantId::new("fuzz").unwrap(),
            site: None,
            kind: SourceKind::SyslogUdp,
            product: "fuzz".into(),
        };
        let _ = normalize(&binding, fields, reference, EventId(uuid::Uuid::nil()));
    }
});
