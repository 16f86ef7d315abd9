//! End to end: `vigil demo --for 20s --seed 7` raises the alerts its attack
//! stories call for.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::Vigil;
use serde_json::Value;

const ADMIN: &str = "vgl_demo_test_admin_0123456789";

#[test]
fn demo_raises_the_alerts_its_attack_stories_call_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let mut vigil = Vigil::start(
        dir.path(),
        &[
            "demo",
            "--for",
            "20s",
            "--seed",
            "7",
            "--listen",
            "127.0.0.1:0",
            "--dc09-listen",
            "127.0.0.1:0",
            "--admin-token",
            ADMIN,
            "--data",
            &data_arg,
        ],
    );
    let line = vigil.wait_for_line("/api/v1/alerts", Duration::from_secs(60));
    let url = line.split_whitespace().last().unwrap().to_owned();

    // While it runs, the API answers the administrator.
    let resp = reqwest::blocking::Client::new()
        .get(&url)
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);

    let status = vigil.child.wait().unwrap();
    assert!(status.success(), "demo exited with {status}");

    let truth = std::fs::read_to_string(data.join("ground-truth.jsonl")).unwrap();
    let stories: Vec<Value> = truth
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tenants: BTreeSet<&str> = stories
        .iter()
        .map(|s| s["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants.len(), 3, "every client has a story: {tenants:?}");

    // Read the alerts back from the store the demo left behind.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let alerts = runtime.block_on(async {
        let store =
            vigil_store::sqlite::SqliteStore::open(&data.join("vigil.db"), Default::default())
                .unwrap();
        use vigil_store::Store;
        store
            .alerts(&vigil_store::AlertQuery::all_in(
                vigil_store::TenantScope::All,
                vigil_store::MAX_PAGE_SIZE,
            ))
            .await
            .unwrap()
            .items
    });
    let raised: BTreeSet<(String, String)> = alerts
        .iter()
        .map(|a| (a.tenant.to_string(), a.rule_id.clone()))
        .collect();
    let mut missing = Vec::new();
    for story in &stories {
        for rule in story["expected_rules"].as_array().unwrap() {
            let key = (
                story["tenant"].as_str().unwrap().to_owned(),
                rule.as_str().unwrap().to_owned(),
            );
            if !raised.contains(&key) {
                missing.push(format!("{} {} ({})", key.0, key.1, story["story"]));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "stories without their alerts: {missing:#?}"
    );

    // The demo's analyst opened incidents for the stories that become one,
    // and every client has one that is significant under NIS-2 (its Art. 23
    // deadlines running) and one that is not.
    let incidents = runtime.block_on(async {
        let store =
            vigil_store::sqlite::SqliteStore::open(&data.join("vigil.db"), Default::default())
                .unwrap();
        use vigil_store::DeskStore;
        let mut q = vigil_store::RecordQuery::new("incident", vigil_store::TenantScope::All);
        q.limit = vigil_store::MAX_PAGE_SIZE;
        store.desk_records(&q).await.unwrap()
    });
    let mut sides: BTreeSet<(String, bool)> = BTreeSet::new();
    for record in &incidents {
        let incident = &record.body;
        let nis2 = &incident["nis2"];
        assert!(nis2["confirmation"].is_object(), "decided: {incident}");
        let significant = nis2["confirmation"]["significant"].as_bool().unwrap();
        sides.insert((incident["tenant"].as_str().unwrap().to_owned(), significant));
    }
    for tenant in &tenants {
        for significant in [true, false] {
            assert!(
                sides.contains(&((*tenant).to_owned(), significant)),
                "{tenant} has no {} incident: {sides:?}",
                if significant {
                    "significant"
                } else {
                    "non-significant"
                }
            );
        }
    }
}
