//! `--set` on one field of an entry that layers replace whole — a queue, a node type, the
//! default queue (`--set system.queues.debug.walltime='["00:05:00", "02:00:00"]'`): the field
//! is changed in the entry the layers below resolved to, so the rest of the entry stays.

use indexmap::IndexMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::layer::{Layer, Sourced, SystemLayer};
use super::origin::Origin;
use super::types::{NodeType, Queue};
use crate::error::{Code, Error};

/// One `--set` of a field inside a whole-replaced entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    /// The `--set` argument as typed, for messages and the origin.
    set: String,
    target: Target,
    /// The field's path inside the entry (`walltime`, `max.gpus`).
    field: Vec<String>,
    /// The YAML text of the new value.
    value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Queue(String),
    NodeType(String),
    DefaultQueue,
}

impl Patch {
    /// The patch a `--set KEY.PATH=VALUE` is, when its path reaches inside a queue, a node
    /// type or the default queue; `None` for any other key.
    pub fn of(set: &str) -> Option<Patch> {
        let (path, value) = set.split_once('=')?;
        let segments: Vec<&str> = path.split('.').collect();
        let (target, field) = match segments.as_slice() {
            ["system", "queues", name, field @ ..] if !field.is_empty() => {
                (Target::Queue((*name).to_string()), field)
            }
            ["system", "node_types", name, field @ ..] if !field.is_empty() => {
                (Target::NodeType((*name).to_string()), field)
            }
            ["system", "default_queue", field @ ..] if !field.is_empty() => {
                (Target::DefaultQueue, field)
            }
            _ => return None,
        };
        Some(Patch {
            set: set.to_string(),
            target,
            field: field.iter().map(|s| (*s).to_string()).collect(),
            value: value.to_string(),
        })
    }

    /// Changes the field in the merged layer's entry.
    pub fn apply(&self, merged: &mut Layer) -> Result<(), Error> {
        let origin = Origin::Flag(format!("--set {}", self.set));
        let system = merged.system.get_or_insert_with(SystemLayer::default);
        match &self.target {
            Target::Queue(name) => {
                let entries = system.queues.as_mut().map(|q| &mut q.value);
                let entry = entries.and_then(|e| e.get_mut(name));
                let current = entry.as_ref().and_then(|e| e.value.as_ref());
                let changed = self.changed(current, "queue", name)?;
                let entry = Sourced::new(Some(changed), origin);
                system
                    .queues
                    .get_or_insert_with(|| Sourced::new(IndexMap::default(), Origin::Defaults))
                    .value
                    .insert(name.clone(), entry);
            }
            Target::NodeType(name) => {
                let entries = system.node_types.as_mut().map(|q| &mut q.value);
                let entry = entries.and_then(|e| e.get_mut(name));
                let current = entry.as_ref().and_then(|e| e.value.as_ref());
                let changed = self.changed(current, "node type", name)?;
                let entry = Sourced::new(Some(changed), origin);
                system
                    .node_types
                    .get_or_insert_with(|| Sourced::new(IndexMap::default(), Origin::Defaults))
                    .value
                    .insert(name.clone(), entry);
            }
            Target::DefaultQueue => {
                let current = system.default_queue.as_ref().and_then(|q| q.value.as_ref());
                let changed = self.changed(current, "default queue", "")?;
                system.default_queue = Some(Sourced::new(Some(changed), origin));
            }
        }
        Ok(())
    }

    /// `current` with the field set to the value, read again as a whole entry.
    fn changed<T: Serialize + DeserializeOwned + KeepOrder>(
        &self,
        current: Option<&T>,
        kind: &str,
        name: &str,
    ) -> Result<T, Error> {
        let whole = format!("system.{}", self.entry_key());
        let Some(current) = current else {
            let what = [kind, name].join(" ");
            return Err(Error::new(
                Code::SetNoEntry,
                format!(
                    "--set {}: there is no {} to change one field of; give the whole entry with --set '{whole}={{…}}' (see `dask-pbs schema` for its fields)",
                    self.set,
                    what.trim_end()
                ),
            ));
        };
        if self.value.contains(['\n', '\r']) {
            return Err(Error::new(
                Code::SetMultiline,
                format!("--set {}: the value must be one line", self.set),
            ));
        }
        let value: serde_json::Value = serde_saphyr::from_str(&self.value).map_err(|e| {
            Error::new(
                Code::SetNotYaml,
                format!("--set {}: the value is not YAML: {e}", self.set),
            )
        })?;
        let mut entry = serde_json::to_value(current)
            .map_err(|e| Error::new(Code::Internal, format!("--set {}: {e}", self.set)))?;
        let mut at = &mut entry;
        for segment in &self.field {
            if !at.is_object() {
                *at = serde_json::Value::Object(serde_json::Map::new());
            }
            at = at
                .as_object_mut()
                .expect("made an object above")
                .entry(segment.clone())
                .or_insert(serde_json::Value::Null);
        }
        *at = value;
        let mut changed: T = serde_json::from_value(entry).map_err(|e| {
            Error::new(Code::SetFieldRejected, format!(
                "--set {}: {e} (the other fields of {whole} are kept; `dask-pbs profiles show NAME --resolved` prints them)",
                self.set
            ))
        })?;
        changed.keep_order(current);
        Ok(changed)
    }

    /// `queues.NAME`, `node_types.NAME` or `default_queue`.
    fn entry_key(&self) -> String {
        match &self.target {
            Target::Queue(name) => format!("queues.{name}"),
            Target::NodeType(name) => format!("node_types.{name}"),
            Target::DefaultQueue => "default_queue".to_string(),
        }
    }
}

/// An entry's maps in their order before the patch (the JSON round trip sorts them): keys it
/// had keep their place, new ones follow. The order is the order of `select=` resources.
trait KeepOrder {
    fn keep_order(&mut self, before: &Self);
}

fn keep_order<V>(map: &mut IndexMap<String, V>, before: &IndexMap<String, V>) {
    map.sort_by_cached_key(|key, _| before.get_index_of(key).unwrap_or(usize::MAX));
}

impl KeepOrder for NodeType {
    fn keep_order(&mut self, before: &Self) {
        keep_order(&mut self.resources, &before.resources);
    }
}

impl KeepOrder for Queue {
    fn keep_order(&mut self, before: &Self) {
        keep_order(&mut self.max.node_types, &before.max.node_types);
        for route in &mut self.routes {
            if let Some(old) = before.routes.iter().find(|r| r.name == route.name) {
                keep_order(&mut route.max.node_types, &old.max.node_types);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fields_inside_whole_entries_are_patches() {
        let patch = Patch::of("system.queues.debug.walltime=[1, 2]").unwrap();
        assert_eq!(patch.target, Target::Queue("debug".into()));
        assert_eq!(patch.field, ["walltime"]);
        assert!(Patch::of("system.queues.debug={chunk: node}").is_none());
        assert!(Patch::of("system.node_types.bro.cpus=28").is_some());
        assert!(Patch::of("system.default_queue.max.gpus=8").is_some());
        assert!(Patch::of("job.resources.ncpus=4").is_none());
    }
}
