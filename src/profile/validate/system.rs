//! `system:` — the machine's facts, each checked on its own.

use crate::error::{Code, Error};
use indexmap::IndexMap;

use super::charging;
use super::job::resource_problems;
use super::limits;
use super::words::is_directive_word;
use super::{Problems, take, within};
use crate::profile::layer::{SystemLayer, remaining};
use crate::profile::model::System;
use crate::profile::path_resources::PathResource;
use crate::profile::types::{NodeType, Queue};
use crate::size;

pub(super) fn resolve(layer: &SystemLayer, p: &mut Problems) -> Option<System> {
    let SystemLayer {
        login_host,
        gpus_per_node,
        cpus_per_node,
        gpu_memory,
        memory_per_node,
        mpi,
        gpu_order,
        account_required,
        account_directive,
        filesystems_required,
        keep,
        account_vars,
        launcher,
        launcher_args,
        shell,
        queues,
        node_types,
        charging,
        default_queue,
        path_resources,
        launcher_program,
    } = layer;
    let k = SystemLayer::KEYS;
    // Every field is taken before any `?`, so each missing one is reported.
    let login_host = take(login_host, k.login_host, p);
    let gpus_per_node = take(gpus_per_node, k.gpus_per_node, p);
    let cpus_per_node = take(cpus_per_node, k.cpus_per_node, p);
    let gpu_memory = take(gpu_memory, k.gpu_memory, p);
    let memory_per_node = take(memory_per_node, k.memory_per_node, p);
    let mpi = take(mpi, k.mpi, p);
    let gpu_order = take(gpu_order, k.gpu_order, p);
    let account_required = take(account_required, k.account_required, p);
    let account_directive = take(account_directive, k.account_directive, p);
    let filesystems_required = take(filesystems_required, k.filesystems_required, p);
    let keep = take(keep, k.keep, p);
    let account_vars = take(account_vars, k.account_vars, p);
    let launcher = take(launcher, k.launcher, p);
    let launcher_args = take(launcher_args, k.launcher_args, p);
    let shell = take(shell, k.shell, p);
    let queues = take(queues, k.queues, p).map(remaining);
    let node_types = take(node_types, k.node_types, p).map(remaining);
    let charging = take(charging, k.charging, p);
    let default_queue = take(default_queue, k.default_queue, p);
    let path_resources = take(path_resources, k.path_resources, p);
    let launcher_program = take(launcher_program, k.launcher_program, p);
    let system = System {
        login_host: login_host?,
        gpus_per_node: gpus_per_node?,
        cpus_per_node: cpus_per_node?,
        gpu_memory: gpu_memory?,
        memory_per_node: memory_per_node?,
        mpi: mpi?,
        gpu_order: gpu_order?,
        account_required: account_required?,
        account_directive: account_directive?,
        filesystems_required: filesystems_required?,
        keep: keep?,
        account_vars: account_vars?,
        launcher: launcher?,
        launcher_args: launcher_args?,
        shell: shell?,
        queues: queues?,
        node_types: node_types?,
        charging: charging?,
        default_queue: default_queue?,
        path_resources: path_resources?,
        launcher_program: launcher_program?,
    };
    check(&system, p);
    Some(system)
}

/// The rules on one system value each.
fn check(system: &System, p: &mut Problems) {
    let k = SystemLayer::KEYS;
    if let Some(host) = &system.login_host
        && !is_directive_word(host, "")
    {
        p.at(
            Code::NotAHostName,
            k.login_host,
            format!("`{}` is not a host name", host.escape_debug()),
        );
    }
    for (key, text) in [
        (k.gpu_memory, &system.gpu_memory),
        (k.memory_per_node, &system.memory_per_node),
    ] {
        if let Some(Err(found)) = text.as_deref().map(size::hardware_bytes) {
            p.add(key, found);
        }
    }
    if let Some(message) = system
        .account_directive
        .as_deref()
        .and_then(account_directive_problem)
    {
        p.at(Code::NotAProjectDirective, k.account_directive, message);
    }
    if let Some(message) = system.keep.as_deref().and_then(keep_problem) {
        p.at(Code::NotAKeepValue, k.keep, message);
    }
    for var in system.account_vars.iter().filter(|v| !is_variable_name(v)) {
        p.at(Code::AccountVarName,
            k.account_vars,
            format!(
                "`{}` is not an environment variable name (letters, digits and _, not starting with a digit)",
                var.escape_debug()
            ),
        );
    }
    if let Some(message) = shell_problem(&system.shell) {
        p.at(Code::NotAnInterpreterLine, k.shell, message);
    }
    for found in queue_problems(&system.queues) {
        p.add(k.queues, found);
    }
    for found in node_type_problems(&system.node_types) {
        p.add(k.node_types, found);
    }
    for found in system.charging.iter().flat_map(charging::problems) {
        p.add(k.charging, found);
    }
    if let Some(queue) = &system.default_queue {
        let named = IndexMap::from([("default_queue".to_string(), queue.clone())]);
        for found in queue_problems(&named) {
            p.add(k.default_queue, found);
        }
    }
    for message in limits::node_type_name_problems(system) {
        p.at(Code::UnknownMaxNodeType, k.queues, message);
    }
    for message in system
        .path_resources
        .iter()
        .filter_map(path_resource_problem)
    {
        p.at(Code::NotAPathRule, k.path_resources, message);
    }
}

/// A rule needs an absolute prefix ending in `/`, a resource name and a word PBS reads.
fn path_resource_problem(rule: &PathResource) -> Option<String> {
    let word = rule.word.replace("{dir}", "x");
    let ok = rule.prefix.starts_with('/')
        && rule.prefix.ends_with('/')
        && rule.prefix.len() > 1
        && super::words::is_identifier(&rule.resource)
        && is_directive_word(&word, "/");
    (!ok).then(|| {
        format!(
            "`{} -> {}={}` is not a path rule: the prefix is an absolute directory ending in /, the resource an identifier, the word letters, digits and _.+-/ with {{dir}} for the project directory (e.g. /g/data/ -> storage=gdata/{{dir}})",
            rule.prefix.escape_debug(),
            rule.resource.escape_debug(),
            rule.word.escape_debug()
        )
    })
}

/// A one-letter qsub option (`-A`, `-P`) or a `-W` attribute ending in `=` (`-W group_list=`).
fn account_directive_problem(directive: &str) -> Option<String> {
    let letter = |s: &str| {
        s.len() == 2
            && s.starts_with('-')
            && s.chars().nth(1).is_some_and(|c| c.is_ascii_alphabetic())
    };
    let attribute = directive
        .strip_prefix("-W ")
        .and_then(|a| a.strip_suffix('='))
        .is_some_and(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    (!letter(directive) && !attribute).then(|| {
        format!(
            "`{}` is not a project directive: use a qsub option like -A or -P, `-W group_list=`, or null for none",
            directive.escape_debug()
        )
    })
}

/// A name the environment can hold and the shell can read: `[A-Za-z_][A-Za-z0-9_]*`.
pub(super) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `#!` line: an absolute interpreter path and at most one option word (the kernel passes
/// the rest as one argument), printable text only.
fn shell_problem(shell: &str) -> Option<String> {
    let words: Vec<&str> = shell.split(' ').collect();
    let plain = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._+-".contains(c))
    };
    let bash = words[0].starts_with('/') && words[0].rsplit('/').next() == Some("bash");
    let ok = words.len() <= 2 && bash && words.iter().all(|w| plain(w));
    (!ok).then(|| {
        format!(
            "`{}` is not an interpreter line: the scripts are bash: write bash's absolute path and at most one option, e.g. /bin/bash -l",
            shell.escape_debug()
        )
    })
}

/// `qsub -k` takes letters of e, o, d, n.
fn keep_problem(keep: &str) -> Option<String> {
    (keep.is_empty() || !keep.chars().all(|c| "eodn".contains(c))).then(|| {
        format!(
            "`{}` is not a qsub -k value; use letters of e, o, d, n (ALCF requires doe)",
            keep.escape_debug()
        )
    })
}

/// A node type's sizes are hardware facts and its resources are chunk resources.
fn node_type_problems(types: &IndexMap<String, NodeType>) -> Vec<Error> {
    let mut found = Vec::new();
    for (name, node) in types {
        if !is_directive_word(name, "") {
            found.push(Error::new(
                Code::NodeTypeName,
                format!(
                    "node type name `{}` may only hold letters, digits and _.+-",
                    name.escape_debug()
                ),
            ));
        }
        let what = format!("node type {name}");
        for text in [&node.gpu_memory, &node.memory].into_iter().flatten() {
            if let Err(problem) = size::hardware_bytes(text) {
                found.push(within(&what, problem));
            }
        }
        for (key, value) in &node.resources {
            found.extend(
                resource_problems(key, &value.0)
                    .into_iter()
                    .map(|f| within(&what, f)),
            );
        }
    }
    found
}

fn queue_problems(queues: &IndexMap<String, Queue>) -> Vec<Error> {
    let mut found = Vec::new();
    for (queue, limits) in queues {
        if !is_directive_word(queue, "@") {
            found.push(Error::new(
                Code::QueueName,
                format!(
                    "queue name `{}` may only hold letters, digits and _.+-@",
                    queue.escape_debug()
                ),
            ));
        }
        if let Some(submit) = &limits.submit_as
            && !is_directive_word(submit, "@")
        {
            found.push(Error::new(
                Code::SubmitAsName,
                format!(
                    "queue {queue}: submit_as `{}` may only hold letters, digits and _.+-@",
                    submit.escape_debug()
                ),
            ));
        }
        let rows = std::iter::once((queue.as_str(), limits.walltime))
            .chain(limits.routes.iter().map(|r| (r.name.as_str(), r.walltime)));
        for (name, [min, max]) in rows {
            if min > max {
                found.push(Error::new(
                    Code::WalltimeRangeReversed,
                    format!("queue {name}: walltime minimum {min} is above its maximum {max}"),
                ));
            }
        }
        found.extend(limits::definition_problems(queue, limits));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::types::{ChunkKind, Chunks};

    fn queue(min: &str, max: &str) -> Queue {
        Queue {
            chunk: ChunkKind::Node,
            chunks: Chunks::List(vec![1]),
            walltime: [min.parse().unwrap(), max.parse().unwrap()],
            routes: Vec::new(),
            note: None,
            node_types: Vec::new(),
            submit_as: None,
            tiers: Vec::new(),
            max: crate::profile::limits::JobMax::default(),
        }
    }

    #[test]
    fn project_directives_are_an_option_letter_or_a_w_attribute() {
        for good in ["-A", "-P", "-W group_list="] {
            assert!(account_directive_problem(good).is_none(), "{good}");
        }
        for bad in ["A", "-W group_list", "-AB", "-W =", "-P;x", ""] {
            assert!(account_directive_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn keep_takes_letters_of_eodn() {
        assert!(keep_problem("doe").is_none());
        assert!(keep_problem("n").is_none());
        assert!(keep_problem("").is_some());
        assert!(keep_problem("dox").is_some());
    }

    #[test]
    fn queues_need_names_pbs_reads_and_ordered_walltimes() {
        assert!(
            queue_problems(&IndexMap::new()).is_empty(),
            "a site may have none"
        );
        let good = IndexMap::from([("workq@server".to_string(), queue("00:05:00", "01:00:00"))]);
        assert!(queue_problems(&good).is_empty());
        let bad = IndexMap::from([("a b".to_string(), queue("02:00:00", "01:00:00"))]);
        let found = queue_problems(&bad);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].code, Code::WalltimeRangeReversed);
        assert!(
            found[1]
                .message
                .contains("walltime minimum 02:00:00 is above its maximum 01:00:00")
        );
    }
}
