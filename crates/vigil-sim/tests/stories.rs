//! Every attack story happens in the first ten simulated minutes, its events
//! carry what its rules look for, and the ground truth is honest: the
//! stories' signatures appear nowhere else.

mod common;

use std::collections::HashSet;

use chrono::Duration;
use common::{field, json, run, syslog, tuesday};
use vigil_model::EntityKind;
use vigil_sim::{Emission, GroundTruth, STORIES, Simulator, World, rules};

/// The base64 strings the encoded-download rule looks for, read from the rule.
fn cradle_signatures() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/windows/powershell_encoded_download_cradle.yml"
    );
    let text = std::fs::read_to_string(path).expect("rule file");
    let rule: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("yaml");
    rule["detection"]["selection_payload"]["CommandLine|contains"]
        .as_sequence()
        .expect("list of signatures")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn entity(g: &GroundTruth, kind: EntityKind) -> &str {
    g.entities
        .iter()
        .find(|e| e.kind == kind)
        .map(|e| e.value.as_str())
        .unwrap_or_default()
}

fn during<'a>(emissions: &'a [Emission], g: &GroundTruth) -> impl Iterator<Item = &'a Emission> {
    let (from, to) = (g.started_at, g.ended_at);
    emissions.iter().filter(move |e| {
        e.at >= from && e.at <= to && e.source.as_str().starts_with(g.tenant.as_str())
    })
}

#[test]
fn every_story_starts_in_the_first_ten_minutes_at_every_client_it_concerns() {
    for seed in [1, 2, 3] {
        let world = World::generate(seed);
        let start = tuesday(13);
        let (_, truth) = run(&world, seed, start, 10);
        for kind in STORIES {
            for tenant in kind.tenants() {
                let found = truth
                    .iter()
                    .find(|g| g.story == kind.name() && g.tenant.as_str() == *tenant);
                let g =
                    found.unwrap_or_else(|| panic!("seed {seed}: no {} at {tenant}", kind.name()));
                assert!(g.started_at >= start && g.started_at < start + Duration::minutes(10));
                assert!(g.ended_at >= g.started_at);
            }
        }
        let instances: HashSet<&str> = truth.iter().map(|g| g.instance.as_str()).collect();
        assert_eq!(instances.len(), truth.len(), "instances are unique");
        let known: HashSet<&str> = rules::ALL
            .iter()
            .chain(rules::ESTATE)
            .map(|(id, _)| *id)
            .chain(rules::CODE_RULES.iter().copied())
            .collect();
        for g in &truth {
            assert!(!g.expected_rules.is_empty());
            for r in &g.expected_rules {
                assert!(
                    known.contains(r.as_str()),
                    "{} expects unknown rule {r}",
                    g.instance
                );
            }
            let back: GroundTruth =
                serde_json::from_str(&serde_json::to_string(g).unwrap()).unwrap();
            assert_eq!(&back, g);
        }
    }
}

#[test]
fn ground_truth_is_handed_out_once_and_only_after_the_story_started() {
    let world = World::generate(5);
    let mut sim = Simulator::new(&world, 5, tuesday(13));
    assert!(sim.take_ground_truth().is_empty());
    sim.advance_to(tuesday(13) + Duration::seconds(10));
    assert!(
        sim.take_ground_truth().is_empty(),
        "nothing starts in the first 15 seconds"
    );
    sim.advance_to(tuesday(13) + Duration::minutes(10));
    let first = sim.take_ground_truth();
    assert!(first.len() >= 6);
    assert!(first.windows(2).all(|w| w[0].started_at <= w[1].started_at));
    assert!(sim.take_ground_truth().is_empty());
}

#[test]
fn story_events_carry_what_their_rules_look_for() {
    let world = World::generate(9);
    let (emissions, truth) = run(&world, 9, tuesday(13), 30);
    let signatures = cradle_signatures();
    assert_eq!(signatures.len(), 9);
    for g in &truth {
        let events: Vec<&Emission> = during(&emissions, g).collect();
        let expects = |rule: &str| g.expected_rules.iter().any(|r| r == rule);
        match g.story.as_str() {
            "door-forced-data-hall" => {
                let door = entity(g, EntityKind::Door);
                let camera = entity(g, EntityKind::Camera);
                assert!(
                    events
                        .iter()
                        .any(|e| field(e, "action") == Some("door_forced_open")
                            && field(e, "door") == Some(door))
                );
                assert!(
                    events.iter().any(|e| field(e, "action") == Some("tamper")
                        && field(e, "camera") == Some(camera))
                );
                assert!(expects(rules::DOOR_FORCED_OPEN) && expects(rules::CAMERA_TAMPER));
            }
            "encoded-powershell-download" => {
                let host = entity(g, EntityKind::Host);
                let on_host: Vec<&&Emission> = events
                    .iter()
                    .filter(|e| field(e, "Hostname").is_some_and(|h| h.starts_with(host)))
                    .filter(|e| {
                        json(e)
                            .and_then(|f| f.get("EventID"))
                            .and_then(|v| v.as_u64())
                            == Some(1)
                    })
                    .collect();
                let cradle = on_host.iter().find(|e| {
                    let cmd = field(e, "CommandLine").unwrap_or_default();
                    cmd.contains(" -enc ") && signatures.iter().any(|s| cmd.contains(s.as_str()))
                });
                let cradle = cradle.expect("a Sysmon 1 with the encoded cradle");
                assert!(
                    field(cradle, "Image")
                        .unwrap()
                        .ends_with("\\powershell.exe")
                );
                assert_eq!(
                    field(cradle, "Channel"),
                    Some("Microsoft-Windows-Sysmon/Operational")
                );
                assert!(
                    field(cradle, "ParentImage")
                        .unwrap()
                        .ends_with("WINWORD.EXE")
                );
                let dumped = on_host.iter().any(|e| {
                    let cmd = field(e, "CommandLine").unwrap_or_default();
                    (cmd.contains("comsvcs")
                        && cmd.contains("MiniDump")
                        && expects(rules::LSASS_DUMP_COMSVCS))
                        || (cmd.contains("sekurlsa::") && expects(rules::MIMIKATZ_COMMAND_LINE))
                });
                assert!(
                    dumped,
                    "{}: credential dumping matching its expected rule",
                    g.instance
                );
            }
            "ot-modbus-from-it" => {
                let allowed = events
                    .iter()
                    .filter_map(|e| syslog(e))
                    .filter(|l| {
                        l.contains(" dpt=502 ")
                            && l.contains("act=accept")
                            && l.contains("deviceInboundInterface=it-lan")
                    })
                    .count();
                assert!(allowed >= 3, "{allowed} allowed Modbus sessions from IT");
                assert!(expects(rules::OT_PROTOCOL_FROM_IT));
            }
            "vpn-brute-force" => {
                let user = entity(g, EntityKind::User);
                let ip = entity(g, EntityKind::Ip);
                let lines: Vec<&str> = events.iter().filter_map(|e| syslog(e)).collect();
                let failures = lines
                    .iter()
                    .filter(|l| {
                        l.contains("%ASA-6-113005")
                            && l.contains(&format!("user = {user} "))
                            && l.ends_with(ip)
                    })
                    .count();
                assert!(failures >= 15, "{failures} failures");
                assert!(
                    lines
                        .iter()
                        .any(|l| l.contains("%ASA-6-113004")
                            && l.ends_with(&format!("user = {user}")))
                );
                // The session from the attacker's address is the brute
                // force's second step (grouped by user and address).
                assert!(lines.iter().any(|l| l.contains("%ASA-6-113039")
                    && l.contains(&format!("User <{user}> IP <{ip}>"))));
                assert!(failures >= 10, "the burst needs ten failures");
                assert!(expects(rules::VPN_BRUTE_FORCE));
                assert!(
                    !expects(rules::VPN_AUTHENTICATION_FAILURE),
                    "silent: no alert of its own"
                );
            }
            "terminated-badge-pharmacy" => {
                let door = entity(g, EntityKind::Door);
                assert!(
                    events
                        .iter()
                        .any(|e| field(e, "action") == Some("access_granted")
                            && field(e, "person_status") == Some("terminated")
                            && field(e, "door") == Some(door))
                );
                assert!(expects(rules::TERMINATED_BADGE_ACCESS_GRANTED));
            }
            "camera-blinded-door-held" => {
                let camera = entity(g, EntityKind::Camera);
                let door = entity(g, EntityKind::Door);
                assert!(events.iter().any(|e| matches!(&e.payload,
                    vigil_sim::Payload::Onvif { camera: c, topic, data, .. }
                        if c == camera && topic.ends_with("Tamper") && data.iter().any(|(_, v)| v == "true"))));
                assert!(
                    events
                        .iter()
                        .any(|e| field(e, "action") == Some("door_held_open")
                            && field(e, "door") == Some(door))
                );
                assert!(expects(rules::DOOR_OPEN_CAMERA_BLINDED));
            }
            "card-trying" => {
                let door = entity(g, EntityKind::Door);
                let denied = events
                    .iter()
                    .filter(|e| {
                        field(e, "action") == Some("access_denied")
                            && field(e, "door") == Some(door)
                    })
                    .count();
                assert!(denied >= 3, "{denied} denials");
                assert!(
                    events
                        .iter()
                        .any(|e| field(e, "action") == Some("access_granted")
                            && field(e, "door") == Some(door))
                );
                assert!(expects(rules::CARD_TRYING));
            }
            "tailgating" => {
                let door = entity(g, EntityKind::Door);
                assert!(events.iter().any(|e| {
                    field(e, "action") == Some("people_counted")
                        && field(e, "door") == Some(door)
                        && json(e)
                            .and_then(|f| f.get("count"))
                            .and_then(|c| c.as_u64())
                            == Some(2)
                }));
                assert!(expects(rules::TAILGATING));
            }
            "panel-line-cut" => {
                let panel = entity(g, EntityKind::Device);
                let account = world
                    .tenant(&g.tenant)
                    .and_then(|t| t.panel_accounts().into_iter().find(|p| p.panel == panel))
                    .map(|p| p.account)
                    .expect("the panel has an account");
                let from_panel: Vec<&str> = events
                    .iter()
                    .filter_map(|e| match &e.payload {
                        vigil_sim::Payload::Dc09 {
                            account: a,
                            payload,
                            ..
                        } if *a == account => Some(payload.as_str()),
                        _ => None,
                    })
                    .collect();
                assert!(from_panel.contains(&"Nri1/BA001"), "{from_panel:?}");
                let polls_before_alarm = from_panel
                    .iter()
                    .take_while(|p| **p != "Nri1/BA001")
                    .count();
                assert_eq!(polls_before_alarm, 0, "the line is silent until the alarm");
                assert!(
                    expects(rules::PATH_LOST_THEN_INTRUSION)
                        && expects(rules::PATH_LOST_WHILE_ARMED)
                );
            }
            "present-in-two-places" => {
                let user = entity(g, EntityKind::User);
                let badge = entity(g, EntityKind::Badge);
                assert!(
                    events
                        .iter()
                        .any(|e| field(e, "action") == Some("access_granted")
                            && field(e, "badge") == Some(badge))
                );
                assert!(
                    events
                        .iter()
                        .filter_map(|e| syslog(e))
                        .any(|l| l.contains("%ASA-6-113004")
                            && l.ends_with(&format!("user = {user}")))
                );
                assert!(expects(rules::PRESENT_IN_TWO_PLACES));
            }
            other => panic!("unknown story {other}"),
        }
    }
}

#[test]
fn story_signatures_appear_only_inside_stories_and_look_alikes_do_occur() {
    // 00:00–03:00 covers the 01:00 vulnerability scan and the 02:30 scheduled
    // clean-up script.
    let world = World::generate(4);
    let (emissions, truth) = run(&world, 4, tuesday(0), 180);
    let signatures = cradle_signatures();
    let inside = |e: &Emission, story: &str| {
        truth.iter().any(|g| {
            g.story == story
                && e.source.as_str().starts_with(g.tenant.as_str())
                && e.at >= g.started_at
                && e.at <= g.ended_at
        })
    };
    let mut encoded_benign = 0;
    let mut denied_modbus = 0;
    for e in &emissions {
        let cmd = field(e, "CommandLine").unwrap_or_default();
        if signatures.iter().any(|s| cmd.contains(s.as_str())) {
            assert!(
                inside(e, "encoded-powershell-download"),
                "cradle outside a story: {cmd}"
            );
        } else if cmd.contains("-EncodedCommand") {
            encoded_benign += 1;
        }
        if cmd.contains("sekurlsa::") || (cmd.contains("comsvcs") && cmd.contains("MiniDump")) {
            assert!(
                inside(e, "encoded-powershell-download"),
                "credential dump outside a story: {cmd}"
            );
        }
        if let Some(l) = syslog(e) {
            let modbus = l.contains(" dpt=502 ") || l.contains(" dpt=20000 ");
            if modbus && l.contains("act=accept") && !l.contains("deviceInboundInterface=ot-") {
                assert!(
                    inside(e, "ot-modbus-from-it"),
                    "Modbus from IT outside a story: {l}"
                );
            }
            if modbus && l.contains("act=deny") && l.contains("deviceInboundInterface=it-") {
                denied_modbus += 1;
            }
        }
        if field(e, "person_status") == Some("terminated")
            && field(e, "action") == Some("access_granted")
        {
            assert!(inside(e, "terminated-badge-pharmacy"));
        }
        if field(e, "action") == Some("door_forced_open")
            && field(e, "zone").is_some_and(|z| z.contains("-hall-"))
        {
            assert!(inside(e, "door-forced-data-hall"));
        }
    }
    assert!(
        encoded_benign > 0,
        "the nightly encoded clean-up script ran"
    );
    assert!(
        denied_modbus > 0,
        "the vulnerability scan was refused on 502"
    );
}
