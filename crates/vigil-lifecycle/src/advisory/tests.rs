use serde_json::{Value, json};

use super::*;

/// A small valid advisory: one vendor, one product, a fixed and an
/// affected range.
pub(crate) fn sample() -> Value {
    json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": "Example Door Controller",
            "publisher": {"category": "vendor", "name": "Example PSIRT", "namespace": "https://example.invalid"},
            "tracking": {
                "id": "EX-2024-01",
                "initial_release_date": "2024-03-01T10:00:00.000000Z",
                "current_release_date": "2024-03-02T10:00:00Z",
                "status": "final",
                "version": "1",
                "revision_history": [{"date": "2024-03-01T10:00:00Z", "number": "1", "summary": "Initial"}]
            },
            "notes": [{"category": "summary", "text": "ignored"}]
        },
        "product_tree": {"branches": [{
            "category": "vendor", "name": "Example Inc.",
            "branches": [{"category": "product_name", "name": "Door Controller X",
                "branches": [
                    {"category": "product_version_range", "name": "<V2.4",
                     "product": {"name": "Example Door Controller X <V2.4", "product_id": "CSAFPID-0001"}},
                    {"category": "product_version", "name": "V2.4",
                     "product": {"name": "Example Door Controller X V2.4", "product_id": "CSAFPID-0002"}}
                ]}]
        }]},
        "vulnerabilities": [{
            "cve": "CVE-2024-0001",
            "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
            "scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {
                "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": 9.8, "baseSeverity": "CRITICAL"}}],
            "remediations": [{"category": "vendor_fix", "details": "Update to V2.4",
                "product_ids": ["CSAFPID-0001"], "url": "https://example.invalid/fix"}]
        }]
    })
}

fn parse_value(v: &Value) -> Result<Advisory, AdvisoryError> {
    parse(&serde_json::to_vec(v).expect("serialises"))
}

fn path_of(err: AdvisoryError) -> String {
    match err {
        AdvisoryError::Invalid { path, .. } => path,
        other => panic!("expected a path, got {other}"),
    }
}

#[test]
fn a_valid_advisory_reads_with_its_products() {
    let a = parse_value(&sample()).expect("valid");
    assert_eq!(a.document.tracking.id, "EX-2024-01");
    assert_eq!(a.vulnerabilities[0].scores[0].base_score(), Some(9.8));
    let products = a.products();
    let Some(Product::Branch {
        vendor,
        product,
        versions,
        ..
    }) = products.get("CSAFPID-0001")
    else {
        panic!("a branch product")
    };
    assert_eq!(vendor.as_deref(), Some("Example Inc."));
    assert_eq!(product.as_deref(), Some("Door Controller X"));
    assert_eq!(versions.as_ref().map(|r| r.as_str()), Some("<V2.4"));
}

#[test]
fn a_wrong_type_is_named_by_its_path() {
    let mut v = sample();
    v["product_tree"]["branches"][0]["branches"][0]["category"] = json!("product");
    let err = parse_value(&v).unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `product`"),
        "{err}"
    );
    let path = path_of(err);
    assert_eq!(path, "product_tree.branches[0].branches[0].category");

    let mut v = sample();
    v["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = json!("high");
    let path = path_of(parse_value(&v).unwrap_err());
    assert_eq!(path, "vulnerabilities[0].scores[0].cvss_v3.baseScore");

    let mut v = sample();
    v["document"]["tracking"]["initial_release_date"] = json!("yesterday");
    let path = path_of(parse_value(&v).unwrap_err());
    assert_eq!(path, "document.tracking.initial_release_date");
}

#[test]
fn a_missing_required_field_is_named() {
    let mut v = sample();
    v["document"]["tracking"]
        .as_object_mut()
        .expect("object")
        .remove("id");
    let err = parse_value(&v).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("document.tracking: missing field `id`"),
        "{err}"
    );
}

#[test]
fn undefined_and_duplicate_product_ids_are_refused() {
    let mut v = sample();
    v["vulnerabilities"][0]["product_status"]["known_affected"] =
        json!(["CSAFPID-0001", "CSAFPID-0099"]);
    let err = parse_value(&v).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vulnerabilities[0].product_status.known_affected[1]: product id `CSAFPID-0099` is not defined in the product tree"
    );
    let mut v = sample();
    v["product_tree"]["branches"][0]["branches"][0]["branches"][1]["product"]["product_id"] =
        json!("CSAFPID-0001");
    let err = parse_value(&v).unwrap_err();
    assert!(err.to_string().contains("defined twice"), "{err}");
}

#[test]
fn other_versions_of_csaf_scores_out_of_range_and_broken_json_are_refused() {
    let mut v = sample();
    v["document"]["csaf_version"] = json!("1.2");
    assert_eq!(
        path_of(parse_value(&v).unwrap_err()),
        "document.csaf_version"
    );
    let mut v = sample();
    v["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = json!(11.0);
    assert_eq!(
        path_of(parse_value(&v).unwrap_err()),
        "vulnerabilities[0].scores[0].cvss_v3.baseScore"
    );
    assert!(matches!(
        parse(b"{\"document\": "),
        Err(AdvisoryError::Syntax { line: 1, .. })
    ));
    assert!(matches!(
        parse(b"{} {}"),
        Err(AdvisoryError::Syntax { .. }) | Err(AdvisoryError::Invalid { .. })
    ));
    assert!(matches!(parse(b"[]"), Err(AdvisoryError::Invalid { .. })));
}

#[test]
fn the_link_is_the_advisorys_own_web_page() {
    let a = parse_value(&sample()).expect("valid");
    assert_eq!(a.document.link(), None, "no references, no link");
    let mut v = sample();
    v["document"]["references"] = json!([
        {"category": "external", "summary": "Practices", "url": "https://example.invalid/practices"},
        {"category": "self", "summary": "JSON", "url": "https://example.invalid/ex-2024-01.json"},
        {"category": "self", "summary": "Web", "url": "https://example.invalid/ex-2024-01"}
    ]);
    let a = parse_value(&v).expect("valid");
    assert_eq!(
        a.document.link(),
        Some("https://example.invalid/ex-2024-01")
    );
    // Only the file: the file. Only other pages: none of them.
    v["document"]["references"] = json!([
        {"summary": "Practices", "url": "https://example.invalid/practices"},
        {"category": "self", "summary": "JSON", "url": "https://example.invalid/ex-2024-01.json"}
    ]);
    let a = parse_value(&v).expect("valid");
    assert_eq!(
        a.document.link(),
        Some("https://example.invalid/ex-2024-01.json")
    );
    v["document"]["references"] = json!([
        {"category": "external", "summary": "Practices", "url": "https://example.invalid/practices"}
    ]);
    assert_eq!(parse_value(&v).expect("valid").document.link(), None);
}
