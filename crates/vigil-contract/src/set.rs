//! Every client's contract, and the default for clients without one.

use std::collections::HashMap;
use std::path::Path;

use vigil_model::{Severity, TenantId, Timestamp};

use crate::clock::SlaClock;
use crate::config::{ContractConfig, toml_message};
use crate::contract::{Category, Contract, PriorityClass};
use crate::error::{ContractError, Problem};

/// The contract a client without a `[tenants.contract]` table gets.
///
/// Everything runs round the clock (`24x7`) and warns at three quarters:
///
/// | class | acknowledge | notify | contain | resolve |
/// |-------|-------------|--------|---------|---------|
/// | P1    | 5m          | 15m    | 1h      | 4h      |
/// | P2    | 15m         | 1h     | 4h      | 1d      |
/// | P3    | 1h          | 4h     | —       | 3d      |
/// | P4    | 4h          | —      | —       | 7d      |
///
/// Alarms scoring 90 or more and critical incidents are P1; 70 or more and
/// high, P2; 40 or more and medium, P3; everything else P4.
pub const DEFAULT_CONTRACT_TOML: &str = r#"
warn_fraction = 0.75
calendar = "24x7"
default_class = "P4"

[classes.P1]
acknowledge = "5m"
notify = "15m"
contain = "1h"
resolve = "4h"

[classes.P2]
acknowledge = "15m"
notify = "1h"
contain = "4h"
resolve = "1d"

[classes.P3]
acknowledge = "1h"
notify = "4h"
resolve = "3d"

[classes.P4]
acknowledge = "4h"
resolve = "7d"

[[rules]]
min_score = 90
min_severity = "critical"
class = "P1"

[[rules]]
min_score = 70
min_severity = "high"
class = "P2"

[[rules]]
min_score = 40
min_severity = "medium"
class = "P3"
"#;

/// The client name the default contract's errors would carry.
pub const DEFAULT_CLIENT: &str = "default";

impl Contract {
    /// The built-in default contract ([`DEFAULT_CONTRACT_TOML`]).
    pub fn default_terms() -> Contract {
        ContractConfig::from_toml_str(DEFAULT_CLIENT, DEFAULT_CONTRACT_TOML)
            .and_then(|c| c.validate(DEFAULT_CLIENT, None))
            .expect("the built-in default contract is valid (tested)")
    }
}

/// Contracts by client, with a default for clients that have none.
#[derive(Debug, Clone)]
pub struct ContractSet {
    default: Contract,
    by_tenant: HashMap<TenantId, Contract>,
}

impl Default for ContractSet {
    fn default() -> Self {
        Self::new(Contract::default_terms())
    }
}

impl ContractSet {
    /// No client contracts yet; `default` for everyone.
    pub fn new(default: Contract) -> Self {
        Self {
            default,
            by_tenant: HashMap::new(),
        }
    }

    /// Reads the contracts of `[[tenants]]` tables (each with `id` and an
    /// optional `contract`), ignoring their other keys. Relative holiday
    /// files are read from `base_dir`.
    pub fn from_tenant_tables(
        tables: &[toml::Value],
        base_dir: Option<&Path>,
    ) -> Result<Self, ContractError> {
        let mut set = Self::default();
        for (i, table) in tables.iter().enumerate() {
            let Some(id) = table.get("id").and_then(toml::Value::as_str) else {
                return Err(ContractError::new(
                    &format!("tenants[{i}]"),
                    "id",
                    Problem::Shape("a [[tenants]] table needs an `id` string".into()),
                ));
            };
            let tenant = TenantId::new(id)
                .map_err(|e| ContractError::new(id, "id", Problem::BadTenantId(e.to_string())))?;
            let Some(contract) = table.get("contract") else {
                continue;
            };
            let config = ContractConfig::from_toml_value(id, contract.clone())?;
            set.insert(tenant, config.validate(id, base_dir)?);
        }
        Ok(set)
    }

    /// Reads every client's contract from the text of `vigil.toml`, looking
    /// only at `[[tenants]]` tables.
    pub fn from_vigil_toml(text: &str, base_dir: Option<&Path>) -> Result<Self, ContractError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| {
            ContractError::new("?", "vigil.toml", Problem::Shape(toml_message(text, &e)))
        })?;
        match doc.get("tenants") {
            None => Ok(Self::default()),
            Some(toml::Value::Array(tables)) => Self::from_tenant_tables(tables, base_dir),
            Some(_) => Err(ContractError::new(
                "?",
                "tenants",
                Problem::Shape("`tenants` must be an array of tables ([[tenants]])".into()),
            )),
        }
    }

    /// Sets a client's contract, returning the one it replaces.
    pub fn insert(&mut self, tenant: TenantId, contract: Contract) -> Option<Contract> {
        self.by_tenant.insert(tenant, contract)
    }

    /// The default contract.
    pub fn default_contract(&self) -> &Contract {
        &self.default
    }

    /// Whether the client has a contract of its own.
    pub fn has_own(&self, tenant: &TenantId) -> bool {
        self.by_tenant.contains_key(tenant)
    }

    /// The client's contract, or the default.
    pub fn contract_for(&self, tenant: &TenantId) -> &Contract {
        self.by_tenant.get(tenant).unwrap_or(&self.default)
    }

    /// The class of a client's alarm with the desk's priority score.
    pub fn class_for(&self, tenant: &TenantId, category: Category, score: f64) -> PriorityClass {
        self.contract_for(tenant).class_for_alarm(category, score)
    }

    /// The class of a client's incident.
    pub fn class_for_incident(
        &self,
        tenant: &TenantId,
        category: Category,
        severity: Severity,
    ) -> PriorityClass {
        self.contract_for(tenant)
            .class_for_incident(category, severity)
    }

    /// One clock per measured target of the client's class, started at `started_at`.
    pub fn clocks_for(
        &self,
        tenant: &TenantId,
        class: PriorityClass,
        started_at: Timestamp,
    ) -> Vec<SlaClock> {
        self.contract_for(tenant).clocks(class, started_at)
    }
}

#[cfg(test)]
mod tests;
