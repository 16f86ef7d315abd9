//! The page shells. Each is the same frame (navigation, who is logged in,
//! the shortcut help) around an empty `<main>` that the page's script
//! fills from the API; the script reads ids from the URL itself.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE, COOKIE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::assets::asset_version;

/// The policy every page is sent with: script, style, images and API calls
/// only from this origin; no inline script or style; never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SHELL: &str = include_str!("../assets/page.html");
const LOGIN: &str = include_str!("../assets/login.html");

/// The console's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The live alarm queue.
    Queue,
    /// One alarm.
    Alarm,
    /// Incidents.
    Incidents,
    /// One incident.
    Incident,
    /// Every site in scope.
    Sites,
    /// One site's floor plan.
    Site,
    /// Charts.
    Dashboards,
    /// The shift log and handover.
    Shift,
    /// Today's visits per site.
    Visitors,
    /// A site's printable roll call.
    RollCall,
    /// A site's estate: inventory, advisories, maintenance calendar.
    Estate,
}

impl Page {
    /// The name the script dispatches on (and its module's name).
    pub fn name(self) -> &'static str {
        match self {
            Page::Queue => "queue",
            Page::Alarm => "alarm",
            Page::Incidents => "incidents",
            Page::Incident => "incident",
            Page::Sites => "sites",
            Page::Site => "site",
            Page::Dashboards => "dashboards",
            Page::Shift => "shift",
            Page::Visitors => "visitors",
            Page::RollCall => "rollcall",
            Page::Estate => "estate",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Page::Queue => "Alarm queue",
            Page::Alarm => "Alarm",
            Page::Incidents => "Incidents",
            Page::Incident => "Incident",
            Page::Sites => "Sites",
            Page::Site => "Site",
            Page::Dashboards => "Dashboards",
            Page::Shift => "Shift log",
            Page::Visitors => "Visitors",
            Page::RollCall => "Roll call",
            Page::Estate => "Estate",
        }
    }

    /// The page's HTML.
    pub fn html(self) -> String {
        SHELL
            .replace("{{title}}", self.title())
            .replace("{{page}}", self.name())
            .replace("{{assets}}", &format!("/assets/{}", asset_version()))
    }
}

fn html(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CSP, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    // The shell names the current asset version, so it must not be cached.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// `GET /`: the queue when the browser holds a session cookie, else the
/// login page (the queue itself sends an expired session to login).
pub(crate) async fn root(headers: HeaderMap) -> Response {
    let has_session = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|h| {
            h.split(';').any(|pair| {
                pair.split_once('=')
                    .is_some_and(|(k, v)| k.trim() == "vigil_session" && !v.trim().is_empty())
            })
        });
    let to = if has_session { "/queue" } else { "/login" };
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

pub(crate) async fn login() -> Response {
    html(LOGIN.replace("{{assets}}", &format!("/assets/{}", asset_version())))
}
pub(crate) async fn queue() -> Response {
    html(Page::Queue.html())
}
pub(crate) async fn alarm() -> Response {
    html(Page::Alarm.html())
}
pub(crate) async fn incidents() -> Response {
    html(Page::Incidents.html())
}
pub(crate) async fn incident() -> Response {
    html(Page::Incident.html())
}
pub(crate) async fn sites() -> Response {
    html(Page::Sites.html())
}
pub(crate) async fn site() -> Response {
    html(Page::Site.html())
}
pub(crate) async fn dashboards() -> Response {
    html(Page::Dashboards.html())
}
pub(crate) async fn shift() -> Response {
    html(Page::Shift.html())
}
pub(crate) async fn visitors() -> Response {
    html(Page::Visitors.html())
}
pub(crate) async fn roll_call() -> Response {
    html(Page::RollCall.html())
}
pub(crate) async fn estate() -> Response {
    html(Page::Estate.html())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str, cookie: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        crate::router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn text(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_root_sends_people_to_login_or_the_queue() {
        let r = get("/", None).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/login");
        let r = get("/", Some("a=b; vigil_session=xyz")).await;
        assert_eq!(r.headers()[LOCATION], "/queue");
        let r = get("/", Some("vigil_session=")).await;
        assert_eq!(r.headers()[LOCATION], "/login");
    }

    #[tokio::test]
    async fn every_page_is_a_shell_under_a_strict_policy() {
        for (path, page) in [
            ("/queue", "queue"),
            ("/alarms/0193", "alarm"),
            ("/incidents", "incidents"),
            ("/incidents/INC-1", "incident"),
            ("/sites", "sites"),
            ("/sites/northgate/lon1", "site"),
            ("/dashboards", "dashboards"),
            ("/shift", "shift"),
            ("/visitors", "visitors"),
            ("/sites/northgate/lon1/roll-call", "rollcall"),
            ("/sites/northgate/lon1/estate", "estate"),
            ("/login", "login"),
        ] {
            let r = get(path, None).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let csp = r.headers()[CSP].to_str().unwrap().to_owned();
            assert!(csp.contains("script-src 'self'"), "{path}");
            assert!(!csp.contains("unsafe-inline"), "{path}");
            assert!(
                r.headers()[CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let body = text(r).await;
            assert!(body.contains(&format!("data-page=\"{page}\"")), "{path}");
            assert!(!body.contains("{{"), "{path}: unfilled placeholder");
            // No inline script: every <script> has a src.
            for tag in body.split("<script").skip(1) {
                let open = tag.split('>').next().unwrap();
                assert!(open.contains("src="), "{path}: inline script");
            }
            assert!(!body.contains("style="), "{path}: inline style");
            assert!(body.contains(&format!("/assets/{}/", asset_version())));
        }
    }

    #[tokio::test]
    async fn assets_have_their_types_and_long_caches() {
        let v = asset_version();
        let r = get(&format!("/assets/{v}/js/app.js"), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(
            r.headers()[CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let r = get(&format!("/assets/{v}/console.css"), None).await;
        assert_eq!(r.headers()[CONTENT_TYPE], "text/css; charset=utf-8");
        let r = get("/assets/old/console.css", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
        let r = get(&format!("/assets/{v}/nope.js"), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = get(&format!("/assets/{v}/../src/lib.rs"), None).await;
        assert_ne!(r.status(), StatusCode::OK);
    }
}
