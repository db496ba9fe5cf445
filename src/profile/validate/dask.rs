//! `dask:` — the scheduler and worker options, each value checked on its own.

use crate::error::{Code, Error};
use indexmap::IndexMap;

use super::paths::{is_anchored, relative_problem};
use super::words::{blank_problem, is_directive_word, is_identifier, text_problem};
use super::{Problems, take};
use crate::profile::layer::{DaskLayer, remaining};
use crate::profile::model::Dask;
use crate::profile::types::{Protocol, Security};
use crate::size::Size;

pub(super) fn resolve(layer: &DaskLayer, p: &mut Problems) -> Option<Dask> {
    let DaskLayer {
        worker,
        workers_per,
        workers_per_node,
        protocol,
        security,
        certificates,
        interface,
        device_memory_limit,
        rmm_pool_size,
        memory_limit,
        nthreads,
        local_directory,
        dashboard_port,
        death_timeout,
        scheduler_args,
        worker_args,
        startup_timeout,
        launch,
        shutdown_margin,
        resources,
    } = layer;
    let k = DaskLayer::KEYS;
    // Every field is taken before any `?`, so each missing one is reported.
    let worker = take(worker, k.worker, p);
    let workers_per = take(workers_per, k.workers_per, p);
    let workers_per_node = take(workers_per_node, k.workers_per_node, p);
    let protocol = take(protocol, k.protocol, p);
    let security = take(security, k.security, p);
    let certificates = take(certificates, k.certificates, p);
    let interface = take(interface, k.interface, p);
    let device_memory_limit = take(device_memory_limit, k.device_memory_limit, p);
    let rmm_pool_size = take(rmm_pool_size, k.rmm_pool_size, p);
    let memory_limit = take(memory_limit, k.memory_limit, p);
    let nthreads = take(nthreads, k.nthreads, p);
    let local_directory = take(local_directory, k.local_directory, p);
    let dashboard_port = take(dashboard_port, k.dashboard_port, p);
    let death_timeout = take(death_timeout, k.death_timeout, p);
    let scheduler_args = take(scheduler_args, k.scheduler_args, p);
    let worker_args = take(worker_args, k.worker_args, p);
    let startup_timeout = take(startup_timeout, k.startup_timeout, p);
    let launch = take(launch, k.launch, p);
    let shutdown_margin = take(shutdown_margin, k.shutdown_margin, p);
    let resources: Option<IndexMap<String, String>> = take(resources, k.resources, p).map(|r| {
        remaining(r)
            .into_iter()
            .map(|(key, value)| (key, value.0))
            .collect()
    });
    for (key, value) in resources.iter().flatten() {
        if let Some(message) = resource_problem(key, value) {
            p.at(Code::NotAWorkerResource, k.resources, message);
        }
    }
    let dask = Dask {
        worker: worker?,
        workers_per: workers_per?,
        workers_per_node: workers_per_node?,
        protocol: protocol?,
        security: security?,
        certificates: certificates?,
        interface: interface?,
        device_memory_limit: device_memory_limit?,
        rmm_pool_size: rmm_pool_size?,
        memory_limit: memory_limit?,
        nthreads: nthreads?,
        local_directory: local_directory?,
        dashboard_port: dashboard_port?,
        death_timeout: death_timeout?,
        scheduler_args: scheduler_args?,
        worker_args: worker_args?,
        startup_timeout: startup_timeout?,
        launch: launch?,
        shutdown_margin: shutdown_margin?,
        resources: resources?,
    };
    check(&dask, p);
    Some(dask)
}

/// A worker resource: a name Dask accepts (an identifier) and a non-negative number, as
/// `dask worker --resources "GPU=1 IO=1"` parses them.
fn resource_problem(key: &str, value: &str) -> Option<String> {
    let number = value
        .parse::<f64>()
        .is_ok_and(|v| v.is_finite() && v >= 0.0)
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || ".eE+-".contains(c));
    (!is_identifier(key) || !number).then(|| {
        format!(
            "`{}: {}` is not a worker resource: names are identifiers and amounts non-negative numbers (e.g. `GPU: 1`)",
            key.escape_debug(),
            value.escape_debug()
        )
    })
}

/// The rules on one dask value each.
fn check(dask: &Dask, p: &mut Problems) {
    let k = DaskLayer::KEYS;
    if dask.workers_per_node == Some(0) {
        p.plain(
            Code::WorkersPerNodeZero,
            k.workers_per_node,
            "must be at least 1",
        );
    }
    if dask.nthreads == Some(0) {
        p.at(Code::ZeroThreads,
            k.nthreads,
            "is 0, which gives a worker no thread to run tasks on: use at least 1, or null to let Dask divide the cores among the workers",
        );
    }
    if let Some(port) = dask.dashboard_port.filter(|port| (1..1024).contains(port)) {
        p.at(Code::PrivilegedPort,
            k.dashboard_port,
            format!(
                "{port} is below 1024, a port only root may listen on: use one from 1024 to 65535, or null for a free one"
            ),
        );
    }
    if let Some(message) = dask.interface.as_deref().and_then(interface_problem) {
        p.at(Code::NotAnInterfaceName, k.interface, message);
    }
    // What each size option accepts: dask-cuda's --device-memory-limit and distributed's
    // --memory-limit take `auto`, --rmm-pool-size does not.
    for (key, text, auto) in [
        (k.device_memory_limit, &dask.device_memory_limit, true),
        (k.rmm_pool_size, &dask.rmm_pool_size, false),
        (k.memory_limit, &dask.memory_limit, true),
    ] {
        if let Some(Err(message)) = text.as_deref().map(|t| Size::parse(t, auto)) {
            p.at(Code::NotASize, key, message);
        }
    }
    if let Some(found) = dask.local_directory.as_deref().and_then(directory_problem) {
        p.add(k.local_directory, found);
    }
    for (key, args) in [
        (k.scheduler_args, &dask.scheduler_args),
        (k.worker_args, &dask.worker_args),
    ] {
        for found in args
            .iter()
            .filter_map(|t| text_problem(t).or_else(|| blank_problem(t)))
        {
            p.add(key, found);
        }
    }
    if dask.startup_timeout == 0 {
        p.at(
            Code::TimeoutZero,
            k.startup_timeout,
            "must be at least 1 second",
        );
    }
    security_rule(dask, p);
}

/// `dask.local_directory`: text, variables the worker expands and nothing else, and a path
/// each worker reads the same from its own working directory.
fn directory_problem(dir: &str) -> Option<Error> {
    if dir.is_empty() {
        return Some(Error::new(
            Code::EmptyLocalDirectory,
            "is empty; give a directory, or null for Dask's default",
        ));
    }
    text_problem(dir)
        .or_else(|| variable_problem(dir, "on the node, when the worker starts"))
        .or_else(|| {
            (!is_anchored(dir, false)).then(|| {
                relative_problem(
                    dir,
                    " (variables such as $TMPDIR or ${PBS_JOBFS} are expanded on the node; a leading ~ is not: write $HOME)",
                )
            })
        })
}

/// `dask.local_directory` may name environment variables as `$NAME` or `${NAME}` (the worker
/// expands them on the node); any other `$` or a backtick would be shell code.
pub(super) fn variable_problem(dir: &str, when: &str) -> Option<Error> {
    let name_len = |s: &str| {
        s.char_indices()
            .take_while(|(i, c)| {
                c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit())
            })
            .count()
    };
    let mut rest = dir;
    let mut ok = !dir.contains('`');
    while ok && let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let used = match after.strip_prefix('{') {
            Some(inner) => {
                let n = name_len(inner);
                (n > 0 && inner[n..].starts_with('}')).then_some(n + 2)
            }
            None => Some(name_len(after)).filter(|n| *n > 0),
        };
        match used {
            Some(n) => rest = &after[n..],
            None => ok = false,
        }
    }
    (!ok).then(|| {
        Error::new(
            Code::ShellCode,
            format!(
                "`{}` holds shell code; only $NAME and ${{NAME}} are expanded ({when})",
                dir.escape_debug()
            ),
        )
    })
}

/// UCX has no TLS in Dask: a UCX cluster is open to whoever reaches its nodes, so the profile
/// must say `security: none` itself, and is warned.
fn security_rule(dask: &Dask, p: &mut Problems) {
    if dask.protocol != Protocol::Ucx {
        return;
    }
    match dask.security {
        Security::Tls => p.at(Code::TlsWithUcx,
            DaskLayer::KEYS.security,
            "security: tls with protocol: ucx is refused (UCX has no TLS in Dask): set dask.security: none (anyone who can reach the job's nodes can then use the cluster) or use dask.protocol: tcp",
        ),
        Security::None => p.note(
            "dask.protocol is ucx, which has no TLS (dask.security: none): anyone who can reach the job's nodes can connect to the cluster and run code as you",
        ),
    }
}

/// A network interface name (`ib0`, `hsn0`) reaches the command line as one word.
fn interface_problem(name: &str) -> Option<String> {
    (!is_directive_word(name, ":")).then(|| {
        format!(
            "`{}` is not a network interface name: use letters, digits and _.+-: (e.g. ib0)",
            name.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_directory_names_variables_but_runs_nothing() {
        for ok in [
            "/tmp/x",
            "$TMPDIR",
            "/glade/${USER}/dask",
            "$PBS_JOBFS/w_1",
            "a$B1",
            "${B1}",
            "${PBS_JOBFS}/x",
        ] {
            assert!(variable_problem(ok, "").is_none(), "{ok}");
        }
        for bad in [
            "$(id)", "`id`", "${USER", "$1", "/x/$", "${A:-b}", "$$", "${}", "${ABC}$",
        ] {
            assert!(variable_problem(bad, "").is_some(), "{bad}");
        }
    }

    #[test]
    fn interfaces_are_single_words() {
        assert!(interface_problem("ib0").is_none());
        assert!(interface_problem("hsn0:1").is_none());
        assert!(interface_problem("ib 0").is_some());
        assert!(interface_problem("").is_some());
    }
}
