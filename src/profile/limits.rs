//! Limits that depend on the job's size, as sites state them: walltime tiers (NCI Gadi's
//! `normal`: 48 h up to 672 cores, 24 h up to 1,440, …) and per-job caps on cores, GPUs,
//! memory and the nodes of each node type (NCAR Casper: at most 32 GPUs a job). A queue, a
//! routing queue's row and the site's default queue may each carry them.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::walltime::Walltime;

/// What a job's size is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    Cores,
    Nodes,
    Gpus,
}

impl SizeUnit {
    /// "cores", "nodes", "GPUs" (or the singular for 1).
    pub fn word(self, n: u64) -> &'static str {
        match (self, n == 1) {
            (SizeUnit::Cores, false) => "cores",
            (SizeUnit::Cores, true) => "core",
            (SizeUnit::Nodes, false) => "nodes",
            (SizeUnit::Nodes, true) => "node",
            (SizeUnit::Gpus, false) => "GPUs",
            (SizeUnit::Gpus, true) => "GPU",
        }
    }
}

/// One walltime tier: a job of up to this many cores, nodes or GPUs (and more than the tier
/// before it) may run for at most `walltime`. Exactly one of `cores`, `nodes`, `gpus` is
/// given, the same one in every tier of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The tier's largest job in cores (`ncpus`), e.g. 672.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 672)]
    pub cores: Option<u32>,
    /// The tier's largest job in nodes, e.g. 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 14)]
    pub nodes: Option<u32>,
    /// The tier's largest job in GPUs (`ngpus`), e.g. 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 8)]
    pub gpus: Option<u32>,
    /// The longest walltime of a job in this tier, e.g. "48:00:00".
    #[schemars(example = &"48:00:00")]
    pub walltime: Walltime,
}

impl Tier {
    /// The unit and the bound; `None` unless exactly one of them is given.
    pub fn bound(&self) -> Option<(SizeUnit, u32)> {
        match (self.cores, self.nodes, self.gpus) {
            (Some(n), None, None) => Some((SizeUnit::Cores, n)),
            (None, Some(n), None) => Some((SizeUnit::Nodes, n)),
            (None, None, Some(n)) => Some((SizeUnit::Gpus, n)),
            _ => None,
        }
    }
}

/// The most one job may ask for; each unset cap is no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobMax {
    /// Most cores (`ncpus`, all nodes together), e.g. 960.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 960)]
    pub cores: Option<u32>,
    /// Most GPUs (`ngpus`, all nodes together), e.g. 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 32)]
    pub gpus: Option<u32>,
    /// Most host memory (`mem`, all nodes together), binary units like
    /// `system.memory_per_node`, e.g. 7200GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"7200GB")]
    pub memory: Option<String>,
    /// Most nodes of each node type (`system.node_types`), e.g. `{a100_40gb: 2}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(example = serde_json::json!({"a100_40gb": 2}))]
    pub node_types: IndexMap<String, u32>,
}

impl JobMax {
    pub fn is_empty(&self) -> bool {
        *self == JobMax::default()
    }
}

/// "24 h" for whole hours, else `HH:MM:SS`: how a limit reads in a message.
pub fn hours(walltime: Walltime) -> String {
    let seconds = walltime.seconds();
    if seconds > 0 && seconds.is_multiple_of(3600) {
        format!("{} h", seconds / 3600)
    } else {
        walltime.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(cores: Option<u32>, gpus: Option<u32>) -> Tier {
        Tier {
            cores,
            nodes: None,
            gpus,
            walltime: Walltime::from_seconds(3600),
        }
    }

    #[test]
    fn a_tier_counts_in_exactly_one_unit() {
        assert_eq!(tier(Some(672), None).bound(), Some((SizeUnit::Cores, 672)));
        assert_eq!(tier(None, Some(8)).bound(), Some((SizeUnit::Gpus, 8)));
        assert_eq!(tier(Some(1), Some(1)).bound(), None);
        assert_eq!(tier(None, None).bound(), None);
    }

    #[test]
    fn limits_read_in_hours_when_whole() {
        assert_eq!(hours(Walltime::from_seconds(48 * 3600)), "48 h");
        assert_eq!(hours(Walltime::from_seconds(5400)), "01:30:00");
    }
}
