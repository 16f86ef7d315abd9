//! Configuration writes: tenants, sites, sources and API tokens.
//!
//! They go through the writer thread like ingest does (one writer keeps
//! SQLite free of lock contention between writers), each in its own
//! savepoint. A reference to something that does not exist is reported as
//! [`StoreError::NotFound`] naming it, checked before the write rather than
//! decoded from a foreign-key failure, which would not say which key failed.

use rusqlite::{Connection, OptionalExtension, params};

use vigil_model::{Site, SiteId, SourceBinding, Tenant, TenantId};

use crate::{ApiToken, StoreError, TokenHash};

/// One configuration change.
#[derive(Debug)]
pub(crate) enum ConfigChange {
    Tenant(Tenant),
    Site(Site),
    Source(SourceBinding, Option<TokenHash>),
    ApiToken(ApiToken),
}

/// Applies `change`; the caller owns the transaction.
pub(crate) fn apply(conn: &Connection, change: &ConfigChange) -> Result<(), StoreError> {
    match change {
        ConfigChange::Tenant(t) => {
            conn.prepare_cached(
                "INSERT INTO tenants (id, name) VALUES (?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )?
            .execute(params![t.id.as_str(), t.name])?;
        }
        ConfigChange::Site(s) => {
            require_tenant(conn, &s.tenant)?;
            conn.prepare_cached(
                "INSERT INTO sites (tenant, id, name, timezone) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, \
                 timezone = excluded.timezone",
            )?
            .execute(params![
                s.tenant.as_str(),
                s.id.as_str(),
                s.name,
                s.timezone
            ])?;
        }
        ConfigChange::Source(s, token) => {
            require_tenant(conn, &s.tenant)?;
            if let Some(site) = &s.site {
                require_site(conn, &s.tenant, site)?;
            }
            // No token given keeps the one already stored.
            conn.prepare_cached(
                "INSERT INTO sources (id, tenant, site, kind, product, token_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, site = excluded.site, \
                 kind = excluded.kind, product = excluded.product, \
                 token_hash = coalesce(excluded.token_hash, sources.token_hash)",
            )?
            .execute(params![
                s.id.as_str(),
                s.tenant.as_str(),
                s.site.as_ref().map(|x| x.as_str()),
                s.kind.as_str(),
                s.product,
                token,
            ])?;
        }
        ConfigChange::ApiToken(t) => {
            if let Some(tenant) = &t.tenant {
                require_tenant(conn, tenant)?;
            }
            conn.prepare_cached(
                "INSERT INTO api_tokens (hash, name, role, tenant) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (hash) DO UPDATE SET name = excluded.name, role = excluded.role, \
                 tenant = excluded.tenant",
            )?
            .execute(params![
                t.hash,
                t.name,
                t.role.as_str(),
                t.tenant.as_ref().map(|x| x.as_str())
            ])?;
        }
    }
    Ok(())
}

fn require_tenant(conn: &Connection, tenant: &TenantId) -> Result<(), StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM tenants WHERE id = ?1")?
        .query_row([tenant.as_str()], |_| Ok(()))
        .optional()?;
    found.ok_or_else(|| StoreError::NotFound {
        what: "tenant",
        id: tenant.to_string(),
    })
}

fn require_site(conn: &Connection, tenant: &TenantId, site: &SiteId) -> Result<(), StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM sites WHERE tenant = ?1 AND id = ?2")?
        .query_row([tenant.as_str(), site.as_str()], |_| Ok(()))
        .optional()?;
    found.ok_or_else(|| StoreError::NotFound {
        what: "site",
        id: format!("{tenant}/{site}"),
    })
}
