//! Whether an incident is significant, under Commission Implementing
//! Regulation (EU) 2024/2690.
//!
//! The Regulation specifies, for the digital entity types it covers, the
//! cases in which an incident is significant for the purposes of Art. 23(3)
//! of Directive (EU) 2022/2555. Its recital 30 calls the criteria
//! exhaustive, so each is tested here on its own and the incident is
//! significant when one or more is met:
//!
//! - Art. 3(1)(a): direct financial loss for the entity that *exceeds*
//!   EUR 500,000 or 5 % of its total annual turnover in the preceding
//!   financial year, whichever is lower;
//! - Art. 3(1)(b): exfiltration of trade secrets (Art. 2(1) of Directive
//!   (EU) 2016/943);
//! - Art. 3(1)(c): the death of a natural person;
//! - Art. 3(1)(d): considerable damage to a natural person's health;
//! - Art. 3(1)(e): a successful, suspectedly malicious and unauthorised
//!   access to network and information systems capable of causing severe
//!   operational disruption;
//! - Art. 3(1)(f) with Art. 4: recurring incidents, each not significant,
//!   that occurred at least twice within 6 months, have the same apparent
//!   root cause and together meet Art. 3(1)(a);
//! - Art. 3(1)(g) with Art. 10, for managed service and managed security
//!   service providers: (a) the service completely unavailable for *more
//!   than 30 minutes*; (b) its availability limited for *more than 5 %* of
//!   its users in the Union or *more than 1,000,000* of them, whichever
//!   number is smaller, for *more than one hour*; (c) the integrity,
//!   confidentiality or authenticity of data related to the service
//!   compromised as a result of a suspectedly malicious action; (d) the
//!   same compromised with an impact on more than 5 % or more than
//!   1,000,000 of its users in the Union, whichever number is smaller.
//!
//! Every criterion above is "caused or is capable of causing": the facts
//! record what happened or could happen, as judged now.
//!
//! Art. 3(2): planned interruptions of service and planned consequences of
//! scheduled maintenance operations carried out by or on behalf of the
//! entity are not significant incidents. Exfiltration and suspectedly
//! malicious acts are never a *planned* consequence of maintenance, so the
//! criteria resting on them (Art. 3(1)(b), 3(1)(e), 10(c)) still count
//! when the incident happened during maintenance.
//!
//! The result is a proposal: an analyst confirms it or changes it, with a
//! reason, in a [`Confirmation`].

use chrono::{Months, TimeDelta};
use serde::{Deserialize, Serialize};
use vigil_model::Timestamp;

use super::profile::Nis2Profile;
use super::text::{is_blank, seconds, seconds_opt};

mod criteria;

/// What is known about an incident, as the analyst records it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentFacts {
    /// When the incident occurred; the six months of Art. 4 are counted back
    /// from here.
    pub occurred_at: Timestamp,
    /// Direct financial loss for the client that the incident caused or is
    /// capable of causing, whole euros.
    #[serde(default)]
    pub direct_financial_loss_eur: u64,
    /// Exfiltration of the client's trade secrets is suspected (caused or
    /// capable of being caused).
    #[serde(default)]
    pub trade_secret_exfiltration_suspected: bool,
    /// Natural persons who died because of the incident.
    #[serde(default)]
    pub deaths: u32,
    /// The incident is capable of causing the death of a natural person.
    #[serde(default)]
    pub death_possible: bool,
    /// The incident caused or is capable of causing considerable damage to a
    /// natural person's health.
    #[serde(default)]
    pub considerable_health_damage: bool,
    /// An unauthorised access to the client's systems, if there was one.
    #[serde(default)]
    pub unauthorised_access: Option<UnauthorisedAccess>,
    /// How long the (managed) service was completely unavailable.
    #[serde(
        default,
        rename = "complete_unavailability_seconds",
        with = "seconds_opt"
    )]
    pub complete_unavailability: Option<TimeDelta>,
    /// A limitation of the service's availability, if there was one.
    #[serde(default)]
    pub limited_availability: Option<LimitedAvailability>,
    /// A compromise of the integrity, confidentiality or authenticity of data
    /// related to the service, if there was one.
    #[serde(default)]
    pub data_compromise: Option<DataCompromise>,
    /// What happened is a planned interruption of service or a planned
    /// consequence of scheduled maintenance by or for the client (Art. 3(2)).
    #[serde(default)]
    pub planned_maintenance: bool,
    /// The apparent root cause, in the words the desk uses for it every time
    /// (`unpatched VPN appliance`): Art. 4 matches it across incidents.
    #[serde(default)]
    pub apparent_root_cause: Option<String>,
    /// The client's earlier incidents, for Art. 4.
    #[serde(default)]
    pub previous_incidents: Vec<PreviousIncident>,
}

/// An unauthorised access to network and information systems (Art. 3(1)(e)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnauthorisedAccess {
    /// The access succeeded (not merely attempted).
    pub successful: bool,
    /// It is suspected to be malicious.
    pub suspectedly_malicious: bool,
    /// It is capable of causing severe operational disruption.
    pub capable_of_severe_disruption: bool,
}

/// How many of the service's users in the Union are affected: a number, a
/// share, or both. A number is turned into a share with the profile's
/// `eu_users` when the share is not given.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserShare {
    /// Affected users in the Union (or the client's estimate of the possible
    /// maximum, Art. 3(4)).
    #[serde(default)]
    pub affected: Option<u64>,
    /// Affected share of the service's users in the Union, percent (0–100).
    #[serde(default)]
    pub percent: Option<f64>,
}

/// A limitation of the service's availability (Art. 10(b)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitedAvailability {
    /// The users it was limited for.
    pub users: UserShare,
    /// How long it lasted.
    #[serde(rename = "lasted_seconds", with = "seconds")]
    pub lasted: TimeDelta,
}

/// A compromise of the integrity, confidentiality or authenticity of stored,
/// transmitted or processed data related to the service (Art. 10(c), (d)).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataCompromise {
    /// It results from a suspectedly malicious action.
    pub suspectedly_malicious: bool,
    /// The users it has an impact on.
    #[serde(default)]
    pub users: UserShare,
}

/// An earlier incident of the same client, for recurrence (Art. 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousIncident {
    /// The desk's reference for it, for the facts line.
    #[serde(default)]
    pub reference: Option<String>,
    /// When it occurred.
    pub at: Timestamp,
    /// Its apparent root cause.
    pub apparent_root_cause: String,
    /// Its direct financial loss, whole euros.
    #[serde(default)]
    pub direct_financial_loss_eur: u64,
    /// It was itself significant (and reported): Art. 4 gathers only
    /// incidents that individually are not.
    #[serde(default)]
    pub significant: bool,
}

/// Facts that cannot be assessed: names the field and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FactsError {
    /// A duration below zero.
    #[error("incident facts, field `{field}`: duration must not be negative")]
    NegativeDuration {
        /// The field.
        field: &'static str,
    },
    /// A percentage that is not a number from 0 to 100.
    #[error("incident facts, field `{field}`: {value} is not a percentage from 0 to 100")]
    BadPercent {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// An earlier incident dated after this one.
    #[error(
        "incident facts, field `previous_incidents[{index}].at`: {at} is after this incident ({occurred_at})"
    )]
    PreviousAfterIncident {
        /// Its position in the list.
        index: usize,
        /// Its date.
        at: Timestamp,
        /// This incident's date.
        occurred_at: Timestamp,
    },
    /// An earlier incident without a root cause.
    #[error(
        "incident facts, field `previous_incidents[{index}].apparent_root_cause`: must not be empty"
    )]
    BlankRootCause {
        /// Its position in the list.
        index: usize,
    },
}

/// The result of one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// A stable id: `art3_1_a` … `art3_1_e`, `art4`, `art10_a` … `art10_d`.
    pub id: String,
    /// The provision and its rule, as the reader of a report needs it.
    pub article: String,
    /// Whether the criterion is met.
    pub met: bool,
    /// The facts it rests on, with the figures compared.
    pub facts: String,
}

/// The proposed significance of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Whether the incident is significant: one or more criteria met and not
    /// excluded by Art. 3(2).
    pub significant: bool,
    /// Every applicable criterion, met or not, in the Regulation's order.
    /// Art. 10's appear only for managed (security) service providers.
    pub criteria: Vec<CriterionResult>,
    /// Criteria were met, but only through planned maintenance (Art. 3(2)).
    pub excluded_by_maintenance: bool,
}

impl Assessment {
    /// The criteria that are met.
    pub fn met(&self) -> impl Iterator<Item = &CriterionResult> {
        self.criteria.iter().filter(|c| c.met)
    }

    /// One criterion's result by id.
    pub fn criterion(&self, id: &str) -> Option<&CriterionResult> {
        self.criteria.iter().find(|c| c.id == id)
    }

    /// The analyst accepts the proposal.
    pub fn confirm(&self, by: &str, at: Timestamp) -> Result<Confirmation, ConfirmationError> {
        self.decide(by, at, self.significant, "")
    }

    /// The analyst decides: the proposal, or its opposite with a reason. A
    /// reason given for accepting the proposal is kept too.
    pub fn decide(
        &self,
        by: &str,
        at: Timestamp,
        significant: bool,
        reason: &str,
    ) -> Result<Confirmation, ConfirmationError> {
        if is_blank(by) {
            return Err(ConfirmationError::NoAnalyst);
        }
        if significant != self.significant && is_blank(reason) {
            return Err(ConfirmationError::ChangeWithoutReason {
                proposed: self.significant,
            });
        }
        Ok(Confirmation {
            by: by.trim().to_owned(),
            at,
            significant,
            proposed: self.significant,
            reason: (!is_blank(reason)).then(|| reason.trim().to_owned()),
        })
    }
}

/// An analyst's decision on an [`Assessment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Who decided.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The decision: significant or not.
    pub significant: bool,
    /// What the assessment proposed.
    pub proposed: bool,
    /// Why, required when the decision differs from the proposal.
    pub reason: Option<String>,
}

impl Confirmation {
    /// Whether the analyst changed the proposal.
    pub fn changed(&self) -> bool {
        self.significant != self.proposed
    }
}

/// A decision that cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmationError {
    /// Nobody named as deciding.
    #[error("confirmation, field `by`: the analyst deciding must be named")]
    NoAnalyst,
    /// The proposal changed without saying why.
    #[error(
        "confirmation, field `reason`: the assessment proposed {proposed_text}; deciding otherwise needs a reason",
        proposed_text = if *proposed { "significant" } else { "not significant" }
    )]
    ChangeWithoutReason {
        /// What the assessment proposed.
        proposed: bool,
    },
}

/// Assesses an incident of the client described by `profile`.
pub fn assess(profile: &Nis2Profile, facts: &IncidentFacts) -> Result<Assessment, FactsError> {
    check(facts)?;
    let mut results = vec![
        criteria::financial_loss(profile, facts),
        criteria::trade_secrets(facts),
        criteria::death(facts),
        criteria::health(facts),
        criteria::unauthorised_access(facts),
        criteria::recurring(profile, facts, six_months_before(facts.occurred_at)),
    ];
    if profile.article_10_applies() {
        results.extend(criteria::managed_service(profile, facts));
    }

    let met_despite_maintenance = results.iter().any(|(r, excludable)| r.met && !excludable);
    let met_excludable = results.iter().any(|(r, excludable)| r.met && *excludable);
    let (significant, excluded_by_maintenance) = if facts.planned_maintenance {
        (
            met_despite_maintenance,
            met_excludable && !met_despite_maintenance,
        )
    } else {
        (met_despite_maintenance || met_excludable, false)
    };
    Ok(Assessment {
        significant,
        criteria: results.into_iter().map(|(r, _)| r).collect(),
        excluded_by_maintenance,
    })
}

/// The start of Art. 4's window: six calendar months back, clamped to the
/// month's end (31 August goes back to 28 or 29 February).
fn six_months_before(at: Timestamp) -> Timestamp {
    at.checked_sub_months(Months::new(6))
        .unwrap_or(Timestamp::MIN_UTC)
}

fn check(facts: &IncidentFacts) -> Result<(), FactsError> {
    let non_negative = |d: TimeDelta, field| {
        if d < TimeDelta::zero() {
            Err(FactsError::NegativeDuration { field })
        } else {
            Ok(())
        }
    };
    let percent = |share: &UserShare, field| match share.percent {
        Some(p) if !(0.0..=100.0).contains(&p) => Err(FactsError::BadPercent { field, value: p }),
        _ => Ok(()),
    };
    if let Some(d) = facts.complete_unavailability {
        non_negative(d, "complete_unavailability_seconds")?;
    }
    if let Some(l) = &facts.limited_availability {
        non_negative(l.lasted, "limited_availability.lasted_seconds")?;
        percent(&l.users, "limited_availability.users.percent")?;
    }
    if let Some(c) = &facts.data_compromise {
        percent(&c.users, "data_compromise.users.percent")?;
    }
    for (index, p) in facts.previous_incidents.iter().enumerate() {
        if p.at > facts.occurred_at {
            return Err(FactsError::PreviousAfterIncident {
                index,
                at: p.at,
                occurred_at: facts.occurred_at,
            });
        }
        if is_blank(&p.apparent_root_cause) {
            return Err(FactsError::BlankRootCause { index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
