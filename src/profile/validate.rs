//! Merged layer → resolved `Profile`. Every rule of design.md's "Validation" lives here;
//! all problems are collected so the user fixes them in one go.

use indexmap::IndexMap;

use super::layer::{Layer, Sourced};
use super::model::{Dask, Env, Job, Profile, Rapids, System};
use super::types::{ChunkKind, WorkerKind, WorkersPer};
use crate::error::{Error, did_you_mean};
use crate::rapids;

/// The problems found so far, each one line.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn at<T>(&mut self, key: &str, field: &Sourced<T>, message: impl AsRef<str>) {
        self.0.push(format!(
            "{key} (from {}): {}",
            field.whence(),
            message.as_ref()
        ));
    }

    fn plain(&mut self, message: impl Into<String>) {
        self.0.push(message.into());
    }
}

/// Takes a required field, noting it when missing.
fn take<T: Clone>(field: &Option<Sourced<T>>, key: &str, problems: &mut Problems) -> Option<T> {
    match field {
        Some(f) => Some(f.value.clone()),
        None => {
            problems.plain(format!(
                "{key} is missing: set it in the profile or with --set {key}=VALUE"
            ));
            None
        }
    }
}

/// Characters allowed in a value that PBS (not the shell) reads from a `#PBS` line.
/// Longer than any host, queue or project name PBS knows.
const MAX_WORD: usize = 255;

fn is_directive_word(text: &str, extra: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_WORD
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c) || extra.contains(c))
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= MAX_WORD
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Free text that ends up shell-quoted: anything but NUL, which no shell word can hold.
fn check_text<T>(key: &str, field: &Sourced<T>, text: &str, problems: &mut Problems) {
    if text.contains('\0') {
        problems.at(
            key,
            field,
            "contains a NUL byte, which no shell word can hold; remove it",
        );
    }
}

/// `require_account`: whether the artifact needs the account (the job and `qsub -I` do; the
/// conda command and the worker wrapper do not).
pub fn resolve(
    layer: &Layer,
    name: &str,
    origin: &str,
    require_account: bool,
) -> Result<Profile, Error> {
    let mut p = Problems::default();
    let empty_system = Default::default();
    let system_layer = layer.system.as_ref().unwrap_or(&empty_system);
    let empty_job = Default::default();
    let job_layer = layer.job.as_ref().unwrap_or(&empty_job);
    let empty_env = Default::default();
    let env_layer = layer.env.as_ref().unwrap_or(&empty_env);
    let empty_rapids = Default::default();
    let rapids_layer = layer.rapids.as_ref().unwrap_or(&empty_rapids);
    let empty_dask = Default::default();
    let dask_layer = layer.dask.as_ref().unwrap_or(&empty_dask);

    let description = take(&layer.description, "description", &mut p);
    if let Some(f) = &layer.description
        && f.value.chars().any(char::is_control)
    {
        p.at(
            "description",
            f,
            "must be one line of text (no control characters)",
        );
    }
    let run = layer.run.as_ref().and_then(|r| r.value.clone());
    if let (Some(field), Some(text)) = (&layer.run, &run) {
        check_text("run", field, text, &mut p);
    }

    // --- system
    let system = (|| {
        let s = system_layer;
        Some(System {
            login_host: take(&s.login_host, "system.login_host", &mut p)?,
            gpus_per_node: take(&s.gpus_per_node, "system.gpus_per_node", &mut p)?,
            cpus_per_node: take(&s.cpus_per_node, "system.cpus_per_node", &mut p)?,
            gpu_memory: take(&s.gpu_memory, "system.gpu_memory", &mut p)?,
            mpi: take(&s.mpi, "system.mpi", &mut p)?,
            gpu_order: take(&s.gpu_order, "system.gpu_order", &mut p)?,
            account_required: take(&s.account_required, "system.account_required", &mut p)?,
            filesystems_required: take(
                &s.filesystems_required,
                "system.filesystems_required",
                &mut p,
            )?,
            keep: take(&s.keep, "system.keep", &mut p)?,
            queues: take(&s.queues, "system.queues", &mut p)?,
        })
    })();
    if let Some(f) = &system_layer.login_host
        && let Some(host) = &f.value
        && !is_directive_word(host, "")
    {
        p.at(
            "system.login_host",
            f,
            format!("`{}` is not a host name", host.escape_debug()),
        );
    }
    if let Some(f) = &system_layer.gpu_memory
        && let Some(text) = &f.value
    {
        check_text("system.gpu_memory", f, text, &mut p);
    }
    if let Some(f) = &system_layer.keep
        && let Some(keep) = &f.value
        && (keep.is_empty() || !keep.chars().all(|c| "eodn".contains(c)))
    {
        p.at(
            "system.keep",
            f,
            format!(
                "`{}` is not a qsub -k value; use letters of e, o, d, n (ALCF requires doe)",
                keep.escape_debug()
            ),
        );
    }
    if let Some(f) = &system_layer.queues {
        if f.value.is_empty() {
            p.at(
                "system.queues",
                f,
                "no queues defined; a site needs at least one",
            );
        }
        for (queue, limits) in &f.value {
            if !is_directive_word(queue, "@") {
                p.at(
                    "system.queues",
                    f,
                    format!(
                        "queue name `{}` may only hold letters, digits and _.+-@",
                        queue.escape_debug()
                    ),
                );
            }
            if limits.walltime[0] > limits.walltime[1] {
                p.at(
                    "system.queues",
                    f,
                    format!(
                        "queue {queue}: walltime minimum {} is above its maximum {}",
                        limits.walltime[0], limits.walltime[1]
                    ),
                );
            }
        }
    }

    // --- job
    let job = (|| {
        let j = job_layer;
        Some(Job {
            queue: take(&j.queue, "job.queue", &mut p)?,
            select: take(&j.select, "job.select", &mut p)?,
            walltime: take(&j.walltime, "job.walltime", &mut p)?,
            account: take(&j.account, "job.account", &mut p)?,
            filesystems: take(&j.filesystems, "job.filesystems", &mut p)?,
            name: take(&j.name, "job.name", &mut p)?,
            place: take(&j.place, "job.place", &mut p)?,
            resources: take(&j.resources, "job.resources", &mut p)?
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect(),
            directives: take(&j.directives, "job.directives", &mut p)?,
        })
    })();
    if let Some(f) = &job_layer.name {
        let n = &f.value;
        if n.is_empty() || n.chars().count() > 230 || !is_directive_word(n, "") {
            p.at(
                "job.name",
                f,
                format!(
                    "`{}` is not a PBS job name: use 1-230 characters of A-Z a-z 0-9 _ . + -",
                    n.escape_debug()
                ),
            );
        }
    }
    if let Some(f) = &job_layer.account
        && let Some(a) = &f.value
        && !is_directive_word(a, "")
    {
        p.at(
            "job.account",
            f,
            format!(
                "`{}` is not a project name: use letters, digits and _.+-",
                a.escape_debug()
            ),
        );
    }
    if let Some(f) = &job_layer.filesystems {
        for fs in &f.value {
            if fs.is_empty()
                || fs.len() > MAX_WORD
                || !fs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                p.at(
                    "job.filesystems",
                    f,
                    format!(
                        "`{}` is not a file system name (letters, digits, _)",
                        fs.escape_debug()
                    ),
                );
            }
        }
    }
    if let Some(f) = &job_layer.place
        && let Some(place) = &f.value
    {
        const ARRANGEMENTS: &[&str] = &[
            "free", "pack", "scatter", "vscatter", "excl", "shared", "exclhost",
        ];
        if place.is_empty() || !place.split(':').all(|w| ARRANGEMENTS.contains(&w)) {
            p.at(
                "job.place",
                f,
                format!(
                    "`{}` is not a PBS placement; use words of {} joined by `:`",
                    place.escape_debug(),
                    ARRANGEMENTS.join(", ")
                ),
            );
        }
    }
    if let Some(f) = &job_layer.resources {
        for (key, value) in &f.value {
            if !is_identifier(key) || !is_directive_word(&value.0, "") {
                p.at("job.resources", f, format!("`{}={}` is not a PBS chunk resource; names are identifiers and values letters, digits and _.+-", key.escape_debug(), value.0.escape_debug()));
            }
            if key == "select" || key == "walltime" {
                p.at(
                    "job.resources",
                    f,
                    format!("`{key}` is set by dask-pbs; use job.select or job.walltime"),
                );
            }
        }
    }
    if let Some(f) = &job_layer.directives {
        for d in &f.value {
            if !d.starts_with('-')
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " _.,:=+@/-".contains(c))
            {
                p.at("job.directives", f, format!("`{}` is not a qsub option: it must start with `-` and hold only letters, digits, spaces and _.,:=+@/-", d.escape_debug()));
            }
        }
    }

    // --- env
    let env = (|| {
        let e = env_layer;
        Some(Env {
            module_use: take(&e.module_use, "env.module_use", &mut p)?,
            modules: take(&e.modules, "env.modules", &mut p)?,
            conda: take(&e.conda, "env.conda", &mut p)?,
            venv: take(&e.venv, "env.venv", &mut p)?,
            vars: take(&e.vars, "env.vars", &mut p)?
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect::<IndexMap<_, _>>(),
            setup: take(&e.setup, "env.setup", &mut p)?,
            prologue: take(&e.prologue, "env.prologue", &mut p)?,
        })
    })();
    for (key, field) in [
        ("env.module_use", &env_layer.module_use),
        ("env.modules", &env_layer.modules),
        ("env.setup", &env_layer.setup),
        ("env.prologue", &env_layer.prologue),
    ] {
        if let Some(f) = field {
            for text in &f.value {
                check_text(key, f, text, &mut p);
            }
        }
    }
    for (key, field) in [
        ("env.conda", &env_layer.conda),
        ("env.venv", &env_layer.venv),
    ] {
        if let Some(f) = field
            && let Some(text) = &f.value
        {
            check_text(key, f, text, &mut p);
            if text.is_empty() {
                p.at(key, f, "is empty; give a path or null");
            }
        }
    }
    if let Some(f) = &env_layer.vars {
        for (key, value) in &f.value {
            if !is_identifier(key) {
                p.at(
                    "env.vars",
                    f,
                    format!(
                        "`{}` is not an environment variable name",
                        key.escape_debug()
                    ),
                );
            }
            check_text("env.vars", f, &value.0, &mut p);
        }
    }
    if let (Some(c), Some(v)) = (&env_layer.conda, &env_layer.venv)
        && c.value.is_some()
        && v.value.is_some()
    {
        p.at(
            "env.venv",
            v,
            format!(
                "both env.conda (from {}) and env.venv are set; pick one and set the other to null",
                c.whence()
            ),
        );
    }

    // --- rapids
    let rapids = (|| {
        let r = rapids_layer;
        Some(Rapids {
            version: take(&r.version, "rapids.version", &mut p)?,
            python: take(&r.python, "rapids.python", &mut p)?,
            cuda: take(&r.cuda, "rapids.cuda", &mut p)?,
            channels: take(&r.channels, "rapids.channels", &mut p)?,
            jupyter: take(&r.jupyter, "rapids.jupyter", &mut p)?,
        })
    })();
    if let (Some(r), Some(v)) = (&rapids, &rapids_layer.version)
        && let Err(message) = rapids::check(&r.version, &r.python, &r.cuda)
    {
        p.at("rapids", v, message);
    }
    if let Some(f) = &rapids_layer.channels {
        for c in &f.value {
            check_text("rapids.channels", f, c, &mut p);
        }
    }

    // --- dask
    let dask = (|| {
        let d = dask_layer;
        Some(Dask {
            worker: take(&d.worker, "dask.worker", &mut p)?,
            workers_per: take(&d.workers_per, "dask.workers_per", &mut p)?,
            workers_per_node: take(&d.workers_per_node, "dask.workers_per_node", &mut p)?,
            protocol: take(&d.protocol, "dask.protocol", &mut p)?,
            interface: take(&d.interface, "dask.interface", &mut p)?,
            device_memory_limit: take(&d.device_memory_limit, "dask.device_memory_limit", &mut p)?,
            rmm_pool_size: take(&d.rmm_pool_size, "dask.rmm_pool_size", &mut p)?,
            memory_limit: take(&d.memory_limit, "dask.memory_limit", &mut p)?,
            nthreads: take(&d.nthreads, "dask.nthreads", &mut p)?,
            local_directory: take(&d.local_directory, "dask.local_directory", &mut p)?,
            dashboard_port: take(&d.dashboard_port, "dask.dashboard_port", &mut p)?,
            death_timeout: take(&d.death_timeout, "dask.death_timeout", &mut p)?,
            scheduler_args: take(&d.scheduler_args, "dask.scheduler_args", &mut p)?,
            worker_args: take(&d.worker_args, "dask.worker_args", &mut p)?,
            startup_timeout: take(&d.startup_timeout, "dask.startup_timeout", &mut p)?,
            launch: take(&d.launch, "dask.launch", &mut p)?,
            shutdown_margin: take(&d.shutdown_margin, "dask.shutdown_margin", &mut p)?,
        })
    })();
    for (key, field) in [
        ("dask.interface", &dask_layer.interface),
        ("dask.device_memory_limit", &dask_layer.device_memory_limit),
        ("dask.rmm_pool_size", &dask_layer.rmm_pool_size),
        ("dask.memory_limit", &dask_layer.memory_limit),
    ] {
        if let Some(f) = field
            && let Some(text) = &f.value
            && !is_directive_word(text, ":")
        {
            p.at(key, f, format!("`{}` is not a size or name: use letters, digits and _.+-: (e.g. 40GB, 0.8, auto)", text.escape_debug()));
        }
    }
    if let Some(f) = &dask_layer.local_directory
        && let Some(text) = &f.value
    {
        check_text("dask.local_directory", f, text, &mut p);
    }
    for (key, field) in [
        ("dask.scheduler_args", &dask_layer.scheduler_args),
        ("dask.worker_args", &dask_layer.worker_args),
    ] {
        if let Some(f) = field {
            for text in &f.value {
                check_text(key, f, text, &mut p);
            }
        }
    }
    if let Some(f) = &dask_layer.startup_timeout
        && f.value == 0
    {
        p.at("dask.startup_timeout", f, "must be at least 1 second");
    }

    // --- rules across sections
    if let (Some(system), Some(job)) = (&system, &job) {
        match system.queues.get(&job.queue) {
            None => {
                let f = job_layer.queue.as_ref().expect("taken above");
                let names: Vec<&str> = system.queues.keys().map(String::as_str).collect();
                let hint = did_you_mean(&job.queue, names.iter().copied())
                    .map(|n| format!("did you mean `{n}`? "))
                    .unwrap_or_default();
                p.at(
                    "job.queue",
                    f,
                    format!(
                        "no queue `{}` on this site; {hint}queues: {}",
                        job.queue.escape_debug(),
                        names.join(", ")
                    ),
                );
            }
            Some(queue) => {
                let unit = match queue.chunk {
                    ChunkKind::Gpu => "GPUs",
                    ChunkKind::Node => "nodes",
                };
                if let Some(f) = &job_layer.select {
                    if !queue.chunks.allows(job.select) {
                        p.at(
                            "job.select",
                            f,
                            format!(
                                "{} accepts {} {unit}; got {}",
                                job.queue,
                                queue.chunks.describe(),
                                job.select
                            ),
                        );
                    } else if queue.chunk == ChunkKind::Gpu && job.select > system.gpus_per_node {
                        p.at(
                            "job.select",
                            f,
                            format!(
                                "{} puts all GPUs on one node, which has {}; got {}",
                                job.queue, system.gpus_per_node, job.select
                            ),
                        );
                    }
                }
                if let Some(f) = &job_layer.walltime {
                    let [min, max] = queue.walltime;
                    if job.walltime < min || job.walltime > max {
                        p.at(
                            "job.walltime",
                            f,
                            format!(
                                "{} allows walltimes from {min} to {max}; got {}",
                                job.queue, job.walltime
                            ),
                        );
                    }
                }
            }
        }
        if require_account && system.account_required && job.account.is_none() {
            p.plain("job.account is required on this site: pass --account PROJECT, set DASK_PBS_ACCOUNT, or put `job: {account: PROJECT}` in your defaults file");
        }
        if system.filesystems_required && job.filesystems.is_empty() {
            p.plain("job.filesystems is required on this site (e.g. [home, eagle]): qsub refuses the job without -l filesystems");
        }
    }
    if let (Some(job), Some(dask), Some(f)) = (&job, &dask, &dask_layer.shutdown_margin)
        && dask.shutdown_margin >= job.walltime
    {
        p.at(
            "dask.shutdown_margin",
            f,
            format!(
                "{} must be shorter than the walltime {}",
                dask.shutdown_margin, job.walltime
            ),
        );
    }
    if let (Some(dask), Some(system)) = (&dask, &system) {
        if dask.worker == WorkerKind::Cpu {
            let gpu_only = [
                (
                    "dask.device_memory_limit",
                    dask.device_memory_limit.is_some(),
                ),
                ("dask.rmm_pool_size", dask.rmm_pool_size.is_some()),
                ("dask.workers_per", dask.workers_per == WorkersPer::Gpu),
            ];
            for (key, set) in gpu_only {
                if set {
                    p.plain(format!("{key} is a GPU option and dask.worker is cpu: remove it (workers_per: node for CPU workers) or use worker: cuda"));
                }
            }
        } else {
            if dask.workers_per_node.is_some() {
                p.plain("dask.workers_per_node is for CPU workers; GPU workers come one per GPU (set it to null)");
            }
            if system.gpus_per_node == 0 {
                p.plain("system.gpus_per_node is 0 but dask.worker is cuda: use worker: cpu or give the GPU count");
            }
        }
        if dask.workers_per_node == Some(0) {
            p.plain("dask.workers_per_node must be at least 1");
        }
    }

    if !p.0.is_empty() {
        let count = p.0.len();
        let list: Vec<String> = p.0.iter().map(|m| format!("  - {m}")).collect();
        return Err(Error::input(format!(
            "profile {name} is invalid ({count} problem{}):\n{}",
            if count == 1 { "" } else { "s" },
            list.join("\n")
        )));
    }
    Ok(Profile {
        name: name.to_string(),
        origin: origin.to_string(),
        description: description.expect("no problems"),
        system: system.expect("no problems"),
        job: job.expect("no problems"),
        env: env.expect("no problems"),
        rapids: rapids.expect("no problems"),
        dask: dask.expect("no problems"),
        run,
    })
}
