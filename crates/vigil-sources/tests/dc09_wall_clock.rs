//! A receiver for real panels on a node whose clock is simulated (the
//! demo's) holds frames to wall time: a frame stamped now is acknowledged,
//! one ten minutes old — a replay — is refused, whatever the node's clock says.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use vigil_model::{ManualClock, SourceKind};
use vigil_sources::dc09::frame::{parse_envelope, parse_header};
use vigil_sources::dc09::{Dc09Listener, Dc09Receiver, Dc09Sender, PanelAccount, TimeWindow};

fn token(answer: &[u8]) -> String {
    let env = parse_envelope(answer).expect("a well-formed answer");
    parse_header(env.body).expect("a header").0.token
}

#[tokio::test]
async fn real_panels_are_held_to_wall_time_on_a_simulated_clock() {
    // The node's clock runs a year ahead, as a fast demo's may.
    let simulated = Utc::now() + Duration::days(365);
    let (pipeline, _store) =
        common::pipeline_with(Arc::new(ManualClock::new(simulated)), &[]).await;
    let receiver =
        Dc09Receiver::new([PanelAccount::new("9000")], TimeWindow::default()).on_wall_clock();
    let listener = Dc09Listener::new(
        receiver,
        common::binding("acme-diallers", SourceKind::Dc09Tcp, "sia-dc09"),
        pipeline,
        None,
    );
    let sender = Dc09Sender::new("9000");
    let mut rng = StdRng::seed_from_u64(7);
    let fresh = sender.frame(1, "SIA-DCS", "Nri1/PA3", Utc::now(), true, &mut rng);
    assert_eq!(token(&listener.handle_frame(&fresh, &mut rng).await), "ACK");
    let replayed = sender.frame(
        2,
        "SIA-DCS",
        "Nri1/PA3",
        Utc::now() - Duration::minutes(10),
        true,
        &mut rng,
    );
    assert_eq!(
        token(&listener.handle_frame(&replayed, &mut rng).await),
        "NAK"
    );
    let simulated_time = sender.frame(3, "SIA-DCS", "Nri1/PA3", simulated, true, &mut rng);
    assert_eq!(
        token(&listener.handle_frame(&simulated_time, &mut rng).await),
        "NAK"
    );
}
