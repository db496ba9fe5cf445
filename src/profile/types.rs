//! The typed leaves of a profile: enums, queue limits and scalar words. Parsed once at
//! the edge, so nothing downstream sees an unchecked string where a choice is meant.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

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
    /// What one `select` chunk is on a queue: one GPU of a shared node, or a whole node.
    ChunkKind { Gpu = "gpu", Node = "node" }
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
    /// What one chunk of `select` is on this queue.
    pub chunk: ChunkKind,
    /// The chunk counts the queue accepts.
    pub chunks: Chunks,
    /// Shortest and longest walltime, `[min, max]`.
    pub walltime: [Walltime; 2],
    /// The node types (`system.node_types`) the queue serves; empty: the site's one shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_types: Vec<String>,
    /// The name qsub is given (`v100@pbspl4`, `casper@casper-pbs`) when it differs from the
    /// short name the profile and `--queue` use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_as: Option<String>,
    /// A routing queue's destinations (Polaris `prod`: `small`, `medium`, `large`): the job
    /// must fit one row's chunk counts and walltimes, or every destination rejects it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Printed as a warning whenever a job chooses the queue (unavailable, unverified,
    /// preemptable); the site's own words, with their source in the profile comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One destination of a routing queue: its name (for messages; it cannot be submitted to
/// directly), the chunk counts and the walltimes it takes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub name: String,
    pub chunks: Chunks,
    pub walltime: [Walltime; 2],
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
    pub words: Vec<String>,
    #[serde(default)]
    pub local_rank_vars: Vec<String>,
}

/// One kind of node of a site: its shape and the chunk resources that ask PBS for it
/// (`model=sky_gpu`, `gpu_type=a100_80gb`). Choosing it replaces the `system` node shape.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeType {
    /// GPUs of one node (0: a CPU node).
    #[serde(default)]
    pub gpus: u32,
    /// Memory of one GPU, binary units like `system.gpu_memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory: Option<String>,
    /// CPUs of one node, as PBS counts them.
    pub cpus: u32,
    /// The node's host memory, binary units like `system.memory_per_node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// How many such nodes the site has: the most one job may ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Chunk (or job-wide) resources that select this type, put into `job.resources`.
    #[serde(default)]
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
                    "properties": { "min": { "type": "integer", "minimum": 1 }, "max": { "type": "integer", "minimum": 1 } },
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
