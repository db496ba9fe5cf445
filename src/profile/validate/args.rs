//! Rules on `dask.scheduler_args` and `dask.worker_args`: words put after the options
//! dask-pbs writes itself (src/render/context.rs and the scheduler's and worker's command
//! lines in templates/). An option given there a second time reaches Dask twice, and which
//! one wins is Click's business, not the user's: the profile key that sets it is the place.

use super::Problems;
use crate::error::Code;
use crate::plan::Plan;
use crate::profile::layer::DaskLayer;
use crate::profile::model::Profile;
use crate::profile::types::{Security, WorkerKind};

/// An option dask-pbs writes on a `dask` command line: what to set instead, and when it is
/// written (with the profile and its plan).
struct Owned {
    flag: &'static str,
    /// The profile key that sets it, or why no key does (`None`: the flag is always written
    /// and there is nothing to set).
    instead: Instead,
    written: fn(&Profile, &Plan) -> bool,
}

enum Instead {
    Key(&'static str),
    Nothing(&'static str),
}

const fn key(flag: &'static str, key: &'static str, written: fn(&Profile, &Plan) -> bool) -> Owned {
    Owned {
        flag,
        instead: Instead::Key(key),
        written,
    }
}

const fn fixed(flag: &'static str, why: &'static str) -> Owned {
    Owned {
        flag,
        instead: Instead::Nothing(why),
        written: |_, _| true,
    }
}

fn gpu(p: &Profile) -> bool {
    p.dask.worker == WorkerKind::Cuda
}

fn tls(p: &Profile, _: &Plan) -> bool {
    p.dask.security == Security::Tls
}

const TLS_KEY: &str = "dask.security (tls: the job's own certificates)";

/// The options of `dask worker` and `dask cuda worker` that dask-pbs writes.
const WORKER: &[Owned] = &[
    fixed(
        "--scheduler-file",
        "dask-pbs passes the job directory's scheduler file",
    ),
    fixed(
        "--name",
        "dask-pbs names each worker HOST-RANK, w<JOB>-HOST-RANK in a worker job: status, scale and adapt find workers by these names",
    ),
    key("--nworkers", "dask.workers_per_node", |p, _| !gpu(p)),
    key("--memory-limit", "dask.memory_limit", |_, plan| {
        plan.worker_memory_limit.is_some()
    }),
    key("--nthreads", "dask.nthreads", |p, _| {
        p.dask.nthreads.is_some()
    }),
    key("--protocol", "dask.protocol", |_, _| true),
    key("--interface", "dask.interface", |p, _| {
        p.dask.interface.is_some()
    }),
    key("--local-directory", "dask.local_directory", |p, _| {
        p.dask.local_directory.is_some()
    }),
    key("--death-timeout", "dask.death_timeout", |_, _| true),
    key(
        "--lifetime",
        "dask.shutdown_margin (a held cluster's CPU workers retire at walltime - shutdown_margin)",
        |p, plan| !gpu(p) && plan.hold_seconds > 0 && p.run.is_none(),
    ),
    key("--resources", "dask.resources", |p, _| {
        !p.dask.resources.is_empty()
    }),
    key(
        "--device-memory-limit",
        "dask.device_memory_limit",
        |p, _| gpu(p) && p.dask.device_memory_limit.is_some(),
    ),
    key("--rmm-pool-size", "dask.rmm_pool_size", |p, _| {
        gpu(p) && p.dask.rmm_pool_size.is_some()
    }),
    key("--tls-ca-file", TLS_KEY, tls),
    key("--tls-cert", TLS_KEY, tls),
    key("--tls-key", TLS_KEY, tls),
];

/// The options of `dask scheduler` that dask-pbs writes (its own `--preload` is not one: Dask
/// takes several).
const SCHEDULER: &[Owned] = &[
    fixed(
        "--scheduler-file",
        "dask-pbs passes the job directory's scheduler file",
    ),
    fixed(
        "--port",
        "dask-pbs takes a free port, so that two jobs on one node do not collide, and publishes it in the scheduler file",
    ),
    key(
        "--dashboard-address",
        "dask.dashboard_port (null: a free port)",
        |_, _| true,
    ),
    key("--protocol", "dask.protocol", |_, _| true),
    key("--interface", "dask.interface", |p, _| {
        p.dask.interface.is_some()
    }),
    key("--tls-ca-file", TLS_KEY, tls),
    key("--tls-cert", TLS_KEY, tls),
    key("--tls-key", TLS_KEY, tls),
];

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let plan = Plan::new(profile);
    let k = DaskLayer::KEYS;
    for (key, args, owned) in [
        (k.scheduler_args, &profile.dask.scheduler_args, SCHEDULER),
        (k.worker_args, &profile.dask.worker_args, WORKER),
    ] {
        for (i, arg) in args.iter().enumerate() {
            if let Some(message) = one_word_problem(arg) {
                p.at(Code::OptionAndValueInOneItem, key, message);
                continue;
            }
            let Some(found) = owned.iter().find(|o| names(arg, o.flag)) else {
                continue;
            };
            let given = shown(arg, args.get(i + 1));
            match (&found.instead, (found.written)(profile, &plan)) {
                (Instead::Nothing(why), _) => p.at(Code::RepeatsFlag,
                    key,
                    format!("`{given}` repeats what dask-pbs writes itself ({why}); remove it"),
                ),
                (Instead::Key(instead), true) => p.at(Code::RepeatsFlagUseKey,
                    key,
                    format!(
                        "`{given}` repeats what dask-pbs writes itself (Dask would get it twice); use {instead} instead"
                    ),
                ),
                // Not written this time (the key is unset): legitimate, but the key is the
                // place, where the profile's rules see it.
                (Instead::Key(instead), false) => p.note(format!(
                    "{key} `{given}`: dask-pbs has a key for this option; use {instead} instead, so that check and explain see it"
                )),
            }
        }
        for (i, arg) in args.iter().enumerate() {
            if let Some(message) = low_port_problem(arg, args.get(i + 1)) {
                p.at(Code::PrivilegedPortArg, key, message);
            }
        }
    }
}

/// Whether the word `arg` is the option `flag`, as `--flag` or `--flag=value`.
fn names(arg: &str, flag: &str) -> bool {
    arg.strip_prefix(flag)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
}

/// The option as the user wrote it, with its value: `--nthreads 4`, `--nthreads=4`.
fn shown(arg: &str, next: Option<&String>) -> String {
    match next {
        Some(value) if !arg.contains('=') && !value.starts_with('-') => format!("{arg} {value}"),
        _ => arg.to_string(),
    }
}

/// `--nthreads 4` as one item reaches Dask as one word, an option it does not know.
fn one_word_problem(arg: &str) -> Option<String> {
    let before_value = arg.split('=').next().unwrap_or(arg);
    (arg.starts_with('-') && before_value.contains(char::is_whitespace)).then(|| {
        let words: Vec<&str> = arg.split_whitespace().collect();
        format!(
            "`{}` is one item, so Dask gets it as one word: write each word as an item of its own, e.g. [{}]",
            arg.escape_debug(),
            words.join(", ")
        )
    })
}

/// The port options a worker takes (`--worker-port 80`, `--nanny-port=80:90`) below 1024,
/// which a user's process cannot listen on.
fn low_port_problem(arg: &str, next: Option<&String>) -> Option<String> {
    let flag = ["--worker-port", "--nanny-port"]
        .into_iter()
        .find(|f| names(arg, f))?;
    let value = match arg.split_once('=') {
        Some((_, value)) => value,
        None => next?.as_str(),
    };
    let first = value.split(':').next()?.trim().parse::<u32>().ok()?;
    (first > 0 && first < 1024).then(|| {
        format!(
            "`{flag} {value}` is a port below 1024, which only root may listen on: use 1024-65535, or leave the option out for free ports"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_is_itself_or_itself_with_a_value() {
        assert!(names("--nthreads", "--nthreads"));
        assert!(names("--nthreads=4", "--nthreads"));
        assert!(!names("--nthreads-x", "--nthreads"));
        assert!(!names("--name", "--nanny-port"));
        assert_eq!(shown("--nthreads", Some(&"4".into())), "--nthreads 4");
        assert_eq!(shown("--nthreads=4", Some(&"x".into())), "--nthreads=4");
        assert_eq!(shown("--no-nanny", Some(&"--x".into())), "--no-nanny");
    }

    #[test]
    fn an_option_and_its_value_in_one_item_is_refused() {
        assert!(one_word_problem("--nthreads 4").is_some());
        assert!(one_word_problem("--preload=a b").is_none());
        assert!(one_word_problem("not an option").is_none());
    }

    #[test]
    fn ports_below_1024_are_refused() {
        assert!(low_port_problem("--worker-port=80", None).is_some());
        assert!(low_port_problem("--worker-port", Some(&"80".into())).is_some());
        assert!(low_port_problem("--nanny-port=1000:1100", None).is_some());
        assert!(low_port_problem("--worker-port=9000:9100", None).is_none());
        assert!(low_port_problem("--worker-port=0", None).is_none());
    }
}
