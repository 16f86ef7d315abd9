use super::*;
use vigil_store::Role;

fn t(min: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::minutes(min)
}

fn alarm() -> Alarm {
    let tenant = TenantId::new("northgate").unwrap();
    let alert = Alert {
        id: vigil_model::alert_id_for(&tenant, "r1", "door:d1", t(0)),
        tenant,
        site: None,
        rule_id: "r1".into(),
        rule_title: "Door forced".into(),
        severity: Severity::High,
        status: vigil_model::AlertStatus::New,
        group_key: "door:d1".into(),
        window_start: t(0),
        first_seen: t(0),
        last_seen: t(1),
        event_count: 2,
        entities: vec![],
        evidence: vec![],
        created_at: t(1),
        updated_at: t(1),
    };
    Alarm::from_alert(&alert, t(1))
}

fn op(name: &str) -> Actor {
    Actor::person(name, Role::ProviderOperator, None)
}

fn close(verdict: Verdict) -> AlarmCommand {
    AlarmCommand::Close {
        verdict,
        note: Some("checked on camera".into()),
    }
}

fn reopen() -> AlarmCommand {
    AlarmCommand::Reopen {
        reason: "new evidence".into(),
    }
}

fn take_over() -> AlarmCommand {
    AlarmCommand::TakeOver {
        reason: "alice went off shift".into(),
    }
}

fn refused(r: Result<Alarm, DeskError>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(a) => panic!("expected a refusal, got {:?}", a.status),
    }
}

#[test]
fn the_happy_path_records_every_transition_with_owner_and_time() {
    let alice = op("alice");
    let a = alarm();
    let a = a.apply(&alice, &AlarmCommand::Acknowledge, t(2)).unwrap();
    assert_eq!(
        (a.status, a.owner.as_deref()),
        (AlarmStatus::Acknowledged, Some("alice"))
    );
    let a = a.apply(&alice, &AlarmCommand::Start, t(3)).unwrap();
    assert_eq!(a.status, AlarmStatus::InProgress);
    let a = a
        .apply(&alice, &close(Verdict::TruePositive), t(4))
        .unwrap();
    assert_eq!(
        (a.status, a.verdict),
        (AlarmStatus::Closed, Some(Verdict::TruePositive))
    );
    let steps: Vec<_> = a
        .transitions
        .iter()
        .map(|tr| (tr.command.as_str(), tr.from, tr.to, tr.at))
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "acknowledge",
                AlarmStatus::New,
                AlarmStatus::Acknowledged,
                t(2)
            ),
            (
                "start",
                AlarmStatus::Acknowledged,
                AlarmStatus::InProgress,
                t(3)
            ),
            ("close", AlarmStatus::InProgress, AlarmStatus::Closed, t(4)),
        ]
    );
    assert_eq!(
        a.transitions[2].reason.as_deref(),
        Some("checked on camera")
    );
    // Closing straight from acknowledged is allowed too.
    let b = alarm()
        .apply(&alice, &AlarmCommand::Acknowledge, t(2))
        .unwrap();
    assert!(b.apply(&alice, &close(Verdict::Benign), t(3)).is_ok());
}

#[test]
fn a_second_operator_cannot_silently_take_an_alarm() {
    let (alice, bob) = (op("alice"), op("bob"));
    let held = alarm()
        .apply(&alice, &AlarmCommand::Acknowledge, t(2))
        .unwrap();
    let msg = refused(held.apply(&bob, &AlarmCommand::Acknowledge, t(3)));
    assert!(
        msg.contains("held by alice") && msg.contains("take it over"),
        "{msg}"
    );
    assert!(refused(held.apply(&bob, &AlarmCommand::Start, t(3))).contains("held by alice"));
    assert!(
        refused(held.apply(&bob, &close(Verdict::FalsePositive), t(3))).contains("held by alice")
    );
    // An explicit take-over needs a reason and is recorded.
    let msg = refused(held.apply(&bob, &AlarmCommand::TakeOver { reason: " ".into() }, t(3)));
    assert!(msg.contains("reason"), "{msg}");
    let taken = held.apply(&bob, &take_over(), t(4)).unwrap();
    assert_eq!(taken.owner.as_deref(), Some("bob"));
    assert_eq!(taken.status, AlarmStatus::Acknowledged);
    let last = taken.transitions.last().unwrap();
    assert_eq!(
        (last.command.as_str(), last.reason.as_deref()),
        ("take_over", Some("alice went off shift"))
    );
    // Now alice is the outsider.
    assert!(refused(taken.apply(&alice, &AlarmCommand::Start, t(5))).contains("held by bob"));
    // Taking over what you hold, or what nobody holds, is refused.
    assert!(refused(taken.apply(&bob, &take_over(), t(5))).contains("already hold"));
    assert!(refused(alarm().apply(&bob, &take_over(), t(5))).contains("nobody holds it"));
}

#[test]
fn every_refused_transition_says_why() {
    let alice = op("alice");
    let new = alarm();
    assert!(
        refused(new.apply(&alice, &AlarmCommand::Start, t(2))).contains("acknowledge it first")
    );
    assert!(
        refused(new.apply(&alice, &close(Verdict::TruePositive), t(2)))
            .contains("acknowledge it first")
    );
    assert!(refused(new.apply(&alice, &reopen(), t(2))).contains("only closed"));
    let acked = new.apply(&alice, &AlarmCommand::Acknowledge, t(2)).unwrap();
    assert!(
        refused(acked.apply(&alice, &AlarmCommand::Acknowledge, t(3))).contains("already hold")
    );
    assert!(refused(acked.apply(&alice, &reopen(), t(3))).contains("only closed"));
    let working = acked.apply(&alice, &AlarmCommand::Start, t(3)).unwrap();
    assert!(
        refused(working.apply(&alice, &AlarmCommand::Start, t(4))).contains("already under way")
    );
    let closed = working
        .apply(&alice, &close(Verdict::TruePositive), t(4))
        .unwrap();
    for cmd in [AlarmCommand::Acknowledge, AlarmCommand::Start, take_over()] {
        assert!(
            refused(closed.apply(&op("bob"), &cmd, t(5))).contains("reopen it"),
            "{cmd:?}"
        );
    }
    assert!(
        refused(closed.apply(&alice, &close(Verdict::Benign), t(5))).contains("already closed")
    );
    assert!(
        refused(closed.apply(&alice, &AlarmCommand::Reopen { reason: "".into() }, t(5)))
            .contains("reason")
    );
}

#[test]
fn reopening_an_analysts_close_hands_it_to_the_reopener() {
    let closed = alarm()
        .apply(&op("alice"), &AlarmCommand::Acknowledge, t(2))
        .unwrap()
        .apply(&op("alice"), &close(Verdict::FalsePositive), t(3))
        .unwrap();
    let again = closed.apply(&op("bob"), &reopen(), t(4)).unwrap();
    assert_eq!(
        (again.status, again.owner.as_deref(), again.verdict),
        (AlarmStatus::Acknowledged, Some("bob"), None)
    );
}

#[test]
fn automation_closes_only_untaken_alarms_and_is_reversible() {
    let model = Actor::system("learner");
    let auto = AlarmCommand::AutoClose {
        probability: 0.97,
        threshold: 0.9,
    };
    let closed = alarm().apply(&model, &auto, t(2)).unwrap();
    assert_eq!(
        (closed.status, closed.verdict),
        (AlarmStatus::Closed, Some(Verdict::FalsePositive))
    );
    assert!(matches!(closed.closure, Some(Closure::Model { .. })));
    // Reopening puts it back in the queue, owned by nobody.
    let back = closed.apply(&op("alice"), &reopen(), t(3)).unwrap();
    assert_eq!(
        (back.status, back.owner.clone(), back.closure.clone()),
        (AlarmStatus::New, None, None)
    );
    // Below the threshold: refused.
    let low = AlarmCommand::AutoClose {
        probability: 0.5,
        threshold: 0.9,
    };
    assert!(refused(alarm().apply(&model, &low, t(2))).contains("below the threshold"));
    // Never an alarm a person holds.
    let held = alarm()
        .apply(&op("alice"), &AlarmCommand::Acknowledge, t(2))
        .unwrap();
    assert!(refused(held.apply(&model, &auto, t(3))).contains("nobody has taken"));
    // People cannot issue automation's commands.
    assert!(refused(alarm().apply(&op("alice"), &auto, t(2))).contains("automation"));
    let suppress = AlarmCommand::Suppress {
        id: "mw-1".into(),
        reason: "camera service".into(),
    };
    let s = alarm()
        .apply(&Actor::system("triage"), &suppress, t(2))
        .unwrap();
    assert_eq!(s.verdict, Some(Verdict::Benign));
    assert_eq!(
        s.apply(&op("bob"), &reopen(), t(3)).unwrap().status,
        AlarmStatus::New
    );
}

#[test]
fn clients_cannot_work_alarms_and_nobody_touches_another_tenant() {
    let viewer = Actor::person(
        "v",
        Role::ClientViewer,
        Some(TenantId::new("northgate").unwrap()),
    );
    let admin = Actor::person(
        "ca",
        Role::ClientAdmin,
        Some(TenantId::new("northgate").unwrap()),
    );
    for who in [&viewer, &admin] {
        assert!(matches!(
            alarm().apply(who, &AlarmCommand::Acknowledge, t(2)),
            Err(DeskError::Forbidden { .. })
        ));
    }
}
