//! Tenants, sites and source bindings.

use serde::{Deserialize, Serialize};

use crate::event::SourceKind;
use crate::ids::{SiteId, SourceId, TenantId};

/// A client organisation watched by the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// Its slug.
    pub id: TenantId,
    /// Its display name.
    pub name: String,
}

/// A physical location of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// Its slug, unique within the tenant.
    pub id: SiteId,
    /// Its display name.
    pub name: String,
    /// IANA time zone name (`Europe/London`), for people reading times.
    pub timezone: String,
}

/// A configured source: the binding that gives every event arriving through
/// it a tenant (and maybe a site). The event's own claims are data, not
/// authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceBinding {
    /// Its slug, unique across the installation.
    pub id: SourceId,
    /// The tenant every event from it belongs to.
    pub tenant: TenantId,
    /// The site every event from it belongs to, when it is site-specific.
    pub site: Option<SiteId>,
    /// How events arrive.
    pub kind: SourceKind,
    /// The product behind it (`windows`, `sysmon`, `fortigate` …), used for
    /// normalization and for Sigma logsource matching.
    pub product: String,
}
