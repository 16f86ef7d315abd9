use super::*;
use crate::dc09::frame::parse_envelope;
use crate::dc09::sender::Dc09Sender;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn key() -> PanelKey {
    PanelKey::from_hex("000102030405060708090A0B0C0D0E0F").unwrap()
}

fn receiver() -> Dc09Receiver {
    let mut plain = PanelAccount::new("1234");
    plain.site = Some(SiteId::new("lon1").unwrap());
    plain.zones.insert("1".into(), "lon1-perimeter".into());
    plain.areas.insert("2".into(), "lon1-hall-1".into());
    let mut secret = PanelAccount::new("5678");
    secret.key = Some(key());
    Dc09Receiver::new([plain, secret], TimeWindow::default())
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(7)
}

fn accept(v: Verdict) -> Accepted {
    match v {
        Verdict::Accept(a) => a,
        Verdict::Reject(r) => panic!("rejected: {}", r.reason),
    }
}

fn reject(v: Verdict) -> Rejected {
    match v {
        Verdict::Reject(r) => r,
        Verdict::Accept(a) => panic!("accepted: {a:?}"),
    }
}

#[test]
fn a_plain_sia_burglary_is_accepted_mapped_and_acked_to_the_byte() {
    // CRC and length as computed by the dc09_spt dialler's own CRC routine.
    let frame = b"\nB6B70028\"SIA-DCS\"0001R1L1#1234[#1234|Nri2/BA001]\r";
    let a = accept(receiver().receive(frame, now(), &mut rng()));
    assert_eq!(a.ack, b"\nD2770014\"ACK\"0001R1L1#1234[]\r");
    assert_eq!(a.site.as_ref().map(SiteId::as_str), Some("lon1"));
    assert_eq!(a.records.len(), 1);
    let f = &a.records[0].0;
    assert_eq!(f["class"], "intrusion_alarm");
    assert_eq!(f["action"], "burglary");
    assert_eq!(f["alarm_state"], "alarm");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["zone"], "lon1-perimeter", "zone 001 maps through `1`");
    assert_eq!(f["panel_zone"], "001");
    assert_eq!(f["panel_area"], "2");
    assert_eq!(f["panel"], "panel-1234");
    assert_eq!(
        f["time"], "2026-11-27T10:00:00Z",
        "no timestamp: receive time"
    );
    assert_eq!(a.armed, None);
}

#[test]
fn contact_id_closing_arms_and_maps_the_area() {
    let sender = Dc09Sender::new("1234");
    let frame = sender.frame(2, "ADM-CID", "3401 02 005", now(), true, &mut rng());
    let a = accept(receiver().receive(&frame, now(), &mut rng()));
    let f = &a.records[0].0;
    assert_eq!(f["action"], "armed");
    assert_eq!(f["panel_user"], "005");
    assert_eq!(f["zone"], "lon1-hall-1", "no zone: the area's mapping");
    assert!(f.get("alarm_state").is_none());
    assert_eq!(a.armed, Some(true));
}

#[test]
fn encrypted_frames_open_and_get_an_encrypted_ack_with_our_time() {
    let sender = Dc09Sender::new("5678").with_key(key());
    let frame = sender.frame(
        42,
        "SIA-DCS",
        "NFA129",
        now() - Duration::seconds(5),
        false,
        &mut rng(),
    );
    assert!(frame.windows(11).any(|w| w == b"\"*SIA-DCS\"0"));
    let a = accept(receiver().receive(&frame, now(), &mut rng()));
    assert_eq!(a.records[0].0["action"], "fire");
    assert_eq!(a.records[0].0["encrypted"], true);
    assert_eq!(a.records[0].0["time"], "2026-11-27T09:59:55Z");
    let env = parse_envelope(&a.ack).unwrap();
    let (h, rest) = parse_header(env.body).unwrap();
    assert!(h.encrypted && h.token == "ACK" && h.sequence == "0042");
    let plain = key().decrypt_hex(&rest[1..]).unwrap();
    assert_eq!(strip_pad(&plain), Some(&b"]_10:00:00,11-27-2026"[..]));
    // A re-encryption (new pad) of the same event is the same event.
    let again = sender.frame(
        42,
        "SIA-DCS",
        "NFA129",
        now() - Duration::seconds(5),
        false,
        &mut ChaCha8Rng::seed_from_u64(99),
    );
    assert_ne!(again, frame);
    let b = accept(receiver().receive(&again, now(), &mut rng()));
    assert_eq!(a.records[0].1, b.records[0].1);
}

#[test]
fn supervision_messages_have_no_records() {
    let frame = Dc09Sender::new("1234").frame(0, "NULL", "", now(), false, &mut rng());
    let a = accept(receiver().receive(&frame, now(), &mut rng()));
    assert!(a.records.is_empty());
    assert_eq!(
        a.ack,
        crate::dc09::frame::build_frame(b"\"ACK\"0000R1L1#1234[]")
    );
}

#[test]
fn naks_carry_the_receivers_time_to_the_byte() {
    let expected = crate::dc09::frame::build_frame(b"\"NAK\"0000R0L0A0[]_10:00:00,11-27-2026");
    let mut bad_crc = Dc09Sender::new("1234").frame(3, "SIA-DCS", "NBA1", now(), false, &mut rng());
    bad_crc[2] ^= 0x01;
    let r = reject(receiver().receive(&bad_crc, now(), &mut rng()));
    assert_eq!((r.kind, &r.response), (ResponseKind::Nak, &expected));
    assert!(r.reason.contains("CRC"), "{}", r.reason);

    let body = b"\"SIA-DCS\"0003#1234[#1234|NBA1]";
    let mut wrong_len = crate::dc09::frame::build_frame(body);
    wrong_len[8] = b'0' + (wrong_len[8] - b'0' + 1) % 10;
    let r = reject(receiver().receive(&wrong_len, now(), &mut rng()));
    assert!(r.reason.contains("length mismatch"), "{}", r.reason);

    let stale = Dc09Sender::new("1234").frame(
        3,
        "SIA-DCS",
        "NBA1",
        now() - Duration::seconds(21),
        true,
        &mut rng(),
    );
    let r = reject(receiver().receive(&stale, now(), &mut rng()));
    assert_eq!(r.kind, ResponseKind::Nak);
    assert!(r.reason.contains("21s behind"), "{}", r.reason);
    let early = Dc09Sender::new("1234").frame(
        3,
        "SIA-DCS",
        "NBA1",
        now() + Duration::seconds(41),
        true,
        &mut rng(),
    );
    assert!(
        reject(receiver().receive(&early, now(), &mut rng()))
            .reason
            .contains("41s ahead")
    );
    // The window's edges are inside it.
    let edge = Dc09Sender::new("1234").frame(
        3,
        "SIA-DCS",
        "NBA1",
        now() - Duration::seconds(20),
        true,
        &mut rng(),
    );
    accept(receiver().receive(&edge, now(), &mut rng()));

    let malformed = crate::dc09::frame::build_frame(b"\"SIA-DCS\"0003#1234[#1234|NBA1]junk");
    let r = reject(receiver().receive(&malformed, now(), &mut rng()));
    assert!(r.reason.contains("body byte 30"), "{}", r.reason);
}

#[test]
fn duh_for_what_is_intact_but_not_processed() {
    let r = reject(receiver().receive(
        &Dc09Sender::new("9999").frame(5, "SIA-DCS", "NBA1", now(), false, &mut rng()),
        now(),
        &mut rng(),
    ));
    assert_eq!(r.kind, ResponseKind::Duh);
    assert_eq!(
        r.response,
        crate::dc09::frame::build_frame(b"\"DUH\"0005R1L1#9999[]")
    );
    assert!(r.reason.contains("`9999` is not configured"));
    let r = reject(receiver().receive(
        &Dc09Sender::new("1234").frame(5, "SIA-DCX", "NBA1", now(), false, &mut rng()),
        now(),
        &mut rng(),
    ));
    assert!(r.reason.contains("not supported"));
    // Downgrade: an account with a key must not be accepted in clear.
    let r = reject(receiver().receive(
        &Dc09Sender::new("5678").frame(5, "SIA-DCS", "NBA1", now(), false, &mut rng()),
        now(),
        &mut rng(),
    ));
    assert!(r.reason.contains("must encrypt"));
    let r = reject(receiver().receive(
        &Dc09Sender::new("1234").with_key(key()).frame(
            5,
            "SIA-DCS",
            "NBA1",
            now(),
            false,
            &mut rng(),
        ),
        now(),
        &mut rng(),
    ));
    assert!(r.reason.contains("has no key"));
    let r = reject(receiver().receive(
        &Dc09Sender::new("1234").frame(5, "SIA-DCS", "N!!", now(), false, &mut rng()),
        now(),
        &mut rng(),
    ));
    assert_eq!(r.kind, ResponseKind::Duh);
    // The wrong key: the content does not open.
    let wrong = PanelKey::from_hex(&"ff".repeat(16)).unwrap();
    let r = reject(receiver().receive(
        &Dc09Sender::new("5678").with_key(wrong).frame(
            5,
            "SIA-DCS",
            "NBA1",
            now(),
            false,
            &mut rng(),
        ),
        now(),
        &mut rng(),
    ));
    assert_eq!(r.kind, ResponseKind::Nak);
}

proptest! {
    #[test]
    fn the_receiver_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = receiver().receive(&bytes, now(), &mut rng());
        let mut framed = vec![b'\n'];
        framed.extend_from_slice(&bytes);
        framed.push(b'\r');
        let _ = receiver().receive(&framed, now(), &mut rng());
    }

    #[test]
    fn any_intact_body_gets_an_answer(body in "\"(\\*)?(SIA-DCS|ADM-CID|NULL|X)\"[0-9]{4}(R1)?(L2)?#(1234|5678|77)\\[[ -~]{0,40}") {
        let frame = crate::dc09::frame::build_frame(body.as_bytes());
        match receiver().receive(&frame, now(), &mut rng()) {
            Verdict::Accept(a) => prop_assert!(!a.ack.is_empty()),
            Verdict::Reject(r) => prop_assert!(!r.response.is_empty()),
        }
    }
}
