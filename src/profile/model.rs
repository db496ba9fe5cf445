//! The resolved profile: every field present, every value checked. Templates see this
//! (through the render context) and nothing less checked.

use indexmap::IndexMap;
use serde::Serialize;

use super::charging::Charging;
use super::types::{
    Certificates, CustomLauncher, GpuOrder, Launch, MpiFlavour, NodeType, Protocol, Queue,
    RequestKind, Security, WorkerKind, WorkersPer,
};
use crate::amount::Amount;
use crate::walltime::Walltime;

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The name the user asked for (`sophia`) or the file they gave.
    pub name: String,
    /// Where the profile itself came from ("built-in profile sophia", a path).
    pub origin: String,
    pub description: String,
    pub system: System,
    pub job: Job,
    pub env: Env,
    pub rapids: Rapids,
    pub dask: Dask,
    /// The payload, run once the cluster is ready; `None` holds the cluster until walltime.
    pub run: Option<String>,
    /// The profile's own template directory (`templates:`, relative to the profile file),
    /// searched before `--templates` and the built-ins for this profile only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct System {
    pub login_host: Option<String>,
    pub gpus_per_node: u32,
    pub cpus_per_node: u32,
    /// Memory of one GPU, binary units (`40GB` = 40 GiB); `None`: unknown.
    pub gpu_memory: Option<String>,
    /// The node's host memory, binary units (`1TB` = 1 TiB); `None`: unknown.
    pub memory_per_node: Option<String>,
    pub mpi: MpiFlavour,
    pub gpu_order: GpuOrder,
    pub account_required: bool,
    /// How `job.account` is written: `-A` (PBS Pro), `-P` (NCI Gadi), `-W group_list=`
    /// (NASA Pleiades); `None`: the site takes no project directive.
    pub account_directive: Option<String>,
    pub filesystems_required: bool,
    pub keep: Option<String>,
    /// The site's own default-account variables (NCAR's `PBS_ACCOUNT_DERECHO`), read after
    /// `DASK_PBS_ACCOUNT` and before `PBS_ACCOUNT`.
    pub account_vars: Vec<String>,
    /// A launcher of the profile's own, used instead of `mpi`'s words and variables.
    pub launcher: Option<CustomLauncher>,
    /// Words put after the launcher's own (CPU binding: Polaris' `--depth=8 --cpu-bind depth`).
    pub launcher_args: Vec<String>,
    /// The job script's interpreter line after `#!` (`/bin/bash -l`: a login shell).
    pub shell: String,
    pub queues: IndexMap<String, Queue>,
    /// The site's node types by name; empty: one node shape, the fields above.
    pub node_types: IndexMap<String, NodeType>,
    /// How the site charges a job (`crate::charge` does the arithmetic); `None`: unknown.
    pub charging: Option<Charging>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// `None`: no `-q`; the server's default queue takes the job and no queue limits apply.
    pub queue: Option<String>,
    /// The node type the job runs on, once resolved (named, or selected by `job.resources`
    /// or the queue); its shape has replaced the `system` one.
    pub node_type: Option<String>,
    pub select: u32,
    pub request: RequestKind,
    pub walltime: Walltime,
    pub account: Option<String>,
    pub filesystems: Vec<String>,
    pub name: String,
    pub place: Option<String>,
    pub resources: IndexMap<String, String>,
    pub directives: Vec<String>,
    /// The most the job may charge, in the unit of `system.charging`.
    pub max_charge: Option<Amount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Env {
    pub module_use: Vec<String>,
    pub modules: Vec<String>,
    pub conda: Option<String>,
    pub venv: Option<String>,
    pub vars: IndexMap<String, String>,
    pub setup: Vec<String>,
    /// Shell lines run before modules and activation (e.g. to put `conda` on PATH).
    pub prologue: Vec<String>,
    /// TMPDIR for the scheduler and the workers (and Dask's default spill directory);
    /// `$NAME`/`${NAME}` expanded on the node. `None`: the node's own.
    pub tmpdir: Option<String>,
    /// The HTTP(S) proxy compute nodes reach the internet through (ALCF's); `gen conda`
    /// exports it.
    pub proxy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rapids {
    pub version: String,
    pub python: String,
    pub cuda: String,
    pub channels: Vec<String>,
    pub jupyter: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dask {
    pub worker: WorkerKind,
    pub workers_per: WorkersPer,
    pub workers_per_node: Option<u32>,
    pub protocol: Protocol,
    pub security: Security,
    /// How a `security: tls` job makes its certificates on the node: `openssl` (the
    /// command) or `python` (the `cryptography` package of the job's environment).
    pub certificates: Certificates,
    pub interface: Option<String>,
    pub device_memory_limit: Option<String>,
    pub rmm_pool_size: Option<String>,
    pub memory_limit: Option<String>,
    pub nthreads: Option<u32>,
    pub local_directory: Option<String>,
    pub dashboard_port: Option<u16>,
    pub death_timeout: u32,
    pub scheduler_args: Vec<String>,
    pub worker_args: Vec<String>,
    pub startup_timeout: u32,
    pub shutdown_margin: Walltime,
    pub launch: Launch,
    /// Abstract worker resources (`{GPU: 1}`, `{IO: 1}`): the workers' `--resources`, for
    /// `client.submit(f, resources={"GPU": 1})`.
    pub resources: IndexMap<String, String>,
}

impl Profile {
    /// The queue the job asks for, when it names one; validation guarantees it exists.
    pub fn queue(&self) -> Option<&Queue> {
        self.job
            .queue
            .as_ref()
            .and_then(|q| self.system.queues.get(q))
    }
}
