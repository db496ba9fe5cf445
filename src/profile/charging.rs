//! `system.charging`: a site's rule for what a job costs its project, as data. The arithmetic
//! is `crate::charge`'s; docs/costs.md describes each field with the built-in rules.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::amount::Amount;

/// How the site charges a job to the project's allocation: the unit, the rates (per queue,
/// node type or kind of request), the priority factors. Example (NCI Gadi):
/// `{unit: SU, reserves_walltime: true, rates: [{queues: [normal], per: cores, rate: 2,
/// memory_per_node: 192GB}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Charging {
    /// The unit the site charges in, as it names it: `SU`, `core-hours`, `node-hours`.
    pub unit: String,
    /// Where the rule comes from (the site's page and the date it was read); `explain` shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether the site sets the charge of the whole walltime asked aside from the
    /// allocation when the job is submitted, and returns the unused part at its end (NCI).
    #[serde(default)]
    pub reserves_walltime: bool,
    /// A job-wide resource that picks a priority, and the factor each value multiplies the
    /// charge by (NCAR: `{resource: job_priority, default: regular, factors: {premium: 1.5,
    /// regular: 1, economy: 0.7}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The rates; the first whose `queues`, `node_types` and `asks_gpus` fit the job applies.
    pub rates: Vec<Rate>,
}

/// The priority a job asks with a job-wide resource (`-l job_priority=premium`), and what it
/// costs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Priority {
    /// The PBS resource (`job_priority`), read from `job.resources` or a `-l NAME=VALUE` of
    /// `job.directives`.
    pub resource: String,
    /// The value a job that names none gets (`regular`).
    pub default: String,
    /// Each value's factor on the charge (`premium: 1.5`).
    pub factors: IndexMap<String, Amount>,
}

/// What one counted thing (a node, a core, a GPU) costs an hour, and when that applies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The queues this rate is for, by name; a routing queue's destinations count too
    /// (Polaris `prod` routes to `small`). Empty: every queue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// The node types (`system.node_types`) this rate is for (NAS `model=`). Empty: every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_types: Vec<String>,
    /// `true`: only for a job that asks for GPUs; `false`: only for one that asks for none
    /// (NCAR charges GPU-hours or core-hours by that). Absent: either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asks_gpus: Option<bool>,
    /// What is counted: `nodes`, `cores` (ncpus) or `gpus` (ngpus).
    pub per: Counted,
    /// Count every core (or GPU) of each node the job holds, whatever it asks for: the site
    /// gives whole nodes (NCAR Derecho's main queue).
    #[serde(default)]
    pub whole_nodes: bool,
    /// What one counted thing costs an hour, in the unit (`2` SU a core-hour on Gadi normal).
    pub rate: Amount,
    /// With `per: cores`: the node memory the site shares among the node's cores
    /// (`system.cpus_per_node`) to charge memory: a job is charged for
    /// max(cores, memory asked ÷ (this ÷ cores per node)) cores (`192GB` on Gadi normal,
    /// 4 GiB a core). Binary units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_per_node: Option<String>,
    /// A factor this queue always applies, in place of the priority's (NCAR preempt: 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Amount>,
    /// The unit of this rate when it is not the rule's (`GPU-hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// What a rate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Counted {
    /// The nodes the job holds (ALCF node-hours, NASA SBUs).
    Nodes,
    /// Its cores: `ncpus` asked, or every core of its nodes with `whole_nodes`.
    Cores,
    /// Its GPUs: `ngpus` asked, or every GPU of its nodes with `whole_nodes`.
    Gpus,
}

impl Counted {
    /// The counted thing, singular or plural: "1 node", "48 cores".
    pub fn noun(self, plural: bool) -> &'static str {
        match (self, plural) {
            (Counted::Nodes, false) => "node",
            (Counted::Nodes, true) => "nodes",
            (Counted::Cores, false) => "core",
            (Counted::Cores, true) => "cores",
            (Counted::Gpus, false) => "GPU",
            (Counted::Gpus, true) => "GPUs",
        }
    }
}
