//! Node types: which kind of node the job runs on, and its shape put in place of the
//! `system` one, so the request, the worker layout and every limit follow the choice.
//!
//! The type is the one `job.node_type` names; else the one whose selecting resources
//! (`gpu_type=h100`) `job.resources` carries; else the first the queue serves. A site with no
//! node types keeps its `system` shape.

use super::Problems;
use crate::error::{Code, Error, Suggestion};
use crate::plan::Plan;
use crate::profile::layer::JobLayer;
use crate::profile::model::Profile;
use crate::profile::types::{NodeType, WorkerKind};

pub(super) fn apply(profile: &mut Profile, p: &mut Problems) {
    let k = JobLayer::KEYS;
    let chosen = match choose(profile) {
        Ok(chosen) => chosen,
        Err((key, found)) => return p.add(key, found),
    };
    if let Some(message) = no_gpu_problem(profile) {
        p.at(Code::QueueWithoutGpus, k.queue, message);
    }
    let Some(name) = chosen else { return };
    let Some(node) = profile.system.node_types.get(&name).cloned() else {
        return;
    };
    if let Some(message) = served_problem(profile, &name) {
        p.at(Code::NodeTypeNotServed, k.node_type, message);
    }
    let selecting: Vec<String> = selecting_keys(profile.system.node_types.values())
        .into_iter()
        .map(str::to_string)
        .collect();
    for (key, value) in put_in_place(profile, &name, &node, p) {
        let set = profile.job.resources.get(&key).cloned();
        match set {
            // A resource that tells the types apart asks PBS for another type's nodes than
            // the shape the job is planned on.
            Some(set) if selecting.contains(&key) => p.at_resource(Code::NodeTypeConflict,
                profile,
                &key,
                format!(
                    "`{key}={set}` asks for other nodes than node type {name} ({key}={value}), which job.node_type names; choose one: --node-type, or leave {key} to the node type"
                ),
            ),
            Some(set) => p.note(format!(
                "job.resources.{key}={set} (command line) replaces node type {name}'s {key}={value}"
            )),
            None => p.note(format!(
                "job.resources.{key}=null (command line) removes node type {name}'s {key}={value}"
            )),
        }
    }
    if let Some(message) = count_problem(profile, &name, &node) {
        p.at(Code::NodeTypeCount, k.select, message);
    }
}

/// The node type the job runs on, or the key and problem of why it cannot be told.
fn choose(profile: &Profile) -> Result<Option<String>, (&'static str, Error)> {
    let k = JobLayer::KEYS;
    let types = &profile.system.node_types;
    if let Some(name) = &profile.job.node_type {
        if types.contains_key(name) {
            return Ok(Some(name.clone()));
        }
        return Err((k.node_type, unknown_type(profile, name)));
    }
    if types.is_empty() {
        return Ok(None);
    }
    let resources = &profile.job.resources;
    let keys = selecting_keys(types.values());
    let selects = |node: &NodeType| {
        !keys.is_empty()
            && keys
                .iter()
                .all(|key| resources.get(*key) == node.resources.get(*key).map(|w| &w.0))
    };
    if let Some((name, _)) = types.iter().find(|(_, node)| selects(node)) {
        return Ok(Some(name.clone()));
    }
    // A selecting resource that names no type (`gpu_type=a100` where the types are
    // `a100_40gb` and `a100_80gb`) would run on whichever PBS picks: refused.
    for key in keys {
        if let Some(value) = resources.get(key) {
            return Err((k.resources, unmatched(profile, key, value)));
        }
    }
    Ok(profile
        .queue()
        .and_then(|queue| queue.node_types.first().cloned()))
}

/// The resources every node type sets (`gpu_type`, `model`): those that tell types apart.
/// Counts (`ncpus`, `ngpus`, `mpiprocs`, `mem`) follow the type; they do not select it.
fn selecting_keys<'a>(mut types: impl Iterator<Item = &'a NodeType>) -> Vec<&'a str> {
    let Some(first) = types.next() else {
        return Vec::new();
    };
    let counts = ["ncpus", "ngpus", "mpiprocs", "mem"];
    let mut keys: Vec<&str> = first
        .resources
        .keys()
        .map(String::as_str)
        .filter(|key| !counts.contains(key))
        .collect();
    for node in types {
        keys.retain(|key| node.resources.contains_key(*key));
    }
    keys
}

fn unknown_type(profile: &Profile, name: &str) -> Error {
    let names: Vec<&str> = profile
        .system
        .node_types
        .keys()
        .map(String::as_str)
        .collect();
    if names.is_empty() {
        return Error::new(
            Code::NoNodeTypes,
            format!(
                "`{}`: this site names no node types (system.node_types); remove job.node_type (--node-type)",
                name.escape_debug()
            ),
        );
    }
    let hint = Suggestion::for_name(name, names.iter().copied())
        .map(|s| format!("{s} "))
        .unwrap_or_default();
    Error::new(
        Code::UnknownNodeType,
        format!(
            "no node type `{}` on this site; {hint}node types: {}",
            name.escape_debug(),
            names.join(", ")
        ),
    )
}

fn unmatched(profile: &Profile, key: &str, value: &str) -> Error {
    let choices: Vec<String> = profile
        .system
        .node_types
        .iter()
        .filter_map(|(name, node)| {
            node.resources
                .get(key)
                .map(|v| format!("{name} ({key}={})", v.0))
        })
        .collect();
    Error::new(
        Code::SelectsNoNodeType,
        format!(
            "`{key}={value}` selects no node type of this site; choose one with --node-type NAME or --set job.resources.{key}=VALUE: {}",
            choices.join(", ")
        ),
    )
}

/// A queue that lists its node types serves only those.
fn served_problem(profile: &Profile, name: &str) -> Option<String> {
    let queue = profile.queue()?;
    let queue_name = profile.queue_name();
    (!queue.node_types.is_empty() && !queue.node_types.iter().any(|t| t == name)).then(|| {
        format!(
            "queue {queue_name} serves node types {}; got {name}: choose one of them or another queue",
            queue.node_types.join(", ")
        )
    })
}

/// GPU workers on a queue whose node types have no GPU.
fn no_gpu_problem(profile: &Profile) -> Option<String> {
    let queue = profile.queue()?;
    let types = &profile.system.node_types;
    let gpus = |name: &String| types.get(name).map_or(0, |t| t.gpus);
    let gpu_less = !queue.node_types.is_empty() && queue.node_types.iter().all(|t| gpus(t) == 0);
    (profile.dask.worker == WorkerKind::Cuda && gpu_less).then(|| {
        format!(
            "{} serves no GPU node type ({}), but dask.worker is cuda: choose a GPU queue, or CPU workers (a profile that extends this one with `dask: {{worker: cpu, workers_per: node}}` and no GPU option such as device_memory_limit)",
            profile.queue_name(),
            queue.node_types.join(", ")
        )
    })
}

/// The type's shape replaces the site's; its resources join the request, over the
/// profile's own but not over what the command line set (`--set job.resources.K=V` wins).
/// Returns the type's (key, value) pairs the command line replaced.
fn put_in_place(
    profile: &mut Profile,
    name: &str,
    node: &NodeType,
    p: &Problems,
) -> Vec<(String, String)> {
    let system = &mut profile.system;
    system.gpus_per_node = node.gpus;
    system.cpus_per_node = node.cpus;
    system.gpu_memory = node.gpu_memory.clone().or(system.gpu_memory.take());
    system.memory_per_node = node.memory.clone().or(system.memory_per_node.take());
    let mut replaced = Vec::new();
    for (key, value) in &node.resources {
        if p.resource_from_flag(key) {
            if profile.job.resources.get(key) != Some(&value.0) {
                replaced.push((key.clone(), value.0.clone()));
            }
            continue;
        }
        profile.job.resources.insert(key.clone(), value.0.clone());
    }
    profile.job.node_type = Some(name.to_string());
    replaced
}

/// A job cannot ask for more nodes of a type than the site has.
fn count_problem(profile: &Profile, name: &str, node: &NodeType) -> Option<String> {
    let count = node.count?;
    let plan = Plan::new(profile);
    let nodes = plan.chunk_layout.map_or(plan.nodes, |l| l.fewest_nodes);
    (nodes > count).then(|| {
        format!("node type {name} has {count} node(s); got {nodes}: ask for at most {count}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::builtin_profile;

    fn resolved(mut profile: Profile) -> (Profile, Vec<String>) {
        let layer = crate::profile::layer::Layer::default();
        let mut problems = Problems::new(&layer);
        apply(&mut profile, &mut problems);
        let found = problems.found.iter().map(|p| p.message.clone()).collect();
        (profile, found)
    }

    #[test]
    fn a_gpu_type_resource_selects_the_node_shape_and_its_limits() {
        let mut casper = builtin_profile("casper");
        casper.job.node_type = None;
        casper
            .job
            .resources
            .insert("gpu_type".into(), "v100_8way".into());
        let (p, found) = resolved(casper.clone());
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(p.job.node_type.as_deref(), Some("v100_8way"));
        assert_eq!(
            (p.system.gpus_per_node, p.system.gpu_memory.as_deref()),
            (8, Some("32GB"))
        );
        casper
            .job
            .resources
            .insert("gpu_type".into(), "h100".into());
        casper.job.select = 4;
        let (_, found) = resolved(casper.clone());
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("node type h100 has 2 node(s); got 4"),
            "{found:?}"
        );
        casper
            .job
            .resources
            .insert("gpu_type".into(), "a100".into());
        let (_, found) = resolved(casper);
        assert!(
            found[0].contains("`gpu_type=a100` selects no node type"),
            "{found:?}"
        );
    }

    #[test]
    fn a_named_type_wins_over_the_profiles_resources() {
        let mut casper = builtin_profile("casper");
        casper.job.node_type = Some("a100_40gb".into());
        let (p, found) = resolved(casper);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(
            p.job.resources.get("gpu_type").map(String::as_str),
            Some("a100_40gb")
        );
        assert_eq!(p.system.gpus_per_node, 1);
    }
}
