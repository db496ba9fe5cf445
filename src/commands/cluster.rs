//! The lifecycle of a cluster past its head job: `status`, `scale`, `stop`, `clean`,
//! `adapt`. None of them opens a connection to a compute node: the head job's control preload
//! publishes `status.json` in its job directory and takes requests as files in its
//! `requests/` folder (the directory is the owner's alone), and PBS is asked through
//! qsub/qstat/qdel.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{AdaptArgs, CleanArgs, StatusArgs, StopArgs};
use crate::error::{Code, Error};
use crate::output::{self, Output};
use crate::render::artifact::Artifact;

use super::ended::Ended;
use super::state::{self, Cluster};
use super::{Note, Outcome, Session, charges, join, pbs};

/// What `status` reports of one cluster.
#[derive(Debug, Serialize)]
pub(super) struct Report {
    job_id: String,
    /// The head job's name (`job.name`), when recorded.
    name: Option<String>,
    job_dir: Utf8PathBuf,
    /// The job directory's logs/ (scheduler, workers, launcher).
    logs: Utf8PathBuf,
    /// PBS's state letter of the head job, `null` once PBS no longer knows it.
    state: Option<String>,
    /// Whether the cluster has ended: the head job marked its directory ended, or PBS says it
    /// finished or no longer knows it. Then nothing below is live.
    over: bool,
    /// The head job's `ended` mark, its lines joined (`status=0, cause=stop, reason=…`).
    ended: Option<String>,
    /// What ended the cluster, from the mark: stop, client, payload, walltime, signal, lost,
    /// failed or scheduler; `null` for a mark without one (an older job) or no mark.
    cause: Option<String>,
    /// The head job's exit status, from its mark.
    exit_status: Option<i64>,
    /// What ended the cluster, in words (the cause's, else the mark's reason).
    ended_by: Option<String>,
    scheduler: Option<String>,
    dashboard: Option<String>,
    ssh_tunnel: Option<String>,
    /// Live workers: 0 once the cluster has ended.
    workers: Option<u64>,
    /// The workers the head job waits for (status.json's `expected`).
    expected: Option<u64>,
    /// The head job's `ready` mark, once its expected workers were in: `workers`,
    /// `expected`, `seconds`, `address`, `dashboard`.
    ready: Option<Value>,
    /// The cluster's certificates (`dask.security: tls`) while the job holds them.
    tls: Option<Tls>,
    /// Once it has ended: the workers of its last status.json and when (seconds since the
    /// epoch) that was written.
    last_seen: Option<LastSeen>,
    adaptive_target: Option<u64>,
    /// Seconds since the head job last wrote status.json.
    status_age_s: Option<u64>,
    /// Worker jobs: id, PBS state and the names of their registered workers (none once
    /// the job or the cluster has ended).
    worker_jobs: Vec<WorkerJob>,
    /// The head job's own workers (none once the cluster has ended).
    head_workers: Vec<String>,
    /// What the cluster's jobs have charged, per unit (empty: no charging rule known).
    charge: Vec<charges::Charged>,
}

/// The files a client of the cluster presents and checks (mutual TLS).
#[derive(Debug, Serialize)]
pub(super) struct Tls {
    ca_file: Utf8PathBuf,
    cert: Utf8PathBuf,
    key: Utf8PathBuf,
}

impl Tls {
    /// The certificates of the job directory `dir`, once the job has made them.
    pub(super) fn of(dir: &Utf8Path) -> Option<Tls> {
        use crate::render::security::{CA_FILE, CERT_FILE, KEY_FILE};
        let tls = Tls {
            ca_file: dir.join(CA_FILE),
            cert: dir.join(CERT_FILE),
            key: dir.join(KEY_FILE),
        };
        (tls.ca_file.is_file() && tls.cert.is_file() && tls.key.is_file()).then_some(tls)
    }
}

#[derive(Debug, Serialize)]
struct WorkerJob {
    job_id: String,
    /// Its job directory's logs/.
    logs: Utf8PathBuf,
    state: Option<String>,
    workers: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LastSeen {
    workers: u64,
    time: f64,
    /// Seconds between that status.json and the end mark, when there is one.
    before_end_s: Option<u64>,
}

pub(super) fn read_json(path: &Utf8Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The head job's end mark in `dir`, when it has written one.
pub(super) fn ended(dir: &Utf8Path) -> Option<Ended> {
    Ended::read(dir)
}

fn names(status: &Value, job: &str) -> Vec<String> {
    status["jobs"][job]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

pub(super) fn report(cluster: &Cluster, states: &BTreeMap<String, String>) -> Report {
    let status = read_json(&cluster.job_dir.join("status.json")).unwrap_or(Value::Null);
    let state = states.get(&cluster.job_id).cloned();
    let mark = ended(&cluster.job_dir);
    let over = mark.is_some() || pbs::is_over(state.as_deref());
    // An ended cluster's last status.json says what was, not what is.
    let live = if over { &Value::Null } else { &status };
    let ready = read_json(&cluster.job_dir.join("ready"));
    let (scheduler, dashboard, ssh_tunnel) = addresses(live, ready.as_ref().filter(|_| !over));
    Report {
        job_id: cluster.job_id.clone(),
        name: cluster.name.clone(),
        job_dir: cluster.job_dir.clone(),
        logs: cluster.job_dir.join("logs"),
        state,
        over,
        ended: mark.as_ref().map(|m| m.text.clone()),
        cause: mark.as_ref().and_then(|m| m.cause.clone()),
        exit_status: mark.as_ref().and_then(|m| m.status),
        ended_by: mark.as_ref().map(Ended::summary),
        scheduler,
        dashboard,
        ssh_tunnel,
        workers: if over {
            Some(0)
        } else {
            status["workers"].as_u64()
        },
        expected: live["expected"].as_u64(),
        ready,
        tls: Tls::of(&cluster.job_dir),
        last_seen: last_seen(over, &status, mark.as_ref()),
        adaptive_target: live["adaptive_target"].as_u64(),
        status_age_s: status["time"].as_f64().map(|t| (now() - t).max(0.0) as u64),
        worker_jobs: cluster
            .worker_jobs
            .iter()
            .map(|id| worker_job(&submit_dir(cluster), id, states, live))
            .collect(),
        head_workers: names(live, "head"),
        charge: charges::charged(cluster, states),
    }
}

/// The scheduler's address, its dashboard and the tunnel to it, from status.json (before the
/// job writes one, from its `ready` mark).
fn addresses(
    status: &Value,
    ready: Option<&Value>,
) -> (Option<String>, Option<String>, Option<String>) {
    let from_ready = |key: &str| ready.and_then(|r| r[key].as_str().map(String::from));
    let address = status["address"]
        .as_str()
        .map(String::from)
        .or_else(|| from_ready("address"));
    let host = address
        .as_deref()
        .and_then(|a| a.split_once("://"))
        .and_then(|(_, hp)| hp.rsplit_once(':'))
        .map(|(h, _)| h.to_string());
    let at = host.zip(status["dashboard"].as_u64());
    let dashboard = at
        .as_ref()
        .map(|(h, p)| format!("http://{h}:{p}/status"))
        .or_else(|| from_ready("dashboard"));
    let tunnel = at
        .map(|(h, p)| format!("ssh -L 8787:{h}:{p} LOGIN-NODE, then http://localhost:8787/status"));
    (address, dashboard, tunnel)
}

/// A worker job's state and, while it may run, its workers in `status`.
fn worker_job(
    submit_dir: &Utf8Path,
    id: &str,
    states: &BTreeMap<String, String>,
    status: &Value,
) -> WorkerJob {
    let state = states.get(id).cloned();
    let workers = if pbs::is_over(state.as_deref()) {
        Vec::new()
    } else {
        names(status, id.split('.').next().unwrap_or(id))
    };
    WorkerJob {
        job_id: id.to_string(),
        logs: submit_dir.join(format!("dask-pbs.{id}")).join("logs"),
        state,
        workers,
    }
}

/// Once the cluster is `over`: the workers of its last status.json, and when.
fn last_seen(over: bool, status: &Value, mark: Option<&Ended>) -> Option<LastSeen> {
    let time = status["time"].as_f64()?;
    let workers = status["workers"].as_u64()?;
    over.then(|| LastSeen {
        workers,
        time,
        before_end_s: mark
            .and_then(|m| m.time)
            .map(|end| (end - time).max(0.0) as u64),
    })
}

/// `submit`'s record of a new cluster, with a worker job script of the same profile that
/// joins it (what `scale --add` and `adapt` submit).
pub(super) fn record(session: &Session, job_id: &str, job_dir: &Utf8Path) -> Result<(), Error> {
    let mut ctx = session.ctx.clone();
    join::set(&mut ctx, job_dir);
    let text = session.renderer().render(Artifact::Workers, &ctx)?;
    let parent = job_dir.parent().unwrap_or(Utf8Path::new("."));
    let script = parent.join(format!("dask-pbs.{job_id}.workers.sh"));
    output::write_all(
        &[Output {
            path: script.clone(),
            text,
            executable: true,
        }],
        true,
    )?;
    state::create(&Cluster {
        job_id: job_id.to_string(),
        job_dir: job_dir.to_path_buf(),
        workers_script: Some(script),
        worker_jobs: Vec::new(),
        past_jobs: Vec::new(),
        charges: charges::for_head(&session.loaded.profile, job_id),
        name: Some(session.loaded.profile.job.name.clone()),
        workers_per_job: Some(session.ctx.plan.expected_workers),
        scripts: BTreeMap::new(),
    })
}

/// The cluster `key` names: a recorded head job id (or its number alone), else the one
/// recorded cluster named `key` (`job.name`) that has not ended.
pub(super) fn find(key: &str) -> Result<Cluster, Error> {
    let all = state::load_all()?;
    let by_id = |c: &&Cluster| c.job_id == key || c.job_id.split('.').next() == Some(key);
    let named: Vec<&Cluster> = all
        .iter()
        .filter(|c| c.name.as_deref() == Some(key))
        .collect();
    if all.iter().any(|c| by_id(&c)) || named.is_empty() {
        return state::load(key);
    }
    let live: Vec<&Cluster> = named
        .iter()
        .copied()
        .filter(|c| ended(&c.job_dir).is_none())
        .collect();
    let ids = |list: &[&Cluster]| {
        list.iter()
            .map(|c| c.job_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (live.as_slice(), named.as_slice()) {
        ([one], _) | ([], [one]) => Ok((*one).clone()),
        ([], _) => Err(Error::new(
            Code::NameAllEnded,
            format!(
                "every cluster named {key} has ended ({}): give the job id",
                ids(&named)
            ),
        )),
        _ => Err(Error::new(
            Code::NameSeveralLive,
            format!(
                "{} clusters named {key} have not ended ({}): give the job id",
                live.len(),
                ids(&live)
            ),
        )),
    }
}

fn all_ids(clusters: &[Cluster]) -> Vec<String> {
    clusters
        .iter()
        .flat_map(|c| std::iter::once(c.job_id.clone()).chain(c.worker_jobs.iter().cloned()))
        .collect()
}

pub(super) fn status(args: &StatusArgs) -> Result<Outcome, Error> {
    let clusters = match &args.job_id {
        Some(id) => vec![find(id)?],
        None => state::load_all()?,
    };
    let states = pbs::states(&all_ids(&clusters))?;
    let reports: Vec<Report> = clusters.iter().map(|c| report(c, &states)).collect();
    if args.json {
        let text = serde_json::to_string_pretty(&reports)
            .map_err(|e| Error::new(Code::Internal, format!("cannot write JSON: {e}")))?;
        return Ok(Outcome::text(text + "\n"));
    }
    let mut out = String::new();
    for r in &reports {
        out.push_str(&text_report(r));
    }
    if reports.is_empty() {
        out.push_str("no clusters recorded (dask-pbs submit records them)\n");
    }
    Ok(Outcome::text(out))
}

fn state_word(state: Option<&str>) -> &str {
    state.unwrap_or("ended (PBS no longer knows it)")
}

/// "12 s", "3 min", "2 h".
fn span(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        _ => format!("{} h", seconds / 3600),
    }
}

fn text_report(r: &Report) -> String {
    let mut s = format!(
        "{}  {}  {}\n",
        r.job_id,
        state_word(r.state.as_deref()),
        r.job_dir
    );
    match (&r.ended_by, r.over) {
        (Some(by), _) => s.push_str(&format!("  ended: {by}\n")),
        (None, true) => s.push_str(
            "  ended without marking its directory (killed: qdel -W force, a lost node, or PBS at walltime); its logs/ may say more\n",
        ),
        (None, false) => {}
    }
    if let Some(address) = &r.scheduler {
        s.push_str(&format!("  scheduler: {address}\n"));
    }
    if let (Some(d), Some(t)) = (&r.dashboard, &r.ssh_tunnel) {
        s.push_str(&format!("  dashboard: {d}  (from your machine: {t})\n"));
    }
    s.push_str(&workers_line(r));
    if r.over {
        for w in &r.worker_jobs {
            s.push_str(&format!(
                "    worker job {}  {}\n",
                w.job_id,
                state_word(w.state.as_deref())
            ));
        }
        s.push_str(&charges::status_line(&r.charge).unwrap_or_default());
        return s;
    }
    s.push_str(&format!("    head job: {} workers\n", r.head_workers.len()));
    for w in &r.worker_jobs {
        let workers = if pbs::is_over(w.state.as_deref()) {
            String::new()
        } else {
            format!(": {} workers", w.workers.len())
        };
        s.push_str(&format!(
            "    worker job {}  {}{workers}\n",
            w.job_id,
            state_word(w.state.as_deref()),
        ));
    }
    s.push_str(&charges::status_line(&r.charge).unwrap_or_default());
    s
}

/// The live workers, or once the cluster has ended none, with the last count seen.
fn workers_line(r: &Report) -> String {
    if r.over {
        let last = match &r.last_seen {
            Some(seen) => {
                let when = match seen.before_end_s {
                    Some(before) => format!("{} before the end", span(before)),
                    None => format!("{} ago", span((now() - seen.time).max(0.0) as u64)),
                };
                format!(" ({} when last seen, {when})", seen.workers)
            }
            None => String::new(),
        };
        return format!("  workers: none, the cluster has ended{last}\n");
    }
    let age = r
        .status_age_s
        .map(|a| format!(" (as of {a} s ago)"))
        .unwrap_or_default();
    match r.workers {
        Some(n) => format!("  workers: {n}{age}\n"),
        None => "  workers: unknown (no status.json yet)\n".to_string(),
    }
}

/// Writes a request for the head job's control preload; returns the path of its answer.
fn request(cluster: &Cluster, body: &Value) -> Result<Utf8PathBuf, Error> {
    let dir = cluster.job_dir.join("requests");
    if !dir.is_dir() {
        return Err(Error::new(
            Code::NoRequestDir,
            format!(
                "{dir} does not exist: the head job {} has not started its scheduler (or is not a dask-pbs cluster)",
                cluster.job_id
            ),
        ));
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("{stamp}-{}", std::process::id());
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, body.to_string())
        .map_err(|e| Error::io(Code::WriteRequest, "write", &tmp, e))?;
    let path = dir.join(format!("{name}.json"));
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(Code::WriteRequest, "write", &path, e))?;
    Ok(dir.join(format!("{name}.done")))
}

/// Waits up to `limit` for `path` to appear; its JSON.
fn wait_answer(path: &Utf8Path, limit: Duration) -> Option<Value> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(v) = read_json(path) {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

pub(super) fn submit_dir(cluster: &Cluster) -> Utf8PathBuf {
    cluster
        .job_dir
        .parent()
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|| Utf8PathBuf::from("."))
}

/// Submits `n` worker jobs of `script` from the head job's directory, recording each as soon
/// as qsub names it, with what it charges (`charge`: as `charges::assign` takes it).
pub(super) fn add(
    cluster: &Cluster,
    script: &Utf8Path,
    n: u32,
    charge: Option<Option<charges::JobCharge>>,
) -> Result<Vec<String>, Error> {
    if let Some(mark) = ended(&cluster.job_dir) {
        return Err(Error::new(
            Code::ClusterEnded,
            format!(
                "cluster {} has ended ({}): nothing to add workers to",
                cluster.job_id,
                mark.summary()
            ),
        ));
    }
    let mut ids = Vec::new();
    // A script other than the head job's profile's: its jobs are another kind (mixed workers).
    let own_script = cluster.workers_script.as_deref() != Some(script);
    for _ in 0..n {
        let id = pbs::qsub(script, &submit_dir(cluster))?;
        state::update(&cluster.job_id, |c| {
            c.worker_jobs.push(id.clone());
            if own_script {
                c.scripts.insert(id.clone(), script.to_path_buf());
            }
            charges::assign(c, std::slice::from_ref(&id), charge.clone());
        })
        .map_err(|e| unrecorded(&e, &id))?;
        ids.push(id);
    }
    Ok(ids)
}

/// `e`, which kept worker job `id` out of the record after qsub took it: no dask-pbs command
/// will end that job, so the message says how to.
fn unrecorded(e: &Error, id: &str) -> Error {
    Error::new(
        e.code,
        format!(
            "{e}; worker job {id} was submitted but is not recorded: `{} {id}` ends it",
            pbs::tool("qdel")
        ),
    )
}

/// The newest `n` of `ids` (all of them when fewer).
pub(super) fn newest(ids: &[String], n: u32) -> Vec<String> {
    ids.iter().rev().take(n as usize).cloned().collect()
}

/// How long `adapt` (and `scale` by default) waits for the head job to answer a retire request.
pub(super) const ANSWER_WITHIN: Duration = Duration::from_mins(2);

/// Retires the workers of the worker jobs `chosen` through the scheduler (which must answer
/// within `answer_within`), lets the jobs end and moves them to the record's past jobs.
pub(super) fn retire(
    cluster: &Cluster,
    chosen: Vec<String>,
    answer_within: Duration,
) -> Result<Outcome, Error> {
    let answer_path = request(
        cluster,
        &serde_json::json!({"op": "retire", "jobs": chosen}),
    )?;
    let answer = wait_answer(&answer_path, answer_within).ok_or_else(|| {
        Error::new(Code::RetireTimeout, format!(
            "the head job {} did not answer the retire request within {} s (is it running? dask-pbs status {})",
            cluster.job_id, answer_within.as_secs_f64(), cluster.job_id
        ))
    })?;
    if let Some(e) = answer["error"].as_str() {
        return Err(Error::new(
            Code::RetireRefused,
            format!("the scheduler could not retire the workers: {e}"),
        ));
    }
    // Their workers gone, the jobs end by themselves (status 0); qdel only what is left.
    let_end_then_delete(&chosen, 30)?;
    state::update(&cluster.job_id, |c| {
        c.retire_jobs(|id| chosen.iter().any(|c| c == id));
    })?;
    let mut outcome = Outcome::text(chosen.iter().map(|i| format!("{i}\n")).collect::<String>());
    outcome.notes.push(Note::Info(format!(
        "retired {} worker(s) of {} job(s) and ended those jobs",
        answer["retired"].as_u64().unwrap_or(0),
        chosen.len()
    )));
    Ok(outcome)
}

pub(super) fn stop(args: &StopArgs) -> Result<Outcome, Error> {
    let cluster = state::load(&args.job_id)?;
    let mut outcome = Outcome::default();
    // Asked before the stop: once the scheduler closes, many end at once. A PBS server that
    // does not answer must not keep the scheduler up: it is asked again afterwards.
    let mut live = match pbs::states(&cluster.worker_jobs) {
        Ok(states) => pbs::live(&cluster.worker_jobs, &states),
        Err(_) => cluster.worker_jobs.clone(),
    };
    let mut deleted = stop_head(&cluster, &mut outcome)?;
    // Worker jobs recorded meanwhile (by a `scale` or an `adapt` beside this command) end too.
    if let Ok(now) = state::load(&cluster.job_id) {
        live.extend(
            now.worker_jobs
                .into_iter()
                .filter(|id| !cluster.worker_jobs.contains(id)),
        );
    }
    let workers_deleted = end_worker_jobs(&live)?;
    let by_themselves = live.len() - workers_deleted.len();
    deleted.extend(workers_deleted);
    let all = std::iter::once(&cluster.job_id).chain(&live);
    let ended: Vec<&String> = all.filter(|id| !deleted.contains(id)).collect();
    if args.json {
        let json =
            serde_json::json!({"job_id": cluster.job_id, "ended": ended, "deleted": deleted});
        outcome.stdout = format!("{json}\n");
    }
    outcome.notes.push(Note::Info(format!(
        "cluster {} stopped; {by_themselves} worker job(s) ended by themselves, {} deleted",
        cluster.job_id,
        live.len() - by_themselves
    )));
    Ok(outcome)
}

/// How long `stop` gives the head job to end once its `ended` mark is written (the shutdown's
/// last steps) before it deletes the job.
const HEAD_ENDS_WITHIN: u64 = 30;

/// Stops the head job through its scheduler (a queued one, or one that does not answer, with
/// qdel) and waits until PBS says it has ended. Returns the ids deleted with qdel.
fn stop_head(cluster: &Cluster, outcome: &mut Outcome) -> Result<Vec<String>, Error> {
    let head = std::slice::from_ref(&cluster.job_id);
    let mut deleted = Vec::new();
    if ended(&cluster.job_dir).is_none() {
        match request(cluster, &serde_json::json!({"op": "stop"})) {
            Ok(_) => {
                let done = wait_for(|| cluster.job_dir.join("ended").exists(), 60);
                if !done {
                    outcome.notes.push(Note::Warning(format!(
                        "the head job did not end within 60 s of the stop request; deleting it with {}",
                        pbs::tool("qdel")
                    )));
                    pbs::qdel(head)?;
                    deleted.push(cluster.job_id.clone());
                }
            }
            // Not started yet: there is no scheduler to ask; PBS removes the queued job.
            Err(_) => {
                pbs::qdel(head)?;
                deleted.push(cluster.job_id.clone());
            }
        }
    }
    for id in let_end_then_delete(head, HEAD_ENDS_WITHIN)? {
        if !deleted.contains(&id) {
            deleted.push(id);
        }
    }
    Ok(deleted)
}

/// How long `stop` lets running worker jobs end by themselves: they read the head job's
/// `ended` mark every 5 s and exit 0.
const WORKER_JOBS_END_WITHIN: u64 = 15;

/// Ends the worker jobs `ids` of a cluster whose head has ended: queued ones are deleted at
/// once, running ones are given `WORKER_JOBS_END_WITHIN` seconds to end by themselves.
/// Returns the ids deleted.
fn end_worker_jobs(ids: &[String]) -> Result<Vec<String>, Error> {
    let states = pbs::states(ids)?;
    let (running, queued): (Vec<String>, Vec<String>) = pbs::live(ids, &states)
        .into_iter()
        .partition(|id| states.get(id).is_some_and(|s| s == "R"));
    pbs::qdel(&queued)?;
    let left = let_end_then_delete(&running, WORKER_JOBS_END_WITHIN)?;
    Ok(queued.into_iter().chain(left).collect())
}

/// Gives the jobs `ids` up to `seconds` to end by themselves (a clean exit status in PBS's
/// accounting, not qdel's 271), asking PBS every second, then deletes those still live.
/// Returns the ids deleted.
fn let_end_then_delete(ids: &[String], seconds: u64) -> Result<Vec<String>, Error> {
    let left = still_live_after(pbs::live(ids, &pbs::states(ids)?), seconds)?;
    pbs::qdel(&left)?;
    // So that `stop` returns once PBS says every job of the cluster has ended.
    still_live_after(left.clone(), QDEL_ENDS_WITHIN)?;
    Ok(left)
}

/// How long a job deleted with qdel is given to leave PBS's list: its shutdown (the job's
/// trap stops its ranks, then its scheduler) takes a few seconds.
const QDEL_ENDS_WITHIN: u64 = 30;

/// The jobs of `live` that PBS still lists as live after up to `seconds`, asking it every
/// second.
fn still_live_after(mut live: Vec<String>, seconds: u64) -> Result<Vec<String>, Error> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !live.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        live = pbs::live(&live, &pbs::states(&live)?);
    }
    Ok(live)
}

fn wait_for(done: impl Fn() -> bool, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

pub(super) fn clean(args: &CleanArgs) -> Result<Outcome, Error> {
    let clusters = state::load_all()?;
    let states = pbs::states(&all_ids(&clusters))?;
    let mut outcome = Outcome::default();
    for cluster in clusters {
        let ids: Vec<String> = std::iter::once(&cluster.job_id)
            .chain(&cluster.worker_jobs)
            .cloned()
            .collect();
        // Forgotten first, so no `scale` adds to a cluster whose directory is going; a
        // record changed since it was read is left for the next clean.
        if !pbs::live(&ids, &states).is_empty() || !state::forget(&cluster)? {
            continue;
        }
        let failed = ended(&cluster.job_dir).is_none_or(|e| e.status != Some(0));
        let mut dirs = vec![cluster.job_dir.clone()];
        let parent = submit_dir(&cluster);
        dirs.extend(
            cluster
                .worker_jobs
                .iter()
                .chain(&cluster.past_jobs)
                .map(|id| parent.join(format!("dask-pbs.{id}"))),
        );
        for dir in &dirs {
            remove_dir(dir, failed && !args.all)?;
        }
        outcome.notes.push(Note::Info(format!(
            "cleaned cluster {}{}",
            cluster.job_id,
            if failed && !args.all {
                " (it failed: its logs/ are kept; --all removes them)"
            } else {
                ""
            }
        )));
    }
    Ok(outcome)
}

/// Removes `dir`, or everything in it but `logs/` when `keep_logs`.
fn remove_dir(dir: &Utf8Path, keep_logs: bool) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    if !keep_logs {
        return std::fs::remove_dir_all(dir)
            .map_err(|e| Error::io(Code::RemoveJobDir, "remove", dir, e));
    }
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name() == "logs" {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        gone.map_err(|e| Error::io(Code::RemoveJobDir, "remove", path.display(), e))?;
    }
    Ok(())
}

pub(super) fn adapt(args: &AdaptArgs) -> Result<Outcome, Error> {
    super::adapt::run(args)
}
