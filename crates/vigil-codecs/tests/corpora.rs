//! Normalization over real public data in `shared/corpora`: a recorded
//! attack simulation from OTRF Security-Datasets (flat JSON lines, zipped)
//! and the SigmaHQ regression events (nested `Event.System`/`Event.EventData`).
//! Each test says it is skipped when the corpus is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use vigil_codecs::{
    DEFAULT_MAX_LINE_BYTES, JsonLinesReader, LineErrorKind, normalize, parse_object,
};
use vigil_model::{
    EntityKind, Event, EventClass, EventId, Fields, SourceBinding, SourceId, SourceKind, TenantId,
    Timestamp,
};

fn corpus(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: corpus {} is absent", path.display());
        None
    }
}

fn binding() -> SourceBinding {
    SourceBinding {
        id: SourceId::new("wec").unwrap(),
        tenant: TenantId::new("shire").unwrap(),
        site: None,
        kind: SourceKind::File,
        product: "windows".into(),
    }
}

fn received_at() -> Timestamp {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

fn entities(event: &Event) -> Vec<(EntityKind, &str)> {
    event
        .entities
        .iter()
        .map(|e| (e.kind, e.value.as_str()))
        .collect()
}

#[test]
fn security_datasets_zip_normalizes_every_line() {
    let Some(path) = corpus(
        "security-datasets/atomic/windows/defense_evasion/host/reg_stop_event_logging_controlset001_minint_key.zip",
    ) else {
        return;
    };
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut events: BTreeMap<(String, u64), Event> = BTreeMap::new();
    let mut errors = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        let name = entry.name().unwrap().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        for (line, result) in JsonLinesReader::new(entry, DEFAULT_MAX_LINE_BYTES).unwrap() {
            match result {
                Ok(fields) => {
                    let id = EventId(uuid::Uuid::from_u128(u128::from(line)));
                    events.insert(
                        (name.clone(), line),
                        normalize(&binding(), fields, received_at(), id),
                    );
                }
                Err(e) => errors.push((name.clone(), e)),
            }
        }
    }

    // The zip's macOS resource fork (`__MACOSX/._*.json`) is binary: a dead letter, not a crash.
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].0.starts_with("__MACOSX/"));
    assert!(matches!(
        errors[0].1.kind,
        LineErrorKind::InvalidUtf8 { .. }
    ));
    assert_eq!(events.len(), 4923);

    for event in events.values() {
        assert_ne!(
            event.observed_at,
            received_at(),
            "every line has @timestamp"
        );
        assert_eq!(event.source.device.as_deref(), Some("Pedro01"));
        assert_eq!(event.entity(EntityKind::Host), Some("Pedro01"));
    }
    let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
    for event in events.values() {
        *by_class.entry(event.class.as_str()).or_default() += 1;
    }
    assert_eq!(by_class["registry_activity"], 675 + 143);
    assert_eq!(by_class["dns_activity"], 3);
    assert_eq!(
        by_class["authentication"],
        3 + 1 + 1 + 1 + 1,
        "4624 ×3, 4625, 4634, 4648, 4776: {by_class:?}"
    );

    let json_name = "reg_stop_event_logging_controlset001_minint_key.json".to_owned();
    let at = |line: u64| &events[&(json_name.clone(), line)];

    let logon = at(44);
    assert_eq!(logon.class, EventClass::Authentication);
    assert_eq!(
        logon.observed_at,
        "2022-08-03T04:18:35.678Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        entities(logon),
        vec![
            (EntityKind::Host, "Pedro01"),
            (EntityKind::User, "pedro"),
            (EntityKind::User, "PEDRO01$"),
            (EntityKind::Ip, "::1")
        ]
    );
    assert_eq!(
        at(41).class,
        EventClass::Authentication,
        "4625 failed logon"
    );

    let process_4688 = at(2);
    assert_eq!(process_4688.class, EventClass::ProcessActivity);
    assert_eq!(
        process_4688.entity(EntityKind::Process),
        Some("C:\\Windows\\System32\\smartscreen.exe")
    );
    assert_eq!(process_4688.entity(EntityKind::User), Some("IT01-Pedro"));

    let sysmon_1 = at(535);
    assert_eq!(sysmon_1.class, EventClass::ProcessActivity);
    assert_eq!(
        sysmon_1.entity(EntityKind::User),
        Some("PEDRO01\\IT01-Pedro")
    );
    let hashes: Vec<&str> = sysmon_1
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Hash)
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(hashes.len(), 4);
    assert!(hashes.contains(&"98321825F06128D24ADE15AA703E193F"));

    assert_eq!(at(92).class, EventClass::RegistryActivity);
    assert_eq!(at(852).class, EventClass::FileActivity);
    let dns = at(809);
    assert_eq!(
        (dns.class, dns.entity(EntityKind::Domain)),
        (EventClass::DnsActivity, Some("checkappexec.microsoft.com"))
    );
    let connection = at(2696);
    assert_eq!(connection.class, EventClass::NetworkActivity);
    let ips: Vec<&str> = connection
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Ip)
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(ips, ["192.168.56.43", "192.168.56.40"]);
    assert_eq!(
        at(4870).class,
        EventClass::ProcessActivity,
        "PowerShell 4104 script block"
    );
    assert_eq!(
        at(4870).fields["EventID"],
        serde_json::json!(4104),
        "fields are kept whole"
    );
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn check_regression_event(path: &Path, fields: Fields, checked: &mut usize) {
    let system = fields["Event"]["System"].clone();
    let event = normalize(
        &binding(),
        fields,
        received_at(),
        EventId(uuid::Uuid::nil()),
    );

    let stamp = system["TimeCreated"]["#attributes"]["SystemTime"]
        .as_str()
        .unwrap();
    let expected_time: Timestamp = DateTime::parse_from_rfc3339(stamp)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(event.observed_at, expected_time, "{}", path.display());
    assert_eq!(
        event.source.device.as_deref(),
        system["Computer"].as_str(),
        "{}",
        path.display()
    );

    let channel = system["Channel"].as_str().unwrap();
    let expected = match (channel, system["EventID"].as_u64().unwrap()) {
        ("Microsoft-Windows-Sysmon/Operational", 1) => Some(EventClass::ProcessActivity),
        ("Microsoft-Windows-Sysmon/Operational", 11) => Some(EventClass::FileActivity),
        ("Microsoft-Windows-Sysmon/Operational", 12 | 13) => Some(EventClass::RegistryActivity),
        ("Security", 4648) => Some(EventClass::Authentication),
        _ => None,
    };
    if let Some(class) = expected {
        assert_eq!(event.class, class, "{}", path.display());
        *checked += 1;
    }
    if event.class == EventClass::ProcessActivity {
        assert!(
            event.entity(EntityKind::Process).is_some(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn sigma_regression_events_nested_windows() {
    let Some(root) = corpus("sigma/regression_data/rules/windows") else {
        return;
    };
    let mut files = Vec::new();
    json_files(&root, &mut files);
    assert!(files.len() > 150, "{} files", files.len());
    let mut checked = 0;
    let mut events = 0;
    for path in &files {
        // Some files hold several pretty-printed events one after another.
        let bytes = std::fs::read(path).unwrap();
        for fields in serde_json::Deserializer::from_slice(&bytes).into_iter::<Fields>() {
            let fields = fields.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            check_regression_event(path, fields, &mut checked);
            events += 1;
        }
    }
    assert!(
        events > files.len(),
        "{events} events in {} files",
        files.len()
    );
    assert!(checked > 150, "{checked} events with a known class");

    let file_event = root.join("file/file_event/file_event_win_creation_system_file/d5866ddf-ce8f-4aea-b28e-d96485a20d3d.json");
    let fields = parse_object(&std::fs::read(file_event).unwrap()).unwrap();
    let event = normalize(
        &binding(),
        fields,
        received_at(),
        EventId(uuid::Uuid::nil()),
    );
    assert_eq!(event.class, EventClass::FileActivity);
    assert_eq!(
        entities(&event),
        vec![
            (EntityKind::Host, "ar-win-dc.attackrange.local"),
            (EntityKind::User, "ATTACKRANGE\\Administrator"),
            (EntityKind::Process, "C:\\Windows\\system32\\cmd.exe"),
        ]
    );
}
