use chrono::{Duration, Utc};
use serde_json::{Value, json};
use vigil_model::TenantId;

use super::*;
use crate::advisory;
use crate::inventory::DeviceKind;

fn doc(id: &str, branches: Value, relationships: Value, vulnerabilities: Value) -> Advisory {
    let v = json!({
        "document": {
            "category": "csaf_security_advisory", "csaf_version": "2.0", "title": format!("{id} title"),
            "publisher": {"category": "vendor", "name": "PSIRT", "namespace": "https://example.invalid"},
            "tracking": {"id": id, "initial_release_date": "2024-03-01T00:00:00Z",
                "current_release_date": "2024-03-01T00:00:00Z", "status": "final", "version": "1"}
        },
        "product_tree": {"branches": branches, "relationships": relationships},
        "vulnerabilities": vulnerabilities
    });
    advisory::parse(&serde_json::to_vec(&v).expect("json")).expect("valid advisory")
}

fn leaf(category: &str, name: &str, id: &str) -> Value {
    json!({"category": category, "name": name, "product": {"name": format!("X {name}"), "product_id": id}})
}

fn vendor(name: &str, product: &str, leaves: Vec<Value>) -> Value {
    json!([{"category": "vendor", "name": name,
            "branches": [{"category": "product_name", "name": product, "branches": leaves}]}])
}

fn vuln(cve: &str, affected: &[&str], fixed: &[&str], score: f64) -> Value {
    json!({
        "cve": cve,
        "product_status": {"known_affected": affected, "fixed": fixed},
        "scores": [{"products": affected, "cvss_v3": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N",
            "baseScore": score, "baseSeverity": "HIGH"}}],
        "remediations": [
            {"category": "mitigation", "details": "Segment the network.", "product_ids": affected},
            {"category": "vendor_fix", "details": "Update to V2.4.", "product_ids": affected,
             "url": "https://example.invalid/fix"}
        ]
    })
}

fn device(vendor: &str, model: &str, firmware: Option<&str>) -> Device {
    let mut d = Device::new(
        TenantId::new("northgate").expect("slug"),
        SiteId::new("lon1").expect("slug"),
        "d1",
        DeviceKind::Controller,
        vendor,
        model,
    );
    d.firmware = firmware.map(str::to_owned);
    d
}

fn door_controller() -> Catalogue {
    let branches = vendor(
        "Example Inc.",
        "Door Controller X",
        vec![
            leaf("product_version_range", "<V2.4", "P1"),
            leaf("product_version", "V2.4", "P2"),
            leaf(
                "product_version_range",
                "<=V1.9_only_if_the_web_server_is_enabled",
                "P3",
            ),
        ],
    );
    Catalogue::new([doc(
        "EX-1",
        branches,
        json!([]),
        json!([
            vuln("CVE-2024-0001", &["P1"], &["P2"], 7.5),
            vuln("CVE-2024-0002", &["P3"], &[], 9.1)
        ]),
    )])
}

#[test]
fn affected_fixed_and_above_the_range() {
    let c = door_controller();
    let now = Utc::now();
    let f = c.match_device(&device("Example", "X", Some("V2.3.9")), now);
    let m = &f.advisories[0];
    assert_eq!(
        (m.advisory.as_str(), &m.certainty),
        ("EX-1", &Certainty::Affected)
    );
    assert_eq!(m.cves, ["CVE-2024-0001"]);
    assert_eq!(m.max_cvss, Some(7.5));
    assert_eq!(m.advice[0].category, "vendor_fix");
    assert!(
        m.remediation_text()
            .starts_with("vendor_fix: Update to V2.4. (https://example.invalid/fix)")
    );
    for fixed in ["2.4", "V2.4.0", "2.5"] {
        let f = c.match_device(&device("Example", "X", Some(fixed)), now);
        assert!(f.advisories.is_empty(), "{fixed}: {f:?}");
    }
}

#[test]
fn a_stated_condition_is_kept_and_the_worst_vulnerability_counts() {
    let c = door_controller();
    let f = c.match_device(
        &device("Example", "Door Controller X", Some("1.9")),
        Utc::now(),
    );
    let m = &f.advisories[0];
    // Affected by CVE-2024-0001 outright; by CVE-2024-0002 if the web server is on.
    assert_eq!(m.certainty, Certainty::Affected);
    assert_eq!(m.cves, ["CVE-2024-0001", "CVE-2024-0002"]);
    assert_eq!(m.max_cvss, Some(9.1));
}

#[test]
fn without_a_firmware_version_the_match_is_unverified() {
    let c = door_controller();
    let f = c.match_device(&device("Example", "X", None), Utc::now());
    assert!(
        matches!(&f.advisories[0].certainty, Certainty::Unverified { reason } if reason.contains("no firmware"))
    );
    let f = c.match_device(
        &device("Example", "X", Some("build-of-tuesday")),
        Utc::now(),
    );
    assert!(matches!(
        &f.advisories[0].certainty,
        Certainty::Unverified { .. }
    ));
}

#[test]
fn other_vendors_and_products_do_not_match() {
    let c = door_controller();
    let now = Utc::now();
    assert!(
        c.match_device(&device("Other Corp", "Door Controller X", Some("1.0")), now)
            .advisories
            .is_empty()
    );
    assert!(
        c.match_device(&device("Example", "Door Controller Y", Some("1.0")), now)
            .advisories
            .is_empty()
    );
}

#[test]
fn firmware_installed_on_a_device_matches_that_device() {
    let branches = json!([{"category": "vendor", "name": "Mobotix", "branches": [
        {"category": "product_name", "name": "Mobotix P3 Firmware", "branches": [
            leaf("product_version", "MX-V4.0.1.15", "FW")]},
        {"category": "product_name", "name": "Mobotix P3 D24M", "branches": [
            {"category": "product_version_range", "name": "vers:all/*",
             "product": {"name": "Mobotix P3 D24M", "product_id": "HW"}}]}
    ]}]);
    let relationships = json!([{"category": "installed_on", "product_reference": "FW",
        "relates_to_product_reference": "HW",
        "full_product_name": {"name": "MX-V4.0.1.15 on D24M", "product_id": "FW-ON-HW"}}]);
    let c = Catalogue::new([doc(
        "MX-1",
        branches,
        relationships,
        json!([vuln("CVE-2024-0003", &["FW-ON-HW"], &[], 6.1)]),
    )]);
    let now = Utc::now();
    let hit = c.match_device(&device("MOBOTIX AG", "D24M", Some("MX-V4.0.1.15")), now);
    assert_eq!(hit.advisories[0].products, ["MX-V4.0.1.15 on D24M"]);
    assert!(
        c.match_device(&device("Mobotix", "D24M", Some("MX-V4.0.2.33")), now)
            .advisories
            .is_empty()
    );
    assert!(
        c.match_device(&device("Mobotix", "M16", Some("MX-V4.0.1.15")), now)
            .advisories
            .is_empty()
    );
}

#[test]
fn end_of_support_is_flagged_from_now() {
    let c = Catalogue::default();
    let now = Utc::now();
    let mut d = device("Example", "X", Some("1.0"));
    d.end_of_support = Some((now - Duration::days(1)).date_naive());
    assert!(c.match_device(&d, now).past_end_of_support);
    d.end_of_support = Some(now.date_naive());
    let f = c.match_device(&d, now);
    assert!(!f.past_end_of_support && !f.has_findings());
}

#[test]
fn a_newer_revision_replaces_the_older() {
    let mut c = door_controller();
    let branches = vendor(
        "Example Inc.",
        "Door Controller X",
        vec![leaf("product_version_range", "<V2.0", "P1")],
    );
    let mut revision = doc(
        "EX-1",
        branches,
        json!([]),
        json!([vuln("CVE-2024-0001", &["P1"], &[], 7.5)]),
    );
    // An older revision arriving late is not kept.
    let mut older = revision.clone();
    older.document.tracking.current_release_date -= Duration::days(1);
    assert!(!c.add(older));
    let still = c.match_device(&device("Example", "X", Some("2.3")), Utc::now());
    assert_eq!(still.advisories.len(), 1);
    revision.document.tracking.current_release_date += Duration::days(1);
    assert!(c.add(revision));
    assert_eq!(c.len(), 1);
    assert!(
        c.match_device(&device("Example", "X", Some("2.3")), Utc::now())
            .advisories
            .is_empty()
    );
}
