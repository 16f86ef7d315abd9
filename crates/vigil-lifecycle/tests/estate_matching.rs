//! A simulated estate running products named in CISA's 2024 OT advisories
//! — Software House C•CURE 9000 and iStar Pro, LenelS2 NetBox, Siemens
//! Siveillance — imported from CSV and matched against all 344 advisories:
//! affected versions, fixed ones, versions just above a range, another
//! vendor's product of the same name.

mod common;

use std::time::Instant;

use chrono::{Duration, Utc};
use vigil_lifecycle::advisory;
use vigil_lifecycle::inventory::{Inventory, Origin, parse_csv};
use vigil_lifecycle::matching::{Catalogue, Certainty, DeviceFindings};
use vigil_model::TenantId;

/// The estate; `{eos_past}` and `{eos_future}` are filled from now, so the
/// test holds on any day.
const ESTATE: &str = "\
site,device_id,kind,vendor,model,serial,firmware,end_of_support
hq,ccure-old,server,Johnson Controls,Software House C•CURE 9000,S-01,2.80,
hq,ccure-290,server,Johnson Controls,Software House C•CURE 9000,S-02,2.90,
hq,ccure-3002,server,Software House,C•CURE 9000,S-03,v3.00.2,
hq,ccure-cu02,server,Johnson Controls Inc.,C-CURE 9000,S-04,3.00.2 CU02,
hq,ccure-site,server,Johnson Controls,Software House C•CURE 9000 Site Server,S-05,3.00.3,
hq,istar-lobby,controller,Johnson Controls,iStar Pro,S-06,6.6.5,{eos_past}
hq,istar-edge,controller,Johnson Controls,iStar Edge,S-07,6.6.5,{eos_future}
hq,netbox-old,server,LenelS2,NetBox,S-08,5.6.1,
hq,netbox-fixed,server,Lenel S2,NetBox,S-09,5.6.2,
hq,netbox-other,server,Acme Networks,NetBox,S-10,5.0,
hq,sivctl-old,server,Siemens,Siveillance Control,S-11,V3.1.0,
hq,sivctl-new,server,Siemens AG,Siveillance Control,S-12,V3.1.1,
hq,sivctl-before,server,Siemens,Siveillance Control,S-13,V2.7,
hq,sivdp-old,server,Siemens,Siveillance Video Device Pack,S-14,13.1,
hq,sivdp-new,server,Siemens,Siveillance Video Device Pack,S-15,V13.2,
hq,netbox-nofw,server,LenelS2,NetBox,S-16,,
hq,cam-1,camera,Axis,P3245-V,S-17,10.12.1,
";

fn advisories_of(findings: &[DeviceFindings], device: &str) -> Vec<(String, Certainty)> {
    findings
        .iter()
        .find(|f| f.device == device)
        .unwrap_or_else(|| panic!("{device} is in the estate"))
        .advisories
        .iter()
        .map(|m| (m.advisory.clone(), m.certainty.clone()))
        .collect()
}

fn ids(found: &[(String, Certainty)]) -> Vec<&str> {
    found.iter().map(|(id, _)| id.as_str()).collect()
}

#[test]
fn a_simulated_estate_against_cisas_2024_ot_advisories() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let started = Instant::now();
    let catalogue = Catalogue::new(files.iter().map(|f| {
        let bytes = std::fs::read(f).expect("reads");
        advisory::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()))
    }));
    let loaded = started.elapsed();

    let now = Utc::now();
    let csv = ESTATE
        .replace(
            "{eos_past}",
            &(now - Duration::days(30)).date_naive().to_string(),
        )
        .replace(
            "{eos_future}",
            &(now + Duration::days(365)).date_naive().to_string(),
        );
    let tenant = TenantId::new("northgate").expect("slug");
    let mut inventory = Inventory::new(tenant.clone());
    inventory
        .import(
            parse_csv(&tenant, &csv).expect("the estate reads"),
            Origin::Import {
                file: Some("estate.csv".into()),
            },
            "test",
            now,
        )
        .expect("imports");

    let started = Instant::now();
    let findings = catalogue.match_inventory(&inventory, now);
    let matched = started.elapsed();
    eprintln!(
        "{} advisories read in {loaded:?}; {} devices matched in {matched:?}",
        catalogue.len(),
        findings.len()
    );

    let affected = |device: &str, expected: &[&str]| {
        let found = advisories_of(&findings, device);
        assert_eq!(ids(&found), expected, "{device}: {found:?}");
        for (id, certainty) in &found {
            assert_eq!(certainty, &Certainty::Affected, "{device} {id}");
        }
    };
    // C•CURE 9000: <=2.80 (ICSA-24-191-04) and exactly v3.00.2 (ICSA-24-135-03).
    affected("ccure-old", &["ICSA-24-191-04"]);
    affected("ccure-290", &[]); // just above <=2.80
    affected("ccure-3002", &["ICSA-24-135-03"]); // brand as vendor, model without it
    affected("ccure-cu02", &[]); // the fix named in the advisory
    // The Site Server is its own product (ICSA-24-191-05, <=3.00.3); the
    // C•CURE 9000 devices above are not it.
    affected("ccure-site", &["ICSA-24-191-05"]);
    // iStar Pro: every version (ICSA-24-158-04); iStar Edge is another product.
    affected("istar-lobby", &["ICSA-24-158-04"]);
    affected("istar-edge", &[]);
    // NetBox <5.6.2 (ICSA-24-151-01); another vendor's NetBox is not LenelS2's.
    affected("netbox-old", &["ICSA-24-151-01"]);
    affected("netbox-fixed", &[]);
    affected("netbox-other", &[]);
    // Siveillance Control >=V2.8<V3.1.1 (ICSA-24-074-10).
    affected("sivctl-old", &["ICSA-24-074-10"]);
    affected("sivctl-new", &[]);
    affected("sivctl-before", &[]);
    // Siveillance Video Device Pack <V13.2 (ICSA-24-289-01).
    affected("sivdp-old", &["ICSA-24-289-01"]);
    affected("sivdp-new", &[]);
    affected("cam-1", &[]);

    // Without a firmware version, NetBox cannot be cleared.
    let nofw = advisories_of(&findings, "netbox-nofw");
    assert_eq!(ids(&nofw), ["ICSA-24-151-01"]);
    assert!(matches!(nofw[0].1, Certainty::Unverified { .. }));

    // What a match carries: CVEs, score, since, the advice.
    let netbox = findings
        .iter()
        .find(|f| f.device == "netbox-old")
        .expect("there");
    let m = &netbox.advisories[0];
    assert_eq!(m.title, "LenelS2 NetBox");
    assert_eq!(m.cves, ["CVE-2024-2420", "CVE-2024-2421", "CVE-2024-2422"]);
    assert_eq!(m.max_cvss, Some(9.8));
    assert_eq!(m.since.to_rfc3339(), "2024-05-30T06:00:00+00:00");
    assert_eq!(m.advice[0].category, "vendor_fix");
    assert!(m.remediation_text().contains("NetBox release 5.6.2"));
    // The link is CISA's web page, not the JSON file listed before it.
    assert_eq!(
        m.link.as_deref(),
        Some("https://www.cisa.gov/news-events/ics-advisories/icsa-24-151-01")
    );

    // End of support: the iStar Pro's has passed, the Edge's has not.
    let eos = |device: &str| {
        findings
            .iter()
            .find(|f| f.device == device)
            .expect("there")
            .past_end_of_support
    };
    assert!(eos("istar-lobby"));
    assert!(!eos("istar-edge"));
    assert!(!eos("cam-1"));
}
