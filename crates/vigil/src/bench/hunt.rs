//! `vigil bench hunt`: `vigil hunt` side by side with a reference Sigma
//! engine (rsigma), whole process: each run is a process of its own,
//! spawned, timed on the wall clock and measured by the kernel (peak
//! resident memory and CPU time from `wait4`), the two engines taking turns
//! round after round so that the machine's load falls on both alike.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

/// `vigil bench hunt [--reference PATH] [--rules DIR] [--corpus DIR]`
#[derive(Debug, Args)]
pub struct HuntBenchArgs {
    /// The reference engine's binary (rsigma 0.21: `rsigma engine eval`).
    /// Without it only `vigil hunt` is measured.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// The Sigma rules both engines load.
    #[arg(long, default_value = "../shared/corpora/sigma/rules/windows")]
    rules: PathBuf,
    /// The events: a folder (or file) as `vigil hunt` takes it (JSON, JSON
    /// lines, EVTX, gzip, zip).
    #[arg(long, default_value = "../shared/corpora/security-datasets")]
    corpus: PathBuf,
    /// Rounds; in each, both engines run once, in alternating order.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Compile the rules in every run of `vigil hunt`, without its
    /// compiled-rule cache. By default the cache (in the work folder) is
    /// filled by one run before the rounds, which is measured and shown
    /// on its own, and the rounds take the rules from it.
    #[arg(long)]
    no_rule_cache: bool,
    /// Where the reference's NDJSON copy of the events and both engines'
    /// outputs are written (a temporary folder by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// What the kernel and the clock said about one run.
#[derive(Debug, Clone, Copy)]
struct Measured {
    wall: Duration,
    /// User plus system CPU time.
    cpu: Duration,
    peak_kb: u64,
}

/// One engine's runs.
#[derive(Debug, Default)]
struct Runs {
    measured: Vec<Measured>,
    /// Detections (output lines) of the last run.
    detections: u64,
    /// Events the engine read.
    events: u64,
}

/// Runs `vigil bench hunt`.
pub fn run(args: HuntBenchArgs) -> anyhow::Result<()> {
    for (what, path) in [("rules", &args.rules), ("corpus", &args.corpus)] {
        if !path.exists() {
            bail!(
                "{what} {} not found; run from the project root (the corpora are in ../shared/corpora) or pass --{what}",
                path.display()
            );
        }
    }
    let temp;
    let work = match &args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temp = super::tempfile_dir()?;
            temp.path().to_path_buf()
        }
    };
    let vigil = std::env::current_exe().context("cannot find this program's own binary")?;
    let rounds = args.rounds.max(1);
    println!("machine: {}", super::machine());
    println!("load at start: {}", load_average());

    // Outside the timed part: the reference reads NDJSON only, so it gets
    // the same events written out once as one NDJSON file.
    let prepared = match &args.reference {
        Some(reference) => {
            let started = Instant::now();
            let ndjson = work.join("events.ndjson");
            let events = write_ndjson(&args.corpus, &ndjson)?;
            println!(
                "prepared for the reference (not timed): {events} events as NDJSON in {:.1?} at {}",
                started.elapsed(),
                ndjson.display()
            );
            Some((reference.clone(), ndjson, events))
        }
        None => None,
    };

    let cache = (!args.no_rule_cache).then(|| work.join("rule-cache"));
    if let Some(cache) = &cache {
        let _ = std::fs::remove_dir_all(cache);
        let (measured, _, _) = run_vigil(&vigil, &args.rules, &args.corpus, &work, Some(cache))?;
        println!(
            "empty rule cache: vigil compiles and stores the rules (not in the rounds): {}",
            describe(&measured)
        );
    }

    let mut ours = Runs::default();
    let mut theirs = Runs::default();
    for round in 0..rounds {
        // Alternating who goes first, so that neither always runs on a
        // warmer (or busier) machine.
        let reference_first = round % 2 == 1;
        for turn in 0..2 {
            let reference_turn = (turn == 0) == reference_first;
            if reference_turn {
                let Some((reference, ndjson, events)) = &prepared else {
                    continue;
                };
                let (measured, detections, read) =
                    run_reference(reference, &args.rules, ndjson, &work)?;
                println!("round {}: reference {}", round + 1, describe(&measured));
                theirs.measured.push(measured);
                theirs.detections = detections;
                theirs.events = read.unwrap_or(*events);
            } else {
                let (measured, detections, events) =
                    run_vigil(&vigil, &args.rules, &args.corpus, &work, cache.as_deref())?;
                println!("round {}: vigil     {}", round + 1, describe(&measured));
                ours.measured.push(measured);
                ours.detections = detections;
                ours.events = events;
            }
        }
    }

    println!();
    println!("load at end: {}", load_average());
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "engine", "wall (med)", "cpu (med)", "peak MB", "events/s", "detections"
    );
    summary_line("vigil", &ours);
    if prepared.is_some() {
        summary_line("reference", &theirs);
        let ratio = |f: fn(&Measured) -> f64| {
            median(theirs.measured.iter().map(f)) / median(ours.measured.iter().map(f)).max(1e-9)
        };
        let per_round: Vec<String> = ours
            .measured
            .iter()
            .zip(&theirs.measured)
            .map(|(o, t)| {
                format!(
                    "{:.2}",
                    t.wall.as_secs_f64() / o.wall.as_secs_f64().max(1e-9)
                )
            })
            .collect();
        println!();
        println!(
            "vigil is {:.2}x the reference by wall time (median; rounds: {}), {:.2}x by CPU time, and uses {:.2}x its peak memory",
            ratio(|m| m.wall.as_secs_f64()),
            per_round.join(", "),
            ratio(|m| m.cpu.as_secs_f64()),
            peak_mb(&ours) / peak_mb(&theirs).max(1e-9),
        );
    }
    Ok(())
}

fn describe(m: &Measured) -> String {
    format!(
        "wall {:>7.2?}  cpu {:>7.2?}  peak {:>7.1} MB",
        m.wall,
        m.cpu,
        m.peak_kb as f64 / 1e3
    )
}

fn summary_line(name: &str, runs: &Runs) {
    let wall = median(runs.measured.iter().map(|m| m.wall.as_secs_f64()));
    let cpu = median(runs.measured.iter().map(|m| m.cpu.as_secs_f64()));
    println!(
        "{name:<10} {:>9.2}s {:>9.2}s {:>10.1} {:>12.0} {:>12}",
        wall,
        cpu,
        peak_mb(runs),
        runs.events as f64 / wall.max(1e-9),
        runs.detections
    );
}

fn peak_mb(runs: &Runs) -> f64 {
    runs.measured.iter().map(|m| m.peak_kb).max().unwrap_or(0) as f64 / 1e3
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// `vigil hunt --json` over the corpus, with its compiled rules kept in
/// `cache` (or compiled without one): its measure, its detections (one
/// JSON line each) and its events (from `--stats`).
fn run_vigil(
    vigil: &Path,
    rules: &Path,
    corpus: &Path,
    work: &Path,
    cache: Option<&Path>,
) -> anyhow::Result<(Measured, u64, u64)> {
    let out = work.join("vigil.out");
    let err = work.join("vigil.err");
    let mut command = Command::new(vigil);
    command
        .arg("hunt")
        .arg("--rules")
        .arg(rules)
        .args(["--json", "--stats", "--no-progress"]);
    match cache {
        Some(cache) => command.arg("--rule-cache").arg(cache),
        None => command.arg("--no-rule-cache"),
    };
    command.arg(corpus);
    let measured = spawn_measured(command, &out, &err, None)?;
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let events = stderr
        .lines()
        .find_map(|l| l.strip_prefix("events:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("vigil hunt printed no event count; its stderr:\n{stderr}"))?;
    Ok((measured, count_lines(&out)?, events))
}

/// The reference over the NDJSON copy, read from its standard input: its
/// measure, its detections (one NDJSON line each) and the events it says
/// it read.
fn run_reference(
    reference: &Path,
    rules: &Path,
    ndjson: &Path,
    work: &Path,
) -> anyhow::Result<(Measured, u64, Option<u64>)> {
    let out = work.join("reference.out");
    let err = work.join("reference.err");
    let mut command = Command::new(reference);
    command.args(["engine", "eval", "-r"]).arg(rules);
    let measured = spawn_measured(command, &out, &err, Some(ndjson))?;
    // rsigma says `Processed N events, M matches.` on its standard error.
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let events = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Processed "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    Ok((measured, count_lines(&out)?, events))
}

/// Runs `command` to its end with its output in files, and measures it.
fn spawn_measured(
    mut command: Command,
    out: &Path,
    err: &Path,
    stdin: Option<&Path>,
) -> anyhow::Result<Measured> {
    let stdin = match stdin {
        Some(path) => Stdio::from(
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    command
        .stdin(stdin)
        .stdout(File::create(out)?)
        .stderr(File::create(err)?);
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let mut guard = Reaped(Some(child));
    let (status, cpu, peak_kb) = wait_with_usage(&mut guard)?;
    let wall = started.elapsed();
    if status != 0 {
        let stderr = std::fs::read_to_string(err).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        bail!(
            "{:?} failed (wait status {status}); the end of its stderr:\n{}",
            command.get_program(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(Measured { wall, cpu, peak_kb })
}

/// A child killed and reaped when dropped before it was waited for (an
/// error, a panic), so that no run outlives the benchmark.
struct Reaped(Option<Child>);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for the child and returns its wait status, its CPU time (user and
/// system) and its peak resident set size in kB, as the kernel counted them.
fn wait_with_usage(guard: &mut Reaped) -> anyhow::Result<(i32, Duration, u64)> {
    let Some(child) = guard.0.as_ref() else {
        bail!("the child was reaped already");
    };
    let pid = libc::pid_t::try_from(child.id()).context("process id out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: `pid` is our own unreaped child (std's `Child` does not
        // reap on its own), and both out-pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    if reaped != pid {
        bail!("waiting for the child: {}", std::io::Error::last_os_error());
    }
    // Reaped here: dropping the `Child` must not kill or wait again.
    guard.0 = None;
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    // Linux gives `ru_maxrss` in kB.
    Ok((status, cpu, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}

fn count_lines(path: &Path) -> anyhow::Result<u64> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Writes every JSON-object line of the JSON files under `corpus` (inside
/// zip and gzip archives too) to `out` as NDJSON; returns how many.
/// Lines that are not a JSON object (a resource fork in front, a truncated
/// record) are left out, as `vigil hunt` skips them.
fn write_ndjson(corpus: &Path, out: &Path) -> anyhow::Result<u64> {
    let mut writer = BufWriter::new(
        File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let mut events = 0u64;
    for (file, _) in vigil_hunt::files_under(&[corpus.to_path_buf()])? {
        let mut reader = BufReader::new(
            File::open(&file).with_context(|| format!("cannot open {}", file.display()))?,
        );
        events += copy_events(&mut reader, &mut writer, 0)
            .with_context(|| format!("reading {}", file.display()))?;
    }
    writer.flush()?;
    Ok(events)
}

/// Archives inside archives are opened down to this depth (as `vigil hunt`
/// does by default).
const MAX_DEPTH: usize = 4;

/// Dynamic, since archives nest (a generic function would be instantiated
/// without end).
fn copy_events(reader: &mut dyn BufRead, out: &mut dyn Write, depth: usize) -> anyhow::Result<u64> {
    let head = reader.fill_buf()?.to_vec();
    match vigil_hunt::InputKind::sniff(&head) {
        Some(vigil_hunt::InputKind::Gzip) if depth < MAX_DEPTH => copy_events(
            &mut BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)),
            out,
            depth + 1,
        ),
        Some(vigil_hunt::InputKind::Zip) if depth < MAX_DEPTH => {
            let mut spool = tempfile::tempfile()?;
            std::io::copy(reader, &mut spool)?;
            let mut archive = zip::ZipArchive::new(spool)?;
            let mut events = 0;
            for i in 0..archive.len() {
                let entry = archive.by_index(i)?;
                if entry.is_dir() {
                    continue;
                }
                events += copy_events(&mut BufReader::new(entry), out, depth + 1)?;
            }
            Ok(events)
        }
        Some(vigil_hunt::InputKind::Json) | None => copy_json_lines(reader, out),
        // EVTX and archives nested deeper are not copied: the reference
        // reads no EVTX, and the corpus has neither.
        Some(_) => Ok(0),
    }
}

fn copy_json_lines(reader: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<u64> {
    let mut events = 0;
    for line in reader.split(b'\n') {
        let line = line?;
        let line = line.trim_ascii();
        if line.first() == Some(&b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
        {
            out.write_all(line)?;
            out.write_all(b"\n")?;
            events += 1;
        }
    }
    Ok(events)
}

/// The load average, to be recorded with the figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_gets_every_event_line_of_zips_gzips_and_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).expect("corpus");
        // A resource fork in front of the lines, a truncated record, CRLF.
        std::fs::write(
            corpus.join("a.json"),
            b"\x00\x05\x16\x07Mac OS X\n{\"n\":1}\r\n{\"n\":\"trunc\n  {\"n\":2}\n",
        )
        .expect("a");
        let mut gz = flate2::write::GzEncoder::new(
            File::create(corpus.join("b.json.gz")).expect("gz"),
            flate2::Compression::fast(),
        );
        gz.write_all(b"{\"n\":3}\n{\"n\":4}").expect("gz");
        gz.finish().expect("gz");
        let mut zip = zip::ZipWriter::new(File::create(corpus.join("c.zip")).expect("zip"));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("inner.json", options).expect("member");
        zip.write_all(b"{\"n\":5}\n").expect("member");
        zip.start_file("capture.pcap", options).expect("member");
        zip.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 0, 1, b'\n', b'{'])
            .expect("member");
        zip.finish().expect("zip");

        let out = dir.path().join("events.ndjson");
        assert_eq!(write_ndjson(&corpus, &out).expect("prepared"), 5);
        let text = std::fs::read_to_string(&out).expect("read");
        assert_eq!(
            text,
            "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n"
        );
    }

    #[test]
    fn a_median_of_any_count() {
        assert_eq!(median([].into_iter()), 0.0);
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, 2.0, 3.0].into_iter()), 2.5);
    }
}
