//! The charge as the commands show it: the line and warnings of `check`, `explain` and
//! `submit`, the limit `--max-charge` sets, the per-job charges a cluster record keeps, and
//! what `status` reports a cluster has charged (the arithmetic is `crate::charge`'s).

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::amount::{Amount, Exact};
use crate::charge::{self, Charge};
use crate::profile::model::Profile;

use super::Note;
use super::pbs;
use super::state::Cluster;

/// The charge line of a job (`None` when the profile has no rule), and its warnings.
pub(super) fn shown(p: &Profile) -> (Option<String>, Vec<Note>) {
    match charge::estimate(p) {
        Ok(Charge::Known(e)) => {
            let notes = e.warnings.iter().cloned().map(Note::Warning).collect();
            (Some(e.line()), notes)
        }
        Ok(Charge::Unmatched(why)) => (None, vec![Note::Warning(why)]),
        Ok(Charge::Unknown) => (None, Vec::new()),
        // Validation refuses these first; a command that shows a profile still says why.
        Err(refusal) => (
            None,
            vec![Note::Warning(format!(
                "{}: {}",
                refusal.key, refusal.message
            ))],
        ),
    }
}

/// What a cluster record keeps of one job's charge: enough to multiply by the walltime it
/// used, whenever `status` is asked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct JobCharge {
    pub unit: String,
    /// The charge of one hour held, exact (`"27360/191"`).
    pub per_hour: Exact,
    /// The walltime asked, in seconds: the most the job can be held.
    pub walltime_s: u64,
}

/// The charge of a job of profile `p`, when its rule is known.
pub(super) fn of_job(p: &Profile) -> Option<JobCharge> {
    match charge::estimate(p) {
        Ok(Charge::Known(e)) => Some(JobCharge {
            unit: e.unit,
            per_hour: Exact(e.per_hour),
            walltime_s: e.walltime.seconds(),
        }),
        _ => None,
    }
}

/// `submit`'s record of the head job's charge.
pub(super) fn for_head(p: &Profile, job_id: &str) -> BTreeMap<String, JobCharge> {
    of_job(p)
        .map(|c| BTreeMap::from([(job_id.to_string(), c)]))
        .unwrap_or_default()
}

/// Worker jobs `ids` charge as `charge`: the head's (the recorded worker script is of its
/// profile) when `None` is not given explicitly for another profile.
pub(super) fn assign(cluster: &mut Cluster, ids: &[String], charge: Option<Option<JobCharge>>) {
    let charge = charge.unwrap_or_else(|| cluster.charges.get(&cluster.job_id).cloned());
    for id in ids {
        match &charge {
            Some(c) => cluster.charges.insert(id.clone(), c.clone()),
            None => cluster.charges.remove(id),
        };
    }
}

/// What a cluster has charged, per unit.
#[derive(Debug, Serialize)]
pub(super) struct Charged {
    pub unit: String,
    /// By the jobs so far: each job's walltime used × its rate.
    pub so_far: f64,
    /// If every job still queued or running is held until its walltime.
    pub if_held_to_walltime: f64,
    /// Jobs whose walltime used is not known (PBS no longer reports it and the job left no
    /// record): `so_far` leaves them out, `if_held_to_walltime` counts their whole walltime.
    pub unknown_use: Vec<String>,
}

/// The charges of `cluster` by unit; empty when none of its jobs has a known rule.
pub(super) fn charged(cluster: &Cluster, states: &BTreeMap<String, String>) -> Vec<Charged> {
    if cluster.charges.is_empty() {
        return Vec::new();
    }
    let running: Vec<String> = cluster
        .charges
        .keys()
        .filter(|id| states.get(*id).is_some_and(|s| s == "R" || s == "E"))
        .cloned()
        .collect();
    let used_by_pbs = pbs::walltimes_used(&running);
    let mut totals: BTreeMap<String, (Amount, Amount, Vec<String>)> = BTreeMap::new();
    for (id, c) in &cluster.charges {
        let state = states.get(id).map(String::as_str);
        let used = match state {
            Some("Q" | "H" | "W" | "T") => Some(0),
            _ => used_by_pbs
                .get(id)
                .copied()
                .or_else(|| recorded_use(&job_dir(cluster, id))),
        };
        let over = pbs::is_over(state);
        let entry =
            totals
                .entry(c.unit.clone())
                .or_insert((Amount::ZERO, Amount::ZERO, Vec::new()));
        let per_hour = c.per_hour.0;
        let cost = |seconds: u64| per_hour.over_seconds(seconds).unwrap_or(Amount::ZERO);
        match used {
            Some(seconds) => {
                entry.0 = add(entry.0, cost(seconds));
                let held = if over {
                    seconds
                } else {
                    c.walltime_s.max(seconds)
                };
                entry.1 = add(entry.1, cost(held));
            }
            None => {
                entry.1 = add(entry.1, cost(c.walltime_s));
                entry.2.push(id.clone());
            }
        }
    }
    totals
        .into_iter()
        .map(|(unit, (so_far, held, unknown_use))| Charged {
            unit,
            so_far: so_far.to_f64(),
            if_held_to_walltime: held.to_f64(),
            unknown_use,
        })
        .collect()
}

fn add(a: Amount, b: Amount) -> Amount {
    a.checked_add(b).unwrap_or(a)
}

/// A job's directory: the head's is recorded; a worker job's sits beside it.
fn job_dir(cluster: &Cluster, id: &str) -> Utf8PathBuf {
    if id == cluster.job_id {
        return cluster.job_dir.clone();
    }
    cluster
        .job_dir
        .parent()
        .unwrap_or(Utf8Path::new("."))
        .join(format!("dask-pbs.{id}"))
}

/// The seconds a job recorded it ran, at its end (`walltime_used` in its directory).
fn recorded_use(dir: &Utf8Path) -> Option<u64> {
    std::fs::read_to_string(dir.join("walltime_used"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `status`'s line: "charge: 1.52 SU so far; 96 SU if held to walltime".
pub(super) fn status_line(charged: &[Charged]) -> Option<String> {
    if charged.is_empty() {
        return None;
    }
    let parts: Vec<String> = charged
        .iter()
        .map(|c| {
            let unknown = if c.unknown_use.is_empty() {
                String::new()
            } else {
                format!(
                    " (walltime used unknown for {}, counted whole)",
                    c.unknown_use.join(", ")
                )
            };
            format!(
                "{} {unit} so far; {} {unit} if held to walltime{unknown}",
                number(c.so_far),
                number(c.if_held_to_walltime),
                unit = c.unit
            )
        })
        .collect();
    Some(format!("  charge: {}\n", parts.join("; ")))
}

fn number(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
