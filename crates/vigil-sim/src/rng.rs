//! Named random streams.
//!
//! Every decision draws from a stream named by what it decides (`people`,
//! slot 1234; `day`, person 7, day 20415). Streams never share state, so the
//! output of one minute cannot depend on how much randomness another minute
//! happened to consume — which is what makes the simulator independent of how
//! time is chopped into `advance_to` calls.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use sha2::{Digest, Sha256};

/// The random generator used everywhere.
pub type SimRng = ChaCha8Rng;

/// The stream named by `labels` under `seed`.
pub fn stream(seed: u64, labels: &[&str]) -> SimRng {
    stream_at(seed, labels, &[])
}

/// The stream named by `labels` and `numbers` under `seed`.
pub fn stream_at(seed: u64, labels: &[&str], numbers: &[u64]) -> SimRng {
    let mut hash = Sha256::new();
    hash.update(seed.to_le_bytes());
    for label in labels {
        // The length prefix keeps ("ab","c") and ("a","bc") apart.
        hash.update((label.len() as u64).to_le_bytes());
        hash.update(label.as_bytes());
    }
    for n in numbers {
        hash.update(n.to_le_bytes());
    }
    SimRng::from_seed(hash.finalize().into())
}

/// A Poisson-distributed count with mean `mean` (0 for a mean that is not positive).
pub fn poisson(rng: &mut SimRng, mean: f64) -> u32 {
    if !(mean.is_finite() && mean > 0.0) {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(dist) => {
            let n: f64 = dist.sample(rng);
            n.min(f64::from(u32::MAX)) as u32
        }
        Err(_) => 0,
    }
}

/// One element of `items`, uniformly; `None` when empty.
pub fn pick<'a, T>(rng: &mut SimRng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

/// A GUID in Windows' braced form, as Sysmon writes `ProcessGuid`.
pub fn windows_guid(rng: &mut SimRng) -> String {
    let b: [u8; 16] = rng.random();
    format!(
        "{{{:08x}-{:04x}-{:04x}-{:04x}-{:012x}}}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]),
        u16::from_be_bytes([b[8], b[9]]),
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream_at(1, &["x"], &[3]).random();
        let b: u64 = stream_at(1, &["x"], &[3]).random();
        let c: u64 = stream_at(1, &["x"], &[4]).random();
        let d: u64 = stream_at(2, &["x"], &[3]).random();
        let e: u64 = stream(1, &["ab", "c"]).random();
        let f: u64 = stream(1, &["a", "bc"]).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(e, f);
    }

    #[test]
    fn poisson_has_roughly_the_asked_mean_and_tolerates_nonsense() {
        let mut rng = stream(7, &["poisson"]);
        let total: u32 = (0..2000).map(|_| poisson(&mut rng, 3.0)).sum();
        let mean = f64::from(total) / 2000.0;
        assert!((2.7..3.3).contains(&mean), "{mean}");
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, -1.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
    }

    #[test]
    fn picking_from_nothing_gives_nothing() {
        let mut rng = stream(7, &["pick"]);
        assert_eq!(pick::<u8>(&mut rng, &[]), None);
        assert_eq!(pick(&mut rng, &[5]), Some(&5));
    }

    #[test]
    fn guids_look_like_windows_guids() {
        let g = windows_guid(&mut stream(1, &["guid"]));
        assert_eq!(g.len(), 38);
        assert!(g.starts_with('{') && g.ends_with('}'));
        assert_eq!(g.matches('-').count(), 4);
    }
}
