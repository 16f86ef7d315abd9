use super::*;
use crate::Actor;
use crate::sop::{SopFormat, SopLibrary, SopRun, StepOutcome};
use vigil_model::{Alert, Category, Severity, Timestamp};
use vigil_store::Role;

const BUILTIN: &str = include_str!("../../sops/procedures.toml");

fn t(min: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + chrono::Duration::minutes(min)
}

fn alarm(rule: &str, site: Option<&str>) -> Alarm {
    let tenant = TenantId::new("northgate").unwrap();
    Alarm::from_alert(
        &Alert {
            id: vigil_model::alert_id_for(&tenant, rule, "", t(0)),
            tenant,
            site: site.map(|s| SiteId::new(s).unwrap()),
            rule_id: rule.into(),
            rule_title: rule.into(),
            severity: Severity::High,
            status: vigil_model::AlertStatus::New,
            group_key: String::new(),
            window_start: t(0),
            first_seen: t(0),
            last_seen: t(0),
            event_count: 1,
            entities: vec![],
            evidence: vec![],
            created_at: t(0),
            updated_at: t(0),
        },
        t(0),
    )
}

fn plan() -> ResponsePlan {
    toml::from_str(
        r#"
guard = { name = "Mobile patrol", phone = "+49 30 5550100" }
police = { name = "Polizei", phone = "110", procedures = ["intrusion"] }
required_before_close = ["verify-camera", "intrusion/call-keyholders"]
[[keyholders]]
name = "Jonas"
phone = "+49 170 5550101"
sites = ["berlin"]
[[keyholders]]
name = "Mara"
phone = "+49 170 5550102"
[[keyholders]]
name = "Olaf"
phone = "+49 170 5550103"
sites = ["hamburg"]
[[contacts]]
name = "Anna"
role = "Head of security"
phone = "+49 30 5550199"
"#,
    )
    .unwrap()
}

fn library() -> SopLibrary {
    let mut lib = SopLibrary::default();
    lib.add(
        "procedures.toml",
        SopLibrary::parse("procedures.toml", BUILTIN, SopFormat::Toml).unwrap(),
    )
    .unwrap();
    lib
}

const INTRUSION: &str = "9c01e7fc-0f7a-468b-b92e-e62788e7b046";

#[test]
fn every_built_in_alarm_type_has_its_procedure() {
    let lib = library();
    let cases = [
        (INTRUSION, None, "intrusion"),
        ("8df75348-a5a9-4fb8-ad9c-8f5818ac6417", None, "intrusion"),
        ("638c8a3c-6b9d-4723-8e03-84a6db87f44f", None, "path-loss"),
        ("15dd5974-2a8d-4baf-8695-9b32aa3355d1", None, "door"),
        ("3eb609a1-e515-4792-a438-8052743dff6e", None, "door"),
        (
            "b4d4c47e-ab65-46c9-99fc-eaa29a41f86d",
            None,
            "camera-tamper",
        ),
        ("75830c89-a8ad-4311-9a3b-4bf88972e125", None, "fire"),
        (
            "e881bd9e-a32a-412e-b2e4-a72c0c968b0c",
            None,
            "environmental",
        ),
        (
            "d68f8d25-e3c8-4473-8f77-cb9f818ab2b2",
            None,
            "terminated-badge",
        ),
        ("ea4bd46c-e49d-4821-a1c9-38dbca522782", None, "cyber"),
        // A Sigma rule from a configured folder: by its category.
        ("some-windows-rule", Some(Category::Cyber), "cyber"),
        (
            "some-sensor-rule",
            Some(Category::Environmental),
            "environmental",
        ),
    ];
    for (rule, kind, want) in cases {
        let got = lib
            .select_for(&alarm(rule, None), kind)
            .map(|s| s.id.as_str());
        assert_eq!(got, Some(want), "rule {rule}");
    }
    assert!(
        lib.select_for(&alarm("unknown", None), Some(Category::Physical))
            .is_none()
    );
}

#[test]
fn call_lists_come_from_the_plan_in_order_and_for_the_site() {
    let lib = library();
    let plan = plan();
    plan.validate(&TenantId::new("northgate").unwrap()).unwrap();
    let sop = lib.get("intrusion", 1).unwrap();
    let p = Procedure::resolve(sop, &alarm(INTRUSION, Some("berlin")), Some(&plan));
    let step = |id: &str| p.steps.iter().find(|s| s.id == id);
    let keyholders: Vec<&str> = step("call-keyholders")
        .unwrap()
        .calls
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(keyholders, ["Jonas", "Mara"]);
    assert_eq!(step("call-police").unwrap().calls[0].phone, "110");
    assert_eq!(
        step("dispatch-guard").unwrap().calls[0].name,
        "Mobile patrol"
    );
    assert_eq!(
        step("notify-client").unwrap().calls[0].role.as_deref(),
        Some("Head of security")
    );
    assert!(step("verify-camera").unwrap().before_close);
    assert!(step("call-keyholders").unwrap().before_close);
    assert!(!step("dispatch-guard").unwrap().before_close);

    // The contract calls the police for intrusions only: the door
    // procedure's police step is left out, and its keyholder call is not
    // required before closing.
    let door = Procedure::resolve(
        lib.get("door", 1).unwrap(),
        &alarm("15dd5974-2a8d-4baf-8695-9b32aa3355d1", Some("hamburg")),
        Some(&plan),
    );
    assert!(door.steps.iter().all(|s| s.id != "call-police"));
    let keyholders = door
        .steps
        .iter()
        .find(|s| s.id == "call-keyholders")
        .unwrap();
    assert!(!keyholders.before_close);
    assert_eq!(
        keyholders
            .calls
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Mara", "Olaf"]
    );

    // No plan at all: empty lists, no emergency services, nothing required.
    let bare = Procedure::resolve(sop, &alarm(INTRUSION, None), None);
    assert!(
        bare.steps
            .iter()
            .all(|s| s.calls.is_empty() && !s.before_close)
    );
    assert!(bare.steps.iter().all(|s| s.call != Some(CallList::Police)));
}

#[test]
fn required_steps_cannot_be_skipped_and_stay_outstanding_until_recorded() {
    let lib = library();
    let plan = plan();
    let a = alarm(INTRUSION, Some("berlin"));
    let p = Procedure::resolve(lib.get("intrusion", 1).unwrap(), &a, Some(&plan));
    let op = Actor::person("alice", Role::ProviderOperator, None);
    let run = SopRun::start(&op, "run-1".into(), &p, &a, t(1)).unwrap();
    assert_eq!(
        outstanding(&run.steps),
        [
            format!("`verify-camera` ({})", run.steps[0].title),
            format!("`call-keyholders` ({})", run.steps[2].title),
        ]
    );
    let err = run
        .record(
            &op,
            "verify-camera",
            StepOutcome::Skipped,
            Some("no camera"),
            t(2),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be skipped"), "{err}");
    let run = run
        .record(&op, "verify-camera", StepOutcome::Done, None, t(2))
        .unwrap();
    let run = run
        .record(&op, "call-police", StepOutcome::Done, None, t(3))
        .unwrap();
    assert_eq!(outstanding(&run.steps).len(), 1);
    // Tried and failed, with a note, counts: nobody answered.
    assert!(
        run.record(&op, "call-keyholders", StepOutcome::Failed, None, t(4))
            .is_err()
    );
    let run = run
        .record(
            &op,
            "call-keyholders",
            StepOutcome::Failed,
            Some("no answer from either"),
            t(4),
        )
        .unwrap();
    assert!(outstanding(&run.steps).is_empty());
}

#[test]
fn a_bad_plan_is_refused_naming_the_field() {
    let client = TenantId::new("northgate").unwrap();
    let mut p = plan();
    p.keyholders[1].phone = " ".into();
    let err = p.validate(&client).unwrap_err().to_string();
    assert!(
        err.contains("keyholders[1].phone") && err.contains("northgate"),
        "{err}"
    );
    let mut p = plan();
    p.required_before_close.push("a/b/c".into());
    assert!(
        p.validate(&client)
            .unwrap_err()
            .to_string()
            .contains("a/b/c")
    );
    assert!(toml::from_str::<ResponsePlan>("colour = 1").is_err());
}
