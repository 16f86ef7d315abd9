//! Newline-delimited JSON: one object per line, from an HTTP body in
//! memory or from a (possibly gzipped) JSON-lines file.
//!
//! Every line is judged on its own: a bad line is reported with its number
//! and reason and the good lines around it are kept. Blank lines are
//! skipped (but counted). A line may end in CRLF.
//!
//! The parser is serde_json. Measured on this machine (benches/parse.rs,
//! 500 Security-Datasets lines of 1.4 KB each): serde_json into `Fields`
//! takes about 4.6 µs a line and sonic-rs into the same `Fields` about the
//! same (4.9 µs quiet, within noise under load), against 1.4 µs for
//! sonic-rs into its own `Value`. `Event.fields` is a `serde_json::Map`,
//! and building it (allocating every key and string), not scanning the
//! text, is the cost; so the extra dependency buys nothing.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};

use serde::de::{MapAccess, Visitor};
use serde_json::Value;
use vigil_model::Fields;

/// Default longest line accepted: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// At most this much of a bad line is kept in [`LineError::raw`].
pub const RAW_KEEP_BYTES: usize = 64 * 1024;

/// A line that did not yield an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// The 1-based line number.
    pub line: u64,
    /// What was wrong.
    pub kind: LineErrorKind,
    /// The line as received, up to [`RAW_KEEP_BYTES`], for a dead letter.
    pub raw: Vec<u8>,
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorKind {
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8 at column {column}")]
    InvalidUtf8 {
        /// 1-based byte column of the first bad byte.
        column: usize,
    },
    /// Text that is not JSON.
    #[error("invalid JSON at column {column}: {reason}")]
    InvalidJson {
        /// 1-based byte column where parsing failed.
        column: usize,
        /// The parser's account of the problem.
        reason: String,
    },
    /// JSON, but not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// `an array`, `a string`, `a number`, `a boolean` or `null`.
        found: &'static str,
    },
    /// A line over the length limit; it is not parsed.
    #[error("line of {length} bytes is over the limit of {limit}")]
    TooLong {
        /// Its length in bytes.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// Reading or decompressing the input failed; nothing follows.
    #[error("read failed: {0}")]
    Read(String),
}

/// Parses one line (without its line end) as a JSON object.
pub fn parse_object(line: &[u8]) -> Result<Fields, LineErrorKind> {
    let text = std::str::from_utf8(line).map_err(|e| LineErrorKind::InvalidUtf8 {
        column: e.valid_up_to() + 1,
    })?;
    let first = text.bytes().find(|c| !c.is_ascii_whitespace());
    if first == Some(b'{') {
        return object(text).map_err(json_error);
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(json_error)?;
    let found = match first {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    };
    Err(LineErrorKind::NotAnObject { found })
}

/// Parses `text`, known to start with `{`, as [`Fields`] — as
/// `serde_json::from_str::<Fields>` does (a repeated key keeps its first
/// place and its last value), but with the map made at its final size.
/// Grown one entry at a time, the map (an `IndexMap` in this workspace,
/// where `serde_json/preserve_order` is on) rehashed and reallocated its
/// table and entry list several times per event: about 5 % of
/// `vigil bench ingest`'s CPU in `perf`.
fn object(text: &str) -> Result<Fields, serde_json::Error> {
    thread_local! {
        // The entries of the line being parsed, reused from line to line.
        static ENTRIES: RefCell<Vec<(String, Value)>> = const { RefCell::new(Vec::new()) };
    }
    ENTRIES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut entries) => object_with(text, &mut entries),
        Err(_) => object_with(text, &mut Vec::new()),
    })
}

fn object_with(
    text: &str,
    entries: &mut Vec<(String, Value)>,
) -> Result<Fields, serde_json::Error> {
    entries.clear();
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_map(&mut de, Entries(entries))?;
    de.end()?;
    // Extending inserts one by one, so a repeated key behaves as in
    // `Map::insert`; the iterator's exact length sizes the map once.
    let fields = entries.drain(..).collect();
    // A line of very many keys must not pin its list's memory for good.
    entries.shrink_to(KEPT_ENTRIES);
    Ok(fields)
}

/// Entries room is kept for between lines.
const KEPT_ENTRIES: usize = 1024;

/// A visitor that collects an object's entries, in order, into a list.
struct Entries<'a>(&'a mut Vec<(String, Value)>);

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(entry) = map.next_entry::<String, Value>()? {
            self.0.push(entry);
        }
        Ok(())
    }
}

fn json_error(e: serde_json::Error) -> LineErrorKind {
    let message = e.to_string();
    let reason = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(reason, _)| reason);
    LineErrorKind::InvalidJson {
        column: e.column(),
        reason: reason.to_owned(),
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Parses line `number` of an NDJSON body (without its line end) as the
/// lines iterator does: an error when it is over `limit` bytes or not one
/// JSON object.
pub fn parse_line(number: u64, line: &[u8], limit: usize) -> Result<Fields, LineError> {
    judge(number, line, line.len(), limit)
}

fn judge(number: u64, line: &[u8], length: usize, limit: usize) -> Result<Fields, LineError> {
    let fail = |kind| LineError {
        line: number,
        kind,
        raw: line[..line.len().min(RAW_KEEP_BYTES)].to_vec(),
    };
    if length > limit {
        return Err(fail(LineErrorKind::TooLong { length, limit }));
    }
    parse_object(line).map_err(fail)
}

/// The lines of an NDJSON body in memory; see [`ndjson_lines`].
#[derive(Debug, Clone)]
pub struct NdjsonLines<'a> {
    rest: &'a [u8],
    line: u64,
    max_line_bytes: usize,
}

/// Iterates the objects of an NDJSON body: `(line number, object or error)`
/// for each non-blank line. Lines over `max_line_bytes` are errors.
pub fn ndjson_lines(body: &[u8], max_line_bytes: usize) -> NdjsonLines<'_> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    NdjsonLines {
        rest: body,
        line: 0,
        max_line_bytes,
    }
}

impl<'a> NdjsonLines<'a> {
    /// Like [`Iterator::next`], but also gives the line's own bytes (without
    /// its line end), for callers that fingerprint what the source sent.
    pub fn next_with_raw(&mut self) -> Option<(u64, &'a [u8], Result<Fields, LineError>)> {
        let (number, line) = self.next_line()?;
        let parsed = judge(number, line, line.len(), self.max_line_bytes);
        Some((number, line, parsed))
    }

    /// The next non-blank line, without its line end, and its number, not
    /// parsed: for a caller with its own reader, which gives the lines its
    /// reader does not take to [`parse_line`] for the verdict and the words
    /// of this module's.
    pub fn next_line(&mut self) -> Option<(u64, &'a [u8])> {
        while !self.rest.is_empty() {
            let (mut line, rest) = match memchr::memchr(b'\n', self.rest) {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            self.line += 1;
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            if is_blank(line) {
                continue;
            }
            return Some((self.line, line));
        }
        None
    }
}

impl Iterator for NdjsonLines<'_> {
    type Item = (u64, Result<Fields, LineError>);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with_raw()
            .map(|(number, _, parsed)| (number, parsed))
    }
}

/// Counts the bytes taken from the underlying reader, for progress.
#[derive(Debug)]
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

type Source<R> = Chain<Cursor<Vec<u8>>, Counting<R>>;

enum Input<R: Read> {
    Plain(BufReader<Source<R>>),
    /// Boxed: the inflater's state is several hundred bytes.
    Gzip(Box<BufReader<flate2::read::MultiGzDecoder<Source<R>>>>),
}

/// The objects of a JSON-lines stream, gzip-compressed or not (told by the
/// magic bytes, not the name): yields `(line number, object or error)` for
/// each non-blank line; after a read error (reported as
/// [`LineErrorKind::Read`]) it ends.
pub struct JsonLinesReader<R: Read> {
    input: Input<R>,
    line: u64,
    max_line_bytes: usize,
    buffer: Vec<u8>,
    done: bool,
}

impl<R: Read> JsonLinesReader<R> {
    /// Wraps `reader`, sniffing its first two bytes for the gzip magic.
    pub fn new(reader: R, max_line_bytes: usize) -> io::Result<Self> {
        let mut counting = Counting {
            inner: reader,
            count: 0,
        };
        let mut magic = Vec::with_capacity(2);
        while magic.len() < 2 {
            let mut byte = [0u8; 1];
            match counting.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => magic.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let gzip = magic == [0x1f, 0x8b];
        let source = Cursor::new(magic).chain(counting);
        let input = if gzip {
            Input::Gzip(Box::new(BufReader::with_capacity(
                64 * 1024,
                flate2::read::MultiGzDecoder::new(source),
            )))
        } else {
            Input::Plain(BufReader::with_capacity(64 * 1024, source))
        };
        Ok(Self {
            input,
            line: 0,
            max_line_bytes,
            buffer: Vec::new(),
            done: false,
        })
    }

    /// Whether the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        matches!(self.input, Input::Gzip(_))
    }

    /// Bytes taken from the underlying reader so far (compressed bytes for
    /// gzip, so that progress compares with the file's size).
    pub fn bytes_read(&self) -> u64 {
        match &self.input {
            Input::Plain(r) => r.get_ref().get_ref().1.count,
            Input::Gzip(r) => r.get_ref().get_ref().get_ref().1.count,
        }
    }

    /// Reads the next line into `self.buffer` (at most the limit plus one
    /// byte kept); returns its full length, or `None` at the end.
    fn read_line(&mut self) -> Option<io::Result<usize>> {
        self.buffer.clear();
        let reader: &mut dyn BufRead = match &mut self.input {
            Input::Plain(r) => r,
            Input::Gzip(r) => &mut **r,
        };
        let keep = self.max_line_bytes.saturating_add(1);
        let mut length = 0usize;
        let mut started = false;
        loop {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                return started.then_some(Ok(length));
            }
            started = true;
            let (chunk, used, ended) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            let room = keep.saturating_sub(self.buffer.len());
            self.buffer
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
            length += chunk.len();
            reader.consume(used);
            if ended {
                return Some(Ok(length));
            }
        }
    }
}

impl<R: Read> Iterator for JsonLinesReader<R> {
    type Item = (u64, Result<Fields, LineError>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let length = match self.read_line()? {
                Ok(length) => length,
                Err(e) => {
                    self.done = true;
                    let kind = LineErrorKind::Read(e.to_string());
                    return Some((
                        self.line + 1,
                        Err(LineError {
                            line: self.line + 1,
                            kind,
                            raw: Vec::new(),
                        }),
                    ));
                }
            };
            self.line += 1;
            if self.line == 1 && self.buffer.starts_with(b"\xEF\xBB\xBF") {
                self.buffer.drain(..3);
            }
            let mut line = &self.buffer[..];
            let mut length = length;
            if let Some(stripped) = line.strip_suffix(b"\r").filter(|_| length == line.len()) {
                line = stripped;
                length -= 1;
            }
            if length <= line.len() && is_blank(line) {
                continue;
            }
            return Some((
                self.line,
                judge(self.line, line, length, self.max_line_bytes),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::io::Write;

    type Numbered = Vec<(u64, Result<Fields, LineErrorKind>)>;

    fn collect(body: &[u8], max: usize) -> Numbered {
        ndjson_lines(body, max)
            .map(|(n, r)| (n, r.map_err(|e| e.kind)))
            .collect()
    }

    fn obj(v: serde_json::Value) -> Fields {
        v.as_object().unwrap().clone().into()
    }

    #[test]
    fn an_object_parses_as_serde_json_parses_it_repeated_keys_and_all() {
        let lines = [
            r#"{"b":1,"a":{"y":[1,{"z":null}],"x":2.5},"b":"again","c":true}"#,
            r#"{}"#,
            r#" { "k" : "v" } "#,
        ];
        for line in lines {
            let ours = parse_object(line.as_bytes()).unwrap();
            let theirs: Fields = serde_json::from_str(line).unwrap();
            assert_eq!(ours, theirs, "{line}");
            // Order too: the stored and re-serialised form depends on it.
            let keys = |f: &Fields| f.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&ours), keys(&theirs), "{line}");
        }
        for bad in [r#"{"a":1} x"#, r#"{"a":1,}"#, r#"{"a" 1}"#, r#"{"a":1"#] {
            let ours = parse_object(bad.as_bytes()).unwrap_err();
            let theirs = json_error(serde_json::from_str::<Fields>(bad).unwrap_err());
            assert_eq!(ours, theirs, "{bad}");
        }
    }

    const MIXED: &[u8] = b"{\"a\":1}\r\n\n   \n{\"b\":\"x\"}\n\xff{}\n{\"a\":}\n[1,2]\n\"s\"\n{\"long\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n{\"last\":true}";

    fn mixed_expected() -> Numbered {
        vec![
            (1, Ok(obj(json!({"a": 1})))),
            (4, Ok(obj(json!({"b": "x"})))),
            (5, Err(LineErrorKind::InvalidUtf8 { column: 1 })),
            (
                6,
                Err(LineErrorKind::InvalidJson {
                    column: 6,
                    reason: "expected value".into(),
                }),
            ),
            (7, Err(LineErrorKind::NotAnObject { found: "an array" })),
            (8, Err(LineErrorKind::NotAnObject { found: "a string" })),
            (
                9,
                Err(LineErrorKind::TooLong {
                    length: 56,
                    limit: 40,
                }),
            ),
            (10, Ok(obj(json!({"last": true})))),
        ]
    }

    #[test]
    fn body_lines_report_each_error_and_keep_good_lines() {
        assert_eq!(collect(MIXED, 40), mixed_expected());
        let err = ndjson_lines(b"\n{\"a\":}", 100)
            .next()
            .unwrap()
            .1
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: invalid JSON at column 6: expected value"
        );
        assert_eq!(err.raw, b"{\"a\":}");
    }

    #[test]
    fn bom_and_trailing_garbage() {
        let got = collect(b"\xEF\xBB\xBF{\"a\":1}\n{\"a\":1} x\nnull\n", 100);
        assert_eq!(got[0], (1, Ok(obj(json!({"a": 1})))));
        assert!(
            matches!(&got[1].1, Err(LineErrorKind::InvalidJson { column: 9, reason }) if reason == "trailing characters")
        );
        assert_eq!(got[2].1, Err(LineErrorKind::NotAnObject { found: "null" }));
    }

    /// Hands out at most `step` bytes per read, as a slow socket or pipe does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read_all<R: Read>(reader: R, max: usize) -> (Numbered, bool, u64) {
        let mut lines = JsonLinesReader::new(reader, max).unwrap();
        let got = lines
            .by_ref()
            .map(|(n, r)| (n, r.map_err(|e| e.kind)))
            .collect();
        (got, lines.is_gzip(), lines.bytes_read())
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reader_matches_body_for_plain_and_gzip() {
        let (got, is_gzip, read) = read_all(
            Trickle {
                data: MIXED,
                step: 3,
            },
            40,
        );
        assert_eq!(
            (got, is_gzip, read),
            (mixed_expected(), false, MIXED.len() as u64)
        );
        let compressed = gzip(MIXED);
        let (got, is_gzip, read) = read_all(
            Trickle {
                data: &compressed,
                step: 1,
            },
            40,
        );
        assert_eq!(
            (got, is_gzip, read),
            (mixed_expected(), true, compressed.len() as u64)
        );
    }

    #[test]
    fn concatenated_gzip_members_and_corrupt_gzip() {
        let mut two = gzip(b"{\"a\":1}\n");
        two.extend(gzip(b"{\"a\":2}\n"));
        let (got, _, _) = read_all(&two[..], 100);
        assert_eq!(
            got,
            vec![(1, Ok(obj(json!({"a": 1})))), (2, Ok(obj(json!({"a": 2}))))]
        );

        let mut corrupt = gzip(b"{\"a\":1}\n{\"a\":2}\n");
        let len = corrupt.len();
        corrupt[len / 2] ^= 0xff;
        corrupt.truncate(len - 4);
        let (got, _, _) = read_all(&corrupt[..], 100);
        assert!(
            matches!(got.last(), Some((_, Err(LineErrorKind::Read(_))))),
            "{got:?}"
        );
    }

    #[test]
    fn reader_bounds_a_huge_line() {
        let mut data = b"{\"a\":\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', 200_000));
        data.extend(b"\"}\n{\"b\":2}\n");
        let mut lines = JsonLinesReader::new(&data[..], 1000).unwrap();
        let (n, first) = lines.next().unwrap();
        assert_eq!(
            (n, first.unwrap_err().kind),
            (
                1,
                LineErrorKind::TooLong {
                    length: 200_008,
                    limit: 1000
                }
            )
        );
        assert!(lines.buffer.capacity() < 100_000);
        assert_eq!(lines.next().unwrap().1.unwrap(), obj(json!({"b": 2})));
        assert!(lines.next().is_none());
    }

    #[test]
    fn empty_and_tiny_inputs() {
        assert!(read_all(&b""[..], 10).0.is_empty());
        assert_eq!(
            read_all(&b"1"[..], 10).0,
            vec![(1, Err(LineErrorKind::NotAnObject { found: "a number" }))]
        );
        assert_eq!(read_all(&b"\x1f"[..], 10).0[0].0, 1);
    }

    fn small_object() -> impl Strategy<Value = Fields> {
        proptest::collection::btree_map(
            "[a-zA-Z_@.]{1,10}",
            prop_oneof![
                any::<i64>().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                ".{0,20}".prop_map(serde_json::Value::from),
            ],
            0..6,
        )
        .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), max in 0usize..64) {
            let body_count = ndjson_lines(&bytes, max).count();
            let reader_count = JsonLinesReader::new(&bytes[..], max).unwrap().count();
            prop_assert!(body_count <= bytes.len() + 1);
            prop_assert!(reader_count <= bytes.len() + 1);
            let compressed = gzip(&bytes);
            let _ = JsonLinesReader::new(&compressed[..], max).unwrap().count();
        }

        #[test]
        fn objects_round_trip_with_line_numbers(
            objects in proptest::collection::vec((small_object(), 0usize..3, any::<bool>()), 0..20),
            step in 1usize..50,
        ) {
            let mut body = Vec::new();
            let mut expected = Vec::new();
            let mut line = 0u64;
            for (object, blanks, crlf) in &objects {
                for _ in 0..*blanks {
                    body.extend(b" \n");
                    line += 1;
                }
                body.extend(serde_json::to_vec(object).unwrap());
                body.extend(if *crlf { &b"\r\n"[..] } else { &b"\n"[..] });
                line += 1;
                expected.push((line, Ok(object.clone())));
            }
            prop_assert_eq!(collect(&body, DEFAULT_MAX_LINE_BYTES), expected.clone());
            let (from_reader, _, _) = read_all(Trickle { data: &body, step }, DEFAULT_MAX_LINE_BYTES);
            prop_assert_eq!(from_reader, expected.clone());
            let (from_gzip, _, _) = read_all(&gzip(&body)[..], DEFAULT_MAX_LINE_BYTES);
            prop_assert_eq!(from_gzip, expected);
        }
    }
}
