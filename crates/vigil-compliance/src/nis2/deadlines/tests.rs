use super::*;
use ReportKind::*;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid fixed instant")
}

fn aware() -> Timestamp {
    at(2025, 3, 10, 8, 0, 0)
}

fn sent(kind: ReportKind, when: Timestamp) -> Submission {
    Submission {
        kind,
        version: 1,
        digest: "ab".repeat(32),
        by: "j.doe".into(),
        at: when,
        to: "CERT.at".into(),
    }
}

fn input(submissions: Vec<Submission>) -> ReportingInput {
    ReportingInput {
        aware_at: aware(),
        submissions,
        intermediate_request: None,
        handled_at: None,
    }
}

fn clock(input: ReportingInput) -> ReportingClock {
    ReportingClock::new(input, DueSoonPolicy::default()).expect("valid input")
}

fn state(c: &ReportingClock, kind: ReportKind, now: Timestamp) -> ObligationState {
    c.obligation(kind, now).expect("owed").state
}

#[test]
fn early_warning_and_notification_run_24_and_72_hours_from_awareness() {
    let c = clock(input(vec![]));
    let o = c.obligations(aware());
    let kinds: Vec<ReportKind> = o.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [EarlyWarning, IncidentNotification, FinalReport]);
    assert_eq!(o[0].due, Some(at(2025, 3, 11, 8, 0, 0)));
    assert_eq!(
        o[0].due_soon_from,
        Some(at(2025, 3, 11, 2, 0, 0)),
        "6 h: 25 % of 24 h"
    );
    assert_eq!(o[1].due, Some(at(2025, 3, 13, 8, 0, 0)));
    assert_eq!(
        o[1].due_soon_from,
        Some(at(2025, 3, 13, 2, 0, 0)),
        "capped at 6 h"
    );
    assert_eq!(o[0].state, ObligationState::Pending);
    assert!(o[0].basis.starts_with("Art. 23(4)(a)"));
    assert_eq!(o[2].due, None);
    assert_eq!(
        o[2].state,
        ObligationState::Waiting {
            until: "the incident notification's submission".into()
        }
    );
}

#[test]
fn states_change_exactly_at_the_lead_and_after_the_deadline() {
    let c = clock(input(vec![]));
    let ew = |now| state(&c, EarlyWarning, now);
    assert_eq!(ew(at(2025, 3, 11, 1, 59, 59)), ObligationState::Pending);
    assert_eq!(ew(at(2025, 3, 11, 2, 0, 0)), ObligationState::DueSoon);
    assert_eq!(
        ew(at(2025, 3, 11, 8, 0, 0)),
        ObligationState::DueSoon,
        "the deadline itself is still in time"
    );
    assert_eq!(ew(at(2025, 3, 11, 8, 0, 1)), ObligationState::Overdue);
}

#[test]
fn a_submission_at_the_deadline_is_on_time_and_a_second_later_is_late() {
    let due = at(2025, 3, 11, 8, 0, 0);
    let c = clock(input(vec![sent(EarlyWarning, due)]));
    assert_eq!(
        state(&c, EarlyWarning, due),
        ObligationState::SubmittedOnTime { at: due }
    );
    let late = due + TimeDelta::seconds(1);
    let c = clock(input(vec![sent(EarlyWarning, late)]));
    assert_eq!(
        state(&c, EarlyWarning, late),
        ObligationState::SubmittedLate { at: late }
    );
}

#[test]
fn the_earliest_submission_counts_and_later_versions_do_not_move_it() {
    let first = at(2025, 3, 10, 20, 0, 0);
    let mut v2 = sent(EarlyWarning, at(2025, 3, 12, 9, 0, 0));
    v2.version = 2;
    let c = clock(input(vec![v2, sent(EarlyWarning, first)]));
    assert_eq!(
        state(&c, EarlyWarning, at(2025, 3, 13, 0, 0, 0)),
        ObligationState::SubmittedOnTime { at: first }
    );
}

#[test]
fn a_notification_within_24_hours_also_discharges_the_early_warning() {
    let when = at(2025, 3, 11, 7, 0, 0);
    let c = clock(input(vec![sent(IncidentNotification, when)]));
    let now = at(2025, 3, 12, 0, 0, 0);
    assert_eq!(
        state(&c, EarlyWarning, now),
        ObligationState::SubmittedOnTime { at: when }
    );
    assert_eq!(
        state(&c, IncidentNotification, now),
        ObligationState::SubmittedOnTime { at: when }
    );
}

#[test]
fn a_reading_in_the_past_ignores_what_was_submitted_later() {
    let c = clock(input(vec![sent(EarlyWarning, at(2025, 3, 11, 4, 0, 0))]));
    assert_eq!(
        state(&c, EarlyWarning, at(2025, 3, 11, 3, 0, 0)),
        ObligationState::DueSoon
    );
}

#[test]
fn the_final_report_is_due_one_calendar_month_after_the_notification() {
    let notified = at(2025, 3, 11, 15, 30, 0);
    let c = clock(ReportingInput {
        handled_at: Some(at(2025, 3, 20, 0, 0, 0)),
        ..input(vec![sent(IncidentNotification, notified)])
    });
    let o = c
        .obligation(FinalReport, at(2025, 3, 21, 0, 0, 0))
        .expect("owed");
    assert_eq!(o.due, Some(at(2025, 4, 11, 15, 30, 0)));
    assert_eq!(o.due_soon_from, Some(at(2025, 4, 11, 9, 30, 0)));
    assert!(o.basis.starts_with("Art. 23(4)(d)"));
}

#[test]
fn one_month_from_the_31st_of_january_is_the_end_of_february() {
    let aware_at = at(2025, 1, 29, 10, 0, 0);
    let notified = at(2025, 1, 31, 9, 30, 0);
    let c = clock(ReportingInput {
        aware_at,
        submissions: vec![sent(IncidentNotification, notified)],
        intermediate_request: None,
        handled_at: Some(aware_at),
    });
    let now = at(2025, 2, 1, 0, 0, 0);
    assert_eq!(
        c.obligation(FinalReport, now).expect("owed").due,
        Some(at(2025, 2, 28, 9, 30, 0))
    );

    // In a leap year, the 29th.
    let c = clock(ReportingInput {
        aware_at: at(2024, 1, 29, 10, 0, 0),
        submissions: vec![sent(IncidentNotification, at(2024, 1, 31, 9, 30, 0))],
        intermediate_request: None,
        handled_at: Some(at(2024, 1, 29, 10, 0, 0)),
    });
    let now = at(2024, 2, 1, 0, 0, 0);
    assert_eq!(
        c.obligation(FinalReport, now).expect("owed").due,
        Some(at(2024, 2, 29, 9, 30, 0))
    );
}

#[test]
fn daylight_saving_changes_do_not_move_deadlines() {
    // Europe's clocks go forward on 30 March 2025 at 01:00 UTC and back on
    // 26 October 2025 at 01:00 UTC; NIS-2 hours are elapsed hours.
    for aware_at in [at(2025, 3, 29, 12, 0, 0), at(2025, 10, 25, 12, 0, 0)] {
        let c = clock(ReportingInput {
            aware_at,
            ..input(vec![])
        });
        let o = c.obligations(aware_at);
        assert_eq!(o[0].due, Some(aware_at + TimeDelta::hours(24)));
        assert_eq!(o[1].due, Some(aware_at + TimeDelta::hours(72)));
    }
    let c = clock(ReportingInput {
        aware_at: at(2025, 3, 29, 12, 0, 0),
        ..input(vec![])
    });
    assert_eq!(
        c.obligations(aware())[0].due,
        Some(at(2025, 3, 30, 12, 0, 0))
    );
}

#[test]
fn an_ongoing_incident_owes_a_progress_report_then_a_final_one_a_month_after_handling() {
    let notified = at(2025, 3, 11, 15, 30, 0);
    let base = input(vec![sent(IncidentNotification, notified)]);
    let c = clock(base.clone());
    let o = c.obligations(at(2025, 3, 20, 0, 0, 0));
    let kinds: Vec<ReportKind> = o.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            EarlyWarning,
            IncidentNotification,
            ProgressReport,
            FinalReport
        ]
    );
    assert_eq!(o[2].due, Some(at(2025, 4, 11, 15, 30, 0)));
    assert!(o[2].basis.starts_with("Art. 23(4)(e)"));
    assert_eq!(
        o[3].state,
        ObligationState::Waiting {
            until: "the incident's handling".into()
        }
    );

    // Handled after the final report would have been due.
    let handled = at(2025, 4, 20, 12, 0, 0);
    let c = clock(ReportingInput {
        handled_at: Some(handled),
        submissions: vec![
            sent(IncidentNotification, notified),
            sent(ProgressReport, at(2025, 4, 11, 0, 0, 0)),
        ],
        ..base.clone()
    });
    let now = at(2025, 4, 25, 0, 0, 0);
    assert_eq!(
        state(&c, ProgressReport, now),
        ObligationState::SubmittedOnTime {
            at: at(2025, 4, 11, 0, 0, 0)
        }
    );
    assert_eq!(
        c.obligation(FinalReport, now).expect("owed").due,
        Some(at(2025, 5, 20, 12, 0, 0))
    );
    // Before the handling is recorded as past, the final report still waits.
    assert!(matches!(
        state(&c, FinalReport, at(2025, 4, 15, 0, 0, 0)),
        ObligationState::Waiting { .. }
    ));

    // Handled in time: no progress report, the plain final report.
    let c = clock(ReportingInput {
        handled_at: Some(at(2025, 4, 1, 0, 0, 0)),
        ..base
    });
    let kinds: Vec<ReportKind> = c
        .obligations(at(2025, 4, 2, 0, 0, 0))
        .iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(kinds, [EarlyWarning, IncidentNotification, FinalReport]);
}

#[test]
fn a_final_report_in_time_needs_no_progress_report_even_if_ongoing() {
    let c = clock(input(vec![
        sent(IncidentNotification, at(2025, 3, 11, 0, 0, 0)),
        sent(FinalReport, at(2025, 4, 1, 0, 0, 0)),
    ]));
    let o = c.obligations(at(2025, 4, 20, 0, 0, 0));
    assert!(o.iter().all(|o| o.kind != ProgressReport));
    assert_eq!(
        o.last().expect("final").state,
        ObligationState::SubmittedOnTime {
            at: at(2025, 4, 1, 0, 0, 0)
        }
    );
}

#[test]
fn an_intermediate_report_is_due_by_the_requests_deadline() {
    let request = IntermediateRequest {
        requested_at: at(2025, 3, 15, 9, 0, 0),
        due: at(2025, 3, 17, 9, 0, 0),
        by: "CERT.at".into(),
    };
    // A report sent before the request does not answer it.
    let c = clock(ReportingInput {
        intermediate_request: Some(request.clone()),
        ..input(vec![sent(IntermediateReport, at(2025, 3, 14, 0, 0, 0))])
    });
    let o = c
        .obligation(IntermediateReport, at(2025, 3, 17, 4, 0, 0))
        .expect("owed");
    assert_eq!(o.due, Some(request.due));
    assert_eq!(o.due_soon_from, Some(at(2025, 3, 17, 3, 0, 0)));
    assert_eq!(o.state, ObligationState::DueSoon);
    assert_eq!(
        state(&c, IntermediateReport, at(2025, 3, 17, 9, 0, 1)),
        ObligationState::Overdue
    );
}

#[test]
fn reminders_list_each_crossing_at_its_instant() {
    let c = clock(input(vec![]));
    let a = aware();
    let r = c.reminders(a, a + TimeDelta::hours(18));
    assert_eq!(
        r,
        [Reminder {
            kind: EarlyWarning,
            event: ReminderEvent::DueSoon,
            at: a + TimeDelta::hours(18),
            due: a + TimeDelta::hours(24),
        }],
        "the lead's start is included"
    );
    assert!(
        c.reminders(a + TimeDelta::hours(18), a + TimeDelta::hours(24))
            .is_empty(),
        "not overdue at the deadline"
    );
    let r = c.reminders(
        a + TimeDelta::hours(24),
        a + TimeDelta::hours(24) + TimeDelta::seconds(1),
    );
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].event, r[0].at),
        (ReminderEvent::Overdue, a + TimeDelta::hours(24))
    );

    let all = c.reminders(a, a + TimeDelta::days(40));
    let seen: Vec<(ReportKind, ReminderEvent, i64)> = all
        .iter()
        .map(|r| (r.kind, r.event, (r.at - a).num_hours()))
        .collect();
    assert_eq!(
        seen,
        [
            (EarlyWarning, ReminderEvent::DueSoon, 18),
            (EarlyWarning, ReminderEvent::Overdue, 24),
            (IncidentNotification, ReminderEvent::DueSoon, 66),
            (IncidentNotification, ReminderEvent::Overdue, 72),
        ]
    );
    assert!(
        c.reminders(a + TimeDelta::hours(5), a + TimeDelta::hours(5))
            .is_empty()
    );
    assert!(c.reminders(a + TimeDelta::hours(30), a).is_empty());
}

#[test]
fn reminders_skip_what_was_submitted_before_the_crossing() {
    let a = aware();
    let c = clock(input(vec![sent(EarlyWarning, a + TimeDelta::hours(10))]));
    assert!(
        c.reminders(a, a + TimeDelta::hours(30))
            .iter()
            .all(|r| r.kind != EarlyWarning)
    );

    // Sent in the lead: the due-soon crossing happened, the overdue one not.
    let c = clock(input(vec![sent(EarlyWarning, a + TimeDelta::hours(20))]));
    let r: Vec<ReminderEvent> = c
        .reminders(a, a + TimeDelta::hours(30))
        .into_iter()
        .filter(|r| r.kind == EarlyWarning)
        .map(|r| r.event)
        .collect();
    assert_eq!(r, [ReminderEvent::DueSoon]);
}

#[test]
fn the_final_reports_reminders_follow_the_notification() {
    let notified = at(2025, 1, 31, 9, 30, 0);
    let c = clock(ReportingInput {
        aware_at: at(2025, 1, 29, 10, 0, 0),
        submissions: vec![
            sent(EarlyWarning, at(2025, 1, 29, 12, 0, 0)),
            sent(IncidentNotification, notified),
        ],
        intermediate_request: None,
        handled_at: Some(at(2025, 2, 10, 0, 0, 0)),
    });
    let r = c.reminders(at(2025, 2, 1, 0, 0, 0), at(2025, 3, 1, 0, 0, 0));
    assert_eq!(
        r.iter()
            .map(|r| (r.kind, r.event, r.at))
            .collect::<Vec<_>>(),
        [
            (
                FinalReport,
                ReminderEvent::DueSoon,
                at(2025, 2, 28, 3, 30, 0)
            ),
            (
                FinalReport,
                ReminderEvent::Overdue,
                at(2025, 2, 28, 9, 30, 0)
            ),
        ]
    );
}

#[test]
fn the_due_soon_policy_is_configurable() {
    let policy = DueSoonPolicy::new(50, TimeDelta::hours(100)).expect("valid");
    assert_eq!(policy.lead(TimeDelta::hours(24)), TimeDelta::hours(12));
    assert_eq!(policy.lead(TimeDelta::hours(72)), TimeDelta::hours(36));
    assert_eq!(
        DueSoonPolicy::default().lead(TimeDelta::hours(8)),
        TimeDelta::hours(2)
    );
    assert_eq!(
        DueSoonPolicy::default().lead(TimeDelta::zero()),
        TimeDelta::zero()
    );
    let c = ReportingClock::new(input(vec![]), policy).expect("valid");
    assert_eq!(
        c.obligations(aware())[0].due_soon_from,
        Some(at(2025, 3, 10, 20, 0, 0))
    );
    assert!(DueSoonPolicy::new(101, TimeDelta::hours(1)).is_err());
    let read: DueSoonPolicy =
        serde_json::from_str(r#"{"percent": 50, "at_most_seconds": 360000}"#).expect("policy");
    assert_eq!(read, policy);
    assert_eq!(
        serde_json::to_value(DueSoonPolicy::default()).expect("json"),
        serde_json::json!({"percent": 25, "at_most_seconds": 21600})
    );
    let err = serde_json::from_str::<DueSoonPolicy>(r#"{"percent": 101, "at_most_seconds": 1}"#)
        .expect_err("checked");
    assert!(err.to_string().contains("101 %"), "{err}");
    assert!(DueSoonPolicy::new(25, TimeDelta::hours(-1)).is_err());
}

#[test]
fn bad_input_is_refused_naming_what_and_where() {
    let new = |i| ReportingClock::new(i, DueSoonPolicy::default());
    let err = new(input(vec![sent(EarlyWarning, at(2025, 3, 10, 7, 0, 0))])).expect_err("before");
    assert!(matches!(
        err,
        DeadlineError::SubmissionBeforeAwareness { index: 0, .. }
    ));

    let mut s = sent(EarlyWarning, aware());
    s.version = 0;
    let err = new(input(vec![sent(EarlyWarning, aware()), s])).expect_err("v0");
    assert_eq!(
        err.to_string(),
        "submissions[1] (early_warning), field `version`: versions start at 1"
    );

    let mut s = sent(EarlyWarning, aware());
    s.digest = "xyz".into();
    assert!(
        new(input(vec![s]))
            .expect_err("digest")
            .to_string()
            .contains("`digest`")
    );
    let mut s = sent(EarlyWarning, aware());
    s.to = " ".into();
    assert!(
        new(input(vec![s]))
            .expect_err("to")
            .to_string()
            .contains("`to`")
    );

    let request = |requested_at, due, by: &str| ReportingInput {
        intermediate_request: Some(IntermediateRequest {
            requested_at,
            due,
            by: by.into(),
        }),
        ..input(vec![])
    };
    let r = at(2025, 3, 15, 9, 0, 0);
    assert!(matches!(
        new(request(r, r, "CERT.at")),
        Err(DeadlineError::RequestDueNotAfterRequest { .. })
    ));
    assert!(matches!(
        new(request(at(2025, 3, 1, 0, 0, 0), r, "CERT.at")),
        Err(DeadlineError::RequestBeforeAwareness { .. })
    ));
    assert_eq!(
        new(request(r, r + TimeDelta::hours(1), "")),
        Err(DeadlineError::RequestWithoutRequester)
    );
    assert!(matches!(
        new(ReportingInput {
            aware_at: Timestamp::MAX_UTC - TimeDelta::hours(1),
            ..input(vec![])
        }),
        Err(DeadlineError::OutOfRange {
            what: "aware_at",
            ..
        })
    ));
}

#[test]
fn states_read_as_tagged_json() {
    let s = serde_json::to_value(ObligationState::SubmittedLate { at: aware() }).expect("json");
    assert_eq!(
        s,
        serde_json::json!({"state": "submitted_late", "at": "2025-03-10T08:00:00Z"})
    );
    assert_eq!(
        serde_json::to_value(ObligationState::DueSoon).expect("json"),
        serde_json::json!({"state": "due_soon"})
    );
}

proptest! {
    // However the time between two instants is cut into readings, the
    // readings together list the same crossings as one reading, each once.
    #[test]
    fn reminders_are_raised_exactly_once(
        steps in proptest::collection::vec(1i64..200_000, 1..40),
        notified_after in proptest::option::of(0i64..300_000),
        handled_after in proptest::option::of(0i64..5_000_000),
    ) {
        let a = aware();
        // Handling recorded inside the progress report's lead turns it into
        // the final report (see `reminders`): a change of input, not of
        // reading, so it is left out here.
        if let (Some(n), Some(h)) = (notified_after, handled_after) {
            let final_due = add_month(a + TimeDelta::seconds(n)).expect("in range");
            let handled = a + TimeDelta::seconds(h);
            prop_assume!(handled <= final_due - TimeDelta::hours(6) || handled > final_due);
        }
        let mut submissions = vec![];
        if let Some(s) = notified_after {
            submissions.push(sent(IncidentNotification, a + TimeDelta::seconds(s)));
        }
        let c = clock(ReportingInput {
            handled_at: handled_after.map(|h| a + TimeDelta::seconds(h)),
            intermediate_request: Some(IntermediateRequest {
                requested_at: a + TimeDelta::hours(30),
                due: a + TimeDelta::hours(80),
                by: "CERT.at".into(),
            }),
            ..input(submissions)
        });
        let mut now = a;
        let mut pieces = vec![];
        for step in &steps {
            let next = now + TimeDelta::seconds(*step * 30);
            pieces.extend(c.reminders(now, next));
            now = next;
        }
        let whole = c.reminders(a, now);
        let mut sorted = pieces.clone();
        sorted.sort_by_key(|r| (r.at, r.kind, r.event == ReminderEvent::Overdue));
        prop_assert_eq!(&sorted, &whole);
        let mut keys: Vec<_> = pieces.iter().map(|r| (r.kind, r.event)).collect();
        let n = keys.len();
        keys.sort_by_key(|(k, e)| (*k, *e == ReminderEvent::Overdue));
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }
}
