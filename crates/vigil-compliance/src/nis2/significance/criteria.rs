//! One function per criterion. Each returns its result and whether planned
//! maintenance can exclude it (Art. 3(2)).

use chrono::TimeDelta;
use vigil_model::Timestamp;

use super::{CriterionResult, IncidentFacts, UserShare};
use crate::nis2::profile::{Nis2Profile, Turnover};
use crate::nis2::text::{duration, eur, grouped};

const REG: &str = "Reg. (EU) 2024/2690";
/// Art. 3(1)(a): the absolute part of the financial-loss threshold.
const LOSS_CAP_EUR: u64 = 500_000;
/// Art. 10(b), (d): the absolute user threshold.
const USERS_CAP: u64 = 1_000_000;

type Outcome = (CriterionResult, bool);

fn result(id: &str, article: String, met: bool, facts: String) -> CriterionResult {
    CriterionResult {
        id: id.to_owned(),
        article,
        met,
        facts,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn when(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Whether a loss exceeds EUR 500,000 or 5 % of the turnover, whichever is
/// lower. A value exceeds the lower of two bounds exactly when it exceeds
/// either, and 5 % is compared as `20 × loss > turnover` so that no
/// rounding decides a case on the line.
fn loss_exceeds(loss: u64, turnover: Turnover) -> bool {
    loss > LOSS_CAP_EUR
        || match turnover {
            Turnover::Exact(t) => u128::from(loss) * 20 > u128::from(t),
            // Validation admits only bands whose 5 % is over EUR 500,000.
            Turnover::Band(_) => false,
        }
}

/// 5 % of a turnover, to the cent.
fn five_percent(turnover: u64) -> String {
    let cents = u128::from(turnover) * 5;
    let (whole, rest) = (cents / 100, cents % 100);
    let whole = eur(u64::try_from(whole).unwrap_or(u64::MAX));
    if rest == 0 {
        whole
    } else {
        format!("{whole}.{rest:02}")
    }
}

fn threshold_text(turnover: Turnover) -> String {
    match turnover {
        Turnover::Exact(t) if t >= 20 * LOSS_CAP_EUR => format!(
            "{} (5 % of the annual turnover {} is {})",
            eur(LOSS_CAP_EUR),
            eur(t),
            five_percent(t)
        ),
        Turnover::Exact(t) => format!(
            "{} (5 % of the annual turnover {}, lower than {})",
            five_percent(t),
            eur(t),
            eur(LOSS_CAP_EUR)
        ),
        Turnover::Band(b) => format!(
            "{} (5 % of any turnover in band {b} is higher)",
            eur(LOSS_CAP_EUR)
        ),
    }
}

pub(super) fn financial_loss(profile: &Nis2Profile, facts: &IncidentFacts) -> Outcome {
    let loss = facts.direct_financial_loss_eur;
    let met = loss_exceeds(loss, profile.turnover);
    let facts = format!(
        "direct financial loss {} {} the threshold {}",
        eur(loss),
        if met { "exceeds" } else { "does not exceed" },
        threshold_text(profile.turnover)
    );
    let article = format!(
        "{REG}, Art. 3(1)(a): direct financial loss exceeding EUR 500,000 or 5 % of the total annual turnover in the preceding financial year, whichever is lower"
    );
    (result("art3_1_a", article, met, facts), true)
}

pub(super) fn trade_secrets(facts: &IncidentFacts) -> Outcome {
    let met = facts.trade_secret_exfiltration_suspected;
    let text = if met {
        "exfiltration of trade secrets suspected"
    } else {
        "no exfiltration of trade secrets suspected"
    };
    let article = format!(
        "{REG}, Art. 3(1)(b): exfiltration of trade secrets (Art. 2(1) of Directive (EU) 2016/943)"
    );
    // An exfiltration is never a planned consequence of maintenance.
    (result("art3_1_b", article, met, text.to_owned()), false)
}

pub(super) fn death(facts: &IncidentFacts) -> Outcome {
    let met = facts.deaths > 0 || facts.death_possible;
    let text = format!(
        "deaths: {}; capable of causing a death: {}",
        facts.deaths,
        yes_no(facts.death_possible)
    );
    let article = format!("{REG}, Art. 3(1)(c): the death of a natural person");
    (result("art3_1_c", article, met, text), true)
}

pub(super) fn health(facts: &IncidentFacts) -> Outcome {
    let met = facts.considerable_health_damage;
    let text = format!("considerable damage to a person's health: {}", yes_no(met));
    let article = format!("{REG}, Art. 3(1)(d): considerable damage to a natural person's health");
    (result("art3_1_d", article, met, text), true)
}

pub(super) fn unauthorised_access(facts: &IncidentFacts) -> Outcome {
    let (met, text) = match facts.unauthorised_access {
        None => (false, "no unauthorised access recorded".to_owned()),
        Some(a) => (
            a.successful && a.suspectedly_malicious && a.capable_of_severe_disruption,
            format!(
                "unauthorised access: successful {}, suspectedly malicious {}, capable of severe operational disruption {}",
                yes_no(a.successful),
                yes_no(a.suspectedly_malicious),
                yes_no(a.capable_of_severe_disruption)
            ),
        ),
    };
    let article = format!(
        "{REG}, Art. 3(1)(e): successful, suspectedly malicious and unauthorised access to network and information systems, capable of causing severe operational disruption"
    );
    // A suspectedly malicious act is never a planned consequence of maintenance.
    (result("art3_1_e", article, met, text), false)
}

pub(super) fn recurring(
    profile: &Nis2Profile,
    facts: &IncidentFacts,
    window_start: Timestamp,
) -> Outcome {
    let article = format!(
        "{REG}, Art. 3(1)(f) and Art. 4: incidents, each not significant, that occurred at least twice within 6 months with the same apparent root cause and together meet Art. 3(1)(a)"
    );
    let Some(cause) = facts
        .apparent_root_cause
        .as_deref()
        .map(normalise)
        .filter(|c| !c.is_empty())
    else {
        let text = "no apparent root cause recorded for this incident".to_owned();
        return (result("art4", article, false, text), true);
    };

    let same: Vec<_> = facts
        .previous_incidents
        .iter()
        .filter(|p| !p.significant)
        .filter(|p| normalise(&p.apparent_root_cause) == cause)
        .filter(|p| p.at >= window_start && p.at <= facts.occurred_at)
        .collect();
    let total = same.iter().fold(facts.direct_financial_loss_eur, |sum, p| {
        sum.saturating_add(p.direct_financial_loss_eur)
    });
    let occurrences = same.len() + 1;
    let met = occurrences >= 2 && loss_exceeds(total, profile.turnover);

    let earlier: Vec<String> = same
        .iter()
        .map(|p| {
            let name = p.reference.as_deref().unwrap_or("an earlier incident");
            format!(
                "{name} on {} ({})",
                when(p.at),
                eur(p.direct_financial_loss_eur)
            )
        })
        .collect();
    let text = format!(
        "{occurrences} incident(s) with apparent root cause `{cause}` since {}: this one ({}){}{}; together {} {} the threshold {}",
        when(window_start),
        eur(facts.direct_financial_loss_eur),
        if earlier.is_empty() { "" } else { " and " },
        earlier.join(", "),
        eur(total),
        if loss_exceeds(total, profile.turnover) {
            "exceed"
        } else {
            "do not exceed"
        },
        threshold_text(profile.turnover)
    );
    (result("art4", article, met, text), true)
}

/// Root causes are matched case- and space-insensitively: the same cause
/// is typed by different people on different nights.
fn normalise(cause: &str) -> String {
    cause
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether more than 5 % or more than 1,000,000 of the service's users in
/// the Union are affected (the threshold is the smaller number, and a count
/// exceeds the smaller of two bounds exactly when it exceeds either), with
/// the figures that say so.
fn users_over(share: &UserShare, eu_users: Option<u64>) -> (bool, String) {
    let mut parts = Vec::new();
    let mut over = false;
    if let Some(n) = share.affected {
        over |= n > USERS_CAP;
        match eu_users {
            Some(total) => {
                over |= u128::from(n) * 20 > u128::from(total);
                parts.push(format!(
                    "{} of {} users in the Union ({:.2} %)",
                    grouped(n),
                    grouped(total),
                    n as f64 * 100.0 / total as f64
                ));
            }
            None => parts.push(format!("{} users in the Union", grouped(n))),
        }
    }
    if let Some(p) = share.percent {
        over |= p > 5.0;
        parts.push(format!("{p} % of the users in the Union"));
    }
    let known_share = share.percent.is_some() || (share.affected.is_some() && eu_users.is_some());
    let mut text = if parts.is_empty() {
        "affected users not recorded".to_owned()
    } else {
        parts.join(", ")
    };
    if !over && !known_share {
        text.push_str(
            " (share unknown: record the percentage, or eu_users in the client's profile)",
        );
    }
    text.push_str(&format!(
        "; more than 5 % or more than {}: {}",
        grouped(USERS_CAP),
        yes_no(over)
    ));
    (over, text)
}

/// Art. 10 (a) to (d), for managed service and managed security service
/// providers.
pub(super) fn managed_service(profile: &Nis2Profile, facts: &IncidentFacts) -> Vec<Outcome> {
    let mut out = Vec::with_capacity(4);

    let limit = TimeDelta::minutes(30);
    let (met, text) = match facts.complete_unavailability {
        Some(d) => (
            d > limit,
            format!(
                "completely unavailable for {}; more than 30 min: {}",
                duration(d),
                yes_no(d > limit)
            ),
        ),
        None => (false, "no complete unavailability recorded".to_owned()),
    };
    let article = format!(
        "{REG}, Art. 10(a): a managed service or managed security service completely unavailable for more than 30 minutes"
    );
    out.push((result("art10_a", article, met, text), true));

    let limit = TimeDelta::hours(1);
    let (met, text) = match &facts.limited_availability {
        Some(l) => {
            let (over, users) = users_over(&l.users, profile.eu_users);
            let long = l.lasted > limit;
            (
                over && long,
                format!(
                    "availability limited for {} (more than 1 h: {}) for {users}",
                    duration(l.lasted),
                    yes_no(long)
                ),
            )
        }
        None => (false, "no limited availability recorded".to_owned()),
    };
    let article = format!(
        "{REG}, Art. 10(b): availability limited for more than 5 % or more than 1,000,000 of the service's users in the Union, whichever number is smaller, for more than one hour"
    );
    out.push((result("art10_b", article, met, text), true));

    let (met, text) = match &facts.data_compromise {
        Some(c) if c.suspectedly_malicious => (
            true,
            "data integrity, confidentiality or authenticity compromised by a suspectedly malicious action".to_owned(),
        ),
        Some(_) => (
            false,
            "data compromised, not suspected to result from a malicious action".to_owned(),
        ),
        None => (false, "no compromise of data recorded".to_owned()),
    };
    let article = format!(
        "{REG}, Art. 10(c): integrity, confidentiality or authenticity of data related to the service compromised as a result of a suspectedly malicious action"
    );
    // A suspectedly malicious act is never a planned consequence of maintenance.
    out.push((result("art10_c", article, met, text), false));

    let (met, text) = match &facts.data_compromise {
        Some(c) => {
            let (over, users) = users_over(&c.users, profile.eu_users);
            (over, format!("data compromised with an impact on {users}"))
        }
        None => (false, "no compromise of data recorded".to_owned()),
    };
    let article = format!(
        "{REG}, Art. 10(d): integrity, confidentiality or authenticity of data related to the service compromised with an impact on more than 5 % or more than 1,000,000 of its users in the Union, whichever number is smaller"
    );
    out.push((result("art10_d", article, met, text), true));

    out
}
