//! Any text as a LEEF record, bare and behind valid 1.0 and 2.0 headers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_codecs::parse_leef;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_leef(&text);
    let _ = parse_leef(&format!("LEEF:2.0|{text}"));
    let _ = parse_leef(&format!("LEEF:1.0|vendor|product|1.0|id|{text}"));
    let _ = parse_leef(&format!("LEEF:2.0|vendor|product|1.0|id|{text}"));
});
