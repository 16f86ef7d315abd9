//! Several files hunted at once, one [`Hunter`] per thread, with what they
//! find handed on in file order, as one hunter would have.
//!
//! A file (inflating it, reading its JSON, matching its events) is one
//! thread's work from start to end, so nothing is shared per event but the
//! rule set, which is built for it (`Send + Sync`; routes compiled once
//! under a lock, per-thread workspaces). A thread takes the next file as
//! soon as it is done with one, the largest files first, so that no thread
//! is left with a large file while the others have nothing to do; what a
//! file yields is held until the files before it have been handed on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use vigil_detect::RuleSet;

use crate::{Hit, HuntObserver, HuntOptions, HuntStats, Hunter, Problem};

/// How often progress is passed on while waiting for a file to finish.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What a file yielded, in the order found.
enum Found {
    Hit(Box<Hit>),
    Problem(Problem),
}

/// A worker's observer: keeps what its file yields, counts progress into
/// the shared total.
struct Collect<'a> {
    found: Vec<Found>,
    read: &'a AtomicU64,
    /// This worker's bytes as last added to `read`.
    counted: u64,
}

impl HuntObserver for Collect<'_> {
    fn hit(&mut self, hit: Hit) {
        self.found.push(Found::Hit(Box::new(hit)));
    }

    fn progress(&mut self, bytes: u64) {
        self.read
            .fetch_add(bytes.saturating_sub(self.counted), Ordering::Relaxed);
        self.counted = self.counted.max(bytes);
    }

    fn problem(&mut self, problem: Problem) {
        self.found.push(Found::Problem(problem));
    }
}

/// Hunts through `files` with up to `threads` hunters at once; `observer`
/// sees the same hits and problems in the same order as one [`Hunter`]
/// going through the files in turn would show it, and progress as the sum
/// over all hunters. Stops taking new files once
/// [`HuntObserver::stopped`] says so. Returns the counts of all hunters.
pub fn hunt_files(
    rules: &RuleSet,
    options: &HuntOptions,
    files: &[PathBuf],
    threads: usize,
    observer: &mut impl HuntObserver,
) -> HuntStats {
    let threads = threads.clamp(1, files.len().max(1));
    if threads == 1 {
        let mut hunter = Hunter::new(rules, options.clone());
        for file in files {
            hunter.hunt_file(file, observer);
            if observer.stopped() {
                break;
            }
        }
        return hunter.stats();
    }
    let order = largest_first(files);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let read = AtomicU64::new(0);
    let (send, receive) = mpsc::channel::<(usize, Vec<Found>)>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let send = send.clone();
                let (order, next, stop, read) = (&order, &next, &stop, &read);
                scope.spawn(move || {
                    let mut hunter = Hunter::new(rules, options.clone());
                    let mut collect = Collect {
                        found: Vec::new(),
                        read,
                        counted: 0,
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let taken = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(taken) else { break };
                        let Some(file) = files.get(i) else { break };
                        hunter.hunt_file(file, &mut collect);
                        let found = std::mem::take(&mut collect.found);
                        if send.send((i, found)).is_err() {
                            break;
                        }
                    }
                    hunter.stats()
                })
            })
            .collect();
        drop(send);
        let mut waiting: BTreeMap<usize, Vec<Found>> = BTreeMap::new();
        let mut due = 0usize;
        let mut shown = 0u64;
        loop {
            let received = receive.recv_timeout(PROGRESS_EVERY);
            let total = read.load(Ordering::Relaxed);
            if total != shown {
                shown = total;
                observer.progress(total);
            }
            match received {
                Ok((i, found)) => {
                    waiting.insert(i, found);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            while let Some(found) = waiting.remove(&due) {
                due += 1;
                if stop.load(Ordering::Relaxed) {
                    continue;
                }
                for item in found {
                    match item {
                        Found::Hit(hit) => observer.hit(*hit),
                        Found::Problem(problem) => observer.problem(problem),
                    }
                }
                if observer.stopped() {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        let mut stats = HuntStats::default();
        for worker in workers {
            match worker.join() {
                Ok(counts) => stats.add(&counts),
                // A worker's panic is the hunt's: not hidden as a short count.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        stats
    })
}

/// The indices of `files`, the largest first (by size on disk; a file
/// whose size cannot be read counts as empty and keeps its place among
/// those). Only the order work is taken in: what files yield is still
/// handed on in their own order.
fn largest_first(files: &[PathBuf]) -> Vec<usize> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    // Stable: files of one size are taken in their own order.
    order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
    order
}

impl HuntStats {
    fn add(&mut self, other: &HuntStats) {
        let HuntStats {
            files,
            members,
            events,
            event_bytes,
            input_bytes,
            hits,
            unreadable_events,
            skipped_inputs,
        } = *other;
        self.files += files;
        self.members += members;
        self.events += events;
        self.event_bytes += event_bytes;
        self.input_bytes += input_bytes;
        self.hits += hits;
        self.unreadable_events += unreadable_events;
        self.skipped_inputs += skipped_inputs;
    }
}

/// How many hunters to run when not told: one per core this process may
/// use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::path::Path;

    use vigil_detect::LoadOptions;

    use super::*;
    use crate::Position;

    const RULES: &str = r#"
title: Door Forced
id: 0b5e7c1a-0000-4000-8000-000000000001
logsource:
    product: acme
detection:
    selection:
        door|startswith: 'D-'
        state: forced
    condition: selection
---
title: Door Held
id: 0b5e7c1a-0000-4000-8000-000000000002
logsource:
    product: acme
detection:
    selection:
        state: held
    condition: selection
"#;

    /// Everything an observer was shown, in order.
    #[derive(Default)]
    struct Record {
        seen: Vec<String>,
        stop_after_hits: Option<usize>,
        hits: usize,
    }

    impl HuntObserver for Record {
        fn hit(&mut self, hit: Hit) {
            self.hits += 1;
            let at = match hit.position {
                Position::Offset(o) | Position::Record(o) => o,
            };
            self.seen
                .push(format!("hit {} {} {at}", hit.rule.id, hit.origin));
        }

        fn problem(&mut self, problem: Problem) {
            self.seen
                .push(format!("problem {} {}", problem.origin, problem.message));
        }

        fn stopped(&self) -> bool {
            self.stop_after_hits.is_some_and(|n| self.hits >= n)
        }
    }

    /// Files of varied sizes and kinds: JSON lines, gzip, one that is not
    /// events, one without any match.
    fn corpus(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for n in 0..9usize {
            let mut text = String::new();
            for i in 0..(n * 37 % 11 + 1) * 20 {
                let state = ["forced", "held", "closed"][(i + n) % 3];
                text.push_str(&format!(
                    "{{\"door\":\"D-{i}\",\"state\":\"{state}\",\"n\":{n}}}\n"
                ));
            }
            let path = dir.join(format!("{n:02}.json"));
            match n {
                3 => {
                    let mut gz = flate2::write::GzEncoder::new(
                        std::fs::File::create(dir.join("03.json.gz")).expect("create"),
                        flate2::Compression::fast(),
                    );
                    gz.write_all(text.as_bytes()).expect("write");
                    gz.finish().expect("finish");
                    files.push(dir.join("03.json.gz"));
                    continue;
                }
                5 => text = "not events at all\n".to_owned(),
                7 => text = "{\"door\":\"X\",\"state\":\"open\"}\n".to_owned(),
                _ => {}
            }
            std::fs::write(&path, text).expect("write");
            files.push(path);
        }
        files
    }

    fn hunt(files: &[PathBuf], threads: usize, stop: Option<usize>) -> (Vec<String>, HuntStats) {
        let rules = RuleSet::load_sources(
            [("r.yml".to_owned(), RULES.to_owned())],
            &LoadOptions::default(),
        )
        .ruleset;
        let options = HuntOptions {
            product: "acme".into(),
            ..HuntOptions::default()
        };
        let mut record = Record {
            stop_after_hits: stop,
            ..Record::default()
        };
        let stats = hunt_files(&rules, &options, files, threads, &mut record);
        (record.seen, stats)
    }

    #[test]
    fn many_threads_show_what_one_shows_in_the_same_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = corpus(dir.path());
        let (one, one_stats) = hunt(&files, 1, None);
        assert!(one.iter().filter(|s| s.starts_with("hit")).count() > 100);
        assert!(one.iter().any(|s| s.starts_with("problem")));
        for threads in [2, 3, 8] {
            let (many, many_stats) = hunt(&files, threads, None);
            assert_eq!(many, one, "{threads} threads");
            assert_eq!(many_stats, one_stats, "{threads} threads");
        }
    }

    #[test]
    fn work_is_taken_largest_file_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = Vec::new();
        for (name, size) in [("a", 10), ("b", 300), ("c", 10), ("d", 2000)] {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![b' '; size]).expect("write");
            files.push(path);
        }
        files.push(dir.path().join("missing"));
        assert_eq!(largest_first(&files), vec![3, 1, 0, 2, 4]);
    }

    #[test]
    fn a_stopped_observer_is_shown_no_further_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = corpus(dir.path());
        let (all, _) = hunt(&files, 1, None);
        // The first file's hits, then nothing: the stop is seen after it.
        let first_file: Vec<String> = all
            .iter()
            .take_while(|s| s.contains("00.json"))
            .cloned()
            .collect();
        assert!(!first_file.is_empty());
        for threads in [1, 2, 4] {
            let (seen, _) = hunt(&files, threads, Some(1));
            assert_eq!(seen, first_file, "{threads} threads");
        }
    }
}
