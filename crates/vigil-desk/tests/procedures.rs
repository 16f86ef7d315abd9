//! Procedures by alarm type over a real store: the procedure is there
//! before acknowledgement, with the client's keyholders in order; the desk
//! refuses to close an alarm while a step the client's contract requires is
//! outstanding, naming the steps; each step recorded is audited.

mod common;

use common::*;
use vigil_desk::alarm::{AlarmCommand, AlarmStatus, Verdict};
use vigil_desk::procedure::ResponsePlan;
use vigil_desk::sop::StepOutcome;
use vigil_desk::{Actor, DeskConfig, DeskError};
use vigil_model::{EntityKind, Severity};
use vigil_store::{DeskStore, Role, TenantScope};

/// The built-in "Door Forced Open" rule.
const DOOR_FORCED: &str = "15dd5974-2a8d-4baf-8695-9b32aa3355d1";

fn op(name: &str) -> Actor {
    Actor::person(name, Role::ProviderOperator, None)
}

fn plan() -> ResponsePlan {
    toml::from_str(
        r#"
guard = { name = "Mobile patrol", phone = "+49 30 5550100" }
required_before_close = ["verify-camera", "door/call-keyholders"]
[[keyholders]]
name = "Jonas"
phone = "+49 170 5550101"
sites = ["hq"]
[[keyholders]]
name = "Mara"
phone = "+49 170 5550102"
[[keyholders]]
name = "Elsewhere"
phone = "+49 170 5550103"
sites = ["branch"]
"#,
    )
    .unwrap()
}

fn close() -> AlarmCommand {
    AlarmCommand::Close {
        verdict: Verdict::TruePositive,
        note: None,
    }
}

#[tokio::test]
async fn a_procedure_blocks_closing_until_its_required_steps_are_done() {
    let w = world(DeskConfig::default()).await;
    w.desk
        .set_response_plans([(tenant(A), plan())].into_iter().collect());
    let alert = raise(
        &w.store,
        A,
        DOOR_FORCED,
        Severity::High,
        EntityKind::Door,
        "d1",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();

    // Before anyone acknowledges: the door procedure, keyholders of the
    // site in order, two steps required before closing.
    let view = w
        .desk
        .alarm_procedure(&op("alice"), alert.id)
        .await
        .unwrap();
    assert!(view.run.is_none());
    let procedure = view.procedure.expect("the door procedure");
    assert_eq!(procedure.sop_id, "door");
    let keyholders = procedure
        .steps
        .iter()
        .find(|s| s.id == "call-keyholders")
        .unwrap();
    let names: Vec<&str> = keyholders.calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Jonas", "Mara"]);
    assert_eq!(view.outstanding.len(), 2);
    // A client viewer sees its own alarm's procedure; another client's is not found.
    let viewer = Actor::person("v", Role::ClientViewer, Some(tenant(A)));
    assert!(w.desk.alarm_procedure(&viewer, alert.id).await.is_ok());
    let other = Actor::person("v", Role::ClientViewer, Some(tenant(B)));
    assert!(matches!(
        w.desk.alarm_procedure(&other, alert.id).await,
        Err(DeskError::NotFound { .. })
    ));

    w.desk
        .alarm_command(&op("alice"), alert.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    let err = w
        .desk
        .alarm_command(&op("alice"), alert.id, close())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, DeskError::Transition { .. }), "{text}");
    assert!(
        text.contains("`verify-camera`") && text.contains("`call-keyholders`"),
        "{text}"
    );
    let alarm = w.desk.alarm(&op("alice"), alert.id).await.unwrap();
    assert_eq!(
        alarm.status,
        AlarmStatus::Acknowledged,
        "the refusal changed nothing"
    );

    let run = w.desk.sop_runs(&op("alice"), alert.id).await.unwrap();
    assert_eq!(run.len(), 1);
    let run = &run[0];
    let err = w
        .desk
        .sop_step(
            &op("alice"),
            &run.id,
            "verify-camera",
            StepOutcome::Skipped,
            Some("no camera"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot be skipped"), "{err}");
    w.desk
        .sop_step(
            &op("alice"),
            &run.id,
            "verify-camera",
            StepOutcome::Done,
            None,
        )
        .await
        .unwrap();
    let text = w
        .desk
        .alarm_command(&op("alice"), alert.id, close())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("`call-keyholders`") && !text.contains("`verify-camera`"),
        "{text}"
    );
    w.desk
        .sop_step(
            &op("alice"),
            &run.id,
            "call-keyholders",
            StepOutcome::Done,
            None,
        )
        .await
        .unwrap();
    assert!(
        w.desk
            .alarm_procedure(&op("alice"), alert.id)
            .await
            .unwrap()
            .outstanding
            .is_empty()
    );
    let closed = w
        .desk
        .alarm_command(&op("alice"), alert.id, close())
        .await
        .unwrap();
    assert_eq!(closed.status, AlarmStatus::Closed);

    // Each step recorded is on the record, with its outcome.
    let entries = w
        .store
        .audit_entries(&TenantScope::All, None, 1000)
        .await
        .unwrap();
    let steps: Vec<String> = entries
        .iter()
        .filter(|e| e.action == "sop_run.step")
        .map(|e| {
            let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
            detail["step"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        steps.contains(&"verify-camera".to_owned())
            && steps.contains(&"call-keyholders".to_owned())
    );
}

#[tokio::test]
async fn without_a_plan_nothing_blocks_closing() {
    let w = world(DeskConfig::default()).await;
    let alert = raise(
        &w.store,
        B,
        DOOR_FORCED,
        Severity::High,
        EntityKind::Door,
        "d2",
        0,
    )
    .await;
    w.desk.triage_once().await.unwrap();
    let view = w.desk.alarm_procedure(&op("bob"), alert.id).await.unwrap();
    assert_eq!(view.procedure.map(|p| p.sop_id).as_deref(), Some("door"));
    assert!(view.outstanding.is_empty());
    w.desk
        .alarm_command(&op("bob"), alert.id, AlarmCommand::Acknowledge)
        .await
        .unwrap();
    w.desk
        .alarm_command(&op("bob"), alert.id, close())
        .await
        .unwrap();
}
