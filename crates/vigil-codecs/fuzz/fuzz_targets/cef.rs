//! Any text as a CEF record, bare and behind a valid header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_codecs::parse_cef;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_cef(&text);
    let _ = parse_cef(&format!("CEF:0|{text}"));
    let _ = parse_cef(&format!("CEF:0|vendor|product|1.0|100|name|5|{text}"));
});
