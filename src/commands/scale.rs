//! `dask-pbs scale`: worker jobs that join a cluster or leave it, by count (`--add`,
//! `--remove`) or to a target (`--jobs K`, `--workers N`). Worker jobs run the head job's
//! profile, or another one (`--profile`: mixed workers); a target counts the jobs of that
//! profile only, so each kind of worker job is scaled on its own.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;

use crate::cli::{ProfileArgs, ScaleArgs};
use crate::error::{Code, Error};
use crate::output::{self, Output};
use crate::render::artifact::Artifact;

use super::adapt::wanted_jobs;
use super::cluster::{add, newest, read_json, retire, submit_dir};
use super::state::{self, Cluster};
use super::{Note, Outcome, Session, charges, join, pbs};

/// A worker job script, the workers each of its jobs starts and what each charges (as
/// `charges::assign` takes it: `None` for the head job's profile's script).
struct Script {
    path: Utf8PathBuf,
    workers_per_job: u32,
    charge: Option<Option<charges::JobCharge>>,
}

pub(super) fn scale(args: &ScaleArgs) -> Result<Outcome, Error> {
    let cluster = state::load(&args.job_id)?;
    let script = workers_script(&cluster, args)?;
    // `--remove N` alone takes the newest worker jobs of any profile, as it always has.
    let among = match (&args.profile, args.remove) {
        (None, Some(_)) => cluster.worker_jobs.clone(),
        _ => cluster.jobs_of(&script.path),
    };
    let states = pbs::states(&among)?;
    let live = pbs::live(&among, &states);
    let have = u32::try_from(live.len()).unwrap_or(u32::MAX);
    let want = wanted(args, &cluster, &script, have)?;
    let mut outcome = Outcome::default();
    let answer_within = Duration::from_secs_f64(args.timeout);
    let (added, removed) = change(
        &cluster,
        &script,
        &live,
        (have, want),
        answer_within,
        &mut outcome,
    )?;
    outcome.stdout = if args.json {
        json_report(&cluster, &script, &live, &added, &removed)?
    } else {
        added
            .iter()
            .chain(&removed)
            .map(|id| format!("{id}\n"))
            .collect()
    };
    Ok(outcome)
}

/// How many of this profile's worker jobs the flags ask for, `have` being live now.
fn wanted(args: &ScaleArgs, cluster: &Cluster, script: &Script, have: u32) -> Result<u32, Error> {
    Ok(match (args.add, args.remove, args.jobs, args.workers) {
        (Some(n), ..) => have.saturating_add(n),
        (_, Some(n), ..) => have.checked_sub(n).ok_or_else(|| {
            Error::new(
                Code::FewerWorkerJobs,
                format!(
                    "cluster {} has {have} worker job(s) queued or running, fewer than {n}",
                    cluster.job_id
                ),
            )
        })?,
        (_, _, Some(k), _) => k,
        (.., Some(n)) => jobs_for_workers(cluster, script, n),
        _ => have,
    })
}

/// Submits or retires worker jobs from `have` to `want` (the head job answering a retire
/// request within `answer_within`); returns the ids added and removed.
fn change(
    cluster: &Cluster,
    script: &Script,
    live: &[String],
    (have, want): (u32, u32),
    answer_within: Duration,
    outcome: &mut Outcome,
) -> Result<(Vec<String>, Vec<String>), Error> {
    if want > have {
        let added = add(cluster, &script.path, want - have, script.charge.clone())?;
        outcome.notes.push(Note::Info(format!(
            "submitted {} worker job(s) of {} to cluster {}",
            added.len(),
            script.path,
            cluster.job_id
        )));
        outcome.notes.extend(queued_head_warning(cluster));
        return Ok((added, Vec::new()));
    }
    if want < have {
        let removed = newest(live, have - want);
        outcome
            .notes
            .extend(retire(cluster, removed.clone(), answer_within)?.notes);
        return Ok((Vec::new(), removed));
    }
    outcome.notes.push(Note::Info(format!(
        "cluster {} has {have} worker job(s) of {} already: nothing to change",
        cluster.job_id, script.path
    )));
    Ok((Vec::new(), Vec::new()))
}

/// `--json`: what changed, and this profile's worker jobs now — those PBS said may run, less
/// the retired, and the added.
fn json_report(
    cluster: &Cluster,
    script: &Script,
    live: &[String],
    added: &[String],
    removed: &[String],
) -> Result<String, Error> {
    let now = state::load(&cluster.job_id)?.jobs_of(&script.path);
    let jobs: Vec<&String> = now
        .iter()
        .filter(|id| added.contains(id) || live.contains(id))
        .collect();
    let json = serde_json::json!({
        "job_id": cluster.job_id,
        "script": script.path,
        "workers_per_job": script.workers_per_job,
        "added": added,
        "removed": removed,
        "worker_jobs": jobs,
    });
    Ok(format!("{json}\n"))
}

/// Worker jobs of `script` for at least `n` workers in all: those beyond the head job's own
/// workers, in whole jobs.
fn jobs_for_workers(cluster: &Cluster, script: &Script, n: u32) -> u32 {
    let status = read_json(&cluster.job_dir.join("status.json")).unwrap_or(Value::Null);
    // The workers the head job was made for; before its status says, the plan of its profile.
    let head = status["expected"]
        .as_u64()
        .or(cluster.workers_per_job.map(u64::from))
        .or_else(|| status["jobs"]["head"].as_array().map(|a| a.len() as u64))
        .unwrap_or(0);
    wanted_jobs(
        u64::from(n),
        head,
        u64::from(script.workers_per_job),
        0,
        u32::MAX,
    )
}

/// A worker job that starts before its head job waits for the head's scheduler only up to
/// `dask.startup_timeout`, then ends: say so when the head is still queued. (Best effort: a
/// qstat that fails says nothing here.)
fn queued_head_warning(cluster: &Cluster) -> Option<Note> {
    let states = pbs::states(std::slice::from_ref(&cluster.job_id)).ok()?;
    let state = states.get(&cluster.job_id)?;
    // Queued, held or waiting for its start time.
    matches!(state.as_str(), "Q" | "H" | "W" | "T").then(|| {
        Note::Warning(format!(
            "the head job {} is not running yet (state {state}): a worker job that starts before it waits for its scheduler only up to dask.startup_timeout, then ends; add workers once the head job runs",
            cluster.job_id
        ))
    })
}

/// The worker job script: rendered from `--profile` (and overrides) joining the cluster, or
/// the one `submit` rendered with the head job's profile.
fn workers_script(cluster: &Cluster, args: &ScaleArgs) -> Result<Script, Error> {
    let Some(profile) = &args.profile else {
        let given = args.overrides.to_args();
        if !given.is_empty() || !args.places.profile_dirs.is_empty() {
            return Err(Error::new(
                Code::OverridesNeedProfile,
                format!(
                    "{} needs --profile P: the worker jobs of the head job's profile run the script rendered at submit ({})",
                    given.first().map_or("--profile-dir", String::as_str),
                    cluster
                        .workers_script
                        .as_ref()
                        .map_or("none recorded".into(), ToString::to_string)
                ),
            ));
        }
        let path = cluster.workers_script.clone().ok_or_else(|| {
            Error::new(Code::ScaleNoWorkersScript, format!(
                "cluster {} has no worker job script recorded: pass --profile P (and its overrides)",
                cluster.job_id
            ))
        })?;
        return Ok(Script {
            path,
            workers_per_job: cluster.workers_per_job.unwrap_or(1),
            charge: None,
        });
    };
    let profile_args = ProfileArgs {
        profile: profile.clone(),
        places: args.places.clone(),
        overrides: args.overrides.clone(),
    };
    let mut session = Session::load(&profile_args, &[Artifact::Workers])?;
    join::set(&mut session.ctx, &cluster.job_dir);
    let text = session.renderer().render(Artifact::Workers, &session.ctx)?;
    let path = submit_dir(cluster).join(format!(
        "dask-pbs.{}.workers-{}.sh",
        cluster.job_id, session.loaded.profile.name
    ));
    write_script(&path, text)?;
    Ok(Script {
        path,
        workers_per_job: session.ctx.plan.expected_workers,
        charge: Some(charges::of_job(&session.loaded.profile)),
    })
}

fn write_script(path: &Utf8Path, text: String) -> Result<(), Error> {
    output::write_all(
        &[Output {
            path: path.to_path_buf(),
            text,
            executable: true,
        }],
        true,
    )
}
