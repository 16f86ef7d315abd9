//! The HTTP routes.

mod alerts;
mod compliance;
mod dead_letters;
mod desk;
mod estate_view;
mod events;
mod governance;
mod lifecycle;
mod openapi;
mod ops;
pub(crate) mod params;
mod reports;
mod site_image;
mod stats;

use axum::Router;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;

pub use openapi::openapi_document;

pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/api/openapi.json", get(ops::openapi))
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/{id}", get(alerts::detail))
        .route("/api/v1/events", get(events::search))
        .route("/api/v1/dead-letters", get(dead_letters::list))
        .route("/api/v1/tenants", get(ops::tenants))
        .route("/api/v1/tenants/{id}/legal-holds", get(governance::list))
        .route(
            "/api/v1/tenants/{id}/access-review",
            get(governance::access_review),
        )
        .route(
            "/api/v1/tenants/{id}/legal-hold",
            post(governance::place).delete(governance::lift),
        )
        .route(
            "/api/v1/session",
            get(crate::session_auth::current)
                .post(crate::session_auth::login)
                .delete(crate::session_auth::logout),
        )
        .route("/api/v1/sites", get(estate_view::sites))
        .route("/api/v1/sites/{tenant}/{site}/plan", get(estate_view::plan))
        .route(
            "/api/v1/sites/{tenant}/{site}/plan/image",
            get(site_image::image),
        )
        .route("/api/v1/stats", get(stats::stats))
        .route("/api/v1/reports/service", get(reports::service))
        .route(
            "/api/v1/compliance/{framework}/report",
            get(compliance::report),
        )
        .route(
            "/api/v1/estate/{tenant}/inventory",
            get(lifecycle::inventory).post(lifecycle::import_inventory),
        )
        .route(
            "/api/v1/estate/{tenant}/inventory/changes",
            get(lifecycle::inventory_changes),
        )
        .route("/api/v1/advisories", post(lifecycle::import_advisories))
        .route(
            "/api/v1/estate/{tenant}/work-orders",
            get(lifecycle::work_orders).post(lifecycle::plan),
        )
        .route(
            "/api/v1/estate/{tenant}/work-orders/{id}/approve",
            post(lifecycle::approve),
        )
        .route(
            "/api/v1/estate/{tenant}/work-orders/{id}/outcome",
            post(lifecycle::outcome),
        )
        .merge(desk::routes())
        .layer(axum::middleware::map_response(no_store))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil API",
        description = "Converged cyber-physical security operations: ingest, alerts, events, dead letters. \
Every endpoint but /healthz takes `Authorization: Bearer <token>`. API tokens carry a role and, for \
client roles, a tenant; ingest tokens belong to one source, which fixes the tenant of what is sent."
    ),
    paths(
        ops::healthz,
        ops::metrics,
        ops::openapi,
        ops::tenants,
        alerts::list,
        alerts::detail,
        events::search,
        dead_letters::list,
        desk::alarms::list,
        desk::alarms::detail,
        desk::alarms::acknowledge,
        desk::alarms::take_over,
        desk::alarms::start,
        desk::alarms::close,
        desk::alarms::reopen,
        desk::bulk::bulk,
        desk::alarms::sop_runs,
        desk::alarms::sop_step,
        desk::procedures::procedure,
        desk::video::list,
        desk::video::picture,
        desk::suppressions::list,
        desk::suppressions::create,
        desk::suppressions::lift,
        desk::suppressions::list_maintenance,
        desk::suppressions::declare,
        desk::suppressions::cancel,
        desk::incidents::list,
        desk::incidents::open,
        desk::incidents::detail,
        desk::incidents::command,
        desk::nis2::assess_nis2,
        desk::nis2::decide_nis2,
        desk::nis2::draft,
        desk::nis2::draft_version,
        desk::nis2::submit,
        desk::incidents::respond,
        desk::incidents::deliveries,
        desk::incidents::escalations,
        desk::audit::entries,
        desk::audit::export,
        desk::stream::stream,
        desk::shift::log,
        desk::shift::write,
        desk::shift::done,
        desk::shift::hand_over,
        desk::visits::create,
        desk::visits::list,
        desk::visits::detail,
        desk::visits::approve,
        desk::visits::refuse,
        desk::visits::arrive,
        desk::visits::badge,
        desk::visits::sign_out,
        desk::visits::roll_call,
        desk::watchlist::list,
        desk::watchlist::add,
        desk::watchlist::provider_list,
        desk::watchlist::provider_add,
        estate_view::sites,
        estate_view::plan,
        site_image::image,
        stats::stats,
        reports::service,
        compliance::report,
        governance::list,
        governance::place,
        governance::lift,
        governance::access_review,
        lifecycle::inventory,
        lifecycle::import_inventory,
        lifecycle::inventory_changes,
        lifecycle::import_advisories,
        lifecycle::work_orders,
        lifecycle::plan,
        lifecycle::approve,
        lifecycle::outcome,
        crate::session_auth::login,
        crate::session_auth::current,
        crate::session_auth::logout,
    ),
    // Types named only by path parameters, which utoipa does not collect.
    components(schemas(
        vigil_model::AlertId,
        vigil_model::TenantId,
        vigil_model::SiteId,
        vigil_compliance::FrameworkId,
        vigil_compliance::nis2::ReportKind,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "ingest", description = "Sending events"),
        (name = "alerts", description = "Detections for people to look at"),
        (name = "events", description = "The event archive"),
        (name = "operations", description = "Health, metrics, configuration"),
        (name = "estate", description = "The site view and the dashboards: sites, floor plans with live device states, statistics"),
        (name = "desk", description = "The operator's desk: alarm queue, suppressions, incidents, SOPs, response actions, escalation, audit"),
        (name = "governance", description = "Data governance: legal holds on a client or an incident (retention skips what they hold) and access reviews, recorded in the audit chain"),
        (name = "visitors", description = "Visitors: pre-registration, the client's approval, the front desk (arrival with identity checked, a temporary badge, sign-out), the evacuation roll call per site, and the watchlists (the client's, and the provider's across clients as keyed hashes)"),
        (name = "lifecycle", description = "The client's security systems over their life: the device inventory with the CSAF advisories affecting each device and end of support, inventory and advisory import, work orders approved on the client's side"),
        (name = "compliance", description = "Evidence packs for ISO/IEC 27001:2022 Annex A and NIS-2 Art. 21(2), recorded in the audit chain"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// API answers are per caller and often confidential: no cache keeps them,
/// and no browser second-guesses their type.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
