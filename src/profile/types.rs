//! The typed leaves of a profile: enums, queue limits and scalar words. Parsed once at
//! the edge, so nothing downstream sees an unchecked string where a choice is meant.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::limits::{JobMax, Tier};
use crate::walltime::Walltime;

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice! {
    /// The MPI launcher of a site: decides the `mpiexec` syntax and the local-rank variable.
    MpiFlavour {
        OpenMpi = "openmpi",
        Mpich = "mpich",
        CrayPals = "cray-pals",
        /// HPE (SGI) MPT: `mpiexec -np N`, hosts and ranks per node from PBS's node file.
        HpeMpt = "hpe-mpt",
        /// Intel MPI: hydra's options as MPICH, its own `--version`.
        IntelMpi = "intel-mpi",
    }
}

choice! {
    /// How a rank's local index maps onto the node's GPUs. ALCF's Polaris affinity script
    /// uses the reverse order, because GPU 0 sits next to the last CPU cores.
    GpuOrder { Forward = "forward", Reverse = "reverse" }
}

choice! {
    /// `cuda` runs `dask cuda worker`, `cpu` runs `dask worker`.
    WorkerKind { Cuda = "cuda", Cpu = "cpu" }
}

choice! {
    /// `gpu`: one MPI rank per GPU (the ALCF recipe); `node`: one rank per node that starts
    /// every worker of that node.
    WorkersPer { Gpu = "gpu", Node = "node" }
}

choice! {
    /// How the job starts its worker ranks: `auto` starts them itself when the allocation
    /// has one host and through the site's launcher otherwise; `mpi` always through the
    /// launcher (a site that accounts or binds processes through it); `local` always itself
    /// (one host only).
    Launch { Auto = "auto", Mpi = "mpi", Local = "local" }
}

choice! {
    /// The Dask comm protocol.
    Protocol { Tcp = "tcp", Ucx = "ucx" }
}

choice! {
    /// Who may use the cluster: `tls` (the default) gives each job its own certificate
    /// authority and requires mutual TLS on every Dask connection; `none` leaves the ports
    /// open to anyone who can reach the nodes.
    Security { Tls = "tls", None = "none" }
}

choice! {
    /// How a `dask.security: tls` job makes its certificates on the node: the `openssl`
    /// command (on every common HPC node image), or `python`: the `cryptography` package of
    /// the job's own environment, for nodes without openssl.
    Certificates { Openssl = "openssl", Python = "python" }
}

choice! {
    /// How the job asks PBS for resources: `select` chunks (`-l select=N:ncpus=…`);
    /// job-wide resources (`-l ncpus=96`, `-l mem=380GB`, NCI Gadi) with no `select`, whose
    /// `ncpus`, `ngpus` and `mem` dask-pbs computes from the nodes asked for unless
    /// `job.resources` names them; or `none`: no resource request at all (a site that takes
    /// its request from `job.directives`, or none: dask-jobqueue's `job-directives-skip`).
    RequestKind { Select = "select", JobWide = "job-wide", None = "none" }
}

choice! {
    /// What one `select` chunk is on a queue: `gpu`, one GPU, every chunk on one shared node
    /// (ALCF Sophia's by-gpu); `node`, a whole node; `gpus-anywhere`, `ngpus` GPUs (from
    /// `job.resources`, default 1) wherever PBS puts the chunk, several chunks perhaps on one
    /// host (`select=2:ncpus=4:ngpus=1` on one or two nodes).
    ChunkKind {
        Gpu = "gpu",
        Node = "node",
        GpusAnywhere = "gpus-anywhere",
    }
}

/// The chunk counts a queue accepts: an explicit list (`[1, 2, 4, 8]`) or a range
/// (`{min: 1, max: 8}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunks {
    List(Vec<u32>),
    Range { min: u32, max: u32 },
}

impl Chunks {
    pub fn allows(&self, n: u32) -> bool {
        match self {
            Chunks::List(list) => list.contains(&n),
            Chunks::Range { min, max } => (*min..=*max).contains(&n),
        }
    }

    /// "1, 2, 4 or 8" / "1 to 8".
    pub fn describe(&self) -> String {
        match self {
            Chunks::List(list) => {
                let words: Vec<String> = list.iter().map(u32::to_string).collect();
                match words.split_last() {
                    None => "no count".into(),
                    Some((last, [])) => last.clone(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                }
            }
            Chunks::Range { min, max } => format!("{min} to {max}"),
        }
    }
}

impl Serialize for Chunks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Chunks::List(list) => list.serialize(s),
            Chunks::Range { min, max } => {
                #[derive(Serialize)]
                struct Range {
                    min: u32,
                    max: u32,
                }
                Range {
                    min: *min,
                    max: *max,
                }
                .serialize(s)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Chunks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChunksVisitor;
        impl<'de> Visitor<'de> for ChunksVisitor {
            type Value = Chunks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of counts like [1, 2, 4, 8] or a range like {min: 1, max: 8}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Chunks, A::Error> {
                let mut list = Vec::new();
                while let Some(n) = seq.next_element::<u32>()? {
                    list.push(n);
                }
                if list.is_empty() {
                    return Err(de::Error::custom(
                        "the list of allowed chunk counts is empty",
                    ));
                }
                Ok(Chunks::List(list))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Chunks, A::Error> {
                let (mut min, mut max) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "min" => min = Some(map.next_value::<u32>()?),
                        "max" => max = Some(map.next_value::<u32>()?),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown key `{other}` in a chunk range; use `min` and `max`"
                            )));
                        }
                    }
                }
                match (min, max) {
                    (Some(min), Some(max)) if min >= 1 && min <= max => {
                        Ok(Chunks::Range { min, max })
                    }
                    (Some(_), Some(_)) => {
                        Err(de::Error::custom("a chunk range needs 1 <= min <= max"))
                    }
                    _ => Err(de::Error::custom(
                        "a chunk range needs both `min` and `max`",
                    )),
                }
            }
        }
        d.deserialize_any(ChunksVisitor)
    }
}

/// A queue's limits, checked before anything is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// What one chunk of `select` is on this queue: `gpu` (one GPU; every chunk on one node,
    /// Sophia's `by-gpu`, where `place=scatter` is refused), `node` (a whole node), or
    /// `gpus-anywhere` (`ngpus` GPUs, default 1, wherever PBS puts it, several perhaps on one
    /// host: the job counts each host's ranks from `PBS_NODEFILE`, and `check` says "2 chunks
    /// of 1 GPU (1 or 2 nodes)").
    #[schemars(example = &"node")]
    pub chunk: ChunkKind,
    /// The chunk counts the queue accepts: a list or `{min, max}`. `check`: `job.select`
    /// is one of them.
    #[schemars(example = [1, 2, 4, 8])]
    pub chunks: Chunks,
    /// Shortest and longest walltime, `[min, max]` (PBS durations). `check`: `job.walltime`
    /// is within them; min is not above max.
    #[schemars(example = ["00:05:00", "24:00:00"])]
    pub walltime: [Walltime; 2],
    /// The node types (`system.node_types`) the queue serves; the first is the queue's
    /// default. Empty: the site's one shape. `check`: a node type the queue does not list is
    /// refused, and so are GPU workers on a queue that lists only CPU node types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = ["a100_80gb", "a100_40gb"])]
    pub node_types: Vec<String>,
    /// The name qsub is given (`v100@pbspl4`, `casper@casper-pbs`) when it differs from the
    /// short name the profile and `--queue` use. null: the short name. `check`: letters,
    /// digits and `_.+-@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"v100@pbspl4")]
    pub submit_as: Option<String>,
    /// A routing queue's destinations (Polaris `prod`: `small`, `medium`, `large`): the job
    /// must fit one row's chunk counts and walltimes, or every destination rejects it; `check`
    /// names the row its size selects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"name": "small", "chunks": {"min": 10, "max": 24}, "walltime": ["00:05:00", "03:00:00"]}]))]
    pub routes: Vec<Route>,
    /// Printed as a warning whenever a job chooses the queue (unavailable, unverified,
    /// preemptable); the site's own words, with their source in the profile comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"unavailable until further notice (ALCF, 2026-03)")]
    pub note: Option<String>,
    /// Walltime limits by job size, smallest first (`[{cores: 672, walltime: "48:00:00"},
    /// {cores: 1440, walltime: "24:00:00"}]`); a job larger than the last tier is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"cores": 672, "walltime": "48:00:00"}, {"cores": 1440, "walltime": "24:00:00"}]))]
    pub tiers: Vec<Tier>,
    /// Per-job caps on cores, GPUs, memory and the nodes of each node type (`{gpus: 32}`).
    #[serde(default, skip_serializing_if = "JobMax::is_empty")]
    pub max: JobMax,
}

impl Queue {
    /// The routing row a job of `select` chunks and `walltime` goes to: the first whose chunk
    /// counts and walltimes it fits; `None` for a queue without rows, or when none fits.
    pub fn route(&self, select: u32, walltime: Walltime) -> Option<&Route> {
        self.routes.iter().find(|r| {
            r.chunks.allows(select) && (r.walltime[0]..=r.walltime[1]).contains(&walltime)
        })
    }
}

/// One destination of a routing queue: its name (for messages; it cannot be submitted to
/// directly), the chunk counts and the walltimes it takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The destination queue's name, for messages (it cannot be submitted to directly).
    #[schemars(example = &"small")]
    pub name: String,
    /// The chunk counts it takes, as the queue's `chunks`.
    #[schemars(example = serde_json::json!({"min": 10, "max": 24}))]
    pub chunks: Chunks,
    /// Its shortest and longest walltime, `[min, max]`.
    #[schemars(example = ["00:05:00", "03:00:00"])]
    pub walltime: [Walltime; 2],
    /// Walltime limits by job size within this row, as a queue's `tiers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(example = serde_json::json!([{"cores": 672, "walltime": "48:00:00"}, {"cores": 1440, "walltime": "24:00:00"}]))]
    pub tiers: Vec<Tier>,
    /// Per-job caps of this row, as a queue's `max`.
    #[serde(default, skip_serializing_if = "JobMax::is_empty")]
    pub max: JobMax,
}

impl Route {
    /// "small (10 to 24 nodes, 00:05:00 to 03:00:00)".
    pub fn describe(&self, unit: &str) -> String {
        let [min, max] = self.walltime;
        format!(
            "{} ({} {unit}, {min} to {max})",
            self.name,
            self.chunks.describe()
        )
    }
}

/// A launcher a profile defines itself (`system.launcher`): its words up to the program,
/// with the placeholders `{nranks}`, `{ranks_per_node}`, `{hostfile}`, and the variables
/// that give a rank its index on its node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomLauncher {
    /// The launcher's words up to the program, with the placeholders `{nranks}`,
    /// `{ranks_per_node}` and `{hostfile}`; each word is shell-quoted. `check`: not empty;
    /// the first word a program name or path; no unknown placeholder.
    #[schemars(example = ["srun", "-n", "{nranks}", "--ntasks-per-node", "{ranks_per_node}"])]
    pub words: Vec<String>,
    /// The variables that give a rank its index on its node, tried in order (no other is
    /// guessed). `check`: variable names; empty is refused when several ranks share a node.
    #[serde(default)]
    #[schemars(example = ["SLURM_LOCALID"])]
    pub local_rank_vars: Vec<String>,
}

/// One kind of node of a site: its shape and the chunk resources that ask PBS for it
/// (`model=sky_gpu`, `gpu_type=a100_80gb`). Choosing it replaces the `system` node shape.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeType {
    /// GPUs of one node (0: a CPU node); replaces `system.gpus_per_node` when chosen.
    #[serde(default)]
    #[schemars(example = 4)]
    pub gpus: u32,
    /// Memory of one of its GPUs, binary units like `system.gpu_memory`. null: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"80GB")]
    pub gpu_memory: Option<String>,
    /// CPUs of one node, as PBS counts them; replaces `system.cpus_per_node` when chosen.
    #[schemars(example = 64)]
    pub cpus: u32,
    /// The node's host memory, binary units like `system.memory_per_node`. null: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = &"512GB")]
    pub memory: Option<String>,
    /// How many such nodes the site has: the most one job may ask for. null: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(example = 64)]
    pub count: Option<u32>,
    /// The chunk (or job-wide) resources that ask PBS for this type (`model: sky_gpu`,
    /// `gpu_type: a100_80gb`), put into `job.resources` when the type is chosen. `check`:
    /// chunk resources, as `job.resources`.
    #[serde(default)]
    #[schemars(example = serde_json::json!({"gpu_type": "a100_80gb"}))]
    pub resources: indexmap::IndexMap<String, Word>,
}

/// A scalar written as text: YAML's `64`, `true` and `"a100"` all become the word
/// PBS or the shell will see. Used where a profile maps names to free values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word(pub String);

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Word {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct WordVisitor;
        impl Visitor<'_> for WordVisitor {
            type Value = Word;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single value (text, number or boolean)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Word, E> {
                Ok(Word(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Word, E> {
                Ok(Word(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Word, E> {
                Ok(Word(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Word, E> {
                Ok(Word(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Word, E> {
                Ok(Word(v.to_string()))
            }
        }
        d.deserialize_any(WordVisitor)
    }
}

impl schemars::JsonSchema for Chunks {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Chunks".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Chunk counts a queue accepts: a list like [1, 2, 4, 8] or a range like {min: 1, max: 8}",
            "oneOf": [
                { "type": "array", "items": { "type": "integer", "minimum": 1 }, "minItems": 1 },
                {
                    "type": "object",
                    "properties": {
                        "min": { "description": "The fewest chunks the queue takes", "type": "integer", "minimum": 1 },
                        "max": { "description": "The most chunks the queue takes", "type": "integer", "minimum": 1 }
                    },
                    "required": ["min", "max"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl schemars::JsonSchema for Word {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Word".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "A single value", "type": ["string", "number", "boolean"] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_describe_themselves_for_messages() {
        assert_eq!(Chunks::List(vec![1, 2, 4, 8]).describe(), "1, 2, 4 or 8");
        assert_eq!(Chunks::List(vec![1]).describe(), "1");
        assert_eq!(Chunks::Range { min: 1, max: 8 }.describe(), "1 to 8");
        assert!(Chunks::Range { min: 1, max: 8 }.allows(8));
        assert!(!Chunks::List(vec![1, 2, 4, 8]).allows(3));
    }
}
