//! The SLA calendar reads work orders, on a running desk: an alarm about a
//! camera whose upgrade the client approved does not run its clocks while
//! the work order's window is open (and runs again once the outcome is
//! recorded), while an alarm about anything else breaches as usual; an
//! incident pauses the same way while everything it concerns is in the
//! window, and runs on if it also concerns a device outside it.

mod common;

use chrono::Duration;
use common::{A, raise, t0, tenant, world};
use vigil_contract::{ClockState, ContractConfig, ContractSet, Measure, PauseState};
use vigil_desk::alarm::Alarm;
use vigil_desk::incident::{Category, Incident, IncidentCommand, NewIncident};
use vigil_desk::service::{Desk, ServiceLevels, WorkOrderPlan};
use vigil_desk::{Actor, DeskConfig};
use vigil_lifecycle::work_order::{DeviceRef, WorkKind, WorkStatus};
use vigil_model::{EntityKind, Severity, SiteId};
use vigil_store::{DeskStore, RecordQuery, Role, TenantScope};

fn provider() -> Actor {
    Actor::person("olga", Role::ProviderOperator, None)
}

fn levels() -> ServiceLevels {
    let contract = ContractConfig::from_toml_str(
        A,
        r#"
        [classes.P1]
        acknowledge = "5m"
        resolve = "4h"
        [[rules]]
        min_score = 0
        class = "P1"
        "#,
    )
    .unwrap()
    .validate(A, None)
    .unwrap();
    let mut contracts = ContractSet::default();
    contracts.insert(tenant(A), contract);
    ServiceLevels {
        contracts,
        ..Default::default()
    }
}

fn acknowledge(desk: &Desk, alarm: &Alarm) -> vigil_contract::SlaReading {
    desk.alarm_sla(alarm)
        .clocks
        .into_iter()
        .find(|c| c.measure == Measure::Acknowledge)
        .unwrap()
}

#[tokio::test]
async fn an_approved_upgrade_pauses_its_cameras_alarm_clocks() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_service_levels(levels());
    d.import_inventory(
        &provider(),
        &tenant(A),
        "site,device_id,kind,vendor,model,firmware\nhq,cam-7,camera,Axis,P3245-V,10.12.1\n",
        None,
    )
    .await
    .unwrap();
    let camera = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-7",
        0,
    )
    .await;
    let door = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    d.triage_once().await.unwrap();

    // The upgrade starts two minutes after the alarms, for an hour.
    let order = d
        .plan_work(
            &provider(),
            &tenant(A),
            WorkOrderPlan {
                kind: WorkKind::FirmwareUpgrade,
                description: "cam-7 to 10.13.0".into(),
                starts_at: t0() + Duration::minutes(2),
                ends_at: t0() + Duration::minutes(62),
                devices: vec![DeviceRef {
                    site: SiteId::new("hq").unwrap(),
                    device: "cam-7".into(),
                }],
                approver: "northgate-facilities".into(),
            },
        )
        .await
        .unwrap();
    // Planned, not approved: the clocks run on.
    w.clock.advance(Duration::minutes(3));
    let cam = d.alarm(&provider(), camera.id).await.unwrap();
    assert_eq!(acknowledge(d, &cam).state, ClockState::Running);
    let admin = Actor::person("northgate-facilities", Role::ClientAdmin, Some(tenant(A)));
    d.approve_work(&admin, &tenant(A), &order.id).await.unwrap();

    // Ten minutes in: the camera's clock stopped at two, the door's breached.
    w.clock.advance(Duration::minutes(7));
    let paused = acknowledge(d, &cam);
    assert_eq!(paused.state, ClockState::Paused);
    let pause = paused.pause.expect("a pause");
    assert_eq!(pause.state, PauseState::PlannedMaintenance);
    assert_eq!(pause.since, t0() + Duration::minutes(2));
    assert!(pause.reason.contains(&order.id), "{}", pause.reason);
    let door_alarm = d.alarm(&provider(), door.id).await.unwrap();
    assert_eq!(acknowledge(d, &door_alarm).state, ClockState::Breached);
    d.check_service_levels().await.unwrap();
    let mut q = RecordQuery::new("sla_crossing", TenantScope::All);
    q.limit = 100;
    let crossed: Vec<String> = w
        .store
        .desk_records(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(!crossed.is_empty());
    assert!(
        crossed
            .iter()
            .all(|id| !id.contains(&camera.id.to_string())),
        "the camera's alarm crossed nothing: {crossed:?}"
    );

    // Done at ten minutes: the clock runs again, two minutes counted, so
    // due three minutes later.
    d.record_work(
        &provider(),
        &tenant(A),
        &order.id,
        WorkStatus::Done,
        "upgraded",
        Some("10.13.0".into()),
    )
    .await
    .unwrap();
    let resumed = acknowledge(d, &cam);
    assert_eq!(resumed.state, ClockState::Running);
    assert_eq!(resumed.due, Some(t0() + Duration::minutes(13)));
    w.clock.advance(Duration::minutes(4));
    assert_eq!(acknowledge(d, &cam).state, ClockState::Breached);
}

fn incident_acknowledge(desk: &Desk, incident: &Incident) -> vigil_contract::SlaReading {
    desk.incident_sla(incident)
        .clocks
        .into_iter()
        .find(|c| c.measure == Measure::Acknowledge)
        .unwrap()
}

#[tokio::test]
async fn an_incident_about_the_camera_alone_pauses_while_its_upgrade_runs() {
    let w = world(DeskConfig::default()).await;
    let d = &w.desk;
    d.set_service_levels(levels());
    d.import_inventory(
        &provider(),
        &tenant(A),
        "site,device_id,kind,vendor,model,firmware\nhq,cam-7,camera,Axis,P3245-V,10.12.1\n",
        None,
    )
    .await
    .unwrap();
    let camera = raise(
        &w.store,
        A,
        "cam-tamper",
        Severity::High,
        EntityKind::Camera,
        "cam-7",
        0,
    )
    .await;
    let door = raise(
        &w.store,
        A,
        "door-forced",
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    d.triage_once().await.unwrap();
    let open = |title: &str, alarms: Vec<vigil_model::AlertId>| NewIncident {
        tenant: tenant(A),
        title: title.into(),
        severity: Severity::High,
        category: Category::Physical,
        sites: vec![],
        assets: vec![],
        alarms,
    };
    let cam_only = d
        .open_incident(&provider(), open("Camera tampered", vec![camera.id]))
        .await
        .unwrap();
    let cam_and_door = d
        .open_incident(
            &provider(),
            open("Camera tampered, door forced", vec![camera.id]),
        )
        .await
        .unwrap();
    // The door is linked afterwards: it counts as much as at the opening.
    let cam_and_door = d
        .incident_command(
            &provider(),
            &cam_and_door.id,
            IncidentCommand::LinkAlarm { alarm: door.id },
        )
        .await
        .unwrap();
    assert_eq!(cam_and_door.linked.len(), 2);

    let order = d
        .plan_work(
            &provider(),
            &tenant(A),
            WorkOrderPlan {
                kind: WorkKind::FirmwareUpgrade,
                description: "cam-7 to 10.13.0".into(),
                starts_at: t0() + Duration::minutes(2),
                ends_at: t0() + Duration::minutes(62),
                devices: vec![DeviceRef {
                    site: SiteId::new("hq").unwrap(),
                    device: "cam-7".into(),
                }],
                approver: "northgate-facilities".into(),
            },
        )
        .await
        .unwrap();
    // Planned, not approved: nothing pauses.
    w.clock.advance(Duration::minutes(3));
    assert_eq!(
        incident_acknowledge(d, &cam_only).state,
        ClockState::Running
    );
    let admin = Actor::person("northgate-facilities", Role::ClientAdmin, Some(tenant(A)));
    d.approve_work(&admin, &tenant(A), &order.id).await.unwrap();

    // Ten minutes in: the camera's incident paused at two, saying why; the
    // one that also concerns the door breached at five.
    w.clock.advance(Duration::minutes(7));
    let paused = incident_acknowledge(d, &cam_only);
    assert_eq!(paused.state, ClockState::Paused);
    let pause = paused.pause.expect("a pause");
    assert_eq!(pause.state, PauseState::PlannedMaintenance);
    assert_eq!(pause.since, t0() + Duration::minutes(2));
    assert!(pause.reason.contains(&order.id), "{}", pause.reason);
    assert_eq!(
        incident_acknowledge(d, &cam_and_door).state,
        ClockState::Breached
    );
    d.check_service_levels().await.unwrap();
    let mut q = RecordQuery::new("sla_crossing", TenantScope::All);
    q.limit = 100;
    let crossed: Vec<String> = w
        .store
        .desk_records(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(
        crossed
            .iter()
            .any(|id| id.starts_with(&format!("incident:{}:", cam_and_door.id))),
        "{crossed:?}"
    );
    assert!(
        crossed
            .iter()
            .all(|id| !id.starts_with(&format!("incident:{}:", cam_only.id))),
        "the camera's incident crossed nothing: {crossed:?}"
    );

    // Done at ten minutes: it runs again, two minutes counted, due at 13.
    d.record_work(
        &provider(),
        &tenant(A),
        &order.id,
        WorkStatus::Done,
        "upgraded",
        Some("10.13.0".into()),
    )
    .await
    .unwrap();
    let resumed = incident_acknowledge(d, &cam_only);
    assert_eq!(resumed.state, ClockState::Running);
    assert_eq!(resumed.due, Some(t0() + Duration::minutes(13)));
    w.clock.advance(Duration::minutes(4));
    assert_eq!(
        incident_acknowledge(d, &cam_only).state,
        ClockState::Breached
    );
}
