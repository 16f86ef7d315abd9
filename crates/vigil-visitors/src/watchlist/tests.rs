use chrono::{NaiveDate, Utc};

use super::*;
use crate::visit::DocumentKind;
use crate::visit::tests::{actor, badged, passport, request, secret};

fn provider_key() -> TenantSecret {
    TenantSecret::new(*b"provider-watchlist-key").unwrap()
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn listed(name: &str, birth: Option<NaiveDate>, doc: Option<IdentityDocument>) -> ClientWatchlist {
    let mut list = ClientWatchlist::default();
    list.add(
        "wl-1".into(),
        &NewEntry {
            name: name.into(),
            birth_date: birth,
            document: doc,
            reason: "banned after the 2024 incident".into(),
        },
        &secret(),
        actor("security-lead"),
        Utc::now(),
    )
    .unwrap();
    list
}

fn subject(name: &str, birth: Option<NaiveDate>) -> Subject<'_> {
    Subject {
        name,
        birth_date: birth,
        document: None,
        document_hash: None,
    }
}

#[test]
fn a_pre_registration_matches_a_client_entry_whatever_the_spelling() {
    let list = listed("ZOE KOWALSKI", None, None);
    let now = Utc::now();
    let r = request(now);
    let hits = list.matches(&Subject::pre_registration(&r), &secret());
    assert_eq!(
        hits,
        [WatchlistMatch {
            list: MatchedList::Client {
                entry: "wl-1".into()
            },
            basis: MatchBasis::Name
        }]
    );
    // Near misses: one letter more, one part more.
    assert!(
        list.matches(&subject("Zoe Kowalsky", None), &secret())
            .is_empty()
    );
    assert!(
        list.matches(&subject("Zoe Anna Kowalski", None), &secret())
            .is_empty()
    );
}

#[test]
fn birth_dates_confirm_or_rule_out_a_name() {
    let list = listed("Jean Dupont", date(1980, 5, 17), None);
    assert_eq!(
        list.matches(&subject("dupont, jean", date(1980, 5, 17)), &secret())[0].basis,
        MatchBasis::NameAndBirthDate
    );
    assert!(
        list.matches(&subject("Jean Dupont", date(1980, 5, 18)), &secret())
            .is_empty(),
        "a day apart is another person"
    );
    assert_eq!(
        list.matches(&subject("Jean Dupont", None), &secret())[0].basis,
        MatchBasis::Name,
        "without a date to compare, the name alone signals"
    );
}

#[test]
fn an_arrival_matches_on_the_document_under_any_name() {
    let list = listed("Someone Else", None, Some(passport()));
    let now = Utc::now();
    let v = badged(now, "V-1");
    let hits = list.matches(&Subject::arrival(&v, &passport()), &secret());
    assert_eq!(hits[0].basis, MatchBasis::Document);
    // The stored visit keeps the same hash, so it is found again later.
    assert_eq!(
        list.matches(&Subject::visit(&v), &secret())[0].basis,
        MatchBasis::Document
    );
    let other = IdentityDocument {
        kind: DocumentKind::Passport,
        number: "PA1234568".into(),
    };
    assert!(
        list.matches(&Subject::arrival(&v, &other), &secret())
            .is_empty()
    );
    let card = IdentityDocument {
        kind: DocumentKind::IdentityCard,
        number: "PA1234567".into(),
    };
    assert!(
        list.matches(&Subject::arrival(&v, &card), &secret())
            .is_empty()
    );
    // The entry holds no document number.
    let json = serde_json::to_string(&list).unwrap();
    assert!(!json.contains("1234567"), "{json}");
}

#[test]
fn entries_need_a_name_and_a_reason() {
    let mut list = ClientWatchlist::default();
    let mut e = NewEntry {
        name: " -- ".into(),
        birth_date: None,
        document: None,
        reason: "r".into(),
    };
    let err = list
        .add("x".into(), &e, &secret(), actor("a"), Utc::now())
        .unwrap_err();
    assert!(matches!(err, WatchlistError::Invalid { field: "name", .. }));
    e.name = "Ann".into();
    e.reason = " ".into();
    assert!(
        list.add("x".into(), &e, &secret(), actor("a"), Utc::now())
            .is_err()
    );
    assert!(list.entries.is_empty());
}

#[test]
fn the_provider_list_yields_a_signal_and_nothing_else() {
    let key = provider_key();
    let mut provider = ProviderWatchlist::default();
    provider.add(ProviderEntry::new(&key, Some("Mallory Quinn"), date(1975, 1, 2), None).unwrap());
    provider.add(ProviderEntry::new(&key, Some("Eve Adams"), None, Some(&passport())).unwrap());
    provider.add(ProviderEntry::new(&key, Some("eve  ADAMS"), None, Some(&passport())).unwrap());
    assert_eq!(provider.entries.len(), 2, "the same person is listed once");
    let stored = serde_json::to_string(&provider).unwrap();
    for personal in ["Mallory", "mallory", "Quinn", "1975", "Eve", "1234567"] {
        assert!(!stored.contains(personal), "{personal} in {stored}");
    }

    let hit = provider
        .matches(&subject("Quinn Mallory", date(1975, 1, 2)), &key)
        .unwrap();
    assert_eq!(
        hit,
        WatchlistMatch {
            list: MatchedList::Provider,
            basis: MatchBasis::NameAndBirthDate
        }
    );
    let json = serde_json::to_value(&hit).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"list": "provider", "basis": "name_and_birth_date"})
    );
    assert!(
        provider
            .matches(&subject("Mallory Quinn", date(1975, 1, 3)), &key)
            .is_none()
    );
    assert!(
        provider
            .matches(&subject("Mallory Quin", None), &key)
            .is_none()
    );
    let now = Utc::now();
    let v = badged(now, "V-2");
    assert_eq!(
        provider
            .matches(&Subject::arrival(&v, &passport()), &key)
            .unwrap()
            .basis,
        MatchBasis::Document
    );
    assert!(ProviderEntry::new(&key, None, None, None).is_err());
    // Under another key the hashes mean nothing.
    let other = TenantSecret::new(*b"another-provider-key").unwrap();
    assert!(
        provider
            .matches(&subject("Mallory Quinn", None), &other)
            .is_none()
    );
}

#[test]
fn screening_reports_both_lists() {
    let key = provider_key();
    let client = listed("Zoë Kowalski", None, None);
    let mut provider = ProviderWatchlist::default();
    provider.add(ProviderEntry::new(&key, Some("Zoe Kowalski"), None, None).unwrap());
    let r = request(Utc::now());
    let hits = screen(
        &Subject::pre_registration(&r),
        &client,
        &secret(),
        &provider,
        &key,
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].list, MatchedList::Provider);
}

proptest::proptest! {
    /// Across clients the hashes match whatever the spelling, and a letter
    /// more is another person.
    #[test]
    fn provider_hashes_match_spellings_not_near_misses(
        parts in proptest::collection::vec("[a-zéüø]{2,8}", 2..4),
    ) {
        let key = provider_key();
        let name = parts.join(" ");
        let mut provider = ProviderWatchlist::default();
        provider.add(ProviderEntry::new(&key, Some(&name), None, None).unwrap());
        let respelled = parts.iter().rev().map(|p| p.to_uppercase()).collect::<Vec<_>>().join(",  ");
        proptest::prop_assert!(provider.matches(&subject(&respelled, None), &key).is_some());
        let longer = format!("{name}x");
        proptest::prop_assert!(provider.matches(&subject(&longer, None), &key).is_none());
    }
}

mod rescreening {
    use chrono::{Duration, Utc};
    use vigil_model::TenantId;

    use super::*;
    use crate::ids::VisitId;
    use crate::visit::tests::registered;

    fn entry(
        name: &str,
        birth: Option<NaiveDate>,
        doc: Option<IdentityDocument>,
    ) -> WatchlistEntry {
        listed(name, birth, doc).entries.remove(0)
    }

    fn of_tenant(mut v: Visit, tenant: &str, n: u8) -> Visit {
        v.tenant = TenantId::new(tenant).unwrap();
        v.id = VisitId::new_at(v.registered_at, [n; 10]);
        v
    }

    #[test]
    fn only_visits_not_yet_over_are_screened_again() {
        let now = Utc::now();
        let pre = registered(now);
        assert!(still_relevant(&pre, now));
        assert!(
            !still_relevant(&pre, pre.window.end + Duration::seconds(1)),
            "the window is over"
        );
        let mut approved = registered(now);
        approved
            .approve(actor("approver-1"), None, None, now)
            .unwrap();
        assert!(still_relevant(&approved, approved.window.end));
        // Signed in and not out: relevant however late it has become.
        let on_site = badged(now, "V-1");
        assert!(still_relevant(
            &on_site,
            on_site.window.end + Duration::hours(3)
        ));
        let mut gone = badged(now, "V-1");
        gone.sign_out(actor("desk-1"), gone.window.start + Duration::hours(1))
            .unwrap();
        assert!(!still_relevant(&gone, now));
        let mut refused = registered(now);
        refused
            .refuse(actor("approver-1"), "not today", now)
            .unwrap();
        assert!(!still_relevant(&refused, now));
        let mut erased = registered(now);
        erased.erased_at = Some(now);
        assert!(!still_relevant(&erased, now));
    }

    #[test]
    fn a_new_client_entry_hits_the_client_s_relevant_visits_only() {
        let now = Utc::now();
        let northgate = TenantId::new("northgate").unwrap();
        let mut approved = registered(now);
        approved
            .approve(actor("approver-1"), None, None, now)
            .unwrap();
        let mut gone = of_tenant(badged(now, "V-1"), "northgate", 2);
        gone.sign_out(actor("desk-1"), gone.window.start).unwrap();
        let elsewhere = of_tenant(registered(now), "southbank", 3);
        let visits = [approved.clone(), gone, elsewhere];
        let listed = entry("KOWALSKI Zoe", None, None);
        let hits = rescreen_client(&visits, &northgate, &listed, &secret(), now);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].visit.id, approved.id);
        assert_eq!(
            hits[0].hit,
            WatchlistMatch {
                list: MatchedList::Client {
                    entry: "wl-1".into()
                },
                basis: MatchBasis::Name
            }
        );
        // A near miss hits nothing.
        let near = entry("Zoe Kowalsky", None, None);
        assert!(rescreen_client(&visits, &northgate, &near, &secret(), now).is_empty());
    }

    #[test]
    fn a_visitor_on_site_is_found_by_the_document_under_another_name() {
        let now = Utc::now();
        let northgate = TenantId::new("northgate").unwrap();
        let on_site = [badged(now, "V-1")];
        let listed = entry("Someone Else", None, Some(passport()));
        let hits = rescreen_client(&on_site, &northgate, &listed, &secret(), now);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].hit.basis, MatchBasis::Document);
    }

    #[test]
    fn a_new_provider_entry_gives_every_client_only_the_signal() {
        let now = Utc::now();
        let key = provider_key();
        let visits = [registered(now), of_tenant(registered(now), "southbank", 3)];
        let listed = ProviderEntry::new(&key, Some("Zoe Kowalski"), None, None).unwrap();
        let hits = rescreen_provider(&visits, &listed, &key, now);
        assert_eq!(hits.len(), 2);
        for h in &hits {
            assert_eq!(
                h.hit,
                WatchlistMatch {
                    list: MatchedList::Provider,
                    basis: MatchBasis::Name
                }
            );
        }
        let other = ProviderEntry::new(&key, Some("Mallory Quinn"), None, None).unwrap();
        assert!(rescreen_provider(&visits, &other, &key, now).is_empty());
    }

    #[test]
    fn the_same_person_listed_twice_has_one_person_key() {
        let a = entry("Zoë Kowalski", date(1980, 5, 1), Some(passport()));
        let mut b = entry("KOWALSKI, Zoe", date(1980, 5, 1), Some(passport()));
        b.id = "wl-2".into();
        b.reason = "seen again".into();
        assert_eq!(a.person_key(&secret()), b.person_key(&secret()));
        let other = entry("Zoë Kowalski", date(1980, 5, 2), Some(passport()));
        assert_ne!(a.person_key(&secret()), other.person_key(&secret()));
        let key = provider_key();
        let p = |name: &str| ProviderEntry::new(&key, Some(name), None, None).unwrap();
        assert_eq!(
            p("Zoe Kowalski").person_key(),
            p("kowalski zoë").person_key()
        );
        assert_ne!(
            p("Zoe Kowalski").person_key(),
            p("Mallory Quinn").person_key()
        );
        assert_eq!(p("Zoe Kowalski").person_key().len(), 64);
    }

    #[test]
    fn provider_matching_names_each_entry_hit() {
        let key = provider_key();
        let mut list = ProviderWatchlist::default();
        list.add(ProviderEntry::new(&key, Some("Mallory Quinn"), None, None).unwrap());
        list.add(ProviderEntry::new(&key, Some("Zoe Kowalski"), None, None).unwrap());
        list.add(ProviderEntry::new(&key, Some("Quinn Mallory"), date(1975, 1, 2), None).unwrap());
        let hits = list.matching(&subject("mallory quinn", date(1975, 1, 2)), &key);
        let bases: Vec<MatchBasis> = hits.iter().map(|(_, b)| *b).collect();
        assert_eq!(bases, [MatchBasis::Name, MatchBasis::NameAndBirthDate]);
        assert_eq!(
            list.matches(&subject("mallory quinn", date(1975, 1, 2)), &key)
                .map(|m| m.basis),
            Some(MatchBasis::NameAndBirthDate),
            "the signal is the strongest"
        );
    }

    #[test]
    fn the_same_hit_always_gives_the_same_event_and_alert() {
        let now = Utc::now();
        let visit = registered(now);
        let hit = WatchlistMatch {
            list: MatchedList::Client {
                entry: "wl-1".into(),
            },
            basis: MatchBasis::Name,
        };
        let candidate = crate::rules::watchlist_alarm(&visit, &hit, now);
        let name = format!("{}:client:person-1", visit.id);
        let first = hit_alarm(&candidate, &name, Duration::hours(1));
        assert_eq!(first, hit_alarm(&candidate, &name, Duration::hours(1)));
        assert_eq!(first.alert.rule_id, candidate.rule_id);
        assert_eq!(
            first.alert.group_key,
            format!("user:visit:{}", visit.id).to_ascii_lowercase()
        );
        assert_eq!(first.event.observed_at, now);
        assert_eq!(first.event.tenant, visit.tenant);
        assert_eq!(
            first.event.fields,
            crate::detector::watchlist_event(&candidate)
        );
        let text = format!("{first:?}");
        assert!(!text.contains("Kowalski"), "{text}");
        // Another person on the same visit: another event, the same alert.
        let other = hit_alarm(
            &candidate,
            &format!("{}:client:person-2", visit.id),
            Duration::hours(1),
        );
        assert_ne!(other.event.id, first.event.id);
        assert_ne!(other.fingerprint, first.fingerprint);
        assert_eq!(other.alert.id, first.alert.id);
        // Another rule (the provider's signal): another alert.
        let signal = crate::rules::watchlist_alarm(
            &visit,
            &WatchlistMatch {
                list: MatchedList::Provider,
                basis: MatchBasis::Name,
            },
            now,
        );
        let provider = hit_alarm(
            &signal,
            &format!("{}:provider:person-1", visit.id),
            Duration::hours(1),
        );
        assert_ne!(provider.alert.id, first.alert.id);
    }
}
