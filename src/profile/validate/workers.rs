//! Rules on the workers: options that belong to the other kind of worker.

use super::Problems;
use crate::profile::layer::DaskLayer;
use crate::profile::model::Profile;
use crate::profile::types::{WorkerKind, WorkersPer};

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    for key in gpu_options_on_cpu_workers(profile) {
        p.plain(key, "is a GPU option and dask.worker is cpu: remove it (workers_per: node for CPU workers) or use worker: cuda");
    }
    if cpu_option_on_gpu_workers(profile) {
        p.plain(
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
    fn gpu_workers_take_no_workers_per_node() {
        let mut profile = sophia();
        assert!(!cpu_option_on_gpu_workers(&profile));
        profile.dask.workers_per_node = Some(2);
        assert!(cpu_option_on_gpu_workers(&profile));
        assert!(!cpu_option_on_gpu_workers(&pbs_cpu()));
    }
}
