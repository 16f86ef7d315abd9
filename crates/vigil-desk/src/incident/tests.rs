use super::*;
use vigil_store::Role;

fn t(min: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + chrono::Duration::minutes(min)
}

fn tenant() -> TenantId {
    TenantId::new("northgate").unwrap()
}

fn op() -> Actor {
    Actor::person("alice", Role::ProviderOperator, None)
}

fn lead() -> Actor {
    Actor::person("lee", Role::ProviderLead, None)
}

fn incident() -> Incident {
    Incident::open(
        &op(),
        "inc-1".into(),
        NewIncident {
            tenant: tenant(),
            title: "Data hall door forced".into(),
            severity: Severity::High,
            category: Category::Physical,
            sites: vec![],
            assets: vec!["door-1".into()],
            alarms: vec![],
        },
        t(0),
    )
    .unwrap()
}

fn advance(to: IncidentState) -> IncidentCommand {
    IncidentCommand::Advance { to }
}

fn close(resolution: ResolutionKind) -> IncidentCommand {
    IncidentCommand::Close {
        resolution,
        summary: "door repaired".into(),
        lessons_learned: "camera coverage".into(),
    }
}

#[test]
fn the_lifecycle_moves_one_step_at_a_time() {
    let mut i = incident();
    for to in [
        IncidentState::Triaged,
        IncidentState::Contained,
        IncidentState::Eradicated,
        IncidentState::Recovered,
    ] {
        // Skipping ahead is refused with the expected next state.
        if let Some(after) = to.next().filter(|n| *n != IncidentState::Closed) {
            let msg = i
                .apply(&op(), &advance(after), t(1))
                .unwrap_err()
                .to_string();
            assert!(
                msg.contains(&format!("the next state is {}", to.as_str())),
                "{msg}"
            );
        }
        i = i.apply(&op(), &advance(to), t(1)).unwrap();
        assert_eq!(i.state, to);
    }
    let msg = i
        .apply(&op(), &advance(IncidentState::Closed), t(2))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("resolution"), "{msg}");
    assert!(
        matches!(
            i.apply(&op(), &close(ResolutionKind::Resolved), t(2)),
            Err(DeskError::Forbidden { .. })
        ),
        "operators do not close"
    );
    let closed = i
        .apply(&lead(), &close(ResolutionKind::Resolved), t(2))
        .unwrap();
    assert_eq!(closed.state, IncidentState::Closed);
    assert_eq!(closed.lessons_learned.as_deref(), Some("camera coverage"));
    assert!(
        closed
            .apply(&op(), &advance(IncidentState::Triaged), t(3))
            .unwrap_err()
            .to_string()
            .contains("reopen it first")
    );
    assert!(
        closed
            .apply(
                &lead(),
                &IncidentCommand::Reopen { reason: "".into() },
                t(3)
            )
            .is_err()
    );
    let reopened = closed
        .apply(
            &lead(),
            &IncidentCommand::Reopen {
                reason: "door forced again".into(),
            },
            t(3),
        )
        .unwrap();
    assert_eq!(
        (
            reopened.state,
            reopened.reopened,
            reopened.resolution.clone()
        ),
        (IncidentState::Triaged, 1, None)
    );
    assert!(
        reopened
            .activity
            .iter()
            .any(|a| a.action == "reopen" && a.text.contains("forced again"))
    );
    assert!(
        reopened
            .apply(
                &lead(),
                &IncidentCommand::Reopen {
                    reason: "again".into()
                },
                t(4)
            )
            .unwrap_err()
            .to_string()
            .contains("only closed")
    );
}

#[test]
fn early_close_only_as_false_alarm_or_duplicate_with_lessons() {
    let i = incident();
    assert!(
        i.apply(&lead(), &close(ResolutionKind::Resolved), t(1))
            .unwrap_err()
            .to_string()
            .contains("closes from recovered")
    );
    assert!(
        i.apply(&lead(), &close(ResolutionKind::FalseAlarm), t(1))
            .is_ok()
    );
    let no_lessons = IncidentCommand::Close {
        resolution: ResolutionKind::Duplicate,
        summary: "dup".into(),
        lessons_learned: " ".into(),
    };
    assert!(
        i.apply(&lead(), &no_lessons, t(1))
            .unwrap_err()
            .to_string()
            .contains("lessons_learned")
    );
}

#[test]
fn notes_tasks_observables_and_who_may_add_them() {
    let i = incident();
    let client_admin = Actor::person("ca", Role::ClientAdmin, Some(tenant()));
    let noted = i
        .apply(
            &client_admin,
            &IncidentCommand::Note {
                text: "guard on site".into(),
            },
            t(1),
        )
        .unwrap();
    assert_eq!(noted.activity.last().unwrap().actor, "ca");
    assert!(
        i.apply(
            &client_admin,
            &IncidentCommand::AddTask {
                title: "x".into(),
                assignee: None
            },
            t(1)
        )
        .is_err()
    );
    let other = Actor::person(
        "x",
        Role::ClientAdmin,
        Some(TenantId::new("riverside").unwrap()),
    );
    assert!(
        i.apply(&other, &IncidentCommand::Note { text: "hi".into() }, t(1))
            .is_err()
    );
    let viewer = Actor::person("v", Role::ClientViewer, Some(tenant()));
    assert!(
        i.apply(&viewer, &IncidentCommand::Note { text: "hi".into() }, t(1))
            .is_err()
    );
    let with_task = noted
        .apply(
            &op(),
            &IncidentCommand::AddTask {
                title: "check footage".into(),
                assignee: Some("bob".into()),
            },
            t(2),
        )
        .unwrap();
    let done = with_task
        .apply(&op(), &IncidentCommand::CompleteTask { task: 1 }, t(3))
        .unwrap();
    assert!(done.tasks[0].done.is_some());
    assert!(
        done.apply(&op(), &IncidentCommand::CompleteTask { task: 1 }, t(4))
            .is_err()
    );
    assert!(
        done.apply(&op(), &IncidentCommand::CompleteTask { task: 9 }, t(4))
            .is_err()
    );
    let obs = IncidentCommand::Observe {
        observable: Observable {
            kind: ObservableKind::Badge,
            value: "B-1234".into(),
            tlp: Tlp::Amber,
        },
    };
    let seen = done.apply(&op(), &obs, t(5)).unwrap();
    assert!(seen.apply(&op(), &obs, t(6)).is_err(), "no duplicates");
    assert_eq!(seen.observables[0].tlp, Tlp::Amber);
}

#[test]
fn an_incident_is_assigned_and_unassigned_on_its_record() {
    let i = incident();
    assert_eq!(i.assignee, None);
    let assign = |who: Option<&str>| IncidentCommand::Assign {
        assignee: who.map(str::to_owned),
    };
    let a = i.apply(&op(), &assign(Some(" petra ")), t(1)).unwrap();
    assert_eq!(a.assignee.as_deref(), Some("petra"));
    assert_eq!(a.activity.last().unwrap().text, "assigned to petra");
    assert!(matches!(
        a.apply(&op(), &assign(Some("petra")), t(2)),
        Err(DeskError::Invalid { .. })
    ));
    let b = a.apply(&op(), &assign(None), t(3)).unwrap();
    assert_eq!(b.assignee, None);
    assert_eq!(b.activity.last().unwrap().text, "unassigned");
    let viewer = Actor::person("v", Role::ClientViewer, Some(tenant()));
    assert!(i.apply(&viewer, &assign(Some("v")), t(1)).is_err());
}
