//! Syslog over TCP framing (RFC 6587), decoded incrementally.
//!
//! Each frame is either octet-counted (`LEN SP MSG`) or non-transparent:
//! ended by LF, with a CR before it or a NUL instead of it tolerated.
//! Senders mix them, so the choice is made per frame: a frame starting
//! with a non-zero digit, up to nine digits and a space is octet-counted;
//! anything else runs to the next line end. Syslog messages start with
//! `<`, so real messages are never mistaken for counts.
//!
//! Memory is bounded: an over-long frame is reported once as an error and
//! then skipped (exactly, for an octet count; up to the next line end
//! otherwise) without being buffered.

use bytes::{Buf, Bytes, BytesMut};

/// Why a frame was not delivered. Offsets count bytes from the start of
/// the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// An octet count above the limit; the frame is skipped.
    #[error(
        "frame at stream byte {offset}: octet count {declared} exceeds the limit of {limit} bytes; frame skipped"
    )]
    DeclaredTooLong {
        /// Where the frame's count starts.
        offset: u64,
        /// The count it declared.
        declared: usize,
        /// The decoder's limit.
        limit: usize,
    },
    /// A line longer than the limit; skipped up to the next line end.
    #[error(
        "frame at stream byte {offset}: no line end within the limit of {limit} bytes; skipped to the next line end"
    )]
    LineTooLong {
        /// Where the frame starts.
        offset: u64,
        /// The decoder's limit.
        limit: usize,
    },
    /// A frame that is not octet-counted where only octet counting is
    /// accepted (syslog over TLS, RFC 5425 section 4.3); the frame, up to
    /// its line end, is skipped.
    #[error(
        "frame at stream byte {offset}: not octet-counted (`LEN SP MSG`), as syslog over TLS must be (RFC 5425); skipped to its line end"
    )]
    NotOctetCounted {
        /// Where the frame starts.
        offset: u64,
    },
    /// The stream ended inside an octet-counted frame.
    #[error("frame at stream byte {offset}: stream ended after {received} of {declared} octets")]
    Truncated {
        /// Where the frame's count starts.
        offset: u64,
        /// The count it declared.
        declared: usize,
        /// The bytes that arrived.
        received: usize,
    },
}

/// Incremental RFC 6587 decoder for one TCP stream: [`push`](Self::push)
/// bytes as they arrive, take frames with [`next_frame`](Self::next_frame)
/// until it returns `None`, and at end of stream call
/// [`finish`](Self::finish) until it returns `None`.
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: BytesMut,
    max_frame_len: usize,
    state: State,
    /// Stream offset of `buffer[0]`.
    offset: u64,
    at_eof: bool,
    /// The first bytes of the frame last reported as an error.
    skipped: Vec<u8>,
    /// Whether a line-ended frame is an error ([`Self::octet_counted_only`]).
    counted_only: bool,
}

/// How much of a frame that could not be framed is kept for its dead
/// letter: enough to see what the sender was sending, bounded per
/// connection.
pub const SKIPPED_PREFIX_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy)]
enum State {
    Boundary,
    Counted {
        len: usize,
        start: u64,
    },
    /// A line frame; the first `scanned` buffered bytes hold no line end.
    Line {
        scanned: usize,
    },
    SkipCounted {
        remaining: usize,
    },
    SkipLine,
}

enum Header {
    Counted { header_len: usize, len: usize },
    NeedMore,
    NotCounted,
}

/// Up to nine digits: a count of a gigabyte or more is not a count.
const MAX_COUNT_DIGITS: usize = 9;

impl FrameDecoder {
    /// A decoder delivering frames of at most `max_frame_len` bytes.
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_frame_len,
            state: State::Boundary,
            offset: 0,
            at_eof: false,
            skipped: Vec::new(),
            counted_only: false,
        }
    }

    /// The same decoder refusing frames that are not octet-counted: each is
    /// skipped to its line end and reported as
    /// [`FramingError::NotOctetCounted`] (its first bytes kept, as for
    /// every error), and the frames after it are read as usual.
    pub fn octet_counted_only(mut self) -> Self {
        self.counted_only = true;
        self
    }

    /// Adds bytes received from the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        match &mut self.state {
            // Skipped bytes are dropped as they arrive rather than buffered.
            State::SkipCounted { remaining } => {
                let n = (*remaining).min(chunk.len());
                *remaining -= n;
                self.offset += n as u64;
                if *remaining == 0 {
                    self.state = State::Boundary;
                }
                self.buffer.extend_from_slice(&chunk[n..]);
            }
            State::SkipLine => match memchr::memchr2(b'\n', 0, chunk) {
                Some(i) => {
                    self.offset += i as u64 + 1;
                    self.state = State::Boundary;
                    self.buffer.extend_from_slice(&chunk[i + 1..]);
                }
                None => self.offset += chunk.len() as u64,
            },
            _ => self.buffer.extend_from_slice(chunk),
        }
    }

    /// Bytes buffered and not yet delivered.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// The next complete frame, an error for a frame that was skipped, or
    /// `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Bytes, FramingError>> {
        loop {
            match self.state {
                State::Boundary => {
                    let padding = self
                        .buffer
                        .iter()
                        .take_while(|b| matches!(b, b'\n' | b'\r' | 0))
                        .count();
                    self.advance(padding);
                    if self.buffer.is_empty() {
                        return None;
                    }
                    match self.octet_header() {
                        Header::Counted { header_len, len } => {
                            let start = self.offset;
                            self.advance(header_len);
                            if len > self.max_frame_len {
                                self.keep_prefix(len);
                                self.state = State::SkipCounted { remaining: len };
                                self.skip_buffered();
                                return Some(Err(FramingError::DeclaredTooLong {
                                    offset: start,
                                    declared: len,
                                    limit: self.max_frame_len,
                                }));
                            }
                            self.state = State::Counted { len, start };
                        }
                        Header::NeedMore if !self.at_eof => return None,
                        Header::NeedMore | Header::NotCounted => {
                            self.state = State::Line { scanned: 0 }
                        }
                    }
                }
                State::Counted { len, start } => {
                    if self.buffer.len() >= len {
                        self.state = State::Boundary;
                        let frame = self.take(len);
                        return Some(Ok(frame));
                    }
                    if !self.at_eof {
                        return None;
                    }
                    let received = self.buffer.len();
                    self.keep_prefix(received);
                    self.advance(received);
                    self.state = State::Boundary;
                    return Some(Err(FramingError::Truncated {
                        offset: start,
                        declared: len,
                        received,
                    }));
                }
                State::Line { scanned } => {
                    let start = self.offset;
                    let end = match memchr::memchr2(b'\n', 0, &self.buffer[scanned..]) {
                        Some(i) => scanned + i,
                        None if self.buffer.len() > self.max_frame_len.saturating_add(1) => {
                            self.keep_prefix(self.buffer.len());
                            self.state = State::SkipLine;
                            self.skip_buffered();
                            return Some(Err(FramingError::LineTooLong {
                                offset: start,
                                limit: self.max_frame_len,
                            }));
                        }
                        None if self.at_eof => self.buffer.len(),
                        None => {
                            self.state = State::Line {
                                scanned: self.buffer.len(),
                            };
                            return None;
                        }
                    };
                    self.state = State::Boundary;
                    let mut frame = self.take(end);
                    if !self.buffer.is_empty() {
                        self.advance(1);
                    }
                    if frame.last() == Some(&b'\r') {
                        frame.truncate(frame.len() - 1);
                    }
                    if frame.len() > self.max_frame_len {
                        self.skipped.clear();
                        self.skipped
                            .extend_from_slice(&frame[..frame.len().min(SKIPPED_PREFIX_BYTES)]);
                        return Some(Err(FramingError::LineTooLong {
                            offset: start,
                            limit: self.max_frame_len,
                        }));
                    }
                    if frame.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
                        continue;
                    }
                    if self.counted_only {
                        self.skipped.clear();
                        self.skipped
                            .extend_from_slice(&frame[..frame.len().min(SKIPPED_PREFIX_BYTES)]);
                        return Some(Err(FramingError::NotOctetCounted { offset: start }));
                    }
                    return Some(Ok(frame));
                }
                State::SkipCounted { .. } | State::SkipLine => {
                    self.skip_buffered();
                    if matches!(self.state, State::Boundary) {
                        continue;
                    }
                    if self.at_eof {
                        self.state = State::Boundary;
                    }
                    return None;
                }
            }
        }
    }

    /// Marks the end of the stream and returns what is left: remaining
    /// frames, then the final unterminated one, or an error if the stream
    /// stopped inside an octet-counted frame. Call until it returns `None`.
    pub fn finish(&mut self) -> Option<Result<Bytes, FramingError>> {
        self.at_eof = true;
        self.next_frame()
    }

    fn octet_header(&self) -> Header {
        let b = &self.buffer[..];
        if !b.first().is_some_and(|c| (b'1'..=b'9').contains(c)) {
            return Header::NotCounted;
        }
        let digits = b
            .iter()
            .take(MAX_COUNT_DIGITS + 1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > MAX_COUNT_DIGITS {
            return Header::NotCounted;
        }
        match b.get(digits) {
            None => Header::NeedMore,
            Some(b' ') => {
                let len = b[..digits]
                    .iter()
                    .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
                Header::Counted {
                    header_len: digits + 1,
                    len,
                }
            }
            Some(_) => Header::NotCounted,
        }
    }

    /// The first bytes (at most [`SKIPPED_PREFIX_BYTES`]) of the frame the
    /// last error was about, for its dead letter.
    pub fn skipped_prefix(&self) -> &[u8] {
        &self.skipped
    }

    fn keep_prefix(&mut self, frame_len: usize) {
        let n = frame_len.min(self.buffer.len()).min(SKIPPED_PREFIX_BYTES);
        self.skipped.clear();
        self.skipped.extend_from_slice(&self.buffer[..n]);
    }

    /// Drops buffered bytes that belong to a frame being skipped.
    fn skip_buffered(&mut self) {
        match self.state {
            State::SkipCounted { remaining } => {
                let n = remaining.min(self.buffer.len());
                self.advance(n);
                self.state = if n == remaining {
                    State::Boundary
                } else {
                    State::SkipCounted {
                        remaining: remaining - n,
                    }
                };
            }
            State::SkipLine => match memchr::memchr2(b'\n', 0, &self.buffer) {
                Some(i) => {
                    self.advance(i + 1);
                    self.state = State::Boundary;
                }
                None => self.advance(self.buffer.len()),
            },
            _ => {}
        }
    }

    fn advance(&mut self, n: usize) {
        self.buffer.advance(n);
        self.offset += n as u64;
    }

    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.buffer.split_to(n).freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(decoder: &mut FrameDecoder, out: &mut Vec<Result<Vec<u8>, FramingError>>) {
        while let Some(frame) = decoder.next_frame() {
            out.push(frame.map(|b| b.to_vec()));
        }
    }

    fn decode_all(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, FramingError>> {
        let mut decoder = FrameDecoder::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            drain(&mut decoder, &mut out);
        }
        while let Some(frame) = decoder.finish() {
            out.push(frame.map(|b| b.to_vec()));
        }
        out
    }

    fn ok(s: &str) -> Result<Vec<u8>, FramingError> {
        Ok(s.as_bytes().to_vec())
    }

    #[test]
    fn mixed_framing_in_one_stream() {
        let stream =
            b"<13>first\n16 <13>second\nthird<14>third\r\n\n\0<15>fourth\x004 <1>x<16>unterminated";
        assert_eq!(
            decode_all(&[stream], 1024),
            vec![
                ok("<13>first"),
                ok("<13>second\nthird"),
                ok("<14>third"),
                ok("<15>fourth"),
                ok("<1>x"),
                ok("<16>unterminated")
            ]
        );
    }

    #[test]
    fn octet_counted_only_refuses_line_frames_and_reads_on() {
        let stream = b"9 <13>first<14>second\n9 <13>third<15>tail";
        let mut decoder = FrameDecoder::new(1024).octet_counted_only();
        decoder.push(stream);
        let mut out = Vec::new();
        while let Some(frame) = decoder.next_frame() {
            let kept = decoder.skipped_prefix().to_vec();
            out.push(frame.map(|b| b.to_vec()).map_err(|e| (e, kept)));
        }
        while let Some(frame) = decoder.finish() {
            let kept = decoder.skipped_prefix().to_vec();
            out.push(frame.map(|b| b.to_vec()).map_err(|e| (e, kept)));
        }
        let refused = |offset: u64, kept: &str| {
            Err((
                FramingError::NotOctetCounted { offset },
                kept.as_bytes().to_vec(),
            ))
        };
        assert_eq!(
            out,
            vec![
                Ok(b"<13>first".to_vec()),
                refused(11, "<14>second"),
                Ok(b"<13>third".to_vec()),
                refused(33, "<15>tail"),
            ]
        );
    }

    #[test]
    fn waits_for_more_bytes_across_chunks() {
        let mut decoder = FrameDecoder::new(1024);
        decoder.push(b"1");
        assert!(decoder.next_frame().is_none());
        decoder.push(b"0 <13>ab");
        assert!(decoder.next_frame().is_none());
        decoder.push(b"cdef<13>next");
        assert_eq!(
            decoder.next_frame(),
            Some(Ok(Bytes::from_static(b"<13>abcdef")))
        );
        assert!(decoder.next_frame().is_none());
        assert_eq!(decoder.buffered_len(), 8);
        assert_eq!(decoder.finish(), Some(Ok(Bytes::from_static(b"<13>next"))));
        assert_eq!(decoder.finish(), None);
    }

    #[test]
    fn over_long_counted_frame_is_skipped_exactly() {
        let out = decode_all(&[b"20 <13>0123456789abcdef", b"<13>ok\n"], 10);
        assert_eq!(
            out,
            vec![
                Err(FramingError::DeclaredTooLong {
                    offset: 0,
                    declared: 20,
                    limit: 10
                }),
                ok("<13>ok")
            ]
        );
    }

    #[test]
    fn over_long_line_is_skipped_without_buffering() {
        let mut decoder = FrameDecoder::new(8);
        decoder.push(b"<13>this line is far too long");
        assert_eq!(
            decoder.next_frame(),
            Some(Err(FramingError::LineTooLong {
                offset: 0,
                limit: 8
            }))
        );
        assert_eq!(decoder.buffered_len(), 0);
        decoder.push(&[b'x'; 4096]);
        assert_eq!(decoder.buffered_len(), 0, "skipped bytes are not kept");
        decoder.push(b"still\n<13>ok\n");
        assert_eq!(
            decoder.next_frame(),
            Some(Ok(Bytes::from_static(b"<13>ok")))
        );
        assert_eq!(decoder.next_frame(), None);
    }

    #[test]
    fn a_skipped_frame_keeps_a_bounded_prefix_for_its_dead_letter() {
        let mut decoder = FrameDecoder::new(16);
        decoder.push(b"99999 this counted frame is far too long");
        assert!(matches!(
            decoder.next_frame(),
            Some(Err(FramingError::DeclaredTooLong { .. }))
        ));
        assert_eq!(
            decoder.skipped_prefix(),
            b"this counted frame is far too long"
        );
        let mut decoder = FrameDecoder::new(16);
        let line = vec![b'x'; 3 * SKIPPED_PREFIX_BYTES];
        decoder.push(&line);
        assert!(matches!(
            decoder.next_frame(),
            Some(Err(FramingError::LineTooLong { .. }))
        ));
        assert_eq!(decoder.skipped_prefix().len(), SKIPPED_PREFIX_BYTES);
        let mut decoder = FrameDecoder::new(64);
        decoder.push(b"40 only part");
        assert!(matches!(
            decoder.finish(),
            Some(Err(FramingError::Truncated { .. }))
        ));
        assert_eq!(decoder.skipped_prefix(), b"only part");
    }

    #[test]
    fn truncated_counted_frame_at_eof() {
        let out = decode_all(&[b"<13>a\n30 <13>short"], 100);
        assert_eq!(
            out,
            vec![
                ok("<13>a"),
                Err(FramingError::Truncated {
                    offset: 6,
                    declared: 30,
                    received: 9
                })
            ]
        );
        assert_eq!(
            out[1].clone().unwrap_err().to_string(),
            "frame at stream byte 6: stream ended after 9 of 30 octets"
        );
    }

    #[test]
    fn digits_that_are_not_counts_frame_as_lines() {
        let out = decode_all(&[b"2024-01-01 boot\n0 zero\n1234567890 big\n12"], 100);
        assert_eq!(
            out,
            vec![
                ok("2024-01-01 boot"),
                ok("0 zero"),
                ok("1234567890 big"),
                ok("12")
            ]
        );
    }

    /// A frame and how it is put on the wire.
    #[derive(Debug, Clone)]
    enum Wire {
        Counted(Vec<u8>),
        Line(Vec<u8>, &'static [u8]),
    }

    fn wire_frame() -> impl Strategy<Value = Wire> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..60).prop_map(Wire::Counted),
            (
                proptest::collection::vec(
                    any::<u8>().prop_filter("no line end", |b| *b != b'\n' && *b != 0),
                    0..60
                ),
                prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\0"[..])],
            )
                .prop_map(|(body, end)| {
                    let mut frame = b"<13>".to_vec();
                    frame.extend(body);
                    frame.push(b'.');
                    Wire::Line(frame, end)
                }),
        ]
    }

    fn encode(frames: &[Wire]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for frame in frames {
            match frame {
                Wire::Counted(body) => {
                    stream.extend(format!("{} ", body.len()).as_bytes());
                    stream.extend(body);
                    expected.push(body.clone());
                }
                Wire::Line(body, end) => {
                    stream.extend(body);
                    stream.extend(*end);
                    expected.push(body.clone());
                }
            }
        }
        (stream, expected)
    }

    fn split(stream: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for cut in cuts.into_iter().chain([stream.len()]) {
            chunks.push(stream[last..cut].to_vec());
            last = cut;
        }
        chunks
    }

    proptest! {
        #[test]
        fn frames_survive_any_chunking(frames in proptest::collection::vec(wire_frame(), 0..12), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
            let (stream, expected) = encode(&frames);
            let chunks = split(&stream, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let got: Vec<Vec<u8>> = decode_all(&refs, 1024).into_iter().map(Result::unwrap).collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn over_long_frames_are_errors_and_the_rest_survive(frames in proptest::collection::vec(wire_frame(), 0..12), cuts in proptest::collection::vec(any::<usize>(), 0..10)) {
            let max = 30;
            let (stream, expected) = encode(&frames);
            let chunks = split(&stream, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let got = decode_all(&refs, max);
            prop_assert_eq!(got.len(), expected.len());
            for (got, want) in got.iter().zip(&expected) {
                if want.len() > max {
                    prop_assert!(got.is_err());
                } else {
                    prop_assert_eq!(got.as_ref().ok(), Some(want));
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_stay_bounded(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)) {
            let mut decoder = FrameDecoder::new(16);
            for chunk in &chunks {
                decoder.push(chunk);
                while let Some(frame) = decoder.next_frame() {
                    if let Ok(frame) = frame {
                        prop_assert!(frame.len() <= 16);
                    }
                }
                prop_assert!(decoder.buffered_len() <= 16 + 1 + 64 + 10);
            }
            while decoder.finish().is_some() {}
        }
    }
}
