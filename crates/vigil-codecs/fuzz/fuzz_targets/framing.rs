//! Any byte stream, cut into chunks at sizes the input chooses, read with
//! either framing (the first byte's high bit chooses octet counting only,
//! as syslog over TLS reads): frames never exceed the limit and the buffer
//! stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_codecs::FrameDecoder;

const MAX: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 32) + 1;
    let mut decoder = if first & 0x80 != 0 {
        FrameDecoder::new(MAX).octet_counted_only()
    } else {
        FrameDecoder::new(MAX)
    };
    for piece in stream.chunks(chunk) {
        decoder.push(piece);
        while let Some(frame) = decoder.next_frame() {
            if let Ok(frame) = frame {
                assert!(frame.len() <= MAX);
            }
        }
        assert!(decoder.buffered_len() <= MAX + 1 + chunk + 10);
    }
    while let Some(frame) = decoder.finish() {
        if let Ok(frame) = frame {
            assert!(frame.len() <= MAX);
        }
    }
});
