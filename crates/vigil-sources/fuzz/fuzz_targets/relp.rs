//! Any bytes into the RELP frame reader, cut into reads where the input
//! says, and every frame through a session: frames, answers or a refusal
//! at an offset inside the input, never a panic and never more buffered
//! than one frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_sources::relp::frame::{FrameReader, MAX_DATALEN};
use vigil_sources::relp::session::{Session, Step};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).max(1);
    // A small limit as often as the real one, so both paths are reached.
    let max = if cut % 2 == 0 { 16 } else { MAX_DATALEN };
    let mut reader = FrameReader::new(max);
    let mut session = Session::new();
    for chunk in bytes.chunks(cut) {
        reader.push(chunk);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    assert!(frame.data.len() <= max);
                    if let Step::End { .. } = session.step(frame) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    assert!(e.offset < bytes.len() as u64);
                    return;
                }
            }
        }
    }
    if let Err(e) = reader.finish() {
        assert!(e.offset <= bytes.len() as u64);
    }
});
