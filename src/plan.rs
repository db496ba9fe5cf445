//! The decisions: from a resolved profile to the PBS request and the worker layout. Templates
//! get these numbers and words ready-made; they do no arithmetic of their own.

use serde::Serialize;

use crate::profile::model::Profile;
use crate::profile::types::{ChunkKind, Protocol, RequestKind, WorkerKind, WorkersPer};
use crate::size::{Binary, hardware_bytes};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// What one chunk is on the queue.
    pub chunk: ChunkKind,
    /// Nodes the request asks for.
    pub nodes: u32,
    /// GPUs the job holds on each node (0 for CPU workers).
    pub gpus_per_node: u32,
    /// MPI ranks started on each node.
    pub ranks_per_node: u32,
    /// Dask workers each rank starts.
    pub workers_per_rank: u32,
    /// Dask workers on each node.
    pub workers_per_node: u32,
    /// Workers the request should give; the job recomputes it from the nodes it got.
    pub expected_workers: u32,
    /// The `select` value: `2` or `1:ncpus=64:ngpus=4:…`.
    pub select: String,
    /// qsub options in header order, as (option, value) pairs.
    pub qsub: Vec<(String, Option<String>)>,
    /// Seconds from job start until the cluster is stopped when there is no payload.
    pub hold_seconds: u64,
    /// The walltime asked, in seconds (a TERM this close to it is PBS's walltime kill).
    pub walltime_seconds: u64,
    /// Each worker's `--memory-limit`: `dask.memory_limit` as written, else the worker's
    /// share of the host memory the job holds on a node (`128GiB`), when the node's memory
    /// is known.
    pub worker_memory_limit: Option<String>,
}

impl Plan {
    pub fn new(p: &Profile) -> Plan {
        // With no queue named, the server's default queue takes whole nodes.
        let chunk = p.queue().map_or(ChunkKind::Node, |q| q.chunk);
        let nodes = match chunk {
            // A job-wide GPU request beyond one node is whole nodes (NCI gpuvolta).
            ChunkKind::Gpu if p.job.request == RequestKind::JobWide => {
                p.job.select.div_ceil(p.system.gpus_per_node.max(1))
            }
            // A GPU-chunk queue puts every chunk on one node, whatever the workers are.
            ChunkKind::Gpu => 1,
            ChunkKind::Node => p.job.select,
        };
        let gpus_per_node = match (chunk, p.dask.worker) {
            (_, WorkerKind::Cpu) => 0,
            (ChunkKind::Gpu, WorkerKind::Cuda) if p.job.request == RequestKind::JobWide => {
                p.job.select.min(p.system.gpus_per_node)
            }
            (ChunkKind::Gpu, WorkerKind::Cuda) => p.job.select,
            (ChunkKind::Node, WorkerKind::Cuda) => p.system.gpus_per_node,
        };
        let (ranks_per_node, workers_per_rank) = match (p.dask.worker, p.dask.workers_per) {
            (WorkerKind::Cuda, WorkersPer::Gpu) => (gpus_per_node, 1),
            (WorkerKind::Cuda, WorkersPer::Node) => (1, gpus_per_node),
            // Validation refuses `cpu` with `gpu`; both mean one rank per node here.
            (WorkerKind::Cpu, _) => (1, p.dask.workers_per_node.unwrap_or(1)),
        };
        let workers_per_node = ranks_per_node * workers_per_rank;

        let mut select = p.job.select.to_string();
        for (key, value) in &p.job.resources {
            select.push_str(&format!(":{key}={value}"));
        }

        let qsub = Plan::qsub_options(p, &select, nodes);

        let hold_seconds = p
            .job
            .walltime
            .checked_sub(p.dask.shutdown_margin)
            .map(super::walltime::Walltime::seconds)
            .unwrap_or(0);
        let worker_memory_limit = p.dask.memory_limit.clone().or_else(|| {
            held_memory(p)
                .map(|bytes| Binary(bytes / u64::from(workers_per_node.max(1))).to_string())
        });
        Plan {
            worker_memory_limit,
            chunk,
            nodes,
            gpus_per_node,
            ranks_per_node,
            workers_per_rank,
            workers_per_node,
            expected_workers: nodes * workers_per_node,
            select,
            qsub,
            hold_seconds,
            walltime_seconds: p.job.walltime.seconds(),
        }
    }

    /// The request's `-l select` and other `#PBS` options, as (option, value) pairs.
    fn qsub_options(p: &Profile, select: &str, nodes: u32) -> Vec<(String, Option<String>)> {
        let mut qsub: Vec<(String, Option<String>)> = Vec::new();
        let mut opt = |flag: &str, value: Option<String>| qsub.push((flag.to_string(), value));
        opt("-N", Some(p.job.name.clone()));
        if let Some(queue) = &p.job.queue {
            // The name qsub knows the queue by, when it differs (`v100@pbspl4`).
            let submit = p.queue().and_then(|q| q.submit_as.clone());
            opt("-q", Some(submit.unwrap_or_else(|| queue.clone())));
        }
        if let Some((flag, value)) = account_option(p) {
            opt(&flag, Some(value));
        }
        match p.job.request {
            RequestKind::Select => opt("-l", Some(format!("select={select}"))),
            RequestKind::JobWide if !names_counts(p) => {
                for (key, value) in job_wide_counts(p, nodes) {
                    opt("-l", Some(format!("{key}={value}")));
                }
                for (key, value) in &p.job.resources {
                    opt("-l", Some(format!("{key}={value}")));
                }
            }
            // Job-wide resources as written, in one `-l`, as dask-jobqueue writes a
            // resource-spec; the validation keeps such a job to one node.
            RequestKind::JobWide if !p.job.resources.is_empty() => {
                let resources: Vec<String> = p
                    .job
                    .resources
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect();
                opt("-l", Some(resources.join(",")));
            }
            RequestKind::JobWide | RequestKind::None => {}
        }
        opt("-l", Some(format!("walltime={}", p.job.walltime)));
        if !p.job.filesystems.is_empty() {
            opt(
                "-l",
                Some(format!("filesystems={}", p.job.filesystems.join(":"))),
            );
        }
        if let Some(place) = &p.job.place {
            opt("-l", Some(format!("place={place}")));
        }
        if let Some(keep) = &p.system.keep {
            opt("-k", Some(keep.clone()));
        }
        for directive in &p.job.directives {
            let (flag, value) = match directive.split_once(' ') {
                Some((flag, value)) => (flag, Some(value.trim().to_string())),
                None => (directive.as_str(), None),
            };
            opt(flag, value);
        }
        qsub
    }

    /// `#PBS` lines' text, one per option.
    pub fn directives(&self) -> Vec<String> {
        self.qsub
            .iter()
            .map(|(flag, value)| match value {
                Some(v) => format!("{flag} {v}"),
                None => flag.clone(),
            })
            .collect()
    }

    /// The qsub arguments, as separate words.
    pub fn qsub_words(&self) -> Vec<String> {
        let mut words = Vec::new();
        for (flag, value) in &self.qsub {
            words.push(flag.clone());
            if let Some(v) = value {
                words.extend(v.split(' ').filter(|w| !w.is_empty()).map(str::to_string));
            }
        }
        words
    }

    /// One line for `dask-pbs check`.
    pub fn summary(&self, p: &Profile) -> String {
        let plural = |n: u32, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let request = match self.chunk {
            ChunkKind::Gpu => format!(
                "{} on {}",
                plural(p.job.select, "GPU"),
                plural(self.nodes, "node")
            ),
            ChunkKind::Node if self.gpus_per_node > 0 => {
                format!(
                    "{} ({} GPUs each)",
                    plural(self.nodes, "node"),
                    self.gpus_per_node
                )
            }
            ChunkKind::Node => plural(self.nodes, "node"),
        };
        let workers = match p.dask.worker {
            WorkerKind::Cuda => {
                let memory = p
                    .dask
                    .device_memory_limit
                    .as_deref()
                    .map(|m| format!(", {m} device memory limit each"))
                    .unwrap_or_default();
                format!("{} dask-cuda workers{memory}", self.expected_workers)
            }
            WorkerKind::Cpu => {
                let threads = p
                    .dask
                    .nthreads
                    .map(|n| format!(", {} each", plural(n, "thread")))
                    .unwrap_or_default();
                format!("{} dask workers{threads}", self.expected_workers)
            }
        };
        let launch = match (p.dask.worker, p.dask.workers_per) {
            (WorkerKind::Cuda, WorkersPer::Gpu) => "one rank per GPU",
            _ => "one rank per node",
        };
        let protocol = if p.dask.protocol == Protocol::Ucx {
            ", UCX"
        } else {
            ""
        };
        format!(
            "{request} of {}/{} for {} → {workers} ({launch}{protocol})",
            p.name,
            p.job.queue.as_deref().unwrap_or("(default queue)"),
            p.job.walltime
        )
    }
}

/// The part of a node the job holds: all of it on a node-chunk queue, its GPUs' share on a
/// GPU-chunk queue (`select` of the node's GPUs), as (numerator, denominator).
pub fn node_share(p: &Profile) -> (u64, u64) {
    match p.queue().map(|q| q.chunk) {
        Some(ChunkKind::Gpu) if p.system.gpus_per_node > 0 => (
            u64::from(p.job.select.min(p.system.gpus_per_node)),
            u64::from(p.system.gpus_per_node),
        ),
        _ => (1, 1),
    }
}

/// Host memory the job holds on one node, in bytes: what its `mem=` asks for when it asks
/// (PBS enforces that, not the node's size), else its share of the node, when known.
pub fn held_memory(p: &Profile) -> Option<u64> {
    requested_memory(p).or_else(|| {
        let total = hardware_bytes(p.system.memory_per_node.as_deref()?).ok()?;
        let (part, whole) = node_share(p);
        Some(((u128::from(total) * u128::from(part)) / u128::from(whole)) as u64)
    })
}

/// The `mem=` of `job.resources` on one node, in bytes (PBS reads `gb` as 2^30): per chunk
/// with `select` (a GPU-chunk queue puts all of them on one node), for the job otherwise.
pub fn requested_memory(p: &Profile) -> Option<u64> {
    let mem = hardware_bytes(p.job.resources.get("mem")?).ok()?;
    let chunks_on_a_node = match (p.job.request, p.queue().map(|q| q.chunk)) {
        (RequestKind::Select, Some(ChunkKind::Gpu)) => u64::from(p.job.select),
        _ => 1,
    };
    mem.checked_mul(chunks_on_a_node)
}

/// CPUs the job holds on one node (its GPUs' share on a GPU-chunk queue).
pub fn held_cpus(p: &Profile) -> u64 {
    let (part, whole) = node_share(p);
    u64::from(p.system.cpus_per_node) * part / whole
}

/// The resources a job-wide request counts: when `job.resources` names one of them, the
/// request is written as given (one node's worth).
pub const COUNTED: [&str; 3] = ["ncpus", "ngpus", "mem"];

/// Whether `job.resources` names a counted resource itself.
pub fn names_counts(p: &Profile) -> bool {
    COUNTED.iter().any(|key| p.job.resources.contains_key(*key))
}

/// `ncpus`, `ngpus` and `mem` of a job-wide request over `nodes` nodes, from the node shape
/// and the part of each node the job holds, so the request and the workers agree.
pub fn job_wide_counts(p: &Profile, nodes: u32) -> Vec<(&'static str, String)> {
    let nodes64 = u64::from(nodes);
    let mut counts = vec![("ncpus", (held_cpus(p) * nodes64).to_string())];
    let (part, whole) = node_share(p);
    let gpus = u64::from(p.system.gpus_per_node) * part / whole;
    if p.dask.worker == WorkerKind::Cuda && gpus > 0 {
        counts.push(("ngpus", (gpus * nodes64).to_string()));
    }
    if let Some(bytes) = held_memory(p) {
        counts.push(("mem", pbs_size(bytes.saturating_mul(nodes64))));
    }
    counts
}

/// Bytes as PBS reads a size (its units are binary): `380GB`, or `1536MB`.
fn pbs_size(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{}GB", bytes / GIB)
    } else {
        format!("{}MB", bytes >> 20)
    }
}

/// The project directive as (option, value): `-A a00`, `-P a00`, `-W group_list=s1234`;
/// none without an account or on a site with no directive.
pub fn account_option(p: &Profile) -> Option<(String, String)> {
    let account = p.job.account.as_ref()?;
    let directive = p.system.account_directive.as_deref()?;
    Some(match directive.strip_prefix("-W ") {
        Some(attribute) => ("-W".to_string(), format!("{attribute}{account}")),
        None => (directive.to_string(), account.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::{builtin_profile, sophia};

    #[test]
    fn a_job_wide_request_counts_cpus_gpus_and_memory_from_the_node_shape() {
        let gadi = builtin_profile("gadi");
        let counts = |p: &Profile| {
            let plan = Plan::new(p);
            (plan.nodes, job_wide_counts(p, plan.nodes))
        };
        let mut two = gadi.clone();
        two.job.select = 2;
        assert_eq!(
            counts(&two),
            (2, vec![("ncpus", "96".into()), ("mem", "380GB".into())])
        );
        let mut gpu = builtin_profile("gadi-gpu");
        gpu.job.select = 2;
        let expected = vec![
            ("ncpus", "24".into()),
            ("ngpus", "2".into()),
            ("mem", "191GB".into()),
        ];
        assert_eq!(counts(&gpu), (1, expected));
        gpu.job.select = 8;
        let plan = Plan::new(&gpu);
        assert_eq!((plan.gpus_per_node, plan.expected_workers), (4, 8));
        assert_eq!(
            counts(&gpu).1[..2],
            [("ncpus", "96".into()), ("ngpus", "8".into())]
        );
        // Named counts are written as given, in one line.
        two.job.resources.insert("ncpus".into(), "4".into());
        assert!(
            Plan::new(&two)
                .directives()
                .contains(&"-l jobfs=100GB,ncpus=4".to_string())
        );
    }

    #[test]
    fn the_account_renders_as_the_sites_project_directive() {
        let mut profile = sophia();
        profile.job.account = Some("a00".into());
        let option = |p: &Profile| account_option(p);
        assert_eq!(option(&profile), Some(("-A".into(), "a00".into())));
        profile.system.account_directive = Some("-P".into());
        assert_eq!(option(&profile), Some(("-P".into(), "a00".into())));
        profile.system.account_directive = Some("-W group_list=".into());
        assert_eq!(
            option(&profile),
            Some(("-W".into(), "group_list=a00".into()))
        );
        assert!(
            Plan::new(&profile)
                .directives()
                .contains(&"-W group_list=a00".to_string())
        );
        profile.system.account_directive = None;
        assert_eq!(option(&profile), None);
    }
}
