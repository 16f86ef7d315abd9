//! Any text into the ONVIF parsers: refused with a reason, never a panic,
//! and never more memory than the reader's bounds allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::onvif::notify::parse_notifications;
use vigil_sources::onvif::pullpoint::{parse_create_response, parse_pull_response, parse_renew_response};
use vigil_sources::onvif::xml::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse(text);
    let _ = parse_notifications(text);
    let _ = parse_create_response(text);
    let _ = parse_pull_response(text);
    let _ = parse_renew_response(text);
});
