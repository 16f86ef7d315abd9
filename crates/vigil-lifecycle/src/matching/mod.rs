//! Which devices of an inventory the advisories concern.
//!
//! A device matches an advisory's product when the vendor and product
//! names are the same ([`names`]) and its firmware is inside the product's
//! version or range ([`crate::range`]). A product that joins firmware to a
//! device (`installed_on`) matches when the device is the platform and its
//! firmware is inside the component's versions. For each vulnerability a
//! device is affected when it matches a `known_affected` (or
//! `first_affected`/`last_affected`) product and no `fixed`, `first_fixed`
//! or `known_not_affected` one.
//!
//! A match is one of three certainties ([`Certainty`]): affected;
//! affected if a condition the advisory states holds (`installed on CP150
//! devices`, `only if basic authentication is used`); or unverified, when
//! vendor and product match but the version cannot be checked (no firmware
//! on record, a firmware that is not a version, a range that cannot be
//! read or compared). Unverified matches are shown, not dropped: a device
//! Vigil cannot clear is one a person must look at.

pub mod names;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vigil_model::{SiteId, Timestamp};

use crate::advisory::{Advisory, Product, RemediationCategory, Vulnerability};
use crate::inventory::{Device, Inventory};
use crate::range::{Containment, RangeKind};
use crate::version::Version;

/// How sure a match is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "certainty", rename_all = "snake_case")]
pub enum Certainty {
    /// The device's version is inside the affected range.
    Affected,
    /// Affected if the advisory's condition holds.
    Conditional {
        /// The condition, as the advisory words it.
        condition: String,
    },
    /// Vendor and product match; the version could not be checked.
    Unverified {
        /// Why not.
        reason: String,
    },
}

impl Certainty {
    /// Affected first, unverified last.
    fn rank(&self) -> u8 {
        match self {
            Self::Affected => 0,
            Self::Conditional { .. } => 1,
            Self::Unverified { .. } => 2,
        }
    }
}

/// One piece of advice from an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// `vendor_fix`, `workaround`, `mitigation`, `no_fix_planned`,
    /// `none_available`.
    pub category: String,
    /// The advice.
    pub details: String,
    /// Where to read more.
    pub url: Option<String>,
}

/// One advisory that concerns a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryMatch {
    /// The advisory's id (`ICSA-24-135-03`).
    pub advisory: String,
    /// Its title.
    pub title: String,
    /// The CVEs of the vulnerabilities that concern the device.
    pub cves: Vec<String>,
    /// The highest CVSS base score among them, where scored.
    pub max_cvss: Option<f64>,
    /// When the advisory was first published.
    pub since: Timestamp,
    /// How sure the match is.
    pub certainty: Certainty,
    /// The advisory's products the device matched (full names).
    pub products: Vec<String>,
    /// What the advisory says to do, vendor fixes first.
    pub advice: Vec<Advice>,
    /// Where to read the advisory (its own `self` reference), if it names one.
    #[serde(default)]
    pub link: Option<String>,
}

impl AdvisoryMatch {
    /// The advice as one text, a line each.
    pub fn remediation_text(&self) -> String {
        self.advice
            .iter()
            .map(|a| match &a.url {
                Some(url) => format!("{}: {} ({url})", a.category, a.details),
                None => format!("{}: {}", a.category, a.details),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Everything found about one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceFindings {
    /// The device's site.
    pub site: SiteId,
    /// The device's id.
    pub device: String,
    /// The advisories that concern it, highest score first.
    pub advisories: Vec<AdvisoryMatch>,
    /// The end of its vendor's support, where known.
    pub end_of_support: Option<NaiveDate>,
    /// Whether that day has passed.
    pub past_end_of_support: bool,
}

impl DeviceFindings {
    /// Whether there is anything to show.
    pub fn has_findings(&self) -> bool {
        !self.advisories.is_empty() || self.past_end_of_support
    }
}

/// Advisories read once for matching many devices.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<(Advisory, BTreeMap<String, Prepared>)>,
    /// Advisory indices by the vendor keys their products name.
    by_vendor: BTreeMap<String, BTreeSet<usize>>,
}

impl Catalogue {
    /// A catalogue of `advisories`.
    pub fn new(advisories: impl IntoIterator<Item = Advisory>) -> Self {
        let mut catalogue = Self::default();
        for advisory in advisories {
            catalogue.add(advisory);
        }
        catalogue
    }

    /// Adds one advisory. One with the same id is a revision: the one
    /// released last is kept. Returns whether `advisory` was kept.
    pub fn add(&mut self, advisory: Advisory) -> bool {
        let id = advisory.document.tracking.id.clone();
        if let Some(i) = self
            .entries
            .iter()
            .position(|(a, _)| a.document.tracking.id == id)
        {
            let held = self.entries[i].0.document.tracking.current_release_date;
            if held > advisory.document.tracking.current_release_date {
                return false;
            }
            self.entries.remove(i);
            self.reindex();
        }
        let products: BTreeMap<String, Prepared> = advisory
            .products()
            .into_iter()
            .map(|(id, p)| (id, Prepared::new(p)))
            .collect();
        let index = self.entries.len();
        for key in products.values().filter_map(|p| p.vendor_key.clone()) {
            self.by_vendor.entry(key).or_default().insert(index);
        }
        self.entries.push((advisory, products));
        true
    }

    fn reindex(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        self.by_vendor.clear();
        for (advisory, _) in entries {
            self.add(advisory);
        }
    }

    /// How many advisories.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the advisories say about one device, `now` deciding end of
    /// support.
    pub fn match_device(&self, device: &Device, now: Timestamp) -> DeviceFindings {
        let mut advisories = Vec::new();
        let keys = DeviceKeys {
            device,
            vendor: names::vendor_key(&device.vendor),
            model: names::product_tokens(&device.model),
        };
        let candidates = self.by_vendor.get(&keys.vendor).into_iter().flatten();
        for &i in candidates {
            let (advisory, products) = &self.entries[i];
            if let Some(m) = match_advisory(&keys, advisory, products) {
                advisories.push(m);
            }
        }
        advisories.sort_by(|a, b| {
            a.certainty
                .rank()
                .cmp(&b.certainty.rank())
                .then(
                    b.max_cvss
                        .unwrap_or(0.0)
                        .total_cmp(&a.max_cvss.unwrap_or(0.0)),
                )
                .then(a.advisory.cmp(&b.advisory))
        });
        DeviceFindings {
            site: device.site.clone(),
            device: device.id.clone(),
            advisories,
            end_of_support: device.end_of_support,
            past_end_of_support: device.past_end_of_support(now.date_naive()),
        }
    }

    /// What the advisories say about every device of an inventory.
    pub fn match_inventory(&self, inventory: &Inventory, now: Timestamp) -> Vec<DeviceFindings> {
        inventory
            .devices()
            .map(|d| self.match_device(d, now))
            .collect()
    }
}

/// Whether a device is one product of an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hit {
    No,
    Yes(Option<String>),
    Unknown(String),
}

/// An advisory's product with its names made keys once.
#[derive(Debug, Clone)]
struct Prepared {
    product: Product,
    vendor_key: Option<String>,
    product_tokens: Option<Vec<String>>,
}

impl Prepared {
    fn new(product: Product) -> Self {
        let (vendor_key, product_tokens) = match &product {
            Product::Branch {
                vendor, product, ..
            } => (
                vendor.as_deref().map(names::vendor_key),
                product.as_deref().map(names::product_tokens),
            ),
            _ => (None, None),
        };
        Self {
            product,
            vendor_key,
            product_tokens,
        }
    }

    /// Vendor and product only (a platform's own version is its hardware's).
    fn names(&self, keys: &DeviceKeys) -> bool {
        self.vendor_key
            .as_ref()
            .is_some_and(|v| !v.is_empty() && *v == keys.vendor)
            && self
                .product_tokens
                .as_ref()
                .is_some_and(|p| names::same_product_tokens(&keys.model, p))
    }
}

/// A device with its names made keys once.
struct DeviceKeys<'a> {
    device: &'a Device,
    vendor: String,
    model: Vec<String>,
}

fn product_hit(
    keys: &DeviceKeys,
    prepared: &Prepared,
    products: &BTreeMap<String, Prepared>,
) -> Hit {
    match &prepared.product {
        Product::Branch { versions, .. } => {
            if !prepared.names(keys) {
                return Hit::No;
            }
            version_hit(keys.device, versions.as_ref())
        }
        Product::Relationship {
            component,
            platform,
            ..
        } => {
            if !products.get(platform).is_some_and(|p| p.names(keys)) {
                return Hit::No;
            }
            match products.get(component).map(|p| &p.product) {
                Some(Product::Branch { versions, .. }) => {
                    version_hit(keys.device, versions.as_ref())
                }
                _ => Hit::Unknown("the advisory's component has no version".into()),
            }
        }
        Product::Named { .. } => Hit::No,
    }
}

fn version_hit(device: &Device, versions: Option<&crate::range::Range>) -> Hit {
    let Some(range) = versions else {
        return Hit::Yes(None);
    };
    let condition = range.condition().map(str::to_owned);
    if matches!(range.kind(), RangeKind::All) {
        return Hit::Yes(condition);
    }
    let Some(firmware) = device.firmware.as_deref() else {
        return Hit::Unknown(format!(
            "no firmware version on record (advisory: `{range}`)"
        ));
    };
    let Some(version) = Version::parse(firmware) else {
        return Hit::Unknown(format!("firmware `{firmware}` is not a version"));
    };
    match range.contains(&version) {
        Containment::Inside => Hit::Yes(condition),
        Containment::Outside => Hit::No,
        Containment::Unknown => Hit::Unknown(format!(
            "firmware `{firmware}` cannot be compared with `{range}`"
        )),
    }
}

/// The device's standing for one vulnerability, with the product ids it
/// matched.
fn vulnerability_hit(
    vulnerability: &Vulnerability,
    hit: &mut impl FnMut(&String) -> Hit,
) -> Option<(Certainty, Vec<String>)> {
    if vulnerability
        .product_status
        .unaffected()
        .any(|id| matches!(hit(id), Hit::Yes(None)))
    {
        return None;
    }
    let mut best: Option<Certainty> = None;
    let mut ids = Vec::new();
    for id in vulnerability.product_status.affected() {
        let certainty = match hit(id) {
            Hit::No => continue,
            Hit::Yes(None) => Certainty::Affected,
            Hit::Yes(Some(condition)) => Certainty::Conditional { condition },
            Hit::Unknown(reason) => Certainty::Unverified { reason },
        };
        ids.push(id.clone());
        if best.as_ref().is_none_or(|b| certainty.rank() < b.rank()) {
            best = Some(certainty);
        }
    }
    best.map(|b| (b, ids))
}

fn match_advisory(
    keys: &DeviceKeys,
    advisory: &Advisory,
    products: &BTreeMap<String, Prepared>,
) -> Option<AdvisoryMatch> {
    // Advisories list the same products under many vulnerabilities: each
    // product is checked once.
    let mut cache: HashMap<String, Hit> = HashMap::new();
    let mut hit = |id: &String| {
        cache
            .entry(id.clone())
            .or_insert_with(|| {
                products
                    .get(id)
                    .map_or(Hit::No, |p| product_hit(keys, p, products))
            })
            .clone()
    };
    let mut best: Option<Certainty> = None;
    let mut matched: BTreeSet<String> = BTreeSet::new();
    let mut cves = Vec::new();
    let mut max_cvss: Option<f64> = None;
    let mut advice: Vec<(RemediationCategory, Advice)> = Vec::new();
    for vulnerability in &advisory.vulnerabilities {
        let Some((certainty, ids)) = vulnerability_hit(vulnerability, &mut hit) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| certainty.rank() < b.rank()) {
            best = Some(certainty);
        }
        if let Some(cve) = &vulnerability.cve
            && !cves.contains(cve)
        {
            cves.push(cve.clone());
        }
        let concerns = |list: &[String]| list.iter().any(|id| ids.contains(id));
        for score in vulnerability
            .scores
            .iter()
            .filter(|s| concerns(&s.products))
        {
            if let Some(s) = score.base_score() {
                max_cvss = Some(max_cvss.map_or(s, |m: f64| m.max(s)));
            }
        }
        for r in vulnerability
            .remediations
            .iter()
            .filter(|r| r.product_ids.is_empty() || concerns(&r.product_ids))
        {
            if !advice.iter().any(|(_, a)| a.details == r.details) {
                advice.push((
                    r.category,
                    Advice {
                        category: r.category.as_str().to_owned(),
                        details: r.details.clone(),
                        url: r.url.clone(),
                    },
                ));
            }
        }
        matched.extend(ids);
    }
    let certainty = best?;
    advice.sort_by_key(|(category, _)| *category);
    let names = matched
        .iter()
        .filter_map(|id| products.get(id))
        .map(|p| match &p.product {
            Product::Branch { name, .. }
            | Product::Relationship { name, .. }
            | Product::Named { name } => name.clone(),
        })
        .collect();
    Some(AdvisoryMatch {
        advisory: advisory.document.tracking.id.clone(),
        title: advisory.document.title.clone(),
        cves,
        max_cvss,
        since: advisory.document.tracking.initial_release_date,
        certainty,
        products: names,
        advice: advice.into_iter().map(|(_, a)| a).collect(),
        link: advisory.document.link().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests;
