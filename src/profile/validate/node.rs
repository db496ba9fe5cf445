//! Rules on the node: what the workers ask of its hardware.

use super::Problems;
use crate::error::Code;
use crate::profile::layer::SystemLayer;
use crate::profile::model::Profile;
use crate::profile::types::WorkerKind;

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    // A GPU-less queue chosen for GPU workers is the cause, already reported with its fix.
    if p.has(Code::QueueWithoutGpus) {
        return;
    }
    if let Some(message) = no_gpus_problem(profile) {
        p.plain(
            Code::CudaWithoutGpus,
            SystemLayer::KEYS.gpus_per_node,
            message,
        );
    }
}

fn no_gpus_problem(profile: &Profile) -> Option<&'static str> {
    (profile.dask.worker == WorkerKind::Cuda && profile.system.gpus_per_node == 0)
        .then_some("is 0 but dask.worker is cuda: use worker: cpu or give the GPU count")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::sophia;

    #[test]
    fn gpu_workers_need_gpus() {
        let mut profile = sophia();
        assert!(no_gpus_problem(&profile).is_none());
        profile.system.gpus_per_node = 0;
        assert!(no_gpus_problem(&profile).is_some());
        profile.dask.worker = WorkerKind::Cpu;
        assert!(no_gpus_problem(&profile).is_none());
    }
}
