//! RFC 5424 and RFC 3164 parsing: the RFCs' own examples, lines seen in
//! the wild, precise errors, and round trips of generated messages.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use vigil_codecs::syslog::{Found, SyslogError, SyslogFormat, SyslogMessage, parse_syslog};
use vigil_model::Timestamp;

fn utc(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn reference() -> Timestamp {
    utc("2003-12-01T00:00:00Z")
}

fn parse(s: &str) -> Result<SyslogMessage, SyslogError> {
    parse_syslog(s.as_bytes(), reference())
}

#[test]
fn rfc5424_example_1_with_bom() {
    let m = parse_syslog(
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
        reference(),
    )
    .unwrap();
    assert_eq!(m.format, SyslogFormat::Rfc5424);
    assert_eq!((m.facility, m.severity, m.version), (4, 2, Some(1)));
    assert_eq!(m.timestamp, Some(utc("2003-10-11T22:14:15.003Z")));
    assert_eq!(m.hostname.as_deref(), Some("mymachine.example.com"));
    assert_eq!(m.app_name.as_deref(), Some("su"));
    assert_eq!(m.procid, None);
    assert_eq!(m.msgid.as_deref(), Some("ID47"));
    assert!(m.structured_data.is_empty());
    assert_eq!(m.message, "'su root' failed for lonvick on /dev/pts/8");
}

#[test]
fn rfc5424_example_2_offset_and_microseconds() {
    let m = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.").unwrap();
    assert_eq!((m.facility, m.severity), (20, 5));
    assert_eq!(m.timestamp, Some(utc("2003-08-24T12:14:15.000003Z")));
    assert_eq!(m.procid.as_deref(), Some("8710"));
    assert_eq!(m.msgid, None);
    assert_eq!(m.message, "%% It's time to make the do-nuts.");
}

#[test]
fn rfc5424_examples_3_and_4_structured_data() {
    let m = parse(r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry..."#).unwrap();
    assert_eq!(m.structured_data.len(), 1);
    assert_eq!(m.structured_data[0].id, "exampleSDID@32473");
    assert_eq!(
        m.structured_data[0].params[1],
        ("eventSource".into(), "Application".into())
    );
    assert_eq!(m.message, "An application event log entry...");

    let m = parse(r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#).unwrap();
    assert_eq!(m.structured_data.len(), 2);
    assert_eq!(
        m.structured_data[1].params,
        vec![("class".into(), "high".into())]
    );
    assert_eq!(m.message, "");
}

#[test]
fn rfc5424_escapes_in_param_values() {
    let m =
        parse(r#"<13>1 - - - - - [x@1 a="q\"uote" b="back\\slash" c="br\]acket" d="C:\temp"] m"#)
            .unwrap();
    let values: Vec<&str> = m.structured_data[0]
        .params
        .iter()
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(values, ["q\"uote", "back\\slash", "br]acket", "C:\\temp"]);
    assert_eq!(m.timestamp, None);
    assert_eq!(m.hostname, None);
}

#[test]
fn rfc5424_errors_name_offset_and_expectation() {
    assert_eq!(
        parse("<34>1 2003-10-11T22:14:15.003Z host"),
        Err(SyslogError::Unexpected {
            offset: 35,
            expected: "a space after HOSTNAME",
            found: Found::End
        })
    );
    assert_eq!(
        parse("<34>1 2003-13-11T22:14:15Z host app - - -"),
        Err(SyslogError::BadTimestamp {
            offset: 6,
            text: "2003-13-11T22:14:15Z".into()
        })
    );
    assert_eq!(
        parse(r#"<34>1 - h a p m [id x="1"#),
        Err(SyslogError::Unexpected {
            offset: 24,
            expected: "`\"` closing PARAM-VALUE",
            found: Found::End
        })
    );
    assert_eq!(
        parse("<34>1 - h a p m x"),
        Err(SyslogError::Unexpected {
            offset: 16,
            expected: "`[` or `-` starting STRUCTURED-DATA",
            found: Found::Byte(b'x')
        })
    );
    assert_eq!(
        parse("<34>1 - h a p m -x"),
        Err(SyslogError::Unexpected {
            offset: 17,
            expected: "a space before MSG, or the end",
            found: Found::Byte(b'x')
        })
    );
    let err = parse("<34>1 - h a p m [id x=1]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "syslog byte 22: expected `\"` opening PARAM-VALUE, found `1`"
    );
}

#[test]
fn pri_errors() {
    assert_eq!(parse("  \n\0"), Err(SyslogError::Empty));
    assert_eq!(
        parse("hello"),
        Err(SyslogError::Unexpected {
            offset: 0,
            expected: "`<` opening the PRI",
            found: Found::Byte(b'h')
        })
    );
    assert_eq!(
        parse("<>x"),
        Err(SyslogError::Unexpected {
            offset: 1,
            expected: "PRI digits",
            found: Found::Byte(b'>')
        })
    );
    assert_eq!(
        parse("<1234>x").unwrap_err().to_string(),
        "syslog byte 4: expected `>` closing the PRI (at most 3 digits), found `4`"
    );
    assert_eq!(
        parse("<192>x"),
        Err(SyslogError::PriOutOfRange {
            offset: 1,
            value: 192
        })
    );
    assert_eq!(
        parse("<13"),
        Err(SyslogError::Unexpected {
            offset: 3,
            expected: "`>` closing the PRI",
            found: Found::End
        })
    );
}

#[test]
fn rfc3164_example_and_common_lines() {
    let m = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
        .unwrap();
    assert_eq!(m.format, SyslogFormat::Rfc3164);
    assert_eq!(m.timestamp, Some(utc("2003-10-11T22:14:15Z")));
    assert_eq!(m.hostname.as_deref(), Some("mymachine"));
    assert_eq!(m.app_name.as_deref(), Some("su"));
    assert_eq!(m.message, "'su root' failed for lonvick on /dev/pts/8");

    let m = parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!").unwrap();
    assert_eq!(m.hostname.as_deref(), Some("10.0.0.99"));
    assert_eq!(m.app_name, None);
    assert_eq!(m.message, "Use the BFG!");

    let m = parse("<86>Jan  5 08:00:01 web01 sshd[2114]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2\n").unwrap();
    assert_eq!(
        m.timestamp,
        Some(utc("2004-01-05T08:00:01Z")),
        "year nearest the reference"
    );
    assert_eq!(
        (m.app_name.as_deref(), m.procid.as_deref()),
        (Some("sshd"), Some("2114"))
    );
    assert_eq!(
        m.message,
        "Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2"
    );
}

#[test]
fn rfc3164_zone_and_year_example() {
    let m = parse(
        "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.",
    )
    .unwrap();
    assert_eq!(m.hostname.as_deref(), Some("mymachine"));
    assert_eq!(
        (m.app_name.as_deref(), m.procid.as_deref()),
        (Some("myproc"), Some("10"))
    );
}

#[test]
fn rfc3164_without_hostname_or_timestamp() {
    let m = parse("<13>Oct 11 22:14:15 su[123]: no host here").unwrap();
    assert_eq!(m.hostname, None);
    assert_eq!(
        (m.app_name.as_deref(), m.procid.as_deref()),
        (Some("su"), Some("123"))
    );
    assert_eq!(m.message, "no host here");

    let m = parse("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!").unwrap();
    assert_eq!(m.timestamp, None);
    assert_eq!(
        m.message,
        "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!"
    );

    let m = parse("<13>1 day left").unwrap();
    assert_eq!(m.format, SyslogFormat::Rfc3164);
    assert_eq!(m.message, "1 day left");
}

#[test]
fn rfc3164_iso_timestamp_and_cisco_forms() {
    let m = parse("<34>2003-10-11T22:14:15.003+02:00 mymachine su: hi").unwrap();
    assert_eq!(m.timestamp, Some(utc("2003-10-11T20:14:15.003Z")));
    assert_eq!(m.hostname.as_deref(), Some("mymachine"));

    let m = parse("<166>Jan 05 2004 10:12:13: %ASA-6-302013: Built inbound TCP connection 1 for outside:10.1.1.1/5000").unwrap();
    assert_eq!(m.timestamp, Some(utc("2004-01-05T10:12:13Z")));
    assert_eq!(m.hostname, None);
    assert_eq!(m.app_name.as_deref(), Some("%ASA-6-302013"));
    assert_eq!(
        m.message,
        "Built inbound TCP connection 1 for outside:10.1.1.1/5000"
    );
}

#[test]
fn cef_payload_is_not_taken_for_host_or_tag() {
    let m = parse(
        "<134>Feb 14 19:04:54 CEF:0|Check Point|VPN-1 & FireWall-1|R81|100|Accept|3|src=10.0.0.1",
    )
    .unwrap();
    assert_eq!(m.hostname, None);
    assert_eq!(m.app_name, None);
    assert!(m.message.starts_with("CEF:0|Check Point|"));
    let m = parse("<134>Feb 14 19:04:54 fw01 LEEF:1.0|V|P|1|E|src=1").unwrap();
    assert_eq!(m.hostname.as_deref(), Some("fw01"));
    assert!(m.message.starts_with("LEEF:1.0|"));
}

#[test]
fn invalid_utf8_message_is_kept_lossily() {
    let m = parse_syslog(
        b"<13>Oct 11 22:14:15 host app: caf\xE9 \xFF end\0\r\n",
        reference(),
    )
    .unwrap();
    assert_eq!(m.message, "caf\u{FFFD} \u{FFFD} end");
}

fn token() -> impl Strategy<Value = String> {
    "[!-~&&[^ ]]{1,20}".prop_filter("not NILVALUE", |s| s != "-")
}

fn sd_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@.]{1,12}"
}

fn escape_sd(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]")
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_syslog(&bytes, reference());
    }

    #[test]
    fn arbitrary_headers_never_panic(head in "<[0-9]{1,3}>[0-9 \\-\\[\\]=\"a-zA-Z:.T]{0,80}") {
        let _ = parse(&head);
    }

    #[test]
    fn rfc5424_round_trip(
        pri in 0u16..=191,
        millis in 0i64..4_000_000_000_000,
        offset_minutes in -720i32..=840,
        host in proptest::option::of(token()),
        app in proptest::option::of(token()),
        procid in proptest::option::of(token()),
        msgid in proptest::option::of(token()),
        sd in proptest::collection::vec((sd_name(), proptest::collection::vec((sd_name(), any::<String>()), 0..3)), 0..3),
        msg in "[^\\s\\x00\\u{FEFF}][^\\x00]{0,60}[^\\s\\x00]|",
    ) {
        let time = DateTime::from_timestamp_millis(millis).unwrap();
        let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
        let stamp = time.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let nil = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let sd_text = if sd.is_empty() {
            "-".to_owned()
        } else {
            sd.iter().map(|(id, params)| {
                let params: String = params.iter().map(|(n, v)| format!(" {n}=\"{}\"", escape_sd(v))).collect();
                format!("[{id}{params}]")
            }).collect()
        };
        let mut line = format!("<{pri}>1 {stamp} {} {} {} {} {sd_text}", nil(&host), nil(&app), nil(&procid), nil(&msgid));
        if !msg.is_empty() {
            line.push(' ');
            line.push_str(&msg);
        }
        let m = parse(&line).unwrap();
        prop_assert_eq!(u16::from(m.facility) * 8 + u16::from(m.severity), pri);
        prop_assert_eq!(m.timestamp, Some(time));
        prop_assert_eq!(m.hostname, host);
        prop_assert_eq!(m.app_name, app);
        prop_assert_eq!(m.procid, procid);
        prop_assert_eq!(m.msgid, msgid);
        let got: Vec<(String, Vec<(String, String)>)> = m.structured_data.into_iter().map(|e| (e.id, e.params)).collect();
        prop_assert_eq!(got, sd);
        prop_assert_eq!(m.message, msg);
    }

    #[test]
    fn rfc3164_round_trip(
        pri in 0u16..=191,
        secs in 1_044_057_600i64..1_070_150_400, // Feb-Nov: nearest year is unambiguous
        host in "[a-z][a-z0-9.-]{0,15}",
        app in "[a-zA-Z][a-zA-Z0-9_/.-]{0,15}",
        pid in proptest::option::of(1u32..99999),
        msg in "[!-~][ -~]{0,60}[!-~]",
    ) {
        let time = DateTime::from_timestamp(secs, 0).unwrap();
        let reference = utc("2003-07-01T00:00:00Z");
        let tag = match pid { Some(p) => format!("{app}[{p}]:"), None => format!("{app}:") };
        let line = format!("<{pri}>{} {host} {tag} {msg}", time.format("%b %e %H:%M:%S"));
        let m = parse_syslog(line.as_bytes(), reference).unwrap();
        prop_assert_eq!(m.timestamp, Some(time));
        prop_assert_eq!(m.hostname.as_deref(), Some(host.as_str()));
        prop_assert_eq!(m.app_name.as_deref(), Some(app.as_str()));
        prop_assert_eq!(m.procid, pid.map(|p| p.to_string()));
        prop_assert_eq!(m.message, msg);
    }
}
