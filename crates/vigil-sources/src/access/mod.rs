//! Access control: the canonical actions and denial reasons of Vigil's
//! `physical_access` events, the mapping from the words access-control
//! systems use for them, and the import of their CSV exports.
//!
//! Live events arrive as JSON over HTTP, posted with the ingest token of a
//! source whose product is `access`: to `POST /api/v1/access/events`
//! ([`endpoint`]), which reads Vigil's action names or the system's own
//! words ([`live`]) and feeds reader heartbeats to supervision; or, already
//! in Vigil's words (the schema is in `vigil_codecs::normalize`'s
//! documentation), to the generic `POST /api/v1/ingest`. A CSV export is imported
//! with `vigil estate import-access FILE --tenant T`: each row becomes the
//! same event, its own columns kept, with `action` and `reason` in Vigil's
//! words.
//!
//! CSV columns (headers in any case): `time` (or `timestamp`, `date_time`,
//! `event_time`), `event` (or `action`, `event_type`, `description`),
//! `door`, `reader`, `zone` (or `area`), `badge` (or `card`,
//! `card_number`), `person` (or `cardholder`), `reason` (or
//! `denial_reason`), `count` (or `people_count`), `site`.

pub mod endpoint;
pub mod live;

use chrono::{NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use vigil_model::{Fields, Timestamp};

/// The actions of `physical_access` events. A `heartbeat` from a live
/// source is supervision only and is not stored (see [`live`]).
pub const ACTIONS: [&str; 13] = [
    "access_granted",
    "access_denied",
    "door_forced_open",
    "door_held_open",
    "duress",
    "tamper",
    "reader_offline",
    "reader_online",
    "heartbeat",
    "door_opened",
    "door_closed",
    "people_counted",
    "other",
];

/// The reasons of `access_denied`.
pub const DENIAL_REASONS: [&str; 6] = [
    "unknown_card",
    "expired",
    "out_of_schedule",
    "wrong_pin",
    "anti_passback",
    "other",
];

/// Vigil's action for a vendor's event text, and for denials its reason.
pub fn classify(text: &str) -> (&'static str, Option<&'static str>) {
    let t = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["forced"]) {
        return ("door_forced_open", None);
    }
    if has(&["held", "propped", "ajar", "left open"]) {
        return ("door_held_open", None);
    }
    if has(&["duress"]) {
        return ("duress", None);
    }
    if has(&["tamper"]) {
        return ("tamper", None);
    }
    if has(&[
        "offline",
        "comm loss",
        "communication lost",
        "communications lost",
        "not responding",
    ]) {
        return ("reader_offline", None);
    }
    if has(&["heartbeat", "keepalive", "keep-alive", "keep alive"]) {
        return ("heartbeat", None);
    }
    if has(&[
        "online",
        "comm restored",
        "communication restored",
        "communications restored",
    ]) {
        return ("reader_online", None);
    }
    if has(&[
        "denied",
        "invalid",
        "rejected",
        "refused",
        "unknown card",
        "not recognised",
        "not recognized",
    ]) {
        return ("access_denied", Some(denial_reason(&t)));
    }
    if has(&["granted", "valid", "access ok", "admitted"]) {
        return ("access_granted", None);
    }
    if has(&["count"]) {
        return ("people_counted", None);
    }
    if has(&["closed", "secured"]) {
        return ("door_closed", None);
    }
    if has(&["opened", "open"]) {
        return ("door_opened", None);
    }
    ("other", None)
}

/// Vigil's denial reason for a vendor's text.
pub fn denial_reason(text: &str) -> &'static str {
    let t = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["passback", "apb"]) {
        "anti_passback"
    } else if has(&[
        "expired",
        "expiry",
        "not yet valid",
        "revoked",
        "lost",
        "stolen",
    ]) {
        "expired"
    } else if has(&[
        "schedule",
        "time zone",
        "timezone",
        "out of hours",
        "outside hours",
        "time restriction",
    ]) {
        "out_of_schedule"
    } else if has(&["pin"]) {
        "wrong_pin"
    } else if has(&[
        "unknown",
        "not found",
        "invalid card",
        "not recognised",
        "not recognized",
        "unenrolled",
        "not enrolled",
    ]) {
        "unknown_card"
    } else {
        "other"
    }
}

/// What was wrong with an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(pub String);

/// One row of an export: the event's fields (or why the row is refused,
/// with its line) and the row's own bytes.
pub type ImportedRow = (Result<Fields, String>, Vec<u8>);

fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match h.as_str() {
        "time" | "timestamp" | "date_time" | "datetime" | "event_time" | "occurred" => "time",
        "event" | "action" | "event_type" | "description" | "message" => "event",
        "door" | "door_name" | "portal" => "door",
        "reader" | "reader_name" => "reader",
        "zone" | "area" => "zone",
        "badge" | "card" | "card_number" | "badge_number" | "credential" => "badge",
        "person" | "cardholder" | "cardholder_name" | "name" => "person",
        "reason" | "denial_reason" => "reason",
        "count" | "people_count" => "count",
        "site" => "site",
        _ => return None,
    })
}

/// Reads a time as exports write it: RFC 3339, or `YYYY-MM-DD HH:MM:SS`
/// (taken as UTC).
fn parse_time(text: &str) -> Option<Timestamp> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text.trim()) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%d/%m/%Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text.trim(), f).ok())
    .map(|n| Utc.from_utc_datetime(&n))
}

/// Reads an access-control CSV export into rows to ingest. The header row
/// must name at least `time` and `event`; a row that cannot become an
/// event is returned as refused, with its line.
pub fn parse_csv(text: &str) -> Result<Vec<ImportedRow>, ExportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ExportError(format!("header row: {e}")))?
        .clone();
    let columns: Vec<Option<&'static str>> = headers.iter().map(column).collect();
    for needed in ["time", "event"] {
        if !columns.contains(&Some(needed)) {
            return Err(ExportError(format!(
                "no `{needed}` column (headers are: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
        .collect();
    let mut rows = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for record in reader.records() {
        let (line, record) = match record {
            Ok(r) => (r.position().map_or(0, |p| p.line()), r),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((Err(format!("line {line}: {e}")), raw_line(&lines, line)));
                continue;
            }
        };
        let raw = raw_line(&lines, line);
        rows.push((
            row_fields(&record, &columns, &names).map_err(|e| format!("line {line}: {e}")),
            raw,
        ));
    }
    Ok(rows)
}

fn raw_line(lines: &[&str], line: u64) -> Vec<u8> {
    usize::try_from(line)
        .ok()
        .and_then(|l| lines.get(l.saturating_sub(1)))
        .map(|l| l.as_bytes().to_vec())
        .unwrap_or_default()
}

fn row_fields(
    record: &csv::StringRecord,
    columns: &[Option<&'static str>],
    names: &[String],
) -> Result<Fields, String> {
    let mut f = Fields::new();
    let mut canonical: Vec<(&'static str, String)> = Vec::new();
    for ((value, col), name) in record.iter().zip(columns).zip(names) {
        if value.is_empty() {
            continue;
        }
        f.insert(name.clone(), Value::String(value.to_owned()));
        if let Some(col) = col {
            canonical.push((col, value.to_owned()));
        }
    }
    let get = |c: &str| {
        canonical
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| v.as_str())
    };
    let time_text = get("time").ok_or("`time` is empty")?;
    let time = parse_time(time_text).ok_or_else(|| {
        format!("`time` is `{time_text}`; expected RFC 3339 or YYYY-MM-DD HH:MM:SS")
    })?;
    let event = get("event").ok_or("`event` is empty")?;
    let (action, mut reason) = classify(event);
    if let Some(r) = get("reason") {
        reason = Some(denial_reason(r)).filter(|_| action == "access_denied");
    }
    let mut set = |key: &str, value: Value| {
        if let Some(old) = f.insert(key.to_owned(), value.clone())
            && old != value
        {
            f.insert(format!("source_{key}"), old);
        }
    };
    set(
        "time",
        time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            .into(),
    );
    set("class", "physical_access".into());
    set("action", action.into());
    if let Some(r) = reason {
        set("reason", r.into());
    }
    for key in ["door", "reader", "zone", "badge", "person"] {
        if let Some(v) = get(key) {
            set(key, v.into());
        }
    }
    if let Some(c) = get("count") {
        let n: u32 = c
            .parse()
            .map_err(|_| format!("`count` is `{c}`; expected a whole number"))?;
        set("count", n.into());
    }
    set("severity", live::severity_of(action).into());
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_words_become_vigil_actions_and_reasons() {
        for (text, action, reason) in [
            ("Access Granted", "access_granted", None),
            ("Valid Card Read", "access_granted", None),
            (
                "Access Denied - Card Expired",
                "access_denied",
                Some("expired"),
            ),
            (
                "Invalid Card (not enrolled)",
                "access_denied",
                Some("unknown_card"),
            ),
            (
                "Access denied: outside time zone",
                "access_denied",
                Some("out_of_schedule"),
            ),
            ("Denied - Wrong PIN", "access_denied", Some("wrong_pin")),
            (
                "Anti-Passback Violation - access denied",
                "access_denied",
                Some("anti_passback"),
            ),
            ("Door Forced Open", "door_forced_open", None),
            ("Door Held Open", "door_held_open", None),
            ("Door propped", "door_held_open", None),
            ("Duress Alarm", "duress", None),
            ("Reader Tamper", "tamper", None),
            ("Reader Offline", "reader_offline", None),
            ("Reader Online", "reader_online", None),
            ("Communication restored", "reader_online", None),
            ("Reader heartbeat", "heartbeat", None),
            ("People count", "people_counted", None),
            ("Door Closed", "door_closed", None),
            ("Firmware update", "other", None),
        ] {
            assert_eq!(classify(text), (action, reason), "{text}");
        }
        assert!(ACTIONS.contains(&"people_counted") && DENIAL_REASONS.contains(&"wrong_pin"));
    }

    #[test]
    fn an_export_becomes_events_and_bad_rows_say_their_line() {
        let text = "Event Time,Event,Door,Reader,Area,Card Number,Cardholder,Denial Reason\n\
                    2026-11-27 02:14:05,Access Denied,DC1-HALL-1,RDR-7,lon1-hall-1,40211,,Card not found\n\
                    2026-11-27T02:15:00Z,Access Granted,DC1-HALL-1,RDR-7,lon1-hall-1,40212,P. Jones,\n\
                    yesterday,Door Forced Open,DC1-HALL-1,,,,,\n\
                    2026-11-27 02:16:00,People Count,DC1-HALL-1,,,,,\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 4);
        let first = rows[0].0.as_ref().unwrap();
        assert_eq!(first["action"], "access_denied");
        assert_eq!(first["reason"], "unknown_card");
        assert_eq!(
            first["denial_reason"], "Card not found",
            "the export's words are kept"
        );
        assert_eq!(first["event"], "Access Denied");
        assert_eq!(first["time"], "2026-11-27T02:14:05Z");
        assert_eq!(first["badge"], "40211");
        assert_eq!(first["zone"], "lon1-hall-1");
        assert_eq!(first["class"], "physical_access");
        let second = rows[1].0.as_ref().unwrap();
        assert_eq!(
            (second["action"].as_str(), second["person"].as_str()),
            (Some("access_granted"), Some("P. Jones"))
        );
        assert!(second.get("reason").is_none());
        assert_eq!(
            rows[2].0.as_ref().unwrap_err(),
            "line 4: `time` is `yesterday`; expected RFC 3339 or YYYY-MM-DD HH:MM:SS"
        );
        assert!(rows[2].1.starts_with(b"yesterday"));
        assert_eq!(rows[3].0.as_ref().unwrap()["action"], "people_counted");
        assert!(
            parse_csv("door,badge\nx,y\n")
                .unwrap_err()
                .0
                .contains("no `time` column")
        );
    }
}
