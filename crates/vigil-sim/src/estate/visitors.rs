//! Visitors of the simulated day: at each client's first site, visits in
//! every state — signed out, on site with a badge, just signed in,
//! approved, waiting for approval — and, at Northgate, one visitor whose
//! name is on the client's watchlist.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, Timestamp};

use crate::world::{Role, TenantWorld};

/// Where a visit stands once the simulation has played it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum VisitFate {
    /// Pre-registered; the client has not decided.
    PreRegistered,
    /// Approved; the visitor has not come yet.
    Approved,
    /// Signed in at the front desk with a document; no badge yet.
    Arrived {
        /// The document number shown.
        document: String,
    },
    /// Signed in and given a temporary badge.
    BadgeIssued {
        /// The document number shown.
        document: String,
        /// The badge.
        badge: String,
    },
    /// Came, was given a badge, and left.
    SignedOut {
        /// The document number shown.
        document: String,
        /// The badge.
        badge: String,
    },
}

/// One visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedVisit {
    /// The site visited.
    pub site: SiteId,
    /// The visitor.
    pub visitor_name: String,
    /// Their company.
    pub company: String,
    /// Why they come.
    pub purpose: String,
    /// The host: a person id of the client's people register (an account name).
    pub host: String,
    /// The zones asked for.
    pub zones: Vec<String>,
    /// The window's start.
    pub window_start: Timestamp,
    /// The window's end.
    pub window_end: Timestamp,
    /// Where it stands.
    pub fate: VisitFate,
}

/// A name on a client's watchlist, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistName {
    /// The name.
    pub name: String,
    /// Why the client listed them.
    pub reason: String,
}

/// The visitors per client: name, company, purpose.
fn guests(tenant: &str) -> [(&'static str, &'static str, &'static str); 5] {
    match tenant {
        "northgate" => [
            ("Maria Keller", "Schindler Lifts", "Lift inspection"),
            ("Tom Okafor", "Fujitsu", "Storage array maintenance"),
            (
                "Anna Lindqvist",
                "Audit Partners",
                "ISO 27001 surveillance audit",
            ),
            ("Lukas Brandt", "Cleanwell", "Window cleaning"),
            ("Sofia Marin", "Nordic Fibre", "New cross-connects"),
        ],
        "riverside" => [
            ("Owen Price", "Grundfos", "Pump service"),
            (
                "Priya Natarajan",
                "Drinking Water Inspectorate",
                "Inspection",
            ),
            (
                "Gareth Hughes",
                "Severn Electrical",
                "Switchgear thermography",
            ),
            ("Leah Morgan", "AquaLab", "Sampling audit"),
            ("Daniel Evans", "SCADA Solutions", "HMI upgrade survey"),
        ],
        _ => [
            ("Ciara Byrne", "MedEquip", "Infusion pump recall"),
            ("Liam Walsh", "HIQA", "Inspection"),
            ("Aoife Kelly", "Boston Scientific", "Cath lab training"),
            ("Sean Doyle", "Elevate Lifts", "Lift inspection"),
            (
                "Niamh Ryan",
                "PharmaLogistics",
                "Controlled-drugs delivery audit",
            ),
        ],
    }
}

/// Northgate's listed former contractor.
const LISTED: &str = "Viktor Rask";

impl TenantWorld {
    /// The client's watchlist.
    pub fn watchlist(&self) -> Vec<WatchlistName> {
        if self.tenant.id.as_str() != "northgate" {
            return Vec::new();
        }
        vec![WatchlistName {
            name: LISTED.into(),
            reason: "Former contractor, removed from site for taking equipment".into(),
        }]
    }

    /// The visits around `start` at the client's first site, hosted by one
    /// of its managers or office staff.
    pub fn visits(&self, start: Timestamp) -> Vec<PlannedVisit> {
        let Some(site) = self.sites.first() else {
            return Vec::new();
        };
        let host = self
            .people
            .iter()
            .filter(|p| p.home_site == site.id && p.username.is_some())
            .find(|p| matches!(p.role, Role::Manager | Role::OfficeStaff))
            .or_else(|| {
                self.people
                    .iter()
                    .find(|p| p.home_site == site.id && p.username.is_some())
            })
            .and_then(|p| p.username.clone());
        let Some(host) = host else {
            return Vec::new();
        };
        // The first two ordinary zones past the way in (lobby, offices).
        let zones: Vec<String> = self
            .zones
            .iter()
            .filter(|z| z.site == site.id && !z.critical && !z.id.ends_with("-outside"))
            .skip(1)
            .take(2)
            .map(|z| z.id.clone())
            .collect();
        let at = |minutes: i64| start + Duration::minutes(minutes);
        let doc = |n: usize| format!("P{:07}", 4_100_000 + n * 7919);
        let fates = [
            (
                at(-120),
                at(60),
                VisitFate::SignedOut {
                    document: doc(1),
                    badge: "V-001".into(),
                },
            ),
            (
                at(-45),
                at(6 * 60),
                VisitFate::BadgeIssued {
                    document: doc(2),
                    badge: "V-002".into(),
                },
            ),
            (at(-10), at(4 * 60), VisitFate::Arrived { document: doc(3) }),
            (at(3 * 60), at(7 * 60), VisitFate::Approved),
            (at(26 * 60), at(29 * 60), VisitFate::PreRegistered),
        ];
        let mut visits: Vec<PlannedVisit> = guests(self.tenant.id.as_str())
            .into_iter()
            .zip(fates)
            .map(
                |((name, company, purpose), (from, to, fate))| PlannedVisit {
                    site: site.id.clone(),
                    visitor_name: name.into(),
                    company: company.into(),
                    purpose: purpose.into(),
                    host: host.clone(),
                    zones: zones.clone(),
                    window_start: from,
                    window_end: to,
                    fate,
                },
            )
            .collect();
        for listed in self.watchlist() {
            visits.push(PlannedVisit {
                site: site.id.clone(),
                visitor_name: listed.name,
                company: "Rask Services".into(),
                purpose: "Collect tools".into(),
                host: host.clone(),
                zones: zones.clone(),
                window_start: at(5 * 60),
                window_end: at(6 * 60),
                fate: VisitFate::PreRegistered,
            });
        }
        visits
    }
}
