//! The template context: the resolved profile plus every decision, ready-made. Documented
//! field by field in the README ("Template context"); `dask-pbs templates context` prints it.

use serde::Serialize;

use crate::mpi::Launcher;
use crate::plan::Plan;
use crate::profile::model::Profile;
use crate::profile::types::{GpuOrder, Protocol, WorkerKind, WorkersPer};
use crate::rapids;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub tool: Tool,
    pub profile: Profile,
    pub plan: Plan,
    /// `#PBS` line texts, in order.
    pub directives: Vec<String>,
    /// The same options as separate qsub words (for `qsub -I`).
    pub qsub_words: Vec<String>,
    /// The dask-pbs flags that made this profile, for the "regenerate with" comment; the
    /// renderer adds the artifact and quotes them into `regenerate`.
    pub regenerate_args: Vec<String>,
    pub mpi: Mpi,
    pub scheduler: Scheduler,
    pub worker: Worker,
    pub conda: Conda,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mpi {
    /// The launcher's words up to the program, with `"$dask_pbs_nranks"` and
    /// `"$dask_pbs_hostfile"` as shell variables of the job script.
    pub launch: String,
    /// Local-rank variables to try, in order.
    pub local_rank_vars: Vec<&'static str>,
    /// Whether the hostfile lines carry `slots=N` (OpenMPI).
    pub hostfile_slots: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scheduler {
    /// `dask scheduler` options after `--scheduler-file`.
    pub options: Vec<String>,
    /// `NAME=value` words put before the command.
    pub env: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    /// `dask cuda worker` or `dask worker`, as words.
    pub program: Vec<&'static str>,
    /// Options after `--scheduler-file` and `--name`.
    pub options: Vec<String>,
    pub gpu: bool,
    /// Each rank takes one GPU (`true`), or one rank takes all the node's GPUs.
    pub one_gpu_per_rank: bool,
    pub gpu_order: GpuOrder,
    /// GPU indices to use when PBS sets no CUDA_VISIBLE_DEVICES.
    pub default_gpus: Vec<u32>,
    /// `dask.local_directory` when it names shell variables (`$USER`, `${PBS_JOBFS}`): the
    /// wrapper expands them on the node, where they are set (validation allows nothing else).
    pub local_directory_template: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conda {
    /// The prefix the environment is created at, if the profile names one.
    pub prefix: Option<String>,
    /// The whole `conda create` command as words.
    pub create: Vec<String>,
    /// Extra packages for the protocol (UCX).
    pub extra_packages: Vec<String>,
}

impl Context {
    pub fn new(profile: Profile, regenerate_args: &[String]) -> Context {
        let plan = Plan::new(&profile);
        let launcher = Launcher::new(profile.system.mpi);
        let dask = &profile.dask;

        let mut scheduler_options: Vec<String> = vec!["--port".into(), "0".into()];
        let dashboard = dask
            .dashboard_port
            .map(|p| format!(":{p}"))
            .unwrap_or_else(|| ":0".into());
        scheduler_options.extend(["--dashboard-address".into(), dashboard]);
        scheduler_options.extend(["--protocol".into(), dask.protocol.to_string()]);
        if let Some(interface) = &dask.interface {
            scheduler_options.extend(["--interface".into(), interface.clone()]);
        }
        scheduler_options.extend(dask.scheduler_args.iter().cloned());
        let scheduler_env = if dask.protocol == Protocol::Ucx && dask.worker == WorkerKind::Cuda {
            // UCX picks its transports from the CUDA context the scheduler creates (sites.md).
            vec!["DASK_DISTRIBUTED_UCXX__CREATE_CUDA_CONTEXT=True".to_string()]
        } else {
            vec![]
        };

        let gpu = dask.worker == WorkerKind::Cuda;
        let mut options: Vec<String> = Vec::new();
        let mut opt = |flag: &str, value: Option<String>| {
            if let Some(v) = value {
                options.push(flag.to_string());
                options.push(v);
            }
        };
        if gpu {
            opt("--device-memory-limit", dask.device_memory_limit.clone());
            opt("--rmm-pool-size", dask.rmm_pool_size.clone());
        } else {
            opt("--nworkers", Some(plan.workers_per_rank.to_string()));
        }
        opt("--memory-limit", dask.memory_limit.clone());
        opt("--nthreads", dask.nthreads.map(|n| n.to_string()));
        opt("--protocol", Some(dask.protocol.to_string()));
        opt("--interface", dask.interface.clone());
        let (local_directory, local_directory_template) = match &dask.local_directory {
            Some(dir) if dir.contains('$') => (None, Some(dir.clone())),
            other => (other.clone(), None),
        };
        opt("--local-directory", local_directory);
        opt("--death-timeout", Some(dask.death_timeout.to_string()));
        if !gpu && plan.hold_seconds > 0 {
            // `dask worker` retires itself before walltime; `dask cuda worker` has no --lifetime.
            opt("--lifetime", Some(format!("{}s", plan.hold_seconds)));
        }
        options.extend(dask.worker_args.iter().cloned());

        let worker = Worker {
            program: if gpu {
                vec!["dask", "cuda", "worker"]
            } else {
                vec!["dask", "worker"]
            },
            options,
            gpu,
            one_gpu_per_rank: gpu && dask.workers_per == WorkersPer::Gpu,
            gpu_order: profile.system.gpu_order,
            default_gpus: (0..plan.gpus_per_node).collect(),
            local_directory_template,
        };

        let r = &profile.rapids;
        let mut create: Vec<String> = vec!["conda".into(), "create".into(), "-y".into()];
        let prefix = profile.env.conda.clone();
        create.extend([
            "-p".into(),
            prefix.clone().unwrap_or_else(|| "PREFIX".into()),
        ]);
        for channel in &r.channels {
            if channel == "nvidia" && !rapids::wants_nvidia_channel(&r.version) {
                continue;
            }
            create.extend(["-c".into(), channel.clone()]);
        }
        if gpu {
            create.push(format!("rapids={}", r.version));
            create.push(format!("python={}", r.python));
            create.push(format!("cuda-version{}", cuda_spec(&r.cuda)));
        } else {
            create.push(format!("python={}", r.python));
            create.extend(["dask".into(), "distributed".into()]);
        }
        let extra_packages = if dask.protocol == Protocol::Ucx {
            vec!["distributed-ucxx".to_string()]
        } else {
            vec![]
        };
        create.extend(extra_packages.iter().cloned());

        let mut regenerate = vec!["--profile".to_string(), profile.name.clone()];
        regenerate.extend(regenerate_args.iter().cloned());

        Context {
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            directives: plan.directives(),
            qsub_words: plan.qsub_words(),
            regenerate_args: regenerate,
            mpi: Mpi {
                launch: launcher.command(
                    plan.ranks_per_node,
                    "\"$dask_pbs_nranks\"",
                    "\"$dask_pbs_hostfile\"",
                ),
                local_rank_vars: launcher.local_rank_vars(),
                hostfile_slots: launcher.hostfile_slots(),
            },
            scheduler: Scheduler {
                options: scheduler_options,
                env: scheduler_env,
            },
            worker,
            conda: Conda {
                prefix,
                create,
                extra_packages,
            },
            plan,
            profile,
        }
    }
}

/// `>=12.0,<=12.8` stays as is; a bare `12.8` becomes `=12.8` so `cuda-version12.8` never
/// appears.
fn cuda_spec(spec: &str) -> String {
    let spec = spec.trim();
    if spec.starts_with(['<', '>', '=', '!']) {
        spec.to_string()
    } else {
        format!("={spec}")
    }
}
