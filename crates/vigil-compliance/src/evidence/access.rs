//! Access control, identity management, authentication information and
//! access rights (A.5.15 to A.5.18): who holds which role for this client,
//! whether the store holds each as configured, and when each last acted.

use serde::Serialize;
use serde_json::json;
use vigil_model::Timestamp;

use super::{EvidenceEntry, EvidenceError, Span, Status};

/// Someone holding an API token that reaches this client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// The token's name (a person or an integration).
    pub name: String,
    /// Its role (`provider_admin` … `client_viewer`).
    pub role: String,
    /// Whether it reaches every client (provider staff).
    pub all_clients: bool,
    /// Whether the store holds the token with this role and tenant, so
    /// that it authenticates as configured.
    pub registered: bool,
    /// Its last act on this client's record (or a provider-wide one).
    pub last_act: Option<Timestamp>,
    /// What that act was.
    pub last_action: Option<String>,
}

/// Someone who acted on this client's record in the period and holds no
/// token now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormerActor {
    /// The name they acted under.
    pub name: String,
    /// Their acts in the period.
    pub acts: u64,
    /// The last of them.
    pub last_act: Timestamp,
}

/// What the access evidence is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessFacts {
    /// Whether the node's token register was given to the reading; without
    /// it only the audit record's actors are known.
    pub register_known: bool,
    /// Holders reaching this client: provider staff and the client's own
    /// (without the register: those who acted, with role `unknown`).
    pub holders: Vec<Holder>,
    /// People who acted in the period without a token now.
    pub former: Vec<FormerActor>,
    /// Console logins to this client's scope (or by provider staff) in the period.
    pub logins: u64,
    /// Failed authentications at the node in the period (any caller).
    pub failed_authentications: u64,
}

/// The entries `access.rights` and `access.authentication`.
pub fn evidence(facts: &AccessFacts, _span: Span) -> Result<Vec<EvidenceEntry>, EvidenceError> {
    Ok(vec![rights(facts)?, authentication(facts)?])
}

fn rights(facts: &AccessFacts) -> Result<EvidenceEntry, EvidenceError> {
    // Without the register, nothing is configured to compare with.
    let unregistered: Vec<&str> = facts
        .holders
        .iter()
        .filter(|h| facts.register_known && !h.registered)
        .map(|h| h.name.as_str())
        .collect();
    let provider = facts.holders.iter().filter(|h| h.all_clients).count();
    let own = facts.holders.len() - provider;
    let former = if facts.former.is_empty() {
        String::new()
    } else {
        format!(
            " {} who acted in the period hold no token now (access removed): {}.",
            facts.former.len(),
            facts
                .former
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let (status, finding) = if !facts.register_known {
        (
            Status::Partially,
            format!(
                "The node's token register was not given to this reading: only those who acted \
                 are known.{former}"
            ),
        )
    } else if facts.holders.is_empty() {
        (
            Status::NotEvidenced,
            "No token reaches this client.".to_owned(),
        )
    } else if unregistered.is_empty() {
        (
            Status::Evidenced,
            format!(
                "{} tokens reach this client ({provider} provider staff over every client, {own} of the client's own), each held by the store as configured, with its last act.{former}",
                facts.holders.len()
            ),
        )
    } else {
        (
            Status::Partially,
            format!(
                "{} of {} configured tokens are not held by the store as configured (role or client differ, or not loaded): {}.{former}",
                unregistered.len(),
                facts.holders.len(),
                unregistered.join(", ")
            ),
        )
    };
    EvidenceEntry::new(
        "access.rights",
        "Who holds which role for this client",
        &["A.5.15", "A.5.16", "A.5.18"],
        status,
        finding,
        json!({
            "register_known": facts.register_known,
            "holders": facts.holders,
            "not_as_configured": unregistered,
            "former": facts.former,
        }),
    )
}

fn authentication(facts: &AccessFacts) -> Result<EvidenceEntry, EvidenceError> {
    let finding = format!(
        "API tokens are held only as SHA-256 digests and sessions only in memory; {} console \
         logins and {} failed authentications at the node were recorded in the period.",
        facts.logins, facts.failed_authentications
    );
    EvidenceEntry::new(
        "access.authentication",
        "Authentication information",
        &["A.5.17"],
        Status::Evidenced,
        finding,
        json!({
            "token_storage": "sha256",
            "logins": facts.logins,
            "failed_authentications": facts.failed_authentications,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn span() -> Span {
        let to = chrono::Utc::now();
        Span {
            from: to - Duration::days(30),
            to,
        }
    }

    fn holder(name: &str, all: bool, registered: bool) -> Holder {
        Holder {
            name: name.into(),
            role: if all {
                "provider_operator"
            } else {
                "client_viewer"
            }
            .into(),
            all_clients: all,
            registered,
            last_act: Some(chrono::Utc::now() - Duration::hours(2)),
            last_action: Some("alarm.acknowledge".into()),
        }
    }

    #[test]
    fn a_register_held_as_configured_is_evidence_and_a_stray_token_is_named() {
        let facts = AccessFacts {
            register_known: true,
            holders: vec![
                holder("alice", true, true),
                holder("ng-viewer", false, true),
            ],
            former: vec![FormerActor {
                name: "bob".into(),
                acts: 3,
                last_act: chrono::Utc::now() - Duration::days(9),
            }],
            logins: 4,
            failed_authentications: 1,
        };
        let entries = evidence(&facts, span()).expect("entries");
        assert_eq!(
            entries[0].status,
            Status::Evidenced,
            "{}",
            entries[0].finding
        );
        assert!(entries[0].finding.contains("1 provider staff"));
        assert!(entries[0].finding.contains("(access removed): bob"));
        assert_eq!(entries[1].data["failed_authentications"], json!(1));

        let mut near = facts.clone();
        near.holders[1].registered = false;
        let e = rights(&near).expect("entry");
        assert_eq!(e.status, Status::Partially);
        assert_eq!(e.data["not_as_configured"], json!(["ng-viewer"]));

        let unknown = AccessFacts::default();
        assert_eq!(rights(&unknown).expect("entry").status, Status::Partially);
    }
}
