//! The receiver's decision for one frame, as a pure function of the frame,
//! the configured accounts and `now`: which events to make durable and
//! what to answer (`ACK` once durable; `NAK` or `DUH` at once).
//!
//! Responses:
//! - `ACK` echoes sequence, receiver, line and account; `*ACK`, encrypted
//!   with the account's key and carrying the receiver's time, when the
//!   frame was encrypted.
//! - `NAK` (always in clear, with the receiver's time so the sender can
//!   correct its clock) for a bad CRC, a wrong length, a malformed frame, an
//!   undecryptable one, or a timestamp outside the window.
//! - `DUH` for a frame received intact but not processed: an unknown
//!   account, an unsupported message type, a plaintext frame for an account
//!   that must encrypt, an encrypted one for an account without a key, or a
//!   payload that does not parse.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, TimeZone, Utc};
use rand::Rng;
use serde_json::Value;
use vigil_model::{Fields, Severity, SiteId, Timestamp};

use vigil_estate::panel_event::{AlarmKind, PanelEvent};

use super::crypto::{PanelKey, strip_pad};
use super::frame::{
    Content, FrameError, Header, build_frame, format_timestamp, parse_content, parse_envelope,
    parse_header,
};
use super::payload::{parse_contact_id, parse_sia};

/// How far a sender's clock may be from ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// A timestamp older than `now - behind` is stale.
    pub behind: Duration,
    /// A timestamp later than `now + ahead` is in the future.
    pub ahead: Duration,
}

impl Default for TimeWindow {
    /// 20 seconds behind to 40 seconds ahead, as SIA DC-09 recommends.
    fn default() -> Self {
        Self {
            behind: Duration::seconds(20),
            ahead: Duration::seconds(40),
        }
    }
}

/// One panel account the receiver serves.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelAccount {
    /// The account as panels send it.
    pub account: String,
    /// The site its events belong to (else the listener's).
    pub site: Option<SiteId>,
    /// The panel's device id in events (`panel-1234` unless configured).
    pub panel: String,
    /// Its AES key; an account with a key must encrypt.
    pub key: Option<PanelKey>,
    /// How often it must report (its transmission category's reporting time).
    pub supervision: Option<Duration>,
    /// Panel zone number → Vigil zone (`"001"` → `lon1-hall-1`).
    pub zones: BTreeMap<String, String>,
    /// Panel area number → Vigil zone.
    pub areas: BTreeMap<String, String>,
}

impl PanelAccount {
    /// An account with defaults: no key, no site, no mapping.
    pub fn new(account: &str) -> Self {
        Self {
            account: account.to_owned(),
            site: None,
            panel: format!("panel-{account}"),
            key: None,
            supervision: None,
            zones: BTreeMap::new(),
            areas: BTreeMap::new(),
        }
    }

    /// The Vigil zone of a panel zone (tried as sent, then without leading
    /// zeros) or, failing that, of the area.
    fn zone_for(&self, zone: Option<&str>, area: Option<&str>) -> Option<&String> {
        lookup_number(&self.zones, zone).or_else(|| lookup_number(&self.areas, area))
    }
}

/// A panel number's entry, tried as sent and then ignoring leading zeros.
fn lookup_number<'m>(map: &'m BTreeMap<String, String>, n: Option<&str>) -> Option<&'m String> {
    let n = n?;
    let bare = n.trim_start_matches('0');
    map.get(n).or_else(|| {
        map.iter()
            .find(|(k, _)| k.trim_start_matches('0') == bare)
            .map(|(_, v)| v)
    })
}

/// The response kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// Received and (to be) made durable.
    Ack,
    /// Not received correctly; send again.
    Nak,
    /// Received but not processed.
    Duh,
}

/// A frame to accept: events to make durable, then the ACK to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The account (a key of the receiver's accounts).
    pub account: String,
    /// The panel's device id.
    pub panel: String,
    /// The site its events belong to, when the account names one.
    pub site: Option<SiteId>,
    /// The frame's header.
    pub header: Header,
    /// One record per event (none for a supervision message): its fields
    /// and the canonical bytes it came from (for replay fingerprints).
    pub records: Vec<(Fields, Vec<u8>)>,
    /// The response to send once the records are durable.
    pub ack: Vec<u8>,
    /// The set state the frame leaves the panel in, when it reports one.
    pub armed: Option<bool>,
}

/// A frame to refuse, with the response to send and the reason to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// NAK or DUH.
    pub kind: ResponseKind,
    /// The response frame.
    pub response: Vec<u8>,
    /// What was wrong, for the dead letter.
    pub reason: String,
    /// The account, when the header named one.
    pub account: Option<String>,
}

/// The receiver's verdict on one frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Make the records durable, then send the ACK.
    Accept(Accepted),
    /// Send the response now.
    Reject(Rejected),
}

/// The message types this receiver processes.
pub const SUPPORTED_TOKENS: [&str; 3] = ["SIA-DCS", "ADM-CID", "NULL"];

/// A DC-09 receiver's configuration and decision logic.
#[derive(Debug, Clone, Default)]
pub struct Dc09Receiver {
    accounts: HashMap<String, PanelAccount>,
    window: TimeWindow,
    wall_clock: bool,
}

impl Dc09Receiver {
    /// A receiver for `accounts`, accepting timestamps within `window`.
    pub fn new(accounts: impl IntoIterator<Item = PanelAccount>, window: TimeWindow) -> Self {
        Self {
            accounts: accounts
                .into_iter()
                .map(|a| (a.account.clone(), a))
                .collect(),
            window,
            wall_clock: false,
        }
    }

    /// The same receiver holding frames' timestamps (and stamping its
    /// answers) to wall time rather than the node's clock: for real panels
    /// on a node whose clock is simulated (the demo), where a panel's
    /// timestamps are real and a window on simulated time would accept a
    /// replayed frame of any age.
    pub fn on_wall_clock(mut self) -> Self {
        self.wall_clock = true;
        self
    }

    /// Whether it reads wall time (see [`Dc09Receiver::on_wall_clock`]).
    pub fn wall_clock(&self) -> bool {
        self.wall_clock
    }

    /// The configured accounts.
    pub fn accounts(&self) -> impl Iterator<Item = &PanelAccount> {
        self.accounts.values()
    }

    /// The account with this number.
    pub fn account(&self, account: &str) -> Option<&PanelAccount> {
        self.accounts.get(account)
    }

    /// Decides what to do with one frame (LF … CR) received at `now`.
    /// `rng` pads encrypted ACKs.
    pub fn receive(&self, frame: &[u8], now: Timestamp, rng: &mut impl Rng) -> Verdict {
        let nak = |reason: String, account: Option<String>| {
            Verdict::Reject(Rejected {
                kind: ResponseKind::Nak,
                response: nak_frame(now),
                reason,
                account,
            })
        };
        let envelope = match parse_envelope(frame) {
            Ok(e) => e,
            Err(e) => return nak(e.to_string(), None),
        };
        let (header, rest) = match parse_header(envelope.body) {
            Ok(h) => h,
            Err(e) => return nak(e.to_string(), None),
        };
        let account = header.account.clone();
        let duh = |reason: String| {
            Verdict::Reject(Rejected {
                kind: ResponseKind::Duh,
                response: duh_frame(&header),
                reason,
                account: Some(account.clone()),
            })
        };
        let Some(panel) = self.accounts.get(&header.account) else {
            return duh(format!("account `{}` is not configured", header.account));
        };
        if !SUPPORTED_TOKENS.contains(&header.token.as_str()) {
            return duh(format!(
                "message type `{}` is not supported (SIA-DCS, ADM-CID and NULL are)",
                header.token
            ));
        }
        let rest = rest.get(1..).unwrap_or_default();
        let content = match (&panel.key, header.encrypted) {
            (Some(key), true) => match open(key, rest) {
                Ok(c) => c,
                Err(reason) => return nak(reason, Some(account.clone())),
            },
            (None, true) => {
                return duh(format!(
                    "account `{}` has no key but the frame is encrypted",
                    header.account
                ));
            }
            (Some(_), false) => {
                return duh(format!(
                    "account `{}` must encrypt but the frame is in clear",
                    header.account
                ));
            }
            (None, false) => match parse_content(rest) {
                Ok(c) => c,
                Err(e) => {
                    return nak(
                        shifted(e, envelope.body.len() - rest.len()),
                        Some(account.clone()),
                    );
                }
            },
        };
        let sent_at = content.timestamp.map(|t| Utc.from_utc_datetime(&t));
        match sent_at {
            None if header.encrypted => {
                return nak(
                    "an encrypted frame must carry a timestamp".into(),
                    Some(account.clone()),
                );
            }
            Some(t) if t < now - self.window.behind => {
                return nak(
                    format!(
                        "timestamp {} is {}s behind the receiver's clock (at most {}s allowed)",
                        t.to_rfc3339(),
                        (now - t).num_seconds(),
                        self.window.behind.num_seconds()
                    ),
                    Some(account.clone()),
                );
            }
            Some(t) if t > now + self.window.ahead => {
                return nak(
                    format!(
                        "timestamp {} is {}s ahead of the receiver's clock (at most {}s allowed)",
                        t.to_rfc3339(),
                        (t - now).num_seconds(),
                        self.window.ahead.num_seconds()
                    ),
                    Some(account.clone()),
                );
            }
            _ => {}
        }
        let (data_account, payload) = content.account_and_payload();
        let events = match header.token.as_str() {
            "NULL" => Vec::new(),
            "SIA-DCS" => match parse_sia(payload) {
                Ok(events) => events,
                Err(e) => return duh(format!("SIA payload `{payload}`: {e}")),
            },
            _ => match parse_contact_id(payload) {
                Ok(event) => vec![event],
                Err(e) => return duh(format!("Contact ID payload `{payload}`: {e}")),
            },
        };
        let observed = sent_at.unwrap_or(now);
        let canonical = canonical(&header, &content);
        let mut armed = None;
        // One time text for every event of the frame.
        let time = observed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let records = events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                match event.kind {
                    AlarmKind::Closing => armed = Some(true),
                    AlarmKind::Opening => armed = Some(false),
                    _ => {}
                }
                let mut raw = Vec::with_capacity(canonical.len() + 4);
                raw.extend_from_slice(canonical.as_bytes());
                raw.extend_from_slice(b" #");
                raw.extend_from_slice(index.to_string().as_bytes());
                (
                    event_fields(event, panel, &header, &content, data_account, &time),
                    raw,
                )
            })
            .collect();
        Verdict::Accept(Accepted {
            account: header.account.clone(),
            panel: panel.panel.clone(),
            site: panel.site.clone(),
            ack: ack_frame(&header, panel.key.as_ref(), now, rng),
            header,
            records,
            armed,
        })
    }
}

fn shifted(e: FrameError, by: usize) -> String {
    match e {
        FrameError::Body { offset, reason } => FrameError::Body {
            offset: offset + by,
            reason,
        }
        .to_string(),
        other => other.to_string(),
    }
}

/// Decrypts and parses the content of an encrypted frame.
fn open(key: &PanelKey, hex_text: &[u8]) -> Result<Content, String> {
    let plain = key
        .decrypt_hex(hex_text)
        .map_err(|e| format!("encrypted content: {e}"))?;
    let content =
        strip_pad(&plain).ok_or("decrypted content has no `|` after the pad (wrong key?)")?;
    parse_content(content).map_err(|e| format!("decrypted content: {e}"))
}

/// The frame as one canonical line: the same event sent again (even
/// re-encrypted with a new pad) gives the same bytes.
fn canonical(header: &Header, content: &Content) -> String {
    let mut out = String::with_capacity(64 + content.data.len());
    out.push_str(&header.token);
    out.push_str(&header.echo());
    out.push(' ');
    out.push_str(&content.data);
    for (id, value) in &content.extended {
        out.push('[');
        out.push(*id);
        out.push_str(value);
        out.push(']');
    }
    if let Some(t) = content.timestamp {
        out.push_str(&format_timestamp(t));
    }
    out
}

fn event_fields(
    event: &PanelEvent,
    panel: &PanelAccount,
    header: &Header,
    content: &Content,
    data_account: Option<&str>,
    time: &str,
) -> Fields {
    // Sized for the usual fields, so that building it never rehashes.
    let mut f = Fields::with_capacity(24 + content.extended.len());
    let mut put = |k: &str, v: Value| {
        f.insert(k.to_owned(), v);
    };
    put("time", time.into());
    put("class", event.kind.class().as_str().into());
    put("action", event.kind.action().into());
    if !event.kind.is_report() {
        put(
            "alarm_state",
            if event.restore { "restore" } else { "alarm" }.into(),
        );
    }
    let severity = if event.restore {
        Severity::Info
    } else {
        event.kind.severity()
    };
    put("severity", severity.as_str().into());
    put("description", event.description.into());
    put("event_code", event.code.clone().into());
    put("code_scheme", event.scheme.into());
    if let Some(q) = event.qualifier {
        put("qualifier", q.to_string().into());
    }
    put("message_type", header.token.clone().into());
    put("account", header.account.clone().into());
    if let Some(acct) = data_account.filter(|a| *a != header.account) {
        put("data_account", acct.into());
    }
    put("panel", panel.panel.clone().into());
    put("device_type", "intrusion_panel".into());
    if let Some(zone) = panel.zone_for(event.zone.as_deref(), event.area.as_deref()) {
        put("zone", zone.clone().into());
    }
    if let Some(z) = &event.zone {
        put("panel_zone", z.clone().into());
    }
    if let Some(a) = &event.area {
        put("panel_area", a.clone().into());
    }
    if let Some(u) = &event.user {
        put("panel_user", u.clone().into());
    }
    if let Some(t) = &event.text {
        put("text", t.clone().into());
    }
    if let Some(t) = &event.panel_time {
        put("panel_time", t.clone().into());
    }
    put("sequence", header.sequence.clone().into());
    if let Some(r) = &header.receiver {
        put("receiver", r.clone().into());
    }
    if let Some(l) = &header.line {
        put("line", l.clone().into());
    }
    put("encrypted", header.encrypted.into());
    for (id, value) in &content.extended {
        put(&format!("extended_{id}"), value.clone().into());
    }
    f
}

/// `ACK` (or `*ACK`, encrypted with the receiver's time) for `header`.
pub fn ack_frame(
    header: &Header,
    key: Option<&PanelKey>,
    now: Timestamp,
    rng: &mut impl Rng,
) -> Vec<u8> {
    match key.filter(|_| header.encrypted) {
        Some(key) => {
            let content = format!("]{}", format_timestamp(now.naive_utc()));
            let sealed = key.seal_hex(content.as_bytes(), rng);
            build_frame(format!("\"*ACK\"{}[{sealed}", header.echo()).as_bytes())
        }
        None => build_frame(format!("\"ACK\"{}[]", header.echo()).as_bytes()),
    }
}

/// `NAK` with the receiver's time, as the standard writes it.
pub fn nak_frame(now: Timestamp) -> Vec<u8> {
    build_frame(format!("\"NAK\"0000R0L0A0[]{}", format_timestamp(now.naive_utc())).as_bytes())
}

/// `DUH` for `header`.
pub fn duh_frame(header: &Header) -> Vec<u8> {
    build_frame(format!("\"DUH\"{}[]", header.echo()).as_bytes())
}

#[cfg(test)]
#[path = "receiver_tests.rs"]
mod tests;
