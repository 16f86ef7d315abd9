//! Waiting on the page: a script polled until it holds, a number read
//! from it.

use std::time::{Duration, Instant};

use super::Fixture;

/// What `script` returns, as a number (-1 when it is not one).
pub async fn number(f: &Fixture, script: &str) -> i64 {
    f.driver()
        .execute(script, vec![])
        .await
        .unwrap()
        .json()
        .as_i64()
        .unwrap_or(-1)
}

/// Polls `script` (returning a boolean) until it is true.
pub async fn until(f: &Fixture, script: &str, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    loop {
        let ok = f
            .driver()
            .execute(script, vec![])
            .await
            .ok()
            .and_then(|r| r.json().as_bool())
            .unwrap_or(false);
        if ok {
            return;
        }
        if Instant::now() >= deadline {
            f.screenshot(&format!("not-{}", what.replace(' ', "-")))
                .await;
            panic!("{what}: not within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
