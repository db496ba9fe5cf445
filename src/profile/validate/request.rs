//! Rules on the PBS request: the queue and its limits, and what the site requires.

use super::Problems;
use crate::error::Suggestion;
use crate::profile::layer::{DaskLayer, JobLayer};
use crate::profile::model::Profile;
use crate::profile::types::{ChunkKind, Queue, RequestKind};

pub(super) fn check(profile: &Profile, require_account: bool, p: &mut Problems) {
    let k = JobLayer::KEYS;
    // No queue named: the server's default queue takes the job, whose limits are not known.
    let Some(name) = &profile.job.queue else {
        return site_rules(profile, require_account, p);
    };
    match profile.system.queues.get(name) {
        None => p.at(k.queue, unknown_queue(profile, name)),
        Some(queue) => {
            if let Some(message) = select_problem(profile, queue) {
                p.at(k.select, message);
            }
            if let Some(message) = walltime_problem(profile, queue) {
                p.at(k.walltime, message);
            }
        }
    }
    site_rules(profile, require_account, p);
}

/// The rules that hold whichever queue takes the job.
fn site_rules(profile: &Profile, require_account: bool, p: &mut Problems) {
    let k = JobLayer::KEYS;
    if let Some(message) = job_wide_problem(profile) {
        p.at(k.request, message);
    }
    if require_account && profile.system.account_required && profile.job.account.is_none() {
        p.plain(k.account, "is required on this site: pass --account PROJECT, set DASK_PBS_ACCOUNT, or put `job: {account: PROJECT}` in your defaults file");
    }
    if profile.system.filesystems_required && profile.job.filesystems.is_empty() {
        p.plain(k.filesystems, "is required on this site (e.g. [home, eagle]): qsub refuses the job without -l filesystems");
    }
    if let Some(message) = margin_problem(profile) {
        p.at(DaskLayer::KEYS.shutdown_margin, message);
    }
}

/// A job-wide request names one node's resources: it cannot grow with `select`.
fn job_wide_problem(profile: &Profile) -> Option<String> {
    let (request, select) = (profile.job.request, profile.job.select);
    (request == RequestKind::JobWide && select != 1).then(|| {
        format!("job-wide resources (job.resources) are for one node; got job.select {select}: use -n 1, or job.request: select")
    })
}

fn unknown_queue(profile: &Profile, queue: &str) -> String {
    let names: Vec<&str> = profile.system.queues.keys().map(String::as_str).collect();
    let hint = Suggestion::for_name(queue, names.iter().copied())
        .map(|s| format!("{s} "))
        .unwrap_or_default();
    format!(
        "no queue `{}` on this site; {hint}queues: {}",
        queue.escape_debug(),
        names.join(", ")
    )
}

/// The chunk count must be one the queue takes, and a GPU-chunk queue's GPUs fit one node.
fn select_problem(profile: &Profile, queue: &Queue) -> Option<String> {
    let (name, select) = (
        profile.job.queue.as_deref().unwrap_or_default(),
        profile.job.select,
    );
    let unit = match queue.chunk {
        ChunkKind::Gpu => "GPUs",
        ChunkKind::Node => "nodes",
    };
    let gpus = profile.system.gpus_per_node;
    if !queue.chunks.allows(select) {
        Some(format!(
            "{name} accepts {} {unit}; got {select}",
            queue.chunks.describe()
        ))
    } else if queue.chunk == ChunkKind::Gpu && select > gpus {
        Some(format!(
            "{name} puts all GPUs on one node, which has {gpus}; got {select}"
        ))
    } else {
        None
    }
}

fn walltime_problem(profile: &Profile, queue: &Queue) -> Option<String> {
    let [min, max] = queue.walltime;
    let walltime = profile.job.walltime;
    (walltime < min || walltime > max).then(|| {
        format!(
            "{} allows walltimes from {min} to {max}; got {walltime}",
            profile.job.queue.as_deref().unwrap_or_default()
        )
    })
}

fn margin_problem(profile: &Profile) -> Option<String> {
    let (margin, walltime) = (profile.dask.shutdown_margin, profile.job.walltime);
    (margin >= walltime).then(|| format!("{margin} must be shorter than the walltime {walltime}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::sophia;

    #[test]
    fn an_unknown_queue_names_the_closest_and_all() {
        let mut profile = sophia();
        profile.job.queue = Some("by-gpus".into());
        assert_eq!(
            unknown_queue(&profile, "by-gpus"),
            "no queue `by-gpus` on this site; did you mean `by-gpu`? queues: by-gpu, by-node, bigmem"
        );
        profile.job.queue = Some("zzz".into());
        assert!(!unknown_queue(&profile, "zzz").contains("did you mean"));
    }

    #[test]
    fn select_must_be_a_count_the_queue_takes_and_fit_the_node() {
        let mut profile = sophia();
        let queue = profile.queue().unwrap().clone();
        assert!(select_problem(&profile, &queue).is_none());
        profile.job.select = 3;
        assert!(
            select_problem(&profile, &queue)
                .unwrap()
                .contains("accepts 1, 2, 4 or 8 GPUs")
        );
        profile.job.select = 8;
        profile.system.gpus_per_node = 4;
        assert!(
            select_problem(&profile, &queue)
                .unwrap()
                .contains("puts all GPUs on one node, which has 4; got 8")
        );
    }

    #[test]
    fn walltime_within_the_queue_limits() {
        let mut profile = sophia();
        let queue = profile.queue().unwrap().clone();
        assert!(walltime_problem(&profile, &queue).is_none());
        profile.job.walltime = "00:04:59".parse().unwrap();
        assert!(walltime_problem(&profile, &queue).is_some());
        profile.job.walltime = "24:00:01".parse().unwrap();
        assert!(walltime_problem(&profile, &queue).is_some());
    }

    #[test]
    fn a_job_wide_request_is_for_one_node() {
        let mut profile = sophia();
        profile.job.request = RequestKind::JobWide;
        profile.job.select = 1;
        assert!(job_wide_problem(&profile).is_none());
        profile.job.select = 2;
        assert!(job_wide_problem(&profile).unwrap().contains("for one node"));
        profile.job.request = RequestKind::Select;
        assert!(job_wide_problem(&profile).is_none());
    }

    #[test]
    fn no_queue_means_no_queue_rule() {
        let mut profile = sophia();
        profile.job.queue = None;
        profile.job.walltime = "700:00:00".parse().unwrap();
        let layer = crate::profile::layer::Layer::default();
        let mut problems = Problems::new(&layer);
        check(&profile, false, &mut problems);
        assert!(problems.found.is_empty(), "{:?}", problems.found);
    }

    #[test]
    fn the_margin_is_shorter_than_the_walltime() {
        let mut profile = sophia();
        assert!(margin_problem(&profile).is_none());
        profile.dask.shutdown_margin = profile.job.walltime;
        assert!(margin_problem(&profile).is_some());
    }
}
