//! The client's NIS-2 profile: what the regulation needs to know about the
//! client to judge its incidents and address its reports.
//!
//! It is configuration, written in the client's `[[tenants]]` table of
//! `vigil.toml`:
//!
//! ```toml
//! [tenants.nis2]
//! sector = "ict_service_management"    # Annex I or II of Directive (EU) 2022/2555
//! entity_type = "essential"            # essential | important
//! managed_service_provider = true      # Art. 10 of Reg. (EU) 2024/2690 applies
//! managed_security_service_provider = false
//! annual_turnover_eur = 42000000       # preceding financial year; or:
//! # turnover_band = "medium"           # medium | large (micro, small need the figure)
//! member_state = "AT"                  # ISO 3166 alpha-2 of its main establishment
//! eu_users = 250000                    # users of its service in the Union (optional)
//! [tenants.nis2.authority]
//! name = "CERT.at"
//! contact = "reports@cert.at"
//! ```
//!
//! [`Nis2ProfileConfig`] is the table as written; [`Nis2ProfileConfig::validate`]
//! turns it into a [`Nis2Profile`] or refuses it with a [`ProfileError`]
//! naming the client and the field.

use std::fmt;

use serde::{Deserialize, Serialize};
use vigil_model::TenantId;

use super::text::{eur, is_blank};

/// Longest authority name or contact accepted: it goes into report headers.
const MAX_TEXT: usize = 200;

/// The EU Member States by ISO 3166-1 alpha-2 code: NIS-2 binds entities
/// established in the Union.
const MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The `[tenants.nis2]` table as written in `vigil.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nis2ProfileConfig {
    /// The sector of Annex I or II of the Directive, in snake case
    /// (`ict_service_management`, `energy`, …); see [`Sector`].
    pub sector: String,
    /// `essential` or `important` (Art. 3 of the Directive).
    pub entity_type: String,
    /// The client is a managed service provider (Art. 6(39) of the
    /// Directive): Art. 10 of Reg. (EU) 2024/2690 applies to its incidents.
    #[serde(default)]
    pub managed_service_provider: bool,
    /// The client is a managed security service provider (Art. 6(40) of the
    /// Directive): Art. 10 of Reg. (EU) 2024/2690 applies to its incidents.
    #[serde(default)]
    pub managed_security_service_provider: bool,
    /// Total annual turnover in the preceding financial year, whole euros.
    /// Preferred over the band: the financial-loss threshold is 5 % of it.
    #[serde(default)]
    pub annual_turnover_eur: Option<u64>,
    /// The turnover band when the exact turnover is not on record: `medium`
    /// or `large` only, since for those the threshold of Art. 3(1)(a) of Reg.
    /// (EU) 2024/2690 is EUR 500,000 whatever the exact figure, while for
    /// `micro` and `small` it is 5 % of the exact figure.
    #[serde(default)]
    pub turnover_band: Option<String>,
    /// ISO 3166-1 alpha-2 code of the Member State of its main establishment.
    pub member_state: String,
    /// The CSIRT or competent authority its reports go to.
    pub authority: AuthorityConfig,
    /// Users of its service in the Union, when known; lets user counts be
    /// turned into shares for Art. 10.
    #[serde(default)]
    pub eu_users: Option<u64>,
}

/// The CSIRT or competent authority that receives the client's reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityConfig {
    /// Its name (`CERT.at`, `BSI`, `NCSC-NL`).
    pub name: String,
    /// How to reach it: portal address, e-mail or telephone.
    pub contact: String,
}

/// A sector of Annex I (high criticality) or Annex II (other critical
/// sectors) of Directive (EU) 2022/2555.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// Annex I.1.
    Energy,
    /// Annex I.2.
    Transport,
    /// Annex I.3.
    Banking,
    /// Annex I.4.
    FinancialMarketInfrastructure,
    /// Annex I.5.
    Health,
    /// Annex I.6.
    DrinkingWater,
    /// Annex I.7.
    WasteWater,
    /// Annex I.8: IXPs, DNS, TLD registries, cloud, data centres, CDNs, trust
    /// services, electronic communications.
    DigitalInfrastructure,
    /// Annex I.9 (business-to-business): managed service and managed
    /// security service providers.
    IctServiceManagement,
    /// Annex I.10.
    PublicAdministration,
    /// Annex I.11.
    Space,
    /// Annex II.1.
    PostalAndCourierServices,
    /// Annex II.2.
    WasteManagement,
    /// Annex II.3.
    Chemicals,
    /// Annex II.4.
    Food,
    /// Annex II.5.
    Manufacturing,
    /// Annex II.6: online marketplaces, search engines, social networks.
    DigitalProviders,
    /// Annex II.7.
    Research,
}

impl Sector {
    /// Every sector, Annex I first.
    pub const ALL: [Sector; 18] = [
        Sector::Energy,
        Sector::Transport,
        Sector::Banking,
        Sector::FinancialMarketInfrastructure,
        Sector::Health,
        Sector::DrinkingWater,
        Sector::WasteWater,
        Sector::DigitalInfrastructure,
        Sector::IctServiceManagement,
        Sector::PublicAdministration,
        Sector::Space,
        Sector::PostalAndCourierServices,
        Sector::WasteManagement,
        Sector::Chemicals,
        Sector::Food,
        Sector::Manufacturing,
        Sector::DigitalProviders,
        Sector::Research,
    ];

    /// Its name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Energy => "energy",
            Sector::Transport => "transport",
            Sector::Banking => "banking",
            Sector::FinancialMarketInfrastructure => "financial_market_infrastructure",
            Sector::Health => "health",
            Sector::DrinkingWater => "drinking_water",
            Sector::WasteWater => "waste_water",
            Sector::DigitalInfrastructure => "digital_infrastructure",
            Sector::IctServiceManagement => "ict_service_management",
            Sector::PublicAdministration => "public_administration",
            Sector::Space => "space",
            Sector::PostalAndCourierServices => "postal_and_courier_services",
            Sector::WasteManagement => "waste_management",
            Sector::Chemicals => "chemicals",
            Sector::Food => "food",
            Sector::Manufacturing => "manufacturing",
            Sector::DigitalProviders => "digital_providers",
            Sector::Research => "research",
        }
    }

    /// The Directive's annex that lists it: `I` or `II`.
    pub fn annex(self) -> &'static str {
        match self {
            Sector::PostalAndCourierServices
            | Sector::WasteManagement
            | Sector::Chemicals
            | Sector::Food
            | Sector::Manufacturing
            | Sector::DigitalProviders
            | Sector::Research => "II",
            _ => "I",
        }
    }

    fn parse(s: &str) -> Option<Sector> {
        Sector::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

impl fmt::Display for Sector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Essential or important entity (Art. 3 of the Directive): decides the
/// supervisory regime, not the reporting duty, which both share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Art. 3(1).
    Essential,
    /// Art. 3(2).
    Important,
}

impl EntityType {
    /// Its name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Essential => "essential",
            EntityType::Important => "important",
        }
    }
}

/// A turnover band with the ceilings of Commission Recommendation
/// 2003/361/EC, for clients whose exact turnover is not on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnoverBand {
    /// Up to EUR 2 million.
    Micro,
    /// Over EUR 2 million, up to EUR 10 million.
    Small,
    /// Over EUR 10 million, up to EUR 50 million.
    Medium,
    /// Over EUR 50 million.
    Large,
}

impl TurnoverBand {
    /// Every band, smallest first.
    pub const ALL: [TurnoverBand; 4] = [
        TurnoverBand::Micro,
        TurnoverBand::Small,
        TurnoverBand::Medium,
        TurnoverBand::Large,
    ];

    /// Its name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            TurnoverBand::Micro => "micro",
            TurnoverBand::Small => "small",
            TurnoverBand::Medium => "medium",
            TurnoverBand::Large => "large",
        }
    }

    /// The lowest and highest turnover in the band, whole euros (no highest
    /// for `large`).
    pub fn bounds(self) -> (u64, Option<u64>) {
        match self {
            TurnoverBand::Micro => (0, Some(2_000_000)),
            TurnoverBand::Small => (2_000_001, Some(10_000_000)),
            TurnoverBand::Medium => (10_000_001, Some(50_000_000)),
            TurnoverBand::Large => (50_000_001, None),
        }
    }

    /// Whether a turnover lies in the band.
    pub fn contains(self, turnover_eur: u64) -> bool {
        let (low, high) = self.bounds();
        turnover_eur >= low && high.is_none_or(|h| turnover_eur <= h)
    }

    fn parse(s: &str) -> Option<TurnoverBand> {
        TurnoverBand::ALL
            .into_iter()
            .find(|b| b.as_str() == s.trim())
    }
}

impl fmt::Display for TurnoverBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = self.bounds();
        match high {
            Some(h) => write!(f, "{} ({} to {})", self.as_str(), eur(low), eur(h)),
            None => write!(f, "{} (over {})", self.as_str(), eur(low - 1)),
        }
    }
}

/// What is known of the client's annual turnover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Turnover {
    /// The total annual turnover of the preceding financial year, whole euros.
    Exact(u64),
    /// Only its band, `medium` or `large` (validation refuses the others).
    Band(TurnoverBand),
}

impl TurnoverBand {
    /// Whether every turnover in the band is over EUR 10 million, so that 5 %
    /// of it is over EUR 500,000 and the threshold of Art. 3(1)(a) is EUR
    /// 500,000 whatever the exact figure.
    pub fn decides_loss_threshold(self) -> bool {
        // 5 % of the band's lowest turnover must exceed EUR 500,000.
        self.bounds().0 > 10_000_000
    }
}

/// The client's validated NIS-2 profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nis2Profile {
    /// The client.
    pub client: TenantId,
    /// Its sector.
    pub sector: Sector,
    /// Essential or important.
    pub entity_type: EntityType,
    /// It provides managed services.
    pub managed_service_provider: bool,
    /// It provides managed security services.
    pub managed_security_service_provider: bool,
    /// Its turnover.
    pub turnover: Turnover,
    /// ISO 3166-1 alpha-2 code of its Member State, upper case.
    pub member_state: String,
    /// The CSIRT or competent authority its reports go to.
    pub authority: AuthorityConfig,
    /// Users of its service in the Union, when known.
    pub eu_users: Option<u64>,
}

impl Nis2Profile {
    /// Whether Art. 10 of Reg. (EU) 2024/2690 (managed service and managed
    /// security service providers) applies to its incidents.
    pub fn article_10_applies(&self) -> bool {
        self.managed_service_provider || self.managed_security_service_provider
    }
}

/// A `[tenants.nis2]` table was refused: names the client, the field and
/// the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("NIS-2 profile of client `{client}`, field `{field}`: {problem}")]
pub struct ProfileError {
    /// The client (tenant id).
    pub client: String,
    /// The field as written in the table (`member_state`, `authority.name`).
    pub field: String,
    /// What is wrong with it.
    pub problem: ProfileProblem,
}

/// What is wrong with one field of a NIS-2 profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileProblem {
    /// The table does not have the profile's shape (a misspelt key, a wrong
    /// type, a missing field).
    #[error("{0}")]
    Shape(String),
    /// Not a sector of the Directive's annexes.
    #[error("unknown sector `{0}`; expected one of {list}", list = sector_list())]
    UnknownSector(String),
    /// Neither `essential` nor `important`.
    #[error("unknown entity type `{0}`; expected essential or important")]
    UnknownEntityType(String),
    /// Not a turnover band.
    #[error("unknown turnover band `{0}`; expected micro, small, medium or large")]
    UnknownTurnoverBand(String),
    /// A band too coarse to decide the financial-loss threshold.
    #[error(
        "band {0} leaves the threshold of Art. 3(1)(a) of Reg. (EU) 2024/2690 undecided (5 % of a turnover in it may be under EUR 500,000); give annual_turnover_eur"
    )]
    BandTooCoarse(String),
    /// Neither the turnover nor its band is given.
    #[error(
        "give annual_turnover_eur (preferred) or turnover_band: the financial-loss threshold of Art. 3(1)(a) of Reg. (EU) 2024/2690 depends on it"
    )]
    MissingTurnover,
    /// The turnover and the band disagree.
    #[error("annual turnover {turnover} is not in band {band}")]
    TurnoverOutsideBand {
        /// The turnover, as written.
        turnover: String,
        /// The band, with its bounds.
        band: String,
    },
    /// Greece written with the EU's own code.
    #[error("`EL` is the EU's code for Greece; write its ISO 3166 alpha-2 code `GR`")]
    GreeceAsEl,
    /// Not the ISO code of an EU Member State.
    #[error("`{0}` is not the ISO 3166 alpha-2 code of an EU Member State")]
    NotMemberState(String),
    /// An empty text where one is needed.
    #[error("must not be empty")]
    Blank,
    /// A text longer than accepted.
    #[error("is longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Zero users.
    #[error("must be more than 0; leave it out when the number is not known")]
    ZeroUsers,
}

fn sector_list() -> String {
    let names: Vec<&str> = Sector::ALL.iter().map(|s| s.as_str()).collect();
    names.join(", ")
}

impl Nis2ProfileConfig {
    /// Reads the table from TOML text (the body of `[tenants.nis2]`).
    pub fn from_toml_str(client: &str, text: &str) -> Result<Self, ProfileError> {
        toml::from_str(text).map_err(|e: toml::de::Error| ProfileError {
            client: client.to_owned(),
            field: "[tenants.nis2]".to_owned(),
            problem: ProfileProblem::Shape(e.message().to_owned()),
        })
    }

    /// Reads the table from an already parsed TOML value.
    pub fn from_toml_value(client: &str, value: toml::Value) -> Result<Self, ProfileError> {
        value.try_into().map_err(|e: toml::de::Error| ProfileError {
            client: client.to_owned(),
            field: "[tenants.nis2]".to_owned(),
            problem: ProfileProblem::Shape(e.message().to_owned()),
        })
    }

    /// Checks the table and builds the client's profile.
    pub fn validate(&self, client: &TenantId) -> Result<Nis2Profile, ProfileError> {
        let fail = |field: &str, problem: ProfileProblem| ProfileError {
            client: client.to_string(),
            field: field.to_owned(),
            problem,
        };

        let sector = Sector::parse(&self.sector)
            .ok_or_else(|| fail("sector", ProfileProblem::UnknownSector(self.sector.clone())))?;
        let entity_type = match self.entity_type.trim() {
            "essential" => EntityType::Essential,
            "important" => EntityType::Important,
            other => {
                return Err(fail(
                    "entity_type",
                    ProfileProblem::UnknownEntityType(other.to_owned()),
                ));
            }
        };

        let band = match &self.turnover_band {
            Some(b) => Some(TurnoverBand::parse(b).ok_or_else(|| {
                fail(
                    "turnover_band",
                    ProfileProblem::UnknownTurnoverBand(b.clone()),
                )
            })?),
            None => None,
        };
        let turnover = match (self.annual_turnover_eur, band) {
            (Some(t), Some(b)) if !b.contains(t) => {
                return Err(fail(
                    "annual_turnover_eur",
                    ProfileProblem::TurnoverOutsideBand {
                        turnover: eur(t),
                        band: b.to_string(),
                    },
                ));
            }
            // The exact figure decides: the band only narrows what is unknown.
            (Some(t), _) => Turnover::Exact(t),
            (None, Some(b)) if !b.decides_loss_threshold() => {
                return Err(fail(
                    "turnover_band",
                    ProfileProblem::BandTooCoarse(b.to_string()),
                ));
            }
            (None, Some(b)) => Turnover::Band(b),
            (None, None) => {
                return Err(fail("annual_turnover_eur", ProfileProblem::MissingTurnover));
            }
        };

        let member_state = self.member_state.trim().to_ascii_uppercase();
        if member_state == "EL" {
            return Err(fail("member_state", ProfileProblem::GreeceAsEl));
        }
        if !MEMBER_STATES.contains(&member_state.as_str()) {
            return Err(fail(
                "member_state",
                ProfileProblem::NotMemberState(self.member_state.clone()),
            ));
        }

        check_text(&self.authority.name).map_err(|p| fail("authority.name", p))?;
        check_text(&self.authority.contact).map_err(|p| fail("authority.contact", p))?;

        if self.eu_users == Some(0) {
            return Err(fail("eu_users", ProfileProblem::ZeroUsers));
        }

        Ok(Nis2Profile {
            client: client.clone(),
            sector,
            entity_type,
            managed_service_provider: self.managed_service_provider,
            managed_security_service_provider: self.managed_security_service_provider,
            turnover,
            member_state,
            authority: AuthorityConfig {
                name: self.authority.name.trim().to_owned(),
                contact: self.authority.contact.trim().to_owned(),
            },
            eu_users: self.eu_users,
        })
    }
}

fn check_text(s: &str) -> Result<(), ProfileProblem> {
    if is_blank(s) {
        return Err(ProfileProblem::Blank);
    }
    if s.trim().chars().count() > MAX_TEXT {
        return Err(ProfileProblem::TooLong { max: MAX_TEXT });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
