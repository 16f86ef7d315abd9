//! An NDJSON line read by the detection engine's reader (its fields kept
//! as text, normalised from a few members, matched on the document) gives
//! the very event and detections that the line parsed into a map gives.

use std::path::Path;

use super::*;
use vigil_detect::{LoadOptions, RuleSet};
use vigil_model::{SourceId, SourceKind};

fn corpora() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpora"
    ))
}

fn binding(product: &str) -> SourceBinding {
    SourceBinding {
        id: SourceId::new("read-path").unwrap(),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        kind: SourceKind::Http,
        product: product.into(),
    }
}

/// Lines of every shape ingest sees: the simulator's Windows, Sysmon,
/// CEF-like and physical-estate events (flat), and the Sigma project's
/// regression events (Windows events in the nested XML-to-JSON shape).
fn lines() -> Vec<String> {
    let world = vigil_sim::World::generate(11);
    let start = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let mut sim = vigil_sim::Simulator::new(&world, 11, start);
    let mut lines = Vec::new();
    let mut hour = 0;
    while lines.len() < 3_000 && hour < 24 * 7 {
        hour += 1;
        for e in sim.advance_to(start + chrono::Duration::hours(hour)) {
            if let vigil_sim::Payload::Json(fields) = e.payload {
                lines.push(serde_json::to_string(&fields).unwrap());
            }
        }
    }
    let regression = corpora().join("sigma/regression_data");
    let mut nested = 0;
    for entry in walk(&regression) {
        if entry.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&entry).unwrap();
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) {
                lines.push(serde_json::to_string(&map).unwrap());
                nested += 1;
            }
        }
    }
    assert!(nested > 100, "regression events found: {nested}");
    // Repeated keys, escapes, whitespace and numbers of every kind.
    lines.push(
        r#"  {"EventID": 1, "Image": "C:\\a.exe", "EventID": 4688, "Channel": "Security", "n": 1.5e3, "u": 18446744073709551615, "User": "\u00e9ve"}"#
            .into(),
    );
    lines
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// An alert's rule id, group and evidence fingerprints.
type AlertShape = (String, String, Vec<u64>);

/// Each event without its id (ids derive from the payload, which differs
/// between the two ways in), and each alert's rule, group and evidence
/// fingerprints.
fn comparable(out: &Processed) -> (Vec<Event>, Vec<AlertShape>) {
    let placeholder = EventId::new_at(chrono::DateTime::UNIX_EPOCH, [0; 10]);
    let events = out
        .batch
        .events
        .iter()
        .map(|e| Event {
            id: placeholder,
            ..e.clone()
        })
        .collect();
    let mut alerts: Vec<_> = out
        .batch
        .detections
        .iter()
        .map(|d| {
            let mut prints: Vec<u64> = d.evidence.iter().map(|(_, print, _)| *print).collect();
            prints.sort_unstable();
            (d.alert.rule_id.clone(), d.alert.group_key.clone(), prints)
        })
        .collect();
    alerts.sort();
    (events, alerts)
}

#[test]
fn lines_read_by_the_document_reader_are_the_events_and_detections_of_lines_parsed_into_maps() {
    let rules = RuleSet::load_dirs(
        &[corpora().join("sigma/rules/windows")],
        &LoadOptions::default(),
    )
    .unwrap()
    .ruleset;
    assert!(rules.rule_count() > 2000);
    let lines = lines();
    let received_at = chrono::DateTime::from_timestamp(1_767_300_000, 0).unwrap();
    let people = PeopleRegister::default();
    for product in ["windows", "access"] {
        let binding = binding(product);
        let read = process(
            &binding,
            Payload::Ndjson {
                body: lines.join("\n").into_bytes(),
                first_line: 1,
                origin: None,
            },
            received_at,
            &rules,
            Duration::hours(1),
            &people,
        );
        let parsed = process(
            &binding,
            Payload::Records(
                lines
                    .iter()
                    .map(|line| {
                        let fields =
                            vigil_codecs::parse_object(line.as_bytes()).map_err(|e| e.to_string());
                        (fields, line.as_bytes().to_vec())
                    })
                    .collect(),
            ),
            received_at,
            &rules,
            Duration::hours(1),
            &people,
        );
        assert_eq!(read.batch.events.len(), lines.len());
        assert!(read.rejections.is_empty(), "{:?}", read.rejections);
        assert!(
            read.batch.events.iter().all(|e| !e.fields.is_read()),
            "nothing read the fields' map"
        );
        let (read_events, read_alerts) = comparable(&read);
        let (parsed_events, parsed_alerts) = comparable(&parsed);
        for (r, p) in read_events.iter().zip(&parsed_events) {
            assert_eq!(r, p);
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(r.fields.json_text().unwrap()).unwrap(),
                serde_json::Value::from(p.fields.clone()),
            );
        }
        assert!(
            read_alerts.len() > 10,
            "{product}: {} alerts",
            read_alerts.len()
        );
        assert_eq!(read_alerts, parsed_alerts, "{product}");
    }
}

#[test]
fn lines_the_reader_refuses_are_rejected_in_the_codec_s_words() {
    let body = "{\"a\": 1}\n[1]\n{\"a\": }\n\u{feff}{}\n{\"b\": \"\\ud800\"}\n{\"c\": 2} x\n";
    let out = process(
        &binding("windows"),
        Payload::Ndjson {
            body: body.as_bytes().to_vec(),
            first_line: 1,
            origin: None,
        },
        chrono::DateTime::from_timestamp(1_767_300_000, 0).unwrap(),
        &RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default()).ruleset,
        Duration::hours(1),
        &PeopleRegister::default(),
    );
    let expected: Vec<(usize, String)> = body
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            vigil_codecs::parse_object(line.as_bytes())
                .err()
                .map(|e| (i + 1, e.to_string()))
        })
        .collect();
    let got: Vec<(usize, String)> = out
        .rejections
        .iter()
        .map(|r| (r.line, r.reason.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(out.batch.events.len(), 1);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Names normalisation looks at, and others.
    const KEYS: &[&str] = &[
        "EventID",
        "Channel",
        "time",
        "@timestamp",
        "UtcTime",
        "TimeCreated",
        "severity",
        "Level",
        "sev",
        "cef.severity",
        "cef.vendor",
        "cef.name",
        "class",
        "app_name",
        "message",
        "Computer",
        "host",
        "User",
        "TargetUserName",
        "IpAddress",
        "src",
        "Image",
        "Hashes",
        "QueryName",
        "door",
        "badge",
        "reader",
        "camera",
        "zone",
        "device",
        "Event",
        "System",
        "EventData",
        "CommandLine",
        "other",
        "é",
    ];

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            // Event ids that give a class with their channel.
            prop::sample::select(&[1, 3, 4624, 4625, 4688, 4104][..]).prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|f| format!("{f:e}")),
            prop_oneof![
                Just("2026-12-07T10:15:00Z"),
                Just("2026-12-07 10:15:00.123"),
                Just("10.0.0.7"),
                Just("::1"),
                Just("Microsoft-Windows-Sysmon/Operational"),
                Just("Security"),
                Just("SHA256=AB,MD5=CD"),
                Just("%ASA-6-113005: user = jdoe"),
                Just("login failed"),
                Just("physical_access"),
                Just("high"),
                Just("-"),
                Just(""),
                Just("C:\\\\Windows\\\\cmd.exe"),
                Just("\\u00e9\\n\\\"q\\\""),
                Just("4688"),
            ]
            .prop_map(|s| format!("\"{s}\"")),
        ]
    }

    /// The text of a JSON value: scalars, and objects (written with
    /// repeated keys as they come) one level down.
    fn value() -> impl Strategy<Value = String> {
        let member = (prop::sample::select(KEYS), scalar());
        prop_oneof![
            4 => scalar(),
            1 => prop::collection::vec(member, 0..5).prop_map(|members| object(&members)),
            1 => prop::collection::vec(scalar(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
        ]
    }

    /// Members as sources write them, so that the pairs normalisation
    /// combines (an event id and its channel, a vendor and its text) meet.
    fn typical() -> impl Strategy<Value = (&'static str, String)> {
        prop::sample::select(
            &[
                ("EventID", "4688"),
                ("EventID", "\"4624\""),
                ("EventID", "1"),
                ("EventID", "{\"#text\": \"3\"}"),
                ("Channel", "\"Security\""),
                ("Channel", "\"Microsoft-Windows-Sysmon/Operational\""),
                ("Channel", "\"Windows PowerShell\""),
                ("Level", "2"),
                ("time", "\"2026-12-07T10:15:00Z\""),
                ("TimeCreated", "{\"#attributes\": {\"SystemTime\": \"2026-12-06T09:00:00Z\"}}"),
                ("Computer", "\"ws1.corp\""),
                ("IpAddress", "\"10.0.0.7\""),
                ("app_name", "\"%ASA-6-113005\""),
                ("message", "\"AAA user authentication Rejected : user = jdoe\""),
                ("cef.vendor", "\"Fortinet\""),
                ("cef.name", "\"login failed\""),
                ("class", "\"physical_access\""),
                ("severity", "\"high\""),
                ("severity", "3"),
                ("sev", "7"),
                ("Event", "{\"System\": {\"EventID\": 4688, \"Channel\": \"Security\", \"Computer\": \"dc1\"}}"),
                ("EventData", "{\"User\": \"CORP\\\\ann\", \"Image\": \"C:\\\\x.exe\"}"),
            ][..],
        )
        .prop_map(|(k, v)| (k, v.to_owned()))
    }

    fn object(members: &[(&str, String)]) -> String {
        let members: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Normalising from the members the reader gives is normalising
        /// the whole map: time, class, severity, device and entities.
        #[test]
        fn a_line_read_is_normalised_as_the_line_parsed(
            members in prop::collection::vec(
                prop_oneof![(prop::sample::select(KEYS), value()), typical()],
                0..12,
            ),
            product in prop::sample::select(&["windows", "access", "asa", "linux"][..]),
        ) {
            let line = object(&members);
            let rules =
                RuleSet::load_sources(Vec::<(String, String)>::new(), &LoadOptions::default())
                    .ruleset;
            let received_at = chrono::DateTime::from_timestamp(1_767_300_000, 0).unwrap();
            let run = |payload| {
                process(
                    &binding(product),
                    payload,
                    received_at,
                    &rules,
                    Duration::hours(1),
                    &PeopleRegister::default(),
                )
            };
            let read = run(Payload::Ndjson {
                body: line.clone().into_bytes(),
                first_line: 1,
                origin: None,
            });
            let parsed = vigil_codecs::parse_object(line.as_bytes());
            prop_assert!(parsed.is_ok(), "{line}");
            let mapped = run(Payload::Records(vec![(
                parsed.map_err(|e| e.to_string()),
                line.clone().into_bytes(),
            )]));
            prop_assert_eq!(comparable(&read).0, comparable(&mapped).0, "{}", line);
        }
    }
}
