//! The sending side of DC-09, as a panel's dialler builds frames: for the
//! simulator, the benchmark and tests. (The receiver is tested against a
//! dialler written outside this project too: see `tests/dc09_dialler.rs`.)

use rand::Rng;
use vigil_model::Timestamp;

use super::crypto::PanelKey;
use super::frame::{build_frame, format_timestamp};

/// A panel's transmitter.
#[derive(Debug, Clone)]
pub struct Dc09Sender {
    /// The account it sends as.
    pub account: String,
    /// Its key, when it encrypts.
    pub key: Option<PanelKey>,
    /// Receiver number to put in the header.
    pub receiver: Option<String>,
    /// Line number to put in the header.
    pub line: Option<String>,
}

impl Dc09Sender {
    /// A plain sender for `account`, with receiver 1 and line 1.
    pub fn new(account: &str) -> Self {
        Self {
            account: account.to_owned(),
            key: None,
            receiver: Some("1".into()),
            line: Some("1".into()),
        }
    }

    /// The same sender, encrypting with `key`.
    pub fn with_key(mut self, key: PanelKey) -> Self {
        self.key = Some(key);
        self
    }

    /// A frame of type `token` (`SIA-DCS`, `ADM-CID`, `NULL`) with sequence
    /// `seq` and `payload` (`Nri1/BA001`, `1130 01 003`; empty for NULL),
    /// stamped `at` (always when encrypting; in clear only when `stamp`).
    pub fn frame(
        &self,
        seq: u16,
        token: &str,
        payload: &str,
        at: Timestamp,
        stamp: bool,
        rng: &mut impl Rng,
    ) -> Vec<u8> {
        let mut header = format!("{:04}", seq % 10_000);
        if let Some(r) = &self.receiver {
            header.push('R');
            header.push_str(r);
        }
        if let Some(l) = &self.line {
            header.push('L');
            header.push_str(l);
        }
        header.push('#');
        header.push_str(&self.account);
        let data = if payload.is_empty() {
            String::new()
        } else {
            format!("#{}|{payload}", self.account)
        };
        let ts = format_timestamp(at.naive_utc());
        let body = match &self.key {
            Some(key) => {
                let content = format!("{data}]{ts}");
                format!(
                    "\"*{token}\"{header}[{}",
                    key.seal_hex(content.as_bytes(), rng)
                )
            }
            None if stamp => format!("\"{token}\"{header}[{data}]{ts}"),
            None => format!("\"{token}\"{header}[{data}]"),
        };
        build_frame(body.as_bytes())
    }
}
