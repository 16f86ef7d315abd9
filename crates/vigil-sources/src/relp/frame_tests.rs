use proptest::prelude::*;

use super::*;

fn frames_of(bytes: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let mut reader = FrameReader::new(MAX_DATALEN);
    reader.push(bytes);
    let mut out = Vec::new();
    while let Some(frame) = reader.next_frame()? {
        out.push(frame);
    }
    reader.finish()?;
    Ok(out)
}

fn error_of(bytes: &[u8]) -> FrameError {
    frames_of(bytes).expect_err("a broken frame")
}

#[test]
fn an_open_and_a_syslog_frame_as_rsyslog_sends_them() {
    let open =
        b"relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";
    let mut bytes = format!("1 open {} ", open.len()).into_bytes();
    bytes.extend_from_slice(open);
    bytes.extend_from_slice(b"\n2 syslog 11 <13>1 - - -\n3 close 0\n");
    let frames = frames_of(&bytes).unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].txnr, 1);
    assert_eq!(frames[0].command, Command::Open);
    assert_eq!(&frames[0].data[..], &open[..]);
    assert_eq!(frames[1].command, Command::Syslog);
    assert_eq!(&frames[1].data[..], b"<13>1 - - -");
    assert_eq!(frames[2].command, Command::Close);
    assert!(frames[2].data.is_empty());
}

#[test]
fn data_may_hold_line_feeds_and_unknown_commands_are_named() {
    let frames = frames_of(b"7 eventlog 3 a\nb\n").unwrap();
    assert_eq!(frames[0].command, Command::Other("eventlog".into()));
    assert_eq!(&frames[0].data[..], b"a\nb");
}

#[test]
fn broken_frames_name_what_and_where() {
    let cases: [(&[u8], u64, &str); 9] = [
        (
            b"x syslog 1 a\n",
            0,
            "expected a digit of the transaction number, found `x`",
        ),
        (
            b"1234567890 syslog 1 a\n",
            9,
            "the transaction number has more than 9 digits",
        ),
        (
            b"1  syslog 1 a\n",
            2,
            "expected the command (letters), found a space",
        ),
        (
            b"1 sys-log 1 a\n",
            5,
            "expected a space after the command, found `-`",
        ),
        (
            b"1 syslog x a\n",
            9,
            "expected a digit of the data length, found `x`",
        ),
        (
            b"1 syslog 3abc\n",
            10,
            "expected a space after the data length, found `a`",
        ),
        (
            b"1 syslog 3 abcd\n",
            14,
            "expected the trailer (LF), found `d`",
        ),
        (
            b"1 close 0 \n",
            9,
            "expected the trailer (LF), found a space",
        ),
        (
            b"1 syslog 999999 a\n",
            9,
            "data length 999999 is above the limit of 131072 octets",
        ),
    ];
    for (bytes, offset, what) in cases {
        let e = error_of(bytes);
        assert_eq!(e.offset, offset, "{e}");
        assert_eq!(e.kind.to_string(), what);
    }
    let long = format!("1 {} 0\n", "a".repeat(33));
    let e = error_of(long.as_bytes());
    assert_eq!((e.offset, e.kind), (34, FrameErrorKind::CommandTooLong));
}

#[test]
fn offsets_count_from_the_start_of_the_connection() {
    let e = error_of(b"1 syslog 1 a\n2 syslog 1 bc\n");
    // The second frame starts at 13; its trailer should be at 13 + 12.
    assert_eq!(e.offset, 25);
    assert_eq!(
        e.to_string(),
        "RELP frame broken at byte 25 of the connection: expected the trailer (LF), found `c`"
    );
}

#[test]
fn a_connection_ending_inside_a_frame_is_truncated() {
    let e = error_of(b"1 syslog 1 a\n2 sysl");
    assert_eq!(e.offset, 19);
    assert_eq!(e.kind, FrameErrorKind::Truncated { buffered: 6 });
}

#[test]
fn the_limit_is_the_readers() {
    let mut reader = FrameReader::new(4);
    reader.push(b"1 syslog 5 abcde\n");
    let e = reader.next_frame().unwrap_err();
    assert_eq!(e.kind, FrameErrorKind::DataTooLong { datalen: 5, max: 4 });
}

#[test]
fn responses_are_framed_as_librelp_frames_them() {
    let mut out = Vec::new();
    encode(&mut out, 2, "rsp", b"200 OK");
    encode(&mut out, 0, "serverclose", b"");
    assert_eq!(out, b"2 rsp 6 200 OK\n0 serverclose 0\n");
    assert_eq!(next_txnr(1), 2);
    assert_eq!(next_txnr(MAX_TXNR), 1);
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("open".to_owned()),
        Just("syslog".to_owned()),
        Just("close".to_owned()),
        "[a-zA-Z]{1,32}",
    ]
}

proptest! {
    /// Whatever the frames and however the stream is cut into reads, the
    /// same frames come out.
    #[test]
    fn frames_survive_any_cut_of_the_stream(
        frames in proptest::collection::vec(
            (0u32..=MAX_TXNR, command(), proptest::collection::vec(any::<u8>(), 0..300)),
            1..12,
        ),
        cuts in proptest::collection::vec(1usize..64, 0..40),
    ) {
        let mut bytes = Vec::new();
        for (txnr, command, data) in &frames {
            encode(&mut bytes, *txnr, command, data);
        }
        let mut reader = FrameReader::new(MAX_DATALEN);
        let mut got = Vec::new();
        let mut at = 0;
        let mut cuts = cuts.into_iter();
        while at < bytes.len() {
            let end = (at + cuts.next().unwrap_or(usize::MAX / 2)).min(bytes.len());
            reader.push(&bytes[at..end]);
            at = end;
            while let Some(frame) = reader.next_frame().unwrap() {
                got.push(frame);
            }
        }
        reader.finish().unwrap();
        prop_assert_eq!(got.len(), frames.len());
        for (frame, (txnr, command, data)) in got.iter().zip(&frames) {
            prop_assert_eq!(frame.txnr, *txnr);
            prop_assert_eq!(&frame.command, &Command::of(command.as_bytes()));
            prop_assert_eq!(&frame.data[..], &data[..]);
        }
    }

    /// Any bytes: frames or an error inside what was given, never a panic,
    /// and never more buffered than one frame can hold.
    #[test]
    fn any_bytes_are_framed_or_refused_in_place(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b' '), Just(b'\n'), b'0'..=b'9', b'a'..=b'z', any::<u8>()],
            0..400,
        ),
        max in 0usize..64,
    ) {
        let mut reader = FrameReader::new(max);
        reader.push(&bytes);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => prop_assert!(frame.data.len() <= max),
                Ok(None) => {
                    prop_assert!(reader.buf.len() <= 9 + 1 + 32 + 1 + 9 + 1 + max + 1);
                    break;
                }
                Err(e) => {
                    prop_assert!(e.offset < bytes.len() as u64);
                    break;
                }
            }
        }
    }
}
