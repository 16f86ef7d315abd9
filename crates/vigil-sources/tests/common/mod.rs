//! What the estate's integration tests share: a real store and pipeline,
//! and the rule for services that may be absent.

#![allow(dead_code)]

pub mod daemons;
pub mod pki;
pub mod running;

use std::sync::Arc;

use vigil_detect::{LoadOptions, RuleSet};
use vigil_ingest::{Pipeline, PipelineConfig};
use vigil_model::{Clock, SourceBinding, SourceId, SourceKind, SystemClock, Tenant, TenantId};
use vigil_store::sqlite::{SqliteOptions, SqliteStore};
use vigil_store::{EventQuery, LocalBus, Store, TenantScope};

/// A pipeline on a temporary store with tenant `acme`, no rules (or the
/// given Sigma rules), and `clock`.
pub async fn pipeline_with(clock: Arc<dyn Clock>, rules: &[&str]) -> (Pipeline, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open_temporary(SqliteOptions::default()).unwrap());
    store
        .upsert_tenant(&Tenant {
            id: TenantId::new("acme").unwrap(),
            name: "Acme".into(),
        })
        .await
        .unwrap();
    let sources: Vec<(String, String)> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("rule-{i}"), r.to_string()))
        .collect();
    let report = RuleSet::load_sources(sources, &LoadOptions::default());
    for o in &report.outcomes {
        assert!(o.result.is_ok(), "{}: {:?}", o.origin, o.result);
    }
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(LocalBus::new(64)),
        clock,
        Arc::new(report.ruleset),
        PipelineConfig::default(),
    );
    (pipeline, store)
}

/// A pipeline on the system clock, without rules.
pub async fn pipeline() -> (Pipeline, Arc<SqliteStore>) {
    pipeline_with(Arc::new(SystemClock), &[]).await
}

/// A binding of tenant `acme`.
pub fn binding(id: &str, kind: SourceKind, product: &str) -> SourceBinding {
    SourceBinding {
        id: SourceId::new(id).unwrap(),
        tenant: TenantId::new("acme").unwrap(),
        site: None,
        kind,
        product: product.into(),
    }
}

/// Every stored event's fields, oldest first.
pub async fn events(store: &SqliteStore) -> Vec<vigil_model::Event> {
    let page = store
        .events(&EventQuery {
            scope: TenantScope::All,
            from: None,
            to: None,
            fields: Vec::new(),
            cursor: None,
            limit: 1000,
        })
        .await
        .unwrap();
    let mut items = page.items;
    items.reverse();
    items
}

/// Whether a test needing `what` should run: `Some(reason)` to skip with.
/// Under `CI=true` a missing service fails the test instead.
pub fn skip_unless(available: bool, what: &str) -> bool {
    if available {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is required under CI=true");
    }
    eprintln!("skipped: {what} is not available");
    true
}
