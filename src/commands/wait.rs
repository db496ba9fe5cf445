//! `dask-pbs wait`: returns once a submitted cluster is ready (the head job's `ready` mark:
//! its expected workers are in), fails once it has ended or PBS has forgotten it, and gives
//! up after `--timeout`. It reads the job directory every 0.1 s and asks PBS for the head
//! job's state every 2 s. Each change is reported as it happens (a long-running command, like
//! `adapt`): a line on stderr, or with `--json` a JSON line on stdout, which the Python
//! package turns into its progress display.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::WaitArgs;
use crate::error::{Code, Error};

use super::cluster::{Report, ended, read_json, report};
use super::state::{self, Cluster};
use super::{Note, Outcome, pbs};

/// How often the job directory is read: the lag between the job's `ready` and `wait`'s return.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// How often PBS is asked for the head job's state.
const ASK_PBS_EVERY: Duration = Duration::from_secs(2);

/// Where the head job is, as far as its directory and PBS tell.
struct Look {
    /// PBS's state letter; `None` once PBS no longer knows the job.
    state: Option<String>,
    /// Why PBS could not be asked, when it could not.
    pbs_error: Option<String>,
    workers: Option<u64>,
    expected: Option<u64>,
    scheduler_up: bool,
}

impl Look {
    /// The job's progress in words: "queued (PBS state Q)", "running: 1 of 2 workers in".
    fn phase(&self) -> String {
        if let Some(e) = &self.pbs_error {
            return format!("of unknown state (PBS does not answer: {e})");
        }
        match self.state.as_deref() {
            Some(s @ ("Q" | "H" | "W" | "T" | "S")) => {
                let word = if s == "H" { "held" } else { "queued" };
                format!("{word} (PBS state {s})")
            }
            None | Some("F" | "X") => "ended (PBS no longer runs it)".to_string(),
            Some(s) if !self.scheduler_up => {
                format!("running (PBS state {s}), its scheduler not up yet")
            }
            Some(s) => match (self.workers, self.expected) {
                (Some(w), Some(e)) => format!("running (PBS state {s}), {w} of {e} workers in"),
                (Some(w), None) => format!("running (PBS state {s}), {w} workers in"),
                _ => format!("running (PBS state {s}), its scheduler up"),
            },
        }
    }

    fn event(&self, seconds: f64) -> Value {
        json!({
            "event": "progress",
            "seconds": round(seconds),
            "state": self.state,
            "pbs_error": self.pbs_error,
            "scheduler_up": self.scheduler_up,
            "workers": self.workers,
            "expected": self.expected,
            "phase": self.phase(),
        })
    }
}

fn round(seconds: f64) -> f64 {
    (seconds * 100.0).round() / 100.0
}

pub(super) fn wait(args: &WaitArgs) -> Result<Outcome, Error> {
    let cluster = state::load(&args.job_id)?;
    let start = Instant::now();
    let deadline = args.timeout.map(|s| start + Duration::from_secs_f64(s));
    let mut look = Look {
        state: None,
        pbs_error: None,
        workers: None,
        expected: None,
        scheduler_up: false,
    };
    let mut asked: Option<Instant> = None;
    let mut said = String::new();
    loop {
        if asked.is_none_or(|t| t.elapsed() >= ASK_PBS_EVERY) {
            ask_pbs(&cluster, &mut look);
            asked = Some(Instant::now());
        }
        // The directory after PBS: a job PBS has forgotten wrote its end mark before it exited.
        read_directory(&cluster, &mut look);
        if let Some((kind, code, why)) = failed(&cluster, &look) {
            return Ok(finish(&cluster, &look, args.json, (kind, code), why));
        }
        if is_ready(&cluster, &look) {
            return Ok(ready(
                &cluster,
                &look,
                args.json,
                start.elapsed().as_secs_f64(),
            ));
        }
        if look.phase() != said {
            said = look.phase();
            progress(&cluster, &look, args.json, start.elapsed().as_secs_f64());
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(gave_up(&cluster, &look, args));
        }
        std::thread::sleep(LOOK_EVERY);
    }
}

/// Why the cluster will never be ready, if it will not: the head job's end mark, or PBS no
/// longer running a job that left none.
fn failed(cluster: &Cluster, look: &Look) -> Option<(&'static str, Code, String)> {
    if let Some(mark) = ended(&cluster.job_dir) {
        let when = if cluster.job_dir.join("ready").is_file() {
            "has ended"
        } else {
            "ended before its cluster was ready"
        };
        let why = format!(
            "the head job {} {when} ({}); its logs: {}/logs/ and PBS's output file",
            cluster.job_id, mark.text, cluster.job_dir
        );
        return Some(("ended", Code::WaitEnded, why));
    }
    if look.pbs_error.is_some() || !pbs::is_over(look.state.as_deref()) {
        return None;
    }
    let submit_dir = cluster
        .job_dir
        .parent()
        .map_or(".".into(), ToString::to_string);
    let why = format!(
        "PBS no longer runs the head job {} and it left no end mark: it was deleted before it started, or killed (PBS's output file in {submit_dir} says why)",
        cluster.job_id
    );
    Some(("gone", Code::WaitGone, why))
}

fn gave_up(cluster: &Cluster, look: &Look, args: &WaitArgs) -> Outcome {
    let why = format!(
        "gave up after {} s: the head job {} is {}; its logs: {}/logs/ (PBS's output file once it ends)",
        args.timeout.unwrap_or_default(),
        cluster.job_id,
        look.phase(),
        cluster.job_dir,
    );
    let mut outcome = finish(
        cluster,
        look,
        args.json,
        ("timeout", Code::WaitTimeout),
        why,
    );
    outcome.notes.push(Note::Info(format!(
        "the job goes on: `dask-pbs stop {}` ends it",
        cluster.job_id
    )));
    outcome
}

fn ask_pbs(cluster: &Cluster, look: &mut Look) {
    match pbs::states(std::slice::from_ref(&cluster.job_id)) {
        Ok(states) => {
            look.state = states.get(&cluster.job_id).cloned();
            look.pbs_error = None;
        }
        Err(e) => look.pbs_error = Some(e.to_string()),
    }
}

fn read_directory(cluster: &Cluster, look: &mut Look) {
    look.scheduler_up = cluster.job_dir.join("scheduler.json").is_file();
    if let Some(status) = read_json(&cluster.job_dir.join("status.json")) {
        look.workers = status["workers"].as_u64();
        look.expected = status["expected"].as_u64();
    }
    if look.expected.is_none() {
        look.expected = cluster.workers_per_job.map(u64::from);
    }
}

/// The head job's `ready` mark; before the job writes one, its status with the workers it
/// expects.
fn is_ready(cluster: &Cluster, look: &Look) -> bool {
    cluster.job_dir.join("ready").is_file()
        || matches!((look.workers, look.expected), (Some(w), Some(e)) if e > 0 && w >= e)
}

fn progress(cluster: &Cluster, look: &Look, json: bool, seconds: f64) {
    if json {
        line(&look.event(seconds).to_string());
    } else {
        eprintln!(
            "dask-pbs: {} s: the head job {} is {}",
            round(seconds),
            cluster.job_id,
            look.phase()
        );
    }
}

/// Writes one line on stdout at once (the reader acts on each).
fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// The cluster's `status` report, with the head job's state as last asked (no qstat more:
/// the caller acts on the report at once).
fn cluster_report(cluster: &Cluster, look: &Look) -> Report {
    let states = look
        .state
        .iter()
        .map(|s| (cluster.job_id.clone(), s.clone()))
        .collect();
    report(cluster, &states)
}

fn ready(cluster: &Cluster, look: &Look, json: bool, seconds: f64) -> Outcome {
    let r = cluster_report(cluster, look);
    let value = serde_json::to_value(&r).unwrap_or(Value::Null);
    // The count the ready mark gives: status.json follows it a moment later.
    let workers = value["ready"]["workers"]
        .as_u64()
        .or(value["workers"].as_u64());
    if json {
        let event =
            json!({"event": "ready", "seconds": round(seconds), "workers": workers, "cluster": r});
        return Outcome::text(format!("{event}\n"));
    }
    let text = |key: &str| value[key].as_str().unwrap_or("?").to_string();
    Outcome::text(format!(
        "ready: {} workers after {} s\nscheduler: {}\ndashboard: {}\n",
        workers.map_or("?".into(), |w| w.to_string()),
        round(seconds),
        text("scheduler"),
        text("dashboard")
    ))
}

/// The outcome of a wait that failed: its kind (the JSON event with --json) and code, and
/// `why`.
fn finish(
    cluster: &Cluster,
    look: &Look,
    json: bool,
    (kind, code): (&str, Code),
    why: String,
) -> Outcome {
    let mut outcome = Outcome::default();
    if json {
        let event =
            json!({"event": kind, "message": why, "cluster": cluster_report(cluster, look)});
        outcome.stdout = format!("{event}\n");
    }
    outcome.error = Some(Error::new(code, why));
    outcome
}
