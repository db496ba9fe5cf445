//! Rules on the workers: options that belong to the other kind of worker, threads against
//! the node, and the time they are held (memory against the node: `sizes`).

use super::Problems;
use crate::error::Code;
use crate::plan::{Plan, held_cpus};
use crate::profile::layer::{DaskLayer, JobLayer};
use crate::profile::model::Profile;
use crate::profile::types::{WorkerKind, WorkersPer};
use crate::walltime::Walltime;

/// Without a payload the cluster is held until `walltime - shutdown_margin`; a margin that
/// leaves no time is shrunk to a tenth of the walltime (at least 1 s), with a note. With a
/// payload the margin is not used, so it never stops the job.
pub(super) fn fit_margin(profile: &mut Profile, p: &mut Problems) {
    let (margin, walltime) = (profile.dask.shutdown_margin, profile.job.walltime);
    if profile.run.is_some() || margin < walltime {
        return;
    }
    // A tenth of the walltime, but at least 30 s (a clean stop takes seconds: workers are
    // given 8 s to leave) while that is under half the walltime.
    let seconds = walltime.seconds();
    let fitted = Walltime::from_seconds((seconds / 10).max(30.min(seconds / 2)).max(1));
    p.note(format!(
        "dask.shutdown_margin {margin} does not fit the walltime {walltime}; using {fitted}"
    ));
    profile.dask.shutdown_margin = fitted;
}

/// A walltime shorter than the workers' start-up allowance was most likely written in the
/// wrong unit: PBS reads `90` as 90 seconds and `1:30` as a minute and a half.
pub(super) fn note_short_walltime(profile: &Profile, p: &mut Problems) {
    let (walltime, startup) = (profile.job.walltime, profile.dask.startup_timeout);
    if walltime.seconds() < u64::from(startup) {
        let whence = p.whence(JobLayer::KEYS.walltime);
        p.note(format!(
            "job.walltime {walltime} (from {whence}) is shorter than dask.startup_timeout ({startup} s): PBS reads `90` as 90 seconds and `1:30` as 1 minute 30; an hour and a half is `01:30:00`"
        ));
    }
}

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let plan = Plan::new(profile);
    if let Some(note) = threads_note(profile, &plan) {
        p.note(note);
    }
    for key in gpu_options_on_cpu_workers(profile) {
        let fix = if key == DaskLayer::KEYS.workers_per {
            "set it to node (CPU workers come per node)"
        } else {
            "remove it (null)"
        };
        p.at(
            Code::GpuOptionOnCpu,
            key,
            format!("is a GPU option and dask.worker is cpu: {fix}, or use worker: cuda"),
        );
    }
    if cpu_option_on_gpu_workers(profile) {
        p.plain(
            Code::CpuOptionOnGpu,
            DaskLayer::KEYS.workers_per_node,
            "is for CPU workers; GPU workers come one per GPU (set it to null)",
        );
    }
}

/// The GPU-only keys a CPU-worker profile sets.
fn gpu_options_on_cpu_workers(profile: &Profile) -> Vec<&'static str> {
    let (d, k) = (&profile.dask, DaskLayer::KEYS);
    if d.worker != WorkerKind::Cpu {
        return Vec::new();
    }
    [
        (k.device_memory_limit, d.device_memory_limit.is_some()),
        (k.rmm_pool_size, d.rmm_pool_size.is_some()),
        (k.workers_per, d.workers_per == WorkersPer::Gpu),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect()
}

/// More threads on a node than the CPUs the job holds there.
fn threads_note(profile: &Profile, plan: &Plan) -> Option<String> {
    let nthreads = u64::from(profile.dask.nthreads?);
    let workers = u64::from(plan.workers_per_node);
    let cpus = held_cpus(profile);
    (workers * nthreads > cpus).then(|| {
        format!(
            "{workers} workers per node × dask.nthreads {nthreads} = {} threads, more than the {cpus} CPUs the job holds on a node (system.cpus_per_node); the threads will share cores",
            workers * nthreads
        )
    })
}

fn cpu_option_on_gpu_workers(profile: &Profile) -> bool {
    profile.dask.worker == WorkerKind::Cuda && profile.dask.workers_per_node.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::{pbs_cpu, sophia};

    #[test]
    fn cpu_workers_take_no_gpu_options() {
        assert!(gpu_options_on_cpu_workers(&pbs_cpu()).is_empty());
        let mut profile = sophia();
        assert!(gpu_options_on_cpu_workers(&profile).is_empty());
        profile.dask.worker = WorkerKind::Cpu;
        profile.dask.rmm_pool_size = Some("30GB".into());
        assert_eq!(
            gpu_options_on_cpu_workers(&profile),
            [
                "dask.device_memory_limit",
                "dask.rmm_pool_size",
                "dask.workers_per"
            ]
        );
    }

    #[test]
    fn a_margin_that_leaves_no_time_shrinks_unless_a_payload_runs() {
        let mut profile = sophia();
        profile.job.walltime = "00:05:00".parse().unwrap();
        let layer = crate::profile::layer::Layer::default();
        let mut p = Problems::new(&layer);
        fit_margin(&mut profile, &mut p);
        assert_eq!(profile.dask.shutdown_margin.to_string(), "00:00:30");
        assert_eq!(
            p.notes,
            ["dask.shutdown_margin 00:05:00 does not fit the walltime 00:05:00; using 00:00:30"]
        );
        // A short job keeps 30 s to stop in, not a tenth of its minute; a long one a tenth.
        for (walltime, fitted) in [("00:01:00", "00:00:30"), ("00:00:20", "00:00:10")] {
            let mut profile = sophia();
            profile.job.walltime = walltime.parse().unwrap();
            fit_margin(&mut profile, &mut Problems::new(&layer));
            assert_eq!(profile.dask.shutdown_margin.to_string(), fitted);
        }
        let mut profile = sophia();
        profile.dask.shutdown_margin = "02:00:00".parse().unwrap();
        fit_margin(&mut profile, &mut Problems::new(&layer));
        assert_eq!(profile.dask.shutdown_margin.to_string(), "00:06:00");
        let mut profile = sophia();
        profile.job.walltime = "00:05:00".parse().unwrap();
        profile.run = Some("python x.py".into());
        let mut p = Problems::new(&layer);
        fit_margin(&mut profile, &mut p);
        assert_eq!(profile.dask.shutdown_margin.to_string(), "00:05:00");
        assert!(p.notes.is_empty());
    }

    #[test]
    fn a_walltime_shorter_than_the_start_up_is_noted() {
        let layer = crate::profile::layer::Layer::default();
        let mut profile = sophia();
        let mut p = Problems::new(&layer);
        note_short_walltime(&profile, &mut p);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        profile.job.walltime = "90".parse().unwrap();
        note_short_walltime(&profile, &mut p);
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].contains("`01:30:00`"), "{:?}", p.notes);
    }

    #[test]
    fn threads_beyond_the_node_are_noted() {
        let mut profile = pbs_cpu();
        assert!(threads_note(&profile, &Plan::new(&profile)).is_none());
        profile.dask.workers_per_node = Some(64);
        profile.dask.nthreads = Some(4);
        let note = threads_note(&profile, &Plan::new(&profile)).unwrap();
        assert!(
            note.starts_with(
                "64 workers per node × dask.nthreads 4 = 256 threads, more than the 64 CPUs"
            ),
            "{note}"
        );
        // 10 workers × 8 threads = 80 on 64 CPUs: a product, not a sum (18).
        let mut profile = pbs_cpu();
        profile.dask.workers_per_node = Some(10);
        profile.dask.nthreads = Some(8);
        assert!(threads_note(&profile, &Plan::new(&profile)).is_some());
    }

    #[test]
    fn gpu_workers_take_no_workers_per_node() {
        let mut profile = sophia();
        assert!(!cpu_option_on_gpu_workers(&profile));
        profile.dask.workers_per_node = Some(2);
        assert!(cpu_option_on_gpu_workers(&profile));
        assert!(!cpu_option_on_gpu_workers(&pbs_cpu()));
    }
}
