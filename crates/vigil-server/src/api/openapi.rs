//! The OpenAPI document as served: the handlers' annotations, the sources'
//! endpoints, and what every operation shares (unique operation ids, the
//! error answers any of them can give).

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

/// The OpenAPI document of the HTTP API, the sources' endpoints included.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut doc = super::ApiDoc::openapi().merge_from(vigil_sources::openapi());
    name_operations(&mut doc);
    document_errors(&mut doc);
    doc
}

/// Gives every operation an id made of its method and path
/// (`get_api_v1_alarms_id`): the handlers' own names repeat across modules
/// (`list`, `detail`), and OpenAPI requires operation ids to be unique.
fn name_operations(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let stem: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in operations(item) {
            op.operation_id = Some(format!("{method}_{stem}"));
        }
    }
}

/// Every operation of a path, with its method's name.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// Paths anyone may call: everything else answers 401 without credentials.
const OPEN_PATHS: &[&str] = &["/healthz"];

/// Adds the error answers an operation can give for reasons shared by all of
/// them, where its own annotation does not already say more: a bad
/// parameter or body (400, the JSON body extractor and the query extractor
/// answer it), no or bad credentials (401), a role or tenant outside the
/// token's scope (403), nothing at a path with ids in it (404), and too many
/// failed authentications from one address or token (429). A client written
/// from the document then meets no status it was not told about; the
/// property-based API test holds the server to it.
fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let open = OPEN_PATHS.contains(&path.as_str());
        let has_ids = path.contains('{');
        for (_, op) in operations(item) {
            let has_input =
                op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || op.request_body.is_some();
            let shared = [
                (
                    "400",
                    has_input,
                    "A parameter or the body is not what this document says (the message names it)",
                ),
                (
                    "401",
                    !open,
                    "No credentials, or credentials not valid for this endpoint",
                ),
                (
                    "403",
                    !open,
                    "The caller's role or tenant does not allow this",
                ),
                ("404", has_ids, "Nothing with this id in the caller's scope"),
                (
                    "429",
                    !open,
                    "Too many failed authentications from this address or with this token; see `Retry-After`",
                ),
            ];
            for (status, applies, description) in shared {
                if applies && !op.responses.responses.contains_key(status) {
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build();
                    op.responses
                        .responses
                        .insert(status.to_owned(), response.into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_describes_the_sources_endpoints_too() {
        let doc = serde_json::to_value(super::openapi_document()).unwrap();
        for path in [
            "/api/v1/ingest",
            "/api/v1/access/events",
            "/onvif/notify/{token}/{camera}",
            "/v1/logs",
            "/services/collector/event",
            "/services/collector/raw",
            "/services/collector/ack",
            "/_bulk",
            "/api/v1/alerts",
        ] {
            assert!(
                doc["paths"][path].is_object(),
                "{path} missing from the OpenAPI document"
            );
        }
        assert!(doc["components"]["schemas"]["AccessOutcome"].is_object());
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let methods = [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ];
            for (method, op) in item
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| methods.contains(&k.as_str()))
            {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(!id.is_empty(), "{method} {path} has no operationId");
                assert!(ids.insert(id.clone()), "operationId {id} is used twice");
            }
        }
        assert_eq!(
            doc["paths"]["/api/v1/alarms/{id}"]["get"]["operationId"],
            "get_api_v1_alarms_id"
        );
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }
}

#[cfg(test)]
mod validation {
    /// The document passes an OpenAPI validator (`openapi-spec-validator`
    /// from PyPI, which `.ci/run` installs); without it the test says it is
    /// skipped, and under `CI=true` it fails.
    #[test]
    fn the_document_is_valid_openapi() {
        let available = std::process::Command::new("python3")
            .args(["-c", "import openapi_spec_validator"])
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "openapi-spec-validator is required under CI (pip install openapi-spec-validator)"
            );
            eprintln!("skipped: python3 -m openapi_spec_validator is not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openapi.json");
        std::fs::write(
            &path,
            serde_json::to_vec(&super::openapi_document()).unwrap(),
        )
        .unwrap();
        let out = std::process::Command::new("python3")
            .args(["-m", "openapi_spec_validator"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
