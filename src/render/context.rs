//! The template context: the resolved profile plus every decision, ready-made. Documented
//! field by field in the README ("Template context"); `dask-pbs templates context` prints it.

use serde::Serialize;

use crate::mpi;
use crate::plan::Plan;
use crate::profile::model::{Dask, Profile};
use crate::profile::types::{GpuOrder, Launch, MpiFlavour, Protocol, WorkerKind, WorkersPer};
use crate::rapids;
use crate::render::security::Security;

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
    /// Whether the job may start its ranks through the launcher: `dask.launch: mpi`, or
    /// `auto` on a request for several nodes. Otherwise the job renders only the start of
    /// ranks on its one host (and refuses an allocation of several).
    pub launch_mpi: bool,
    /// Whether the job's shell is a login shell (`#!/bin/bash -l`), which has the site's
    /// `module` command already: the job then looks for no module init script.
    pub login_shell: bool,
    pub scheduler: Scheduler,
    pub worker: Worker,
    pub conda: Conda,
    /// `dask.security`'s words: TLS options, exported Dask configuration.
    pub security: Security,
    /// `gen workers --join`: the head job's directory (absolute) that a worker job joins;
    /// absent otherwise (a worker job then reads DASK_PBS_JOIN when it runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
    /// The job's charge an hour by `system.charging` (unit, rate, the rate in millionths for
    /// the script's integer arithmetic); `null` when the profile has no rule for the job.
    pub charge: Option<crate::charge::ScriptCharge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mpi {
    /// The launcher's words up to the program, with placeholders (`{nranks}`,
    /// `{ranks_per_node}`, `{hostfile}`) that the template fills (the `launch` filter): the
    /// flavour's (or `system.launcher`'s) words, then `system.launcher_args`.
    pub launch: Vec<String>,
    /// The variable that gives a rank the job starts itself its local rank.
    pub local_rank_var: &'static str,
    /// Local-rank variables to try, in order.
    pub local_rank_vars: Vec<String>,
    /// Whether the hostfile lines carry `slots=N` (OpenMPI).
    pub hostfile_slots: bool,
    /// `[text, flavour]`: `mpiexec --version` printing `text` is an mpiexec of `flavour`
    /// (a flavour that runs the profile's launch line counts as the profile's); empty for a
    /// profile's own launcher, which is not checked.
    pub version_marks: Vec<(&'static str, MpiFlavour)>,
    /// The same marks grouped by flavour, in order: one `case` arm each (first match wins).
    pub version_cases: Vec<(MpiFlavour, Vec<&'static str>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scheduler {
    /// `dask scheduler` options after `--scheduler-file`.
    pub options: Vec<String>,
    /// Variables set for the scheduler, as (name, value); the template quotes the value.
    pub env: Vec<(&'static str, String)>,
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
    /// `profile_arg` is how the regenerate line names the profile: its name, or the path of
    /// a profile given as a file.
    pub fn new(profile: Profile, profile_arg: &str, regenerate_args: &[String]) -> Context {
        let plan = Plan::new(&profile);
        let security = Security::new(&profile);
        let mut regenerate = vec!["--profile".to_string(), profile_arg.to_string()];
        regenerate.extend(regenerate_args.iter().cloned());
        Context {
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            directives: plan.directives(),
            qsub_words: plan.qsub_words(),
            regenerate_args: regenerate,
            mpi: Mpi::new(&profile),
            login_shell: profile
                .system
                .shell
                .split_whitespace()
                .any(|word| word == "-l" || word == "--login"),
            launch_mpi: match profile.dask.launch {
                Launch::Mpi => true,
                Launch::Auto => plan.nodes > 1,
                Launch::Local => false,
            },
            scheduler: Scheduler::new(&profile.dask, &security),
            worker: Worker::new(&profile, &plan, &security),
            conda: Conda::new(&profile),
            charge: crate::charge::for_script(&profile),
            plan,
            profile,
            security,
            join: None,
        }
    }
}

impl Mpi {
    fn new(profile: &Profile) -> Mpi {
        let system = &profile.system;
        let launcher = mpi::launcher(system.mpi);
        let strings = |words: &[&str]| {
            words
                .iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
        };
        let (mut launch, local_rank_vars, version_marks) = match &system.launcher {
            // The profile's own launcher: its variables only, guessing none.
            Some(custom) => (
                custom.words.clone(),
                [
                    vec![mpi::LOCAL_RANK_VAR.to_string()],
                    custom.local_rank_vars.clone(),
                ]
                .concat(),
                Vec::new(),
            ),
            None => (
                strings(launcher.launch),
                strings(&launcher.all_local_rank_vars()),
                mpi::VERSION_MARKS
                    .iter()
                    .map(|&(mark, found)| {
                        let counts_as = if mpi::compatible(system.mpi, found) {
                            system.mpi
                        } else {
                            found
                        };
                        (mark, counts_as)
                    })
                    .collect(),
            ),
        };
        launch.extend(system.launcher_args.iter().cloned());
        let mut version_cases: Vec<(MpiFlavour, Vec<&'static str>)> = Vec::new();
        for &(mark, flavour) in &version_marks {
            match version_cases.last_mut() {
                Some((last, marks)) if *last == flavour => marks.push(mark),
                _ => version_cases.push((flavour, vec![mark])),
            }
        }
        Mpi {
            version_cases,
            launch,
            local_rank_var: mpi::LOCAL_RANK_VAR,
            local_rank_vars,
            hostfile_slots: system.launcher.is_none() && launcher.hostfile_slots,
            version_marks,
        }
    }
}

impl Scheduler {
    fn new(dask: &Dask, security: &Security) -> Scheduler {
        let mut options: Vec<String> = vec!["--port".into(), "0".into()];
        let dashboard = dask
            .dashboard_port
            .map(|p| format!(":{p}"))
            .unwrap_or_else(|| ":0".into());
        options.extend(["--dashboard-address".into(), dashboard]);
        options.extend(["--protocol".into(), security.protocol.clone()]);
        if let Some(interface) = &dask.interface {
            options.extend(["--interface".into(), interface.clone()]);
        }
        options.extend(dask.scheduler_args.iter().cloned());
        let env = if dask.protocol == Protocol::Ucx && dask.worker == WorkerKind::Cuda {
            // UCX picks its transports from the CUDA context the scheduler creates
            // (https://docs.rapids.ai/api/dask-cuda/stable/examples/ucx/).
            vec![(
                "DASK_DISTRIBUTED_UCXX__CREATE_CUDA_CONTEXT",
                "True".to_string(),
            )]
        } else {
            vec![]
        };
        let env = [env, security.scheduler_env.clone()].concat();
        Scheduler { options, env }
    }
}

impl Worker {
    fn new(profile: &Profile, plan: &Plan, security: &Security) -> Worker {
        let dask = &profile.dask;
        let gpu = dask.worker == WorkerKind::Cuda;
        Worker {
            program: if gpu {
                vec!["dask", "cuda", "worker"]
            } else {
                vec!["dask", "worker"]
            },
            options: worker_options(profile, plan, security),
            gpu,
            one_gpu_per_rank: gpu && dask.workers_per == WorkersPer::Gpu,
            gpu_order: profile.system.gpu_order,
            default_gpus: (0..plan.gpus_per_node).collect(),
            local_directory_template: dask.local_directory.clone().filter(|dir| dir.contains('$')),
        }
    }
}

/// The worker's options after `--scheduler-file` and `--name`.
fn worker_options(profile: &Profile, plan: &Plan, security: &Security) -> Vec<String> {
    let dask = &profile.dask;
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
    opt("--memory-limit", plan.worker_memory_limit.clone());
    opt("--nthreads", dask.nthreads.map(|n| n.to_string()));
    opt("--protocol", Some(security.protocol.clone()));
    opt("--interface", dask.interface.clone());
    // A directory naming variables is expanded on the node, by the wrapper.
    let plain_directory = dask
        .local_directory
        .clone()
        .filter(|dir| !dir.contains('$'));
    opt("--local-directory", plain_directory);
    opt("--death-timeout", Some(dask.death_timeout.to_string()));
    if !gpu && plan.hold_seconds > 0 && profile.run.is_none() {
        // A held cluster: `dask worker` retires itself before walltime (`dask cuda worker`
        // has no --lifetime). With a payload the workers live until the job's trap stops
        // them: retiring them under a running payload would leave it waiting for workers.
        opt("--lifetime", Some(format!("{}s", plan.hold_seconds)));
    }
    if !dask.resources.is_empty() {
        let words: Vec<String> = dask
            .resources
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        opt("--resources", Some(words.join(" ")));
    }
    options.extend(dask.worker_args.iter().cloned());
    options
}

impl Conda {
    fn new(profile: &Profile) -> Conda {
        let extra_packages = if profile.dask.protocol == Protocol::Ucx {
            vec!["distributed-ucxx".to_string()]
        } else {
            vec![]
        };
        let gpu = profile.dask.worker == WorkerKind::Cuda;
        let prefix = profile.env.conda.clone();
        Conda {
            create: rapids::conda_create(&profile.rapids, gpu, prefix.as_deref(), &extra_packages),
            prefix,
            extra_packages,
        }
    }
}
