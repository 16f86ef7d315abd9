//! Vendor security advisories in CSAF 2.0 (OASIS Common Security Advisory
//! Framework), the format CISA, Siemens, Bosch, Schneider and others
//! publish: a typed model of the parts Vigil uses, read with serde
//! ([`parse`]), and the products an advisory names, flattened from its
//! product tree ([`Advisory::products`]).
//!
//! Fields Vigil does not use (notes, acknowledgments, CWE
//! details, flags, threats, …) are accepted and ignored, as CSAF allows
//! many optional properties; the ones modelled here are checked for type
//! and, where CSAF requires them, for presence.

mod parse;
mod products;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use parse::{AdvisoryError, parse};
pub use products::Product;

/// One CSAF 2.0 document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advisory {
    /// Metadata: title, publisher, tracking.
    pub document: Document,
    /// The products the document speaks of.
    #[serde(default)]
    pub product_tree: ProductTree,
    /// The vulnerabilities, each with the status of each product.
    #[serde(default)]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `document`: what the advisory is and who published it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// `csaf_security_advisory`, `csaf_vex`, `csaf_base`, …
    pub category: String,
    /// Must be `2.0`.
    pub csaf_version: String,
    /// The advisory's title.
    pub title: String,
    /// Who published it.
    pub publisher: Publisher,
    /// Id, dates, status and version.
    pub tracking: Tracking,
    /// Where to read the advisory and related material.
    #[serde(default)]
    pub references: Vec<Reference>,
}

impl Document {
    /// Where a person reads the advisory: the first `self` reference that
    /// is not the machine-readable file (CISA lists its JSON first and the
    /// web page second), else the first `self` reference.
    pub fn link(&self) -> Option<&str> {
        let own = || self.references.iter().filter(|r| r.category == "self");
        own()
            .find(|r| !r.url.to_ascii_lowercase().ends_with(".json"))
            .or_else(|| own().next())
            .map(|r| r.url.as_str())
    }
}

/// One entry of `document.references`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reference {
    /// `self` (this advisory, in some form) or `external`.
    #[serde(default = "external")]
    pub category: String,
    /// What it is.
    pub summary: String,
    /// Where.
    pub url: String,
}

/// CSAF's default reference category.
fn external() -> String {
    "external".into()
}

/// `document.publisher`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Publisher {
    /// `vendor`, `coordinator`, `discoverer`, …
    pub category: String,
    /// The publisher's name (`CISA`, `Siemens ProductCERT`).
    pub name: String,
    /// The publisher's namespace, a URL.
    pub namespace: String,
}

/// `document.tracking`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tracking {
    /// The advisory's id (`ICSA-24-135-03`), unique for its publisher.
    pub id: String,
    /// When it was first published.
    pub initial_release_date: DateTime<Utc>,
    /// When this revision was published.
    pub current_release_date: DateTime<Utc>,
    /// `draft`, `interim` or `final`.
    pub status: TrackingStatus,
    /// The document's version (`1`, `1.0.0`).
    pub version: String,
    /// Every revision.
    #[serde(default)]
    pub revision_history: Vec<Revision>,
}

/// `document.tracking.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    /// Work in progress.
    Draft,
    /// Published, may change.
    Interim,
    /// Published.
    Final,
}

/// One entry of `document.tracking.revision_history`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revision {
    /// When.
    pub date: DateTime<Utc>,
    /// The revision's number.
    pub number: String,
    /// What changed.
    pub summary: String,
}

/// `product_tree`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProductTree {
    /// The hierarchy vendor → product name → version.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// Products named outside the hierarchy.
    #[serde(default)]
    pub full_product_names: Vec<FullProductName>,
    /// Products made of others (firmware installed on a device).
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

/// One node of the product tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Branch {
    /// What the node's name is.
    pub category: BranchCategory,
    /// Its name: a vendor, a product, a version or a range.
    pub name: String,
    /// Nodes below.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// The product this leaf defines.
    #[serde(default)]
    pub product: Option<FullProductName>,
}

/// `branches[].category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchCategory {
    /// A CPU architecture.
    Architecture,
    /// A host name.
    HostName,
    /// A language.
    Language,
    /// A legacy name.
    Legacy,
    /// A patch level.
    PatchLevel,
    /// A product family.
    ProductFamily,
    /// A product.
    ProductName,
    /// One version.
    ProductVersion,
    /// A range of versions.
    ProductVersionRange,
    /// A service pack.
    ServicePack,
    /// A specification.
    Specification,
    /// A vendor.
    Vendor,
}

/// A product with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FullProductName {
    /// Its full name (`Johnson Controls Software House C●CURE 9000: v3.00.2`).
    pub name: String,
    /// The id the rest of the document refers to it by.
    pub product_id: String,
    /// CPE or purl, where given.
    #[serde(default)]
    pub product_identification_helper: Option<IdentificationHelper>,
}

/// `product_identification_helper` (the parts Vigil reads).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdentificationHelper {
    /// A CPE 2.3 name.
    #[serde(default)]
    pub cpe: Option<String>,
    /// A package URL.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A product made of two others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Relationship {
    /// How they relate.
    pub category: RelationshipCategory,
    /// The combined product.
    pub full_product_name: FullProductName,
    /// The component (firmware, library).
    pub product_reference: String,
    /// What it is part of or installed on (the device).
    pub relates_to_product_reference: String,
}

/// `relationships[].category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipCategory {
    /// Shipped as part of.
    DefaultComponentOf,
    /// An external component of.
    ExternalComponentOf,
    /// Installed on.
    InstalledOn,
    /// Installed with.
    InstalledWith,
    /// An optional component of.
    OptionalComponentOf,
}

/// One vulnerability.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Its CVE, where it has one.
    #[serde(default)]
    pub cve: Option<String>,
    /// A short title.
    #[serde(default)]
    pub title: Option<String>,
    /// Which products are affected, fixed or not affected.
    #[serde(default)]
    pub product_status: ProductStatus,
    /// CVSS scores, each for some products.
    #[serde(default)]
    pub scores: Vec<Score>,
    /// What to do.
    #[serde(default)]
    pub remediations: Vec<Remediation>,
}

/// `product_status`: product ids by status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProductStatus {
    /// Affected.
    #[serde(default)]
    pub known_affected: Vec<String>,
    /// The first affected version of a line.
    #[serde(default)]
    pub first_affected: Vec<String>,
    /// The last affected version of a line.
    #[serde(default)]
    pub last_affected: Vec<String>,
    /// Fixed.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// The first fixed version of a line.
    #[serde(default)]
    pub first_fixed: Vec<String>,
    /// Not affected.
    #[serde(default)]
    pub known_not_affected: Vec<String>,
    /// The vendor's recommended versions.
    #[serde(default)]
    pub recommended: Vec<String>,
    /// Being looked at.
    #[serde(default)]
    pub under_investigation: Vec<String>,
}

impl ProductStatus {
    /// Ids the vulnerability affects.
    pub fn affected(&self) -> impl Iterator<Item = &String> {
        self.known_affected
            .iter()
            .chain(&self.first_affected)
            .chain(&self.last_affected)
    }

    /// Ids it does not affect (fixed, or never affected).
    pub fn unaffected(&self) -> impl Iterator<Item = &String> {
        self.fixed
            .iter()
            .chain(&self.first_fixed)
            .chain(&self.known_not_affected)
    }

    /// Every id, with the name of its list, for validation.
    pub(crate) fn all(&self) -> impl Iterator<Item = (&'static str, &Vec<String>)> {
        [
            ("known_affected", &self.known_affected),
            ("first_affected", &self.first_affected),
            ("last_affected", &self.last_affected),
            ("fixed", &self.fixed),
            ("first_fixed", &self.first_fixed),
            ("known_not_affected", &self.known_not_affected),
            ("recommended", &self.recommended),
            ("under_investigation", &self.under_investigation),
        ]
        .into_iter()
    }
}

/// One score and the products it is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Score {
    /// The products.
    pub products: Vec<String>,
    /// CVSS v3.x.
    #[serde(default)]
    pub cvss_v3: Option<CvssV3>,
    /// CVSS v2.
    #[serde(default)]
    pub cvss_v2: Option<CvssV2>,
}

impl Score {
    /// The base score, v3 before v2.
    pub fn base_score(&self) -> Option<f64> {
        self.cvss_v3
            .as_ref()
            .map(|s| s.base_score)
            .or(self.cvss_v2.as_ref().map(|s| s.base_score))
    }
}

/// A CVSS v3.x score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvssV3 {
    /// `3.0` or `3.1`.
    pub version: String,
    /// The vector.
    #[serde(rename = "vectorString")]
    pub vector_string: String,
    /// 0.0–10.0.
    #[serde(rename = "baseScore")]
    pub base_score: f64,
    /// `NONE`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    #[serde(rename = "baseSeverity")]
    pub base_severity: String,
}

/// A CVSS v2 score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvssV2 {
    /// `2.0`.
    pub version: String,
    /// The vector.
    #[serde(rename = "vectorString")]
    pub vector_string: String,
    /// 0.0–10.0.
    #[serde(rename = "baseScore")]
    pub base_score: f64,
}

/// What to do about a vulnerability, for some products.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remediation {
    /// What kind of advice.
    pub category: RemediationCategory,
    /// The advice.
    pub details: String,
    /// The products it is for.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Where to read more or download the fix.
    #[serde(default)]
    pub url: Option<String>,
}

/// `remediations[].category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    /// A fixed version from the vendor.
    VendorFix,
    /// A way around until fixed.
    Workaround,
    /// Lowering the risk.
    Mitigation,
    /// No fix will come.
    NoFixPlanned,
    /// No fix yet.
    NoneAvailable,
}

impl RemediationCategory {
    /// The CSAF name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VendorFix => "vendor_fix",
            Self::Workaround => "workaround",
            Self::Mitigation => "mitigation",
            Self::NoFixPlanned => "no_fix_planned",
            Self::NoneAvailable => "none_available",
        }
    }
}

#[cfg(test)]
mod tests;
