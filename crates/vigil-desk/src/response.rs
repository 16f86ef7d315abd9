//! Response actions and the deliveries that carry them (and escalation
//! notices): what is sent, where, how it is signed, and what became of
//! each attempt.
//!
//! A response action — disable a badge, lock down a door, block an
//! address, isolate a host — is delivered to the client's own endpoint as a
//! JSON webhook. The body is signed with HMAC-SHA256 under a secret shared
//! with the client: `X-Vigil-Signature: t=<unix seconds>,v1=<hex>` where
//! the MAC covers `"<t>.<body>"`, so the receiver can check both origin and
//! freshness. Each delivery is a desk record with every attempt on it;
//! failed attempts are retried with exponential backoff up to a limit, and
//! the request and each result go to the audit chain.

use std::net::IpAddr;

use chrono::Duration;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use vigil_model::{AlertId, TenantId, Timestamp};

use crate::{Actor, DeskError, Permission};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Vigil-Signature";
/// The header carrying the delivery's id (receivers use it to drop repeats).
pub const DELIVERY_HEADER: &str = "X-Vigil-Delivery";

/// Something done in the client's own systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseAction {
    /// Disable a badge in the access-control system.
    DisableBadge {
        /// The badge.
        badge: String,
    },
    /// Lock a door down (no badge opens it).
    LockDownDoor {
        /// The door.
        door: String,
    },
    /// Block an address at the firewall.
    BlockAddress {
        /// The address.
        address: IpAddr,
    },
    /// Isolate a host through the EDR.
    IsolateHost {
        /// The host.
        host: String,
    },
}

impl ResponseAction {
    /// Checks the target names something.
    pub fn validate(&self) -> Result<(), DeskError> {
        let (field, value) = match self {
            ResponseAction::DisableBadge { badge } => ("badge", badge.as_str()),
            ResponseAction::LockDownDoor { door } => ("door", door.as_str()),
            ResponseAction::IsolateHost { host } => ("host", host.as_str()),
            ResponseAction::BlockAddress { address } => {
                if address.is_loopback() || address.is_unspecified() {
                    return Err(DeskError::invalid(
                        "address",
                        format!("{address} cannot be blocked"),
                    ));
                }
                return Ok(());
            }
        };
        if value.trim().is_empty() || value.len() > 256 {
            return Err(DeskError::invalid(field, "must name 1 to 256 characters"));
        }
        Ok(())
    }

    /// The action's name.
    pub fn name(&self) -> &'static str {
        match self {
            ResponseAction::DisableBadge { .. } => "disable_badge",
            ResponseAction::LockDownDoor { .. } => "lock_down_door",
            ResponseAction::BlockAddress { .. } => "block_address",
            ResponseAction::IsolateHost { .. } => "isolate_host",
        }
    }
}

/// Where a delivery goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Channel {
    /// A signed webhook to a configured endpoint (its secret stays in the
    /// configuration, never in the record).
    Webhook {
        /// The endpoint's name in the client's configuration.
        endpoint: String,
        /// Its URL.
        url: String,
    },
    /// An e-mail.
    Email {
        /// The address.
        to: String,
    },
}

/// Why a delivery is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum Purpose {
    /// A response action.
    Action {
        /// The action.
        action: ResponseAction,
        /// The incident it was run from.
        incident: Option<String>,
    },
    /// An escalation notice.
    Escalation {
        /// The unacknowledged alarm.
        alarm: AlertId,
        /// The level reached (1-based).
        level: usize,
        /// Who is notified.
        recipient: String,
    },
    /// A service-level clock passed its warning point or its due time.
    ServiceLevel {
        /// The crossing's record (`alarm:…:acknowledge:breached`).
        event: String,
        /// Who is notified.
        recipient: String,
    },
    /// A NIS-2 report deadline came near or passed.
    RegulatoryDeadline {
        /// The crossing's record (`incident:…:nis2:early_warning:due_soon`).
        event: String,
        /// Who is notified.
        recipient: String,
    },
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet delivered; another attempt is due.
    Pending,
    /// The receiver accepted it.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When.
    pub at: Timestamp,
    /// Whether it was accepted.
    pub ok: bool,
    /// The HTTP status or SMTP code, when there was an answer.
    pub code: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
}

/// How long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    /// Wait after the first failure.
    pub initial_secs: i64,
    /// Longest wait.
    pub max_secs: i64,
    /// Attempts in all.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_secs: 5,
            max_secs: 600,
            max_attempts: 6,
        }
    }
}

impl Backoff {
    /// The wait after `failures` failures (1, 2, …): doubling from the
    /// initial wait, capped.
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let secs = self.initial_secs.max(0).saturating_mul(1i64 << exp);
        Duration::seconds(secs.min(self.max_secs.max(0)))
    }
}

/// A message to be delivered, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id (also sent as [`DELIVERY_HEADER`]).
    pub id: String,
    /// The client.
    pub tenant: TenantId,
    /// Where.
    pub channel: Channel,
    /// Why.
    pub purpose: Purpose,
    /// A subject line for people.
    pub subject: String,
    /// The body sent.
    pub payload: serde_json::Value,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Every try.
    pub attempts: Vec<Attempt>,
    /// When the next try is due.
    pub next_attempt_at: Option<Timestamp>,
    /// How to retry.
    pub backoff: Backoff,
    /// Who asked for it.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
}

impl Delivery {
    /// A response action to deliver to `endpoint` at `url`.
    #[allow(clippy::too_many_arguments)]
    pub fn action(
        actor: &Actor,
        id: String,
        tenant: TenantId,
        action: ResponseAction,
        incident: Option<String>,
        endpoint: &str,
        url: &str,
        backoff: Backoff,
        now: Timestamp,
    ) -> Result<Self, DeskError> {
        actor.require(Permission::Respond, Some(&tenant))?;
        action.validate()?;
        let payload = serde_json::json!({
            "delivery": id,
            "tenant": tenant,
            "action": action,
            "incident": incident,
            "requested_by": actor.name,
            "requested_at": now,
        });
        Ok(Self {
            subject: format!("{} for {tenant}", action.name()),
            id,
            tenant,
            channel: Channel::Webhook {
                endpoint: endpoint.to_owned(),
                url: url.to_owned(),
            },
            purpose: Purpose::Action { action, incident },
            payload,
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: Some(now),
            backoff,
            requested_by: actor.name.clone(),
            requested_at: now,
        })
    }

    /// Records an attempt's result; schedules the next or gives up.
    pub fn record_attempt(
        &self,
        ok: bool,
        code: Option<u16>,
        error: Option<String>,
        now: Timestamp,
    ) -> Delivery {
        let mut next = self.clone();
        next.attempts.push(Attempt {
            at: now,
            ok,
            code,
            error: error.map(|e| e.chars().take(500).collect()),
        });
        let failures = next.attempts.iter().filter(|a| !a.ok).count() as u32;
        if ok {
            next.status = DeliveryStatus::Delivered;
            next.next_attempt_at = None;
        } else if next.attempts.len() as u32 >= next.backoff.max_attempts.max(1) {
            next.status = DeliveryStatus::Failed;
            next.next_attempt_at = None;
        } else {
            next.next_attempt_at = Some(now + next.backoff.delay(failures));
        }
        next
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The signature header value for `body` sent at `timestamp` (Unix seconds).
pub fn sign_webhook(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` never fails for it.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// What a receiver does: checks a signature header against `body`, and
/// that its time is within `tolerance` of `now`.
pub fn verify_webhook(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: Timestamp,
    tolerance: Duration,
) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(sig)) = (t, v1) else {
        return false;
    };
    if (now.timestamp() - t).abs() > tolerance.num_seconds() {
        return false;
    }
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;
    use vigil_store::Role;

    fn t(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_764_000_000 + secs, 0).unwrap()
    }

    /// HMAC-SHA256 from its definition (RFC 2104), independent of the
    /// `hmac` crate.
    fn reference_hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&sha2::Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = sha2::Sha256::digest([ipad.as_slice(), message].concat());
        sha2::Sha256::digest([opad.as_slice(), inner.as_slice()].concat()).into()
    }

    #[test]
    fn signatures_match_an_independent_hmac_and_verify() {
        let secret = b"shared-with-northgate";
        let body = br#"{"action":{"type":"lock_down_door","door":"hall-a"}}"#;
        let header = sign_webhook(secret, 1_764_000_000, body);
        let expected = reference_hmac(secret, &[b"1764000000.".as_slice(), body].concat());
        assert_eq!(header, format!("t=1764000000,v1={}", hex::encode(expected)));
        // RFC 4231 test case 2, to be sure the reference itself is right.
        assert_eq!(
            hex::encode(reference_hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_webhook(
            secret,
            &header,
            body,
            t(30),
            Duration::minutes(5)
        ));
        assert!(!verify_webhook(
            secret,
            &header,
            b"{}",
            t(30),
            Duration::minutes(5)
        ));
        assert!(!verify_webhook(
            b"other",
            &header,
            body,
            t(30),
            Duration::minutes(5)
        ));
        assert!(
            !verify_webhook(secret, &header, body, t(3600), Duration::minutes(5)),
            "stale"
        );
        assert!(!verify_webhook(
            secret,
            "garbage",
            body,
            t(0),
            Duration::minutes(5)
        ));
    }

    #[test]
    fn attempts_back_off_then_give_up_or_succeed() {
        let op = Actor::person("alice", Role::ProviderOperator, None);
        let tenant = TenantId::new("northgate").unwrap();
        let backoff = Backoff {
            initial_secs: 5,
            max_secs: 15,
            max_attempts: 4,
        };
        let d = Delivery::action(
            &op,
            "d1".into(),
            tenant.clone(),
            ResponseAction::DisableBadge {
                badge: "B-1".into(),
            },
            None,
            "acs",
            "http://127.0.0.1:1/x",
            backoff,
            t(0),
        )
        .unwrap();
        assert_eq!(d.next_attempt_at, Some(t(0)));
        let d = d.record_attempt(false, Some(503), Some("busy".into()), t(0));
        assert_eq!(
            (d.status, d.next_attempt_at),
            (DeliveryStatus::Pending, Some(t(5)))
        );
        let d = d.record_attempt(false, None, Some("refused".into()), t(5));
        assert_eq!(d.next_attempt_at, Some(t(15)));
        let d2 = d.record_attempt(false, None, None, t(15));
        assert_eq!(d2.next_attempt_at, Some(t(30)), "capped at 15 s");
        let failed = d2.record_attempt(false, None, None, t(30));
        assert_eq!(
            (failed.status, failed.next_attempt_at, failed.attempts.len()),
            (DeliveryStatus::Failed, None, 4)
        );
        let ok = d.record_attempt(true, Some(200), None, t(15));
        assert_eq!(ok.status, DeliveryStatus::Delivered);
        // Validation and permission.
        let bad = Delivery::action(
            &op,
            "d".into(),
            tenant.clone(),
            ResponseAction::BlockAddress {
                address: "127.0.0.1".parse().unwrap(),
            },
            None,
            "fw",
            "http://x",
            backoff,
            t(0),
        );
        assert!(bad.is_err());
        let viewer = Actor::person("v", Role::ClientViewer, Some(tenant.clone()));
        assert!(
            Delivery::action(
                &viewer,
                "d".into(),
                tenant,
                ResponseAction::IsolateHost {
                    host: "ws-1".into()
                },
                None,
                "edr",
                "http://x",
                backoff,
                t(0)
            )
            .is_err()
        );
    }
}
