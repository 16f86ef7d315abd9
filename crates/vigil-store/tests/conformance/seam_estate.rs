//! The estate's records through the seam: the people register (replaced
//! whole, scoped, refusing a badge given twice), devices, panel accounts,
//! supervision; a site's recent physical events; and correlation state that
//! survives a restart.

use serde_json::json;
use vigil_model::{EventClass, PersonStatus, SiteId, SourceId, Tenant, TenantId};
use vigil_store::{
    DeviceRecord, NodeStore, PanelAccountRecord, PersonRecord, SupervisionRecord, TenantScope,
};

use crate::backend::Backend;
use crate::fixtures::{batch, event};

fn person(id: &str, badges: &[&str], accounts: &[&str], status: PersonStatus) -> PersonRecord {
    PersonRecord {
        tenant: TenantId::new("acme").unwrap(),
        id: id.into(),
        name: format!("Person {id}"),
        status,
        status_from: Some(chrono::Utc::now().date_naive() - chrono::Duration::days(3)),
        status_until: None,
        badges: badges.iter().map(|s| s.to_string()).collect(),
        accounts: accounts.iter().map(|s| s.to_string()).collect(),
    }
}

async fn store(b: &Backend) -> &dyn NodeStore {
    let s = b.store();
    for t in ["acme", "other"] {
        s.upsert_tenant(&Tenant {
            id: TenantId::new(t).unwrap(),
            name: t.into(),
        })
        .await
        .unwrap();
    }
    s
}

pub async fn the_register_is_replaced_whole_and_scoped(b: &mut Backend) {
    let s = store(b).await;
    let acme = TenantId::new("acme").unwrap();
    let before = s.people_revision().await.unwrap();
    let first = s
        .replace_people(
            &acme,
            &[
                person("p1", &["1001", "1002"], &["ann"], PersonStatus::Active),
                person("p2", &["2001"], &[], PersonStatus::Terminated),
            ],
        )
        .await
        .unwrap();
    assert_eq!((first.people, first.badges, first.accounts), (2, 3, 1));
    assert_eq!(first.revision, before + 1);
    let again = s
        .replace_people(
            &acme,
            &[person("p2", &["2001"], &["bob"], PersonStatus::OnLeave)],
        )
        .await
        .unwrap();
    assert_eq!(again.people, 1);
    let people = s.people(&TenantScope::All).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].status, PersonStatus::OnLeave);
    assert_eq!(people[0].accounts, vec!["bob".to_string()]);
    assert!(
        s.people(&TenantScope::One(TenantId::new("other").unwrap()))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.people_revision().await.unwrap(), before + 2);
}

pub async fn one_badge_for_two_people_is_refused_and_nothing_changes(b: &mut Backend) {
    let s = store(b).await;
    let acme = TenantId::new("acme").unwrap();
    s.replace_people(&acme, &[person("p1", &["1001"], &[], PersonStatus::Active)])
        .await
        .unwrap();
    let err = s
        .replace_people(
            &acme,
            &[
                person("p2", &["2001"], &[], PersonStatus::Active),
                person("p3", &["2001"], &[], PersonStatus::Active),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("badge `2001` of person `p3`"),
        "{err}"
    );
    let people = s.people(&TenantScope::All).await.unwrap();
    assert_eq!(
        people.len(),
        1,
        "the failed import left the register as it was"
    );
    assert_eq!(people[0].id, "p1");
}

pub async fn devices_panels_and_supervision_round_trip(b: &mut Backend) {
    let s = store(b).await;
    let acme = TenantId::new("acme").unwrap();
    let device = DeviceRecord {
        tenant: acme.clone(),
        id: "cam-1".into(),
        site: None,
        kind: "camera".into(),
        zone: Some("hall".into()),
        name: None,
        covers_door: Some("door-1".into()),
        heartbeat_secs: Some(300),
    };
    s.upsert_devices(std::slice::from_ref(&device))
        .await
        .unwrap();
    assert_eq!(s.devices(&TenantScope::All).await.unwrap(), vec![device]);
    let account = PanelAccountRecord {
        tenant: acme.clone(),
        source: SourceId::new("acme-arc").unwrap(),
        account: "1234".into(),
        site: None,
        panel: "panel-1234".into(),
        category: Some("SP4".into()),
        encrypted: true,
    };
    s.upsert_panel_accounts(std::slice::from_ref(&account))
        .await
        .unwrap();
    assert_eq!(
        s.panel_accounts(&TenantScope::One(acme.clone()))
            .await
            .unwrap(),
        vec![account]
    );
    let t = crate::fixtures::t(0);
    let state = SupervisionRecord {
        tenant: acme,
        source: SourceId::new("acme-arc").unwrap(),
        site: None,
        device: "panel-1234".into(),
        device_type: "intrusion_panel".into(),
        interval_secs: 180,
        last_seen: t,
        lost_since: Some(t + chrono::Duration::minutes(3)),
        armed: Some(true),
    };
    s.save_supervision(std::slice::from_ref(&state))
        .await
        .unwrap();
    s.save_supervision(std::slice::from_ref(&state))
        .await
        .unwrap();
    assert_eq!(s.supervision(&TenantScope::All).await.unwrap(), vec![state]);
}

pub async fn recent_site_events_are_physical_of_the_site_newest_first_and_bounded(b: &mut Backend) {
    let store = b.store();
    let physical = |site: &str, class: EventClass, secs: i64, device: &str| {
        let mut e = event("t", secs, json!({ "door": device }));
        e.site = Some(SiteId::new(site).unwrap());
        e.class = class;
        e.source.device = Some(device.into());
        e
    };
    let events = vec![
        physical("lon1", EventClass::PhysicalAccess, 1, "d1"),
        physical("lon1", EventClass::Authentication, 2, "host"),
        physical("lon1", EventClass::IntrusionAlarm, 3, "p1"),
        physical("man1", EventClass::PhysicalAccess, 4, "d9"),
        physical("lon1", EventClass::PhysicalAccess, 5, "d2"),
    ];
    store.commit(batch(events)).await.unwrap();
    let (t, lon1) = (TenantId::new("t").unwrap(), SiteId::new("lon1").unwrap());
    let since = crate::fixtures::t(0);
    let got = store
        .recent_site_events(&t, &lon1, since, 10)
        .await
        .unwrap();
    let devices: Vec<_> = got.iter().map(|e| e.device.as_deref().unwrap()).collect();
    assert_eq!(devices, ["d2", "p1", "d1"]);
    assert_eq!(got[0].fields["door"], "d2");
    let got = store.recent_site_events(&t, &lon1, since, 2).await.unwrap();
    assert_eq!(got.len(), 2);
    let later = crate::fixtures::t(4);
    let got = store
        .recent_site_events(&t, &lon1, later, 10)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
}

pub async fn correlation_state_is_replaced_whole_and_survives_reopening(b: &mut Backend) {
    let t0 = crate::fixtures::t(0);
    {
        let store = b.store();
        assert_eq!(
            store.load_correlation_state("pipeline").await.unwrap(),
            None
        );
        store
            .save_correlation_state("pipeline", b"first".to_vec(), t0)
            .await
            .unwrap();
        store
            .save_correlation_state("pipeline", b"second".to_vec(), t0)
            .await
            .unwrap();
        store
            .save_correlation_state("other", b"x".to_vec(), t0)
            .await
            .unwrap();
    }
    b.reopen().await;
    let store = b.store();
    let saved = store
        .load_correlation_state("pipeline")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.snapshot, b"second");
    assert_eq!(saved.saved_at, t0);
    assert_eq!(
        store
            .load_correlation_state("other")
            .await
            .unwrap()
            .unwrap()
            .snapshot,
        b"x"
    );
}
