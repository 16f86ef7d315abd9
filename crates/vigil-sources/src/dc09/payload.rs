//! The two payloads a DC-09 frame carries: SIA DC-03 blocks (`SIA-DCS`,
//! e.g. `Nri1/BA001`) and Contact ID (`ADM-CID`, `QEEE GG ZZZ`).

use vigil_estate::panel_event::PanelEvent;

use super::codes::{
    contact_id_code, contact_id_code_names_user, sia_code, sia_code_names_area, sia_code_names_user,
};

/// What was wrong with a payload, and where (character offset in it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payload character {offset}: {reason}")]
pub struct PayloadError {
    /// Character offset within the payload.
    pub offset: usize,
    /// What was expected.
    pub reason: String,
}

fn err(offset: usize, reason: impl Into<String>) -> PayloadError {
    PayloadError {
        offset,
        reason: reason.into(),
    }
}

/// Most events accepted in one SIA payload.
pub const MAX_SIA_EVENTS: usize = 32;

/// Parses a SIA DC-03 payload (`Nri1/BA001`, `Nid3CL3`, `NFA129^Hall^`,
/// `Atext`) into events. Modifiers (`ri` area, `id` user, `pi`, `ti` time)
/// carry forward to later blocks, as DC-03 specifies.
pub fn parse_sia(payload: &str) -> Result<Vec<PanelEvent>, PayloadError> {
    let bytes = payload.as_bytes();
    let Some((&kind, _)) = bytes.split_first() else {
        return Err(err(0, "empty SIA payload"));
    };
    match kind {
        b'N' | b'O' => {}
        b'A' => {
            return Ok(vec![PanelEvent {
                scheme: "sia",
                code: "A".into(),
                kind: vigil_estate::panel_event::AlarmKind::Other,
                restore: false,
                description: "ASCII message",
                zone: None,
                area: None,
                user: None,
                text: Some(payload.get(1..).unwrap_or_default().to_owned()),
                qualifier: None,
                panel_time: None,
            }]);
        }
        _ => {
            return Err(err(
                0,
                "a SIA payload starts with N (new event), O (old) or A (text)",
            ));
        }
    }
    let mut at = 1;
    let mut area: Option<String> = None;
    let mut user: Option<String> = None;
    let mut time: Option<String> = None;
    let mut events = Vec::new();
    while at < bytes.len() {
        let c0 = bytes[at];
        let c1 = bytes.get(at + 1).copied().unwrap_or(0);
        if c0 == b'/' {
            at += 1;
            continue;
        }
        if c0.is_ascii_lowercase() && c1.is_ascii_lowercase() {
            // A modifier: `ri`, `id`, `pi`, `ti` … and its value.
            let start = at + 2;
            let n = bytes
                .iter()
                .skip(start)
                .take_while(|b| b.is_ascii_digit() || **b == b':')
                .count();
            let value = payload.get(start..start + n).unwrap_or_default().to_owned();
            at = start + n;
            at = skip_text(bytes, at)?.0;
            match (c0, c1) {
                (b'r', b'i') => area = Some(value),
                (b'i', b'd') => user = Some(value),
                (b't', b'i') => time = Some(value),
                _ => {}
            }
            continue;
        }
        if c0.is_ascii_uppercase() && c1.is_ascii_uppercase() {
            let code = payload.get(at..at + 2).unwrap_or_default().to_owned();
            let start = at + 2;
            let n = bytes
                .iter()
                .skip(start)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if n > 6 {
                return Err(err(start, "an address number has at most 6 digits"));
            }
            let number =
                (n > 0).then(|| payload.get(start..start + n).unwrap_or_default().to_owned());
            let (after, text) = skip_text(bytes, start + n)?;
            at = after;
            if events.len() >= MAX_SIA_EVENTS {
                return Err(err(
                    at,
                    format!("more than {MAX_SIA_EVENTS} events in one payload"),
                ));
            }
            let (kind, restore, description) = sia_code(&code);
            let (mut zone, mut ev_area, mut ev_user) = (None, area.clone(), user.clone());
            match number {
                Some(n) if sia_code_names_user(&code) => ev_user = Some(n),
                Some(n) if sia_code_names_area(&code) => ev_area = Some(n),
                Some(n) => zone = Some(n),
                None => {}
            }
            events.push(PanelEvent {
                scheme: "sia",
                code,
                kind,
                restore,
                description,
                zone,
                area: ev_area,
                user: ev_user,
                text,
                qualifier: None,
                panel_time: time.clone(),
            });
            continue;
        }
        if c0 == b'*' || c0 == b'"' {
            // xSIA extensions (`*"text"NM`): not events; kept in the raw data.
            break;
        }
        return Err(err(
            at,
            format!(
                "expected a modifier (ri, id, ti …), an event code (BA, FA …) or `/`, found `{}`",
                c0.escape_ascii()
            ),
        ));
    }
    if events.is_empty() {
        return Err(err(bytes.len(), "no event code in the SIA payload"));
    }
    Ok(events)
}

/// Skips `^text^` at `at`, returning the position after it and the text.
fn skip_text(bytes: &[u8], at: usize) -> Result<(usize, Option<String>), PayloadError> {
    if bytes.get(at) != Some(&b'^') {
        return Ok((at, None));
    }
    let end = bytes
        .iter()
        .skip(at + 1)
        .position(|&b| b == b'^')
        .map(|p| p + at + 1)
        .ok_or_else(|| err(at, "text opened with `^` is not closed"))?;
    let text = String::from_utf8_lossy(bytes.get(at + 1..end).unwrap_or_default()).into_owned();
    Ok((end + 1, Some(text)))
}

/// Parses a Contact ID payload `QEEE GG ZZZ` (spaces optional).
pub fn parse_contact_id(payload: &str) -> Result<PanelEvent, PayloadError> {
    let compact: Vec<(usize, char)> = payload.char_indices().filter(|(_, c)| *c != ' ').collect();
    if compact.len() != 9 {
        return Err(err(
            payload.len().min(compact.last().map_or(0, |(i, _)| *i)),
            format!(
                "Contact ID is `QEEE GG ZZZ` (9 digits); this has {} characters besides spaces",
                compact.len()
            ),
        ));
    }
    let get =
        |from: usize, to: usize| -> String { compact[from..to].iter().map(|(_, c)| *c).collect() };
    let (q_at, q) = compact[0];
    if !matches!(q, '1' | '3' | '6') {
        return Err(err(
            q_at,
            "the qualifier must be 1 (new), 3 (restore) or 6 (previous)",
        ));
    }
    let code_text = get(1, 4);
    let code: u16 = code_text
        .parse()
        .map_err(|_| err(compact[1].0, "the event code must be 3 digits"))?;
    let group = get(4, 6);
    let last = get(6, 9);
    if let Some((i, _)) = compact[4..].iter().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(err(*i, "group and zone must be hex digits"));
    }
    let (kind, restore, description) = contact_id_code(code, q);
    let names_user = contact_id_code_names_user(code);
    Ok(PanelEvent {
        scheme: "contact_id",
        code: code_text,
        kind,
        restore,
        description,
        zone: (!names_user).then(|| last.clone()),
        area: Some(group),
        user: names_user.then_some(last),
        text: None,
        qualifier: Some(q),
        panel_time: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vigil_estate::panel_event::AlarmKind;

    #[test]
    fn sia_blocks_carry_modifiers_forward() {
        let events = parse_sia("Nri1/BA001/BR001").unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, AlarmKind::Burglary);
        assert!(!events[0].restore && events[1].restore);
        assert_eq!(events[0].zone.as_deref(), Some("001"));
        assert_eq!(events[1].area.as_deref(), Some("1"));
        let e = &parse_sia("Nri2id3ti10:15CL3").unwrap()[0];
        assert_eq!(
            (
                e.kind,
                e.user.as_deref(),
                e.area.as_deref(),
                e.panel_time.as_deref(),
                e.zone.as_deref()
            ),
            (
                AlarmKind::Closing,
                Some("3"),
                Some("2"),
                Some("10:15"),
                None
            )
        );
        let e = &parse_sia("NFA129^Server room^").unwrap()[0];
        assert_eq!(e.text.as_deref(), Some("Server room"));
        assert_eq!(e.zone.as_deref(), Some("129"));
        let e = &parse_sia("NCG2").unwrap()[0];
        assert_eq!((e.kind, e.area.as_deref()), (AlarmKind::Closing, Some("2")));
        assert_eq!(
            parse_sia("AHello there").unwrap()[0].text.as_deref(),
            Some("Hello there")
        );
        // The dialler's own shape for an area-coded burglary.
        assert_eq!(parse_sia("NBA1").unwrap()[0].zone.as_deref(), Some("1"));
        // xSIA text is not an event.
        assert_eq!(parse_sia("NBA1*\"text\"NM").unwrap().len(), 1);
    }

    #[test]
    fn sia_errors_name_the_offset() {
        assert_eq!(parse_sia("").unwrap_err().offset, 0);
        assert_eq!(parse_sia("X").unwrap_err().offset, 0);
        let e = parse_sia("Nri1/B!").unwrap_err();
        assert_eq!(e.offset, 5);
        assert!(
            parse_sia("Nri1")
                .unwrap_err()
                .reason
                .contains("no event code")
        );
        assert!(parse_sia("NBA1^open").is_err());
        assert!(parse_sia("NBA1234567").is_err());
    }

    #[test]
    fn contact_id_with_and_without_spaces() {
        let e = parse_contact_id("1130 01 003").unwrap();
        assert_eq!(
            (
                e.kind,
                e.restore,
                e.area.as_deref(),
                e.zone.as_deref(),
                e.qualifier
            ),
            (
                AlarmKind::Burglary,
                false,
                Some("01"),
                Some("003"),
                Some('1')
            )
        );
        let e = parse_contact_id("340101005").unwrap();
        assert_eq!(
            (e.kind, e.user.as_deref(), e.zone),
            (AlarmKind::Closing, Some("005"), None)
        );
        assert!(parse_contact_id("3130 01 003").unwrap().restore);
        assert!(
            parse_contact_id("2130 01 003")
                .unwrap_err()
                .reason
                .contains("qualifier")
        );
        assert!(parse_contact_id("1130 01").is_err());
        assert!(parse_contact_id("1A30 01 003").is_err());
        assert!(parse_contact_id("1130 0G 003").is_err());
    }

    proptest! {
        #[test]
        fn payload_parsers_never_panic(text in "\\PC{0,80}") {
            let _ = parse_sia(&text);
            let _ = parse_contact_id(&text);
        }

        #[test]
        fn sia_like_text_never_panics(text in "[NOA]([a-z]{2}[0-9:]{0,6}|[A-Z]{2}[0-9]{0,7}|/|\\^[a-z ]{0,5}\\^?){0,10}") {
            let _ = parse_sia(&text);
        }
    }
}
