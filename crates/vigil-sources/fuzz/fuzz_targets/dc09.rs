//! Any bytes into the DC-09 receiver: the splitter, every parser and the
//! decision must answer or refuse, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use vigil_sources::dc09::frame::{parse_content, parse_envelope, parse_header};
use vigil_sources::dc09::payload::{parse_contact_id, parse_sia};
use vigil_sources::dc09::{Dc09Receiver, FrameSplitter, PanelAccount, PanelKey, TimeWindow};

fuzz_target!(|data: &[u8]| {
    let mut plain = PanelAccount::new("1234");
    plain.zones.insert("1".into(), "z".into());
    let mut secret = PanelAccount::new("5678");
    secret.key = PanelKey::from_hex("000102030405060708090A0B0C0D0E0F").ok();
    let receiver = Dc09Receiver::new([plain, secret], TimeWindow::default());
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut splitter = FrameSplitter::new();
    splitter.push(data);
    while let Some(piece) = splitter.next_piece().or_else(|| splitter.finish()) {
        if let vigil_sources::dc09::Piece::Frame(frame) = piece {
            let _ = receiver.receive(&frame, now, &mut rng);
        }
    }
    let _ = receiver.receive(data, now, &mut rng);
    let _ = parse_envelope(data);
    let _ = parse_header(data);
    let _ = parse_content(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_sia(text);
        let _ = parse_contact_id(text);
    }
});
