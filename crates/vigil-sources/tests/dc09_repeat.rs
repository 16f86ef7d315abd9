//! A panel that did not see its ACK sends the same message again (same
//! account, sequence number and content): it is ACKed again and stored
//! once — also when the repeat is encrypted with fresh padding. A new
//! message with the same content but another sequence number is a new event.

mod common;

use std::sync::Arc;

use chrono::Utc;
use rand::SeedableRng;
use rand::rngs::StdRng;
use vigil_model::{ManualClock, SourceKind};
use vigil_sources::dc09::frame::{parse_envelope, parse_header};
use vigil_sources::dc09::{
    Dc09Listener, Dc09Receiver, Dc09Sender, PanelAccount, PanelKey, TimeWindow,
};
use vigil_store::{EventQuery, Store, TenantScope};

fn token(answer: &[u8]) -> String {
    let env = parse_envelope(answer).expect("a well-formed answer");
    parse_header(env.body).expect("a header").0.token
}

async fn events(store: &dyn Store) -> usize {
    store
        .events(&EventQuery {
            scope: TenantScope::All,
            from: None,
            to: None,
            fields: vec![],
            cursor: None,
            limit: 1000,
        })
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn a_repeated_frame_is_acknowledged_and_stored_once() {
    let now = Utc::now();
    let clock = Arc::new(ManualClock::new(now));
    let (pipeline, store) = common::pipeline_with(clock.clone(), &[]).await;
    let key = PanelKey::from_hex(&"2b".repeat(16)).unwrap();
    let mut account = PanelAccount::new("9000");
    account.key = Some(key.clone());
    let receiver = Dc09Receiver::new([account, PanelAccount::new("9001")], TimeWindow::default());
    let listener = Dc09Listener::new(
        receiver,
        common::binding("acme-diallers", SourceKind::Dc09Tcp, "sia-dc09"),
        pipeline,
        None,
    );
    let mut rng = StdRng::seed_from_u64(7);
    let plain = Dc09Sender::new("9001");
    // Without a timestamp (panels may leave it out): the event's time is
    // when it arrived, so only the receiver can tell a repeat.
    let first = plain.frame(11, "SIA-DCS", "Nri1/BA3", now, false, &mut rng);
    assert_eq!(token(&listener.handle_frame(&first, &mut rng).await), "ACK");
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(token(&listener.handle_frame(&first, &mut rng).await), "ACK");
    assert_eq!(
        events(store.as_ref()).await,
        1,
        "a repeat is not a new event"
    );

    // Encrypted: the repeat's bytes differ (new padding), its content not.
    let secret = Dc09Sender::new("9000").with_key(key);
    let a = secret.frame(12, "SIA-DCS", "Nri2/FA1", now, true, &mut rng);
    let b = secret.frame(12, "SIA-DCS", "Nri2/FA1", now, true, &mut rng);
    assert_ne!(a, b);
    assert_eq!(token(&listener.handle_frame(&a, &mut rng).await), "ACK");
    assert_eq!(token(&listener.handle_frame(&b, &mut rng).await), "ACK");
    assert_eq!(events(store.as_ref()).await, 2);

    // The same alarm again under a new sequence number is a new event.
    let again = plain.frame(13, "SIA-DCS", "Nri1/BA3", now, false, &mut rng);
    assert_eq!(token(&listener.handle_frame(&again, &mut rng).await), "ACK");
    assert_eq!(events(store.as_ref()).await, 3);
}
