//! `dask-pbs adapt`: a small foreground loop that follows the adaptive target the head job
//! publishes (the scheduler's `adaptive_target()`, in its status.json) with worker jobs,
//! within [--min, --max]. It reads one small file per interval and asks PBS only when it
//! changes something, so it costs a login node next to nothing; killing it leaves the cluster
//! as it is.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use camino::Utf8Path;
use serde_json::Value;

use crate::cli::AdaptArgs;
use crate::error::{Code, Error};

use super::cluster::{ANSWER_WITHIN, add, ended, newest, read_json, retire};
use super::state;
use super::{Note, Outcome, pbs};

/// Looks in a row the target must stay lower before worker jobs are retired: a short lull
/// between two computations should not cost the workers (and their queue wait).
const SCALE_DOWN_AFTER: u32 = 3;

/// How many worker jobs the target asks for: the workers beyond the head job's own, in jobs of
/// `per_job` workers, within [min, max].
pub(super) fn wanted_jobs(target: u64, head: u64, per_job: u64, min: u32, max: u32) -> u32 {
    let beyond = target.saturating_sub(head);
    let jobs = beyond.div_ceil(per_job.max(1));
    u32::try_from(jobs)
        .unwrap_or(u32::MAX)
        .clamp(min, max.max(min))
}

/// Workers a worker job brings: the plan recorded at submit, else the most a worker job has.
fn workers_per_job(status: &Value, planned: Option<u32>) -> u64 {
    let seen = status["jobs"].as_object().and_then(|jobs| {
        jobs.iter()
            .filter(|(k, _)| k.as_str() != "head")
            .filter_map(|(_, v)| v.as_array().map(|a| a.len() as u64))
            .max()
    });
    planned.map(u64::from).or(seen).unwrap_or(1)
}

/// The bounds in worker jobs: `--min`/`--max` as given, or (`--workers`) the worker jobs
/// that many workers need beyond the head job's `head`.
fn bounds(args: &AdaptArgs, head: u64, per_job: u64) -> (u32, u32) {
    if !args.workers {
        return (args.min, args.max);
    }
    let jobs = |n: u32| wanted_jobs(u64::from(n), head, per_job, 0, u32::MAX);
    (jobs(args.min), jobs(args.max))
}

/// Set once standard input has reached its end (`--stop-on-eof`): the loop stops at its
/// next look, never in the middle of a submission it must record.
static INPUT_CLOSED: AtomicBool = AtomicBool::new(false);

fn watch_input() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        let mut input = std::io::stdin().lock();
        while matches!(input.read(&mut sink), Ok(n) if n > 0) {}
        INPUT_CLOSED.store(true, Ordering::SeqCst);
    });
}

/// Sleeps `interval`, in short steps so that a closed input is seen at once.
fn pause(interval: Duration) {
    let deadline = Instant::now() + interval;
    while Instant::now() < deadline && !INPUT_CLOSED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100).min(interval));
    }
}

fn stopped(why: String) -> Outcome {
    let mut outcome = Outcome::default();
    outcome
        .notes
        .push(Note::Info(format!("adapt stops: {why}")));
    outcome
}

pub(super) fn run(args: &AdaptArgs) -> Result<Outcome, Error> {
    if args.max < args.min {
        return Err(Error::new(
            Code::MaxBelowMin,
            format!("--max {} is below --min {}", args.max, args.min),
        ));
    }
    let first = state::load(&args.job_id)?;
    let script = first.workers_script.clone().ok_or_else(|| {
        Error::new(
            Code::AdaptNoWorkersScript,
            format!(
                "cluster {} has no worker job script recorded (submit it with dask-pbs submit)",
                first.job_id
            ),
        )
    })?;
    if args.stop_on_eof {
        watch_input();
    }
    let interval = Duration::from_secs(u64::from(args.interval.max(1)));
    let mut lower = 0;
    loop {
        if let Some(mark) = ended(&first.job_dir) {
            return Ok(stopped(format!(
                "the cluster has ended ({})",
                mark.summary()
            )));
        }
        if INPUT_CLOSED.load(Ordering::SeqCst) {
            return Ok(stopped("its input was closed".to_string()));
        }
        let wait = match read_json(&first.job_dir.join("status.json")) {
            Some(status) => follow_status(args, &first, &script, &status, interval, &mut lower)?,
            None => true,
        };
        if wait {
            pause(interval);
        }
    }
}

/// One pass: the worker jobs the scheduler's adaptive target in `status` asks for, submitted
/// or retired. Returns whether to pause before the next pass (not when the head ended
/// meanwhile: the next pass says so at once).
fn follow_status(
    args: &AdaptArgs,
    first: &state::Cluster,
    script: &Utf8Path,
    status: &Value,
    interval: Duration,
    lower: &mut u32,
) -> Result<bool, Error> {
    let target = status["adaptive_target"].as_u64().unwrap_or(0);
    let head = status["jobs"]["head"]
        .as_array()
        .map_or(0, |a| a.len() as u64);
    let per_job = workers_per_job(status, first.workers_per_job);
    let (min, max) = bounds(args, head, per_job);
    let want = wanted_jobs(target, head, per_job, min, max);
    // The record is read afresh on every pass: `scale` may have changed it. Only the jobs of
    // the head job's profile count: those of another (mixed workers, `scale --profile`) are
    // the user's to scale.
    let asked = state::load(&first.job_id)?.jobs_of(script);
    // A PBS server that does not answer (a restart, maintenance) is waited out: adapt
    // changes nothing until it answers again.
    let states = match pbs::states(&asked) {
        Ok(states) => states,
        Err(e) => {
            eprintln!("dask-pbs: adapt: warning: {e}; trying again in {interval:?}");
            return Ok(true);
        }
    };
    let over = |id: &str| {
        asked.iter().any(|a| a == id) && pbs::is_over(states.get(id).map(String::as_str))
    };
    match follow(&first.job_id, script, want, over, lower) {
        Ok(Some(line)) => eprintln!("dask-pbs: adapt: target {target} workers: {line}"),
        Ok(None) => {}
        // The head ended while a worker job was being added: the next pass says so.
        Err(_) if ended(&first.job_dir).is_some() => return Ok(false),
        Err(e) => return Err(e),
    }
    Ok(true)
}

/// One pass: moves the worker jobs that are `over` to the record's past jobs, then adds or
/// retires worker jobs towards `want`; what it did, as a line.
fn follow(
    job_id: &str,
    script: &Utf8Path,
    want: u32,
    over: impl Fn(&str) -> bool,
    lower: &mut u32,
) -> Result<Option<String>, Error> {
    let (cluster, ()) = state::update(job_id, |c| c.retire_jobs(over))?;
    // Each of these may still run: PBS said so, or it was recorded since PBS was asked.
    let mine = cluster.jobs_of(script);
    let have = mine.len() as u32;
    if want > have {
        *lower = 0;
        add(&cluster, script, want - have, None)?;
        return Ok(Some(format!(
            "{want} worker job(s), submitted {}",
            want - have
        )));
    }
    if want == have {
        *lower = 0;
        return Ok(None);
    }
    *lower += 1;
    if *lower < SCALE_DOWN_AFTER {
        return Ok(None);
    }
    *lower = 0;
    retire(&cluster, newest(&mine, have - want), ANSWER_WITHIN)?;
    Ok(Some(format!(
        "{want} worker job(s), retired {}",
        have - want
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_beyond_the_head_in_whole_jobs_within_the_bounds() {
        assert_eq!(wanted_jobs(0, 2, 2, 0, 4), 0);
        assert_eq!(wanted_jobs(2, 2, 2, 0, 4), 0);
        assert_eq!(wanted_jobs(3, 2, 2, 0, 4), 1);
        assert_eq!(wanted_jobs(6, 2, 2, 0, 4), 2);
        assert_eq!(wanted_jobs(100, 2, 2, 0, 4), 4);
        assert_eq!(wanted_jobs(0, 2, 2, 1, 4), 1);
        assert_eq!(wanted_jobs(5, 0, 0, 0, 9), 5);
    }
}
