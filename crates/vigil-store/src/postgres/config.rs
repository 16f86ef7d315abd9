//! Configuration: tenants, sites, sources and API tokens, written and read.
//!
//! As in SQLite, a reference to something that does not exist is reported
//! as [`StoreError::NotFound`] naming it, checked before the write rather
//! than decoded from a foreign-key failure, which would not say which key
//! failed.

use tokio_postgres::{Client, Transaction};

use vigil_model::{Site, SiteId, SourceBinding, Tenant, TenantId};

use super::PgResult;
use super::codec::{
    API_TOKEN_COLUMNS, Conditions, SITE_COLUMNS, SOURCE_COLUMNS, api_token_from_row, decode_all,
    site_from_row, source_from_row, tenant_from_row, text,
};
use crate::{ApiToken, StoreError, TenantScope, TokenHash};

pub(crate) async fn tenant(tx: &Transaction<'_>, t: &Tenant) -> PgResult<()> {
    tx.execute(
        "INSERT INTO tenants (id, name) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        &[&t.id.as_str(), &t.name],
    )
    .await?;
    Ok(())
}

pub(crate) async fn site(tx: &Transaction<'_>, s: &Site) -> PgResult<()> {
    require_tenant(tx, &s.tenant).await?;
    tx.execute(
        "INSERT INTO sites (tenant, id, name, timezone) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, \
         timezone = excluded.timezone",
        &[&s.tenant.as_str(), &s.id.as_str(), &s.name, &s.timezone],
    )
    .await?;
    Ok(())
}

pub(crate) async fn source(
    tx: &Transaction<'_>,
    s: &SourceBinding,
    token: Option<TokenHash>,
) -> PgResult<()> {
    require_tenant(tx, &s.tenant).await?;
    if let Some(site) = &s.site {
        require_site(tx, &s.tenant, site).await?;
    }
    let token = token.map(|t| t.to_vec());
    // No token given keeps the one already stored.
    tx.execute(
        "INSERT INTO sources (id, tenant, site, kind, product, token_hash) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, site = excluded.site, \
         kind = excluded.kind, product = excluded.product, \
         token_hash = coalesce(excluded.token_hash, sources.token_hash)",
        &[
            &s.id.as_str(),
            &s.tenant.as_str(),
            &s.site.as_ref().map(|x| x.as_str()),
            &s.kind.as_str(),
            &s.product,
            &token,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn api_token(tx: &Transaction<'_>, t: &ApiToken) -> PgResult<()> {
    if let Some(tenant) = &t.tenant {
        require_tenant(tx, tenant).await?;
    }
    tx.execute(
        "INSERT INTO api_tokens (hash, name, role, tenant) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (hash) DO UPDATE SET name = excluded.name, role = excluded.role, \
         tenant = excluded.tenant",
        &[
            &t.hash.as_slice(),
            &t.name,
            &t.role.as_str(),
            &t.tenant.as_ref().map(|x| x.as_str()),
        ],
    )
    .await?;
    Ok(())
}

async fn require_tenant(tx: &Transaction<'_>, tenant: &TenantId) -> PgResult<()> {
    let found = tx
        .query_opt("SELECT 1 FROM tenants WHERE id = $1", &[&tenant.as_str()])
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound {
            what: "tenant",
            id: tenant.to_string(),
        }
        .into()),
    }
}

async fn require_site(tx: &Transaction<'_>, tenant: &TenantId, site: &SiteId) -> PgResult<()> {
    let found = tx
        .query_opt(
            "SELECT 1 FROM sites WHERE tenant = $1 AND id = $2",
            &[&tenant.as_str(), &site.as_str()],
        )
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound {
            what: "site",
            id: format!("{tenant}/{site}"),
        }
        .into()),
    }
}

/// The tenant condition of a scope on `column`. (Lists are ordered with
/// `COLLATE "C"`: bytewise, as SQLite orders text, whatever the database's
/// collation.)
pub(crate) fn scope_condition(scope: &TenantScope, column: &str) -> Conditions {
    let mut w = Conditions::default();
    if let TenantScope::One(t) = scope {
        w.and(&format!("{column} = ?"), [text(t.as_str())]);
    }
    w
}

pub(crate) async fn tenants(client: &Client, scope: &TenantScope) -> PgResult<Vec<Tenant>> {
    let w = scope_condition(scope, "id");
    let sql = format!(
        "SELECT id, name FROM tenants{} ORDER BY id COLLATE \"C\"",
        w.sql()
    );
    decode_all(&client.query(&sql, &w.refs()).await?, tenant_from_row)
}

pub(crate) async fn sites(client: &Client, scope: &TenantScope) -> PgResult<Vec<Site>> {
    let w = scope_condition(scope, "tenant");
    let sql = format!(
        "SELECT {SITE_COLUMNS} FROM sites{} ORDER BY tenant COLLATE \"C\", id COLLATE \"C\"",
        w.sql()
    );
    decode_all(&client.query(&sql, &w.refs()).await?, site_from_row)
}

pub(crate) async fn sources(client: &Client, scope: &TenantScope) -> PgResult<Vec<SourceBinding>> {
    let w = scope_condition(scope, "tenant");
    let sql = format!(
        "SELECT {SOURCE_COLUMNS} FROM sources{} ORDER BY id COLLATE \"C\"",
        w.sql()
    );
    decode_all(&client.query(&sql, &w.refs()).await?, source_from_row)
}

pub(crate) async fn source_by_token(
    client: &Client,
    hash: &TokenHash,
) -> PgResult<Option<SourceBinding>> {
    let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE token_hash = $1");
    client
        .query_opt(&sql, &[&hash.as_slice()])
        .await?
        .map(|row| source_from_row(&row))
        .transpose()
}

/// Every API token, by name.
pub(crate) async fn read_api_tokens(client: &Client) -> PgResult<Vec<ApiToken>> {
    let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens ORDER BY name, hash");
    client
        .query(&sql, &[])
        .await?
        .iter()
        .map(api_token_from_row)
        .collect()
}

pub(crate) async fn read_api_token(
    client: &Client,
    hash: &TokenHash,
) -> PgResult<Option<ApiToken>> {
    let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1");
    client
        .query_opt(&sql, &[&hash.as_slice()])
        .await?
        .map(|row| api_token_from_row(&row))
        .transpose()
}
