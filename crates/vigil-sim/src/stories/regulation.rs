//! What an analyst would record about each story under NIS-2 once it is an
//! incident: the facts the significance assessment reads (Implementing
//! Regulation (EU) 2024/2690). Every client has stories on both sides of
//! the line, so the demo shows significant incidents with their Art. 23
//! deadlines counting down and incidents that are reported to no one:
//!
//! - an IT intrusion that ran attacker code (the encoded PowerShell
//!   download) or reached the OT network (Modbus writes from IT) is a
//!   successful, suspectedly malicious access capable of severe disruption:
//!   significant under Art. 3(1)(e);
//! - a VPN brute force that never got in, card trying at doors, a forced
//!   data-hall door with nothing taken meet no criterion: not significant.

use vigil_compliance::nis2::{IncidentFacts, UnauthorisedAccess};
use vigil_model::Timestamp;

use super::StoryKind;

/// The facts of `kind`'s incident, started at `started_at`; `None` for a
/// story an analyst would not open an incident for.
pub fn nis2_facts(kind: StoryKind, started_at: Timestamp) -> Option<IncidentFacts> {
    let access = |successful| UnauthorisedAccess {
        successful,
        suspectedly_malicious: true,
        capable_of_severe_disruption: true,
    };
    let facts = |unauthorised_access, cause: &str| IncidentFacts {
        occurred_at: started_at,
        unauthorised_access,
        apparent_root_cause: Some(cause.to_owned()),
        ..Default::default()
    };
    match kind {
        StoryKind::EncodedPowershellDownload => Some(facts(
            Some(access(true)),
            "phishing attachment running encoded PowerShell",
        )),
        StoryKind::OtModbusFromIt => Some(facts(
            Some(access(true)),
            "flat network between IT and the OT cell",
        )),
        StoryKind::VpnBruteForce => Some(facts(
            Some(access(false)),
            "VPN portal exposed without rate limiting",
        )),
        StoryKind::CardTrying => Some(facts(None, "badge cloning attempt")),
        StoryKind::DoorForcedDataHall => Some(facts(None, "forced entry at a data-hall door")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_compliance::nis2::{Nis2ProfileConfig, assess};
    use vigil_model::{Clock, SystemClock, TenantId};

    fn profile(client: &str) -> vigil_compliance::nis2::Nis2Profile {
        Nis2ProfileConfig::from_toml_str(
            client,
            r#"
            sector = "health"
            entity_type = "essential"
            annual_turnover_eur = 120000000
            member_state = "DE"
            [authority]
            name = "BSI"
            contact = "meldestelle@bsi.bund.de"
            "#,
        )
        .unwrap()
        .validate(&TenantId::new(client).unwrap())
        .unwrap()
    }

    #[test]
    fn every_client_has_a_significant_and_a_non_significant_story() {
        let now = SystemClock.now();
        let significant = |kind| {
            let facts = nis2_facts(kind, now).expect("facts");
            assess(&profile("c"), &facts).unwrap().significant
        };
        for client in ["northgate", "riverside", "st-aurelia"] {
            let kinds: Vec<StoryKind> = super::super::STORIES
                .into_iter()
                .filter(|k| k.tenants().contains(&client))
                .filter(|k| nis2_facts(*k, now).is_some())
                .collect();
            assert!(kinds.iter().any(|k| significant(*k)), "{client}: {kinds:?}");
            assert!(
                kinds.iter().any(|k| !significant(*k)),
                "{client}: {kinds:?}"
            );
        }
    }
}
