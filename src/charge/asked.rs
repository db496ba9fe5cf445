//! What a job asks PBS for, counted the way sites charge it: nodes, cores (`ncpus`), GPUs
//! (`ngpus`) and memory (`mem`) for the whole job, as the rendered request says them.

use crate::plan::{Plan, held_cpus, held_memory, names_counts, node_share};
use crate::profile::model::Profile;
use crate::profile::types::{ChunkKind, RequestKind, WorkerKind};
use crate::size::hardware_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub nodes: u64,
    pub cores: u64,
    pub gpus: u64,
    /// Bytes of host memory for the whole job, when the request names (or dask-pbs writes) one.
    pub memory: Option<u64>,
}

impl Asked {
    pub fn of(p: &Profile, plan: &Plan) -> Asked {
        let nodes = u64::from(plan.nodes);
        let named = |key: &str| p.job.resources.get(key).and_then(|v| v.parse::<u64>().ok());
        let mem = p
            .job
            .resources
            .get("mem")
            .and_then(|m| hardware_bytes(m).ok());
        // GPUs a request that names no ngpus gets: a GPU chunk is one; CUDA workers on whole
        // nodes hold the node's (the plan counts them).
        let held_gpus = match p.queue().map(|q| q.chunk) {
            Some(ChunkKind::Gpu) if p.job.request == RequestKind::Select => u64::from(p.job.select),
            _ => u64::from(plan.gpus_per_node) * nodes,
        };
        match p.job.request {
            RequestKind::Select => {
                let chunks = u64::from(p.job.select);
                Asked {
                    nodes,
                    cores: named("ncpus").map_or(held_cpus(p) * nodes, |n| n * chunks),
                    gpus: named("ngpus").map_or(held_gpus, |n| n * chunks),
                    memory: mem.and_then(|m| m.checked_mul(chunks)),
                }
            }
            // Written as given, one node's worth (validation keeps such a job to one node).
            RequestKind::JobWide if names_counts(p) => Asked {
                nodes,
                cores: named("ncpus").unwrap_or(held_cpus(p) * nodes),
                gpus: named("ngpus").unwrap_or(0),
                memory: mem,
            },
            // What `plan::job_wide_counts` writes.
            RequestKind::JobWide => Asked {
                nodes,
                cores: held_cpus(p) * nodes,
                gpus: job_wide_gpus(p) * nodes,
                memory: held_memory(p).and_then(|m| m.checked_mul(nodes)),
            },
            RequestKind::None => Asked {
                nodes,
                cores: held_cpus(p) * nodes,
                gpus: held_gpus,
                memory: None,
            },
        }
    }
}

/// GPUs of one node a job-wide request asks for (as `plan::job_wide_counts` counts them).
fn job_wide_gpus(p: &Profile) -> u64 {
    if p.dask.worker != WorkerKind::Cuda {
        return 0;
    }
    let (part, whole) = match p.queue().map(|q| q.chunk) {
        Some(ChunkKind::Gpu) => node_share(p),
        _ => (1, 1),
    };
    u64::from(p.system.gpus_per_node) * part / whole
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::builtin_profile;

    fn asked(p: &Profile) -> Asked {
        Asked::of(p, &Plan::new(p))
    }

    #[test]
    fn a_job_wide_request_counts_what_it_writes() {
        let mut gadi = builtin_profile("gadi");
        gadi.job.select = 2;
        let gib = 1u64 << 30;
        assert_eq!(
            asked(&gadi),
            Asked {
                nodes: 2,
                cores: 96,
                gpus: 0,
                memory: Some(380 * gib)
            }
        );
        let gpu = builtin_profile("gadi-gpu");
        assert_eq!(
            asked(&gpu),
            Asked {
                nodes: 1,
                cores: 12,
                gpus: 1,
                memory: Some(382 * gib / 4)
            }
        );
        gadi.job.select = 1;
        gadi.job.resources.insert("ncpus".into(), "8".into());
        gadi.job.resources.insert("mem".into(), "128GB".into());
        assert_eq!(
            asked(&gadi),
            Asked {
                nodes: 1,
                cores: 8,
                gpus: 0,
                memory: Some(128 * gib)
            }
        );
    }

    #[test]
    fn select_chunks_multiply_what_each_asks() {
        let mut derecho = builtin_profile("derecho");
        derecho.job.select = 2;
        let gib = 1u64 << 30;
        assert_eq!(
            asked(&derecho),
            Asked {
                nodes: 2,
                cores: 128,
                gpus: 8,
                memory: Some(800 * gib)
            }
        );
        // Sophia's by-gpu chunks are GPUs of one node.
        let sophia = builtin_profile("sophia");
        assert_eq!(
            asked(&sophia),
            Asked {
                nodes: 1,
                cores: 64,
                gpus: 2,
                memory: None
            }
        );
    }
}
