//! The user's clusters, one small JSON file each under `$XDG_STATE_HOME/dask-pbs/clusters/`
//! (default `~/.local/state/dask-pbs/clusters/`): the head job's id and directory and the
//! worker jobs added to it, so the lifecycle commands take a job id. One file per cluster, so
//! two commands on two clusters never rewrite each other's record; two on one cluster (`adapt`
//! and a `scale` beside it) change it through `update`, under a lock, so neither loses the
//! other's change.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error};

use super::process_env;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct Cluster {
    /// The head job's id, as qsub printed it.
    pub job_id: String,
    /// The head job's directory (`dask-pbs.JOBID` under the directory it was submitted from).
    pub job_dir: Utf8PathBuf,
    /// A worker job script joining this cluster, rendered at submit time (what `scale --add`
    /// submits when given no profile).
    #[serde(default)]
    pub workers_script: Option<Utf8PathBuf>,
    /// Worker jobs submitted by `scale` and `adapt`, oldest first.
    #[serde(default)]
    pub worker_jobs: Vec<String>,
    /// Worker jobs retired or seen ended: no longer part of the cluster, but their job
    /// directories are still there for `clean` to remove.
    #[serde(default)]
    pub past_jobs: Vec<String>,
    /// The head job's name (`job.name`, PBS's `-N`): `status NAME` finds the cluster by it.
    #[serde(default)]
    pub name: Option<String>,
    /// Workers each job of the submitted profile asks for (the head job's, and a worker job's
    /// of `workers_script`): how many worker jobs `scale --workers N` needs.
    #[serde(default)]
    pub workers_per_job: Option<u32>,
    /// The script of each worker job submitted from another profile than the head's (mixed
    /// workers); a worker job not listed runs `workers_script`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scripts: BTreeMap<String, Utf8PathBuf>,
    /// What each job charges an hour and its walltime asked, by job id (`status` reports
    /// the cluster's charge); only jobs whose profile has a charging rule.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub charges: std::collections::BTreeMap<String, super::charges::JobCharge>,
}

impl Cluster {
    /// Moves the worker jobs that `gone` picks to `past_jobs`.
    pub(super) fn retire_jobs(&mut self, gone: impl Fn(&str) -> bool) {
        let (past, live): (Vec<String>, Vec<String>) =
            self.worker_jobs.drain(..).partition(|id| gone(id));
        self.worker_jobs = live;
        self.past_jobs.extend(past);
    }

    /// The worker jobs (oldest first) that run `script`: those of the head job's profile when
    /// `script` is `workers_script`, else those submitted from it.
    pub(super) fn jobs_of(&self, script: &Utf8Path) -> Vec<String> {
        let default = self.workers_script.as_deref() == Some(script);
        self.worker_jobs
            .iter()
            .filter(|id| match self.scripts.get(*id) {
                Some(own) => own == script,
                None => default,
            })
            .cloned()
            .collect()
    }
}

/// The directory of the cluster records.
pub(super) fn dir() -> Result<Utf8PathBuf, Error> {
    let base = process_env("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(Utf8PathBuf::from)
        .or_else(|| {
            process_env("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| Utf8PathBuf::from(h).join(".local/state"))
        })
        .ok_or_else(|| {
            Error::new(
                Code::NoStateDir,
                "neither XDG_STATE_HOME nor HOME is set: no place for the cluster records",
            )
        })?;
    Ok(base.join("dask-pbs").join("clusters"))
}

fn file_of(dir: &Utf8Path, job_id: &str) -> Result<Utf8PathBuf, Error> {
    if job_id.is_empty() || job_id.contains('/') || job_id.starts_with('.') {
        return Err(Error::new(
            Code::NotAJobId,
            format!("{job_id:?} is not a PBS job id (e.g. 1234.server)"),
        ));
    }
    Ok(dir.join(format!("{job_id}.json")))
}

/// The records' lock file: every change to a record is made holding it, so two commands
/// that change one cluster (`adapt` and a `scale` beside it) apply both changes.
const LOCK_FILE: &str = ".lock";

/// Holds the records' exclusive lock until dropped. `flock(2)`, which Linux's NFS client
/// maps to the server's locks: home directories on a cluster's login nodes are often NFS.
struct Lock {
    _file: std::fs::File,
}

fn lock(dir: &Utf8Path) -> Result<Lock, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(Code::WriteRecord, "create directory", dir, e))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(Code::WriteRecord, "open", &path, e))?;
    file.lock()
        .map_err(|e| Error::io(Code::WriteRecord, "lock", &path, e))?;
    Ok(Lock { _file: file })
}

/// Writes `cluster`'s record through a temporary file of its own and a rename, so a reader
/// sees the old record or the new one, never a part.
fn write(dir: &Utf8Path, cluster: &Cluster, _held: &Lock) -> Result<(), Error> {
    let path = file_of(dir, &cluster.job_id)?;
    let text = serde_json::to_string_pretty(cluster).map_err(|e| {
        Error::new(
            // Serializing a plain struct does not fail.
            Code::Internal,
            format!("cannot write the cluster record: {e}"),
        )
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".record.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(Code::WriteRecord, "create a temporary file in", dir, e))?;
    std::io::Write::write_all(&mut tmp, (text + "\n").as_bytes())
        .map_err(|e| Error::io(Code::WriteRecord, "write", tmp.path().display(), e))?;
    tmp.persist(&path)
        .map(|_| ())
        .map_err(|e| Error::io(Code::WriteRecord, "write", &path, e.error))
}

fn read(path: &Utf8Path) -> Result<Cluster, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(Code::ReadRecord, "read", path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::new(Code::CorruptRecord, format!(
            "{path}:{}:{}: not a dask-pbs cluster record: {e} (remove the file to forget that cluster)",
            e.line(),
            e.column()
        ))
    })
}

/// Records a new cluster (`submit`).
pub(super) fn create(cluster: &Cluster) -> Result<(), Error> {
    let dir = dir()?;
    let held = lock(&dir)?;
    write(&dir, cluster, &held)
}

/// The one way to change a recorded cluster: under the records' lock, reads the record of
/// `job_id` as it is now, applies `change` and writes the result. `change` runs with the
/// lock held: it only edits the record (a qsub or a wait happens before or after).
pub(super) fn update<T>(
    job_id: &str,
    change: impl FnOnce(&mut Cluster) -> T,
) -> Result<(Cluster, T), Error> {
    let dir = dir()?;
    let held = lock(&dir)?;
    let path = file_of(&dir, job_id)?;
    if !path.exists() {
        return Err(Error::new(
            Code::RecordGone,
            format!(
                "the record of cluster {job_id} is gone from {dir} (`dask-pbs clean` forgot it)"
            ),
        ));
    }
    let mut cluster = read(&path)?;
    let before = cluster.clone();
    let result = change(&mut cluster);
    if cluster != before {
        write(&dir, &cluster, &held)?;
    }
    Ok((cluster, result))
}

/// The record of `job_id`; a job id without its server suffix (`1234`) matches `1234.srv`.
pub(super) fn load(job_id: &str) -> Result<Cluster, Error> {
    let all = load_all()?;
    let found: Vec<Cluster> = all
        .into_iter()
        .filter(|c| c.job_id == job_id || c.job_id.split('.').next() == Some(job_id))
        .collect();
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_else(|| unreachable!())),
        0 => Err(Error::new(
            Code::NoCluster,
            format!(
                "no cluster {job_id} in {} (clusters are recorded by `dask-pbs submit`; `dask-pbs status` lists them)",
                dir()?
            ),
        )),
        _ => Err(Error::new(
            Code::AmbiguousJobId,
            format!("{job_id} names several clusters: give the whole job id"),
        )),
    }
}

/// Every recorded cluster, by job id.
pub(super) fn load_all() -> Result<Vec<Cluster>, Error> {
    let dir = dir()?;
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut clusters = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Ok(path) = Utf8PathBuf::from_path_buf(path) else {
            continue;
        };
        clusters.push(read(&path)?);
    }
    clusters.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    Ok(clusters)
}

/// Removes the record of `cluster` (`clean`), unless another command changed it since it was
/// read (a worker job added meanwhile): then it is kept, and `false` says so.
pub(super) fn forget(cluster: &Cluster) -> Result<bool, Error> {
    let dir = dir()?;
    let _held = lock(&dir)?;
    let path = file_of(&dir, &cluster.job_id)?;
    if !path.exists() {
        return Ok(true);
    }
    if read(&path)? != *cluster {
        return Ok(false);
    }
    std::fs::remove_file(&path).map_err(|e| Error::io(Code::RemoveRecord, "remove", &path, e))?;
    Ok(true)
}
