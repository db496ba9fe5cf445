//! One profile file (or the defaults, the environment, the flags) as a *layer*: every field
//! optional, each present field remembering its origin, line and column.
//!
//! Layers merge child-over-parent (`merge_over`); the merged layer is then validated into a
//! resolved `Profile` (see `validate`). An explicit YAML `null` is a value (it unsets what a
//! parent set), which is why each field is `Option<Sourced<T>>` with `T` itself optional
//! where null is allowed.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::charging::Charging;
use super::origin::Origin;
use super::path_resources::PathResource;
use super::types::{
    Certificates, CustomLauncher, GpuOrder, Launch, MpiFlavour, NodeType, Protocol, Queue,
    RequestKind, Security, Word, WorkerKind, WorkersPer,
};
use crate::amount::Amount;
use crate::walltime::Walltime;

/// A value with where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
    pub line: u64,
    pub column: u64,
}

impl<T> Sourced<T> {
    /// A value that has no position (a flag, an environment variable).
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced {
            value,
            origin,
            line: 0,
            column: 0,
        }
    }

    /// "sophia.yaml:12:10" or "command-line flag --select".
    pub fn whence(&self) -> String {
        self.origin.at(self.line, self.column)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sourced<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(d)?;
        // The origin is stamped by the layer once the whole file has parsed.
        Ok(Sourced {
            value: spanned.value,
            origin: Origin::Defaults,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        })
    }
}

// In the JSON Schema a sourced value is just its value.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Sourced<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

impl<T: Serialize> Serialize for Sourced<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// A field that is present in the YAML, `null` included (serde's `Option` would read an
/// explicit `null` as "absent").
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A map merged key by key: each entry with its own origin; `None` is an entry a layer
/// removed with `null`.
pub type Entries<V> = IndexMap<String, Sourced<Option<V>>>;

/// A merged map without the entries a layer removed with `null`.
pub fn remaining<V>(map: Entries<V>) -> IndexMap<String, V> {
    map.into_iter()
        .filter_map(|(key, entry)| entry.value.map(|v| (key, v)))
        .collect()
}

/// One resolved key for `dask-pbs explain`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub key: String,
    pub value: serde_json::Value,
    pub origin: String,
}

/// How a field combines a child's value with its parent's.
mod merge {
    use super::Sourced;
    use indexmap::IndexMap;

    /// The child's value, when it has one, replaces the parent's whole.
    pub(super) fn replace<T>(child: &mut Option<Sourced<T>>, parent: Option<Sourced<T>>) {
        if child.is_none() {
            *child = parent;
        }
    }

    /// Maps merge key by key: the child adds keys and overrides the ones it names; a child's
    /// `null` entry (`None`) stays in the merged map to hide the parent's, and is dropped when
    /// the profile resolves (`remaining`).
    pub(super) fn by_key<V>(
        child: &mut Option<Sourced<IndexMap<String, V>>>,
        parent: Option<Sourced<IndexMap<String, V>>>,
    ) {
        match (child.as_mut(), parent) {
            (Some(child), Some(mut parent)) => {
                let own = std::mem::take(&mut child.value);
                parent.value.extend(own);
                child.value = parent.value;
            }
            (None, parent) => *child = parent,
            (Some(_), None) => {}
        }
    }
}

/// Where a field's entries came from: a whole value has its field's origin; each entry of a
/// map merged by key keeps its own, so `explain` credits a queue to the file that defined it.
mod per_entry {
    use super::{Entries, Entry, Sourced};
    use crate::profile::origin::Origin;
    use serde::Serialize;

    pub(super) mod replace {
        use super::{Entry, Origin, Serialize, Sourced};

        pub(crate) fn stamp<T>(_: &mut T, _: &Origin) {}

        pub(crate) fn explain<T: Serialize>(key: &str, field: &Sourced<T>, out: &mut Vec<Entry>) {
            out.push(Entry {
                key: key.to_string(),
                value: serde_json::to_value(&field.value).unwrap_or(serde_json::Value::Null),
                origin: field.whence(),
            });
        }
    }

    pub(super) mod by_key {
        use super::{Entries, Entry, Origin, Serialize, Sourced};

        pub(crate) fn stamp<V>(map: &mut Entries<V>, origin: &Origin) {
            for entry in map.values_mut() {
                entry.origin = origin.clone();
            }
        }

        pub(crate) fn explain<V: Serialize>(
            key: &str,
            field: &Sourced<Entries<V>>,
            out: &mut Vec<Entry>,
        ) {
            if field.value.is_empty() {
                return super::replace::explain(key, field, out);
            }
            for (name, entry) in &field.value {
                super::replace::explain(&format!("{key}.{name}"), entry, out);
            }
        }
    }
}

/// Declares a layer section. `Name: Keys = "prefix."` also declares `Keys`, a struct with
/// one `&'static str` per field holding its dotted profile key (`SystemLayer::KEYS.queues`
/// is `"system.queues"`), so validation names keys through the compiler, never by hand.
macro_rules! section {
    (
        $(#[$meta:meta])* $name:ident: $keys:ident = $prefix:literal {
            $($(#[$fmeta:meta])* $field:ident: $ty:ty => $how:ident,)+
        }
        $(sections { $($sec:ident: $sty:ident,)+ })?
    ) => {
        /// The dotted profile key of each field of the section.
        #[derive(Debug, Clone, Copy)]
        pub struct $keys {
            $(pub $field: &'static str,)+
        }

        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
                #[schemars(transform = super::schema::null_only_if_allowed::<$ty>)]
                pub $field: Option<Sourced<$ty>>,
            )+
            $($(
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $sec: Option<$sty>,
            )+)?
        }

        impl $name {
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field),)+ $($(stringify!($sec),)+)?];

            pub const KEYS: $keys = $keys { $($field: concat!($prefix, stringify!($field)),)+ };

            /// Where the field with dotted key `key` was set ("sophia.yaml:12:10"), when it was.
            pub fn whence_of(&self, key: &str) -> Option<String> {
                $(
                    if key == Self::KEYS.$field {
                        return self.$field.as_ref().map(Sourced::whence);
                    }
                )+
                $($(
                    if let Some(s) = &self.$sec
                        && let Some(whence) = s.whence_of(key)
                    {
                        return Some(whence);
                    }
                )+)?
                None
            }

            /// Puts `self` (the child) over `parent`.
            pub fn merge_over(&mut self, parent: Self) {
                $( merge::$how(&mut self.$field, parent.$field); )+
                $($(
                    match (self.$sec.as_mut(), parent.$sec) {
                        (Some(child), Some(parent)) => child.merge_over(parent),
                        (None, parent) => self.$sec = parent,
                        (Some(_), None) => {}
                    }
                )+)?
            }

            /// Marks every present field as coming from `origin`.
            pub fn stamp(&mut self, origin: &Origin) {
                $( if let Some(f) = &mut self.$field {
                    f.origin = origin.clone();
                    per_entry::$how::stamp(&mut f.value, origin);
                } )+
                $($( if let Some(s) = &mut self.$sec { s.stamp(origin); } )+)?
            }

            fn explain_into(&self, prefix: &str, out: &mut Vec<Entry>) {
                $(
                    if let Some(f) = &self.$field {
                        per_entry::$how::explain(&format!("{prefix}{}", stringify!($field)), f, out);
                    }
                )+
                $($(
                    if let Some(s) = &self.$sec {
                        s.explain_into(&format!("{prefix}{}.", stringify!($sec)), out);
                    }
                )+)?
            }
        }
    };
}

section! {
    /// Facts about the machine: the node shape, the MPI launcher, what the site's qsub
    /// requires, its queues and its node types. A site profile sets these once.
    SystemLayer: SystemKeys = "system." {
        /// The login node you ssh to, for the `ssh -L` dashboard tunnel line the job prints.
        /// null: no tunnel line. `check`: a host name (letters, digits and `_.+-`).
        #[schemars(example = &"sophia.alcf.anl.gov")]
        login_host: Option<String> => replace,
        /// GPUs of one node (0: CPU nodes). A chosen node type's `gpus` replaces it.
        /// `check`: GPU workers (`dask.worker: cuda`) need at least one, and the GPUs asked
        /// for on a GPU-chunk queue must fit one node.
        #[schemars(example = 8)]
        gpus_per_node: u32 => replace,
        /// CPUs of one node as PBS counts them (ALCF counts hardware threads). A chosen node
        /// type's `cpus` replaces it. `check` warns when `dask.nthreads` × workers exceed
        /// the CPUs the job holds on a node.
        #[schemars(example = 256)]
        cpus_per_node: u32 => replace,
        /// Memory of one GPU, as the vendor means it: binary units (the `40GB` of an "A100
        /// 40GB" is 40 GiB); a unit is required. null: unknown. `check`:
        /// `dask.device_memory_limit` and `dask.rmm_pool_size` must fit in it.
        #[schemars(example = &"40GB")]
        gpu_memory: Option<String> => replace,
        /// The node's host memory, binary units like `gpu_memory` (`1TB`, `512GB`). When
        /// known and `dask.memory_limit` is null, each worker gets its share of the memory the
        /// job holds on its node as `--memory-limit`. null: unknown. `check`: a `mem=` in
        /// `job.resources` above it is refused.
        #[schemars(example = &"512GB")]
        memory_per_node: Option<String> => replace,
        /// The site's MPI launcher, which decides the `mpiexec` line and the local-rank
        /// variable tried first: `openmpi` (`mpiexec -np N --map-by ppr:P:node --bind-to none
        /// --hostfile F`, `OMPI_COMM_WORLD_LOCAL_RANK`), `mpich` and `intel-mpi` (`mpiexec -n
        /// N -ppn P -f F`, `MPI_LOCALRANKID`), `cray-pals` (`mpiexec -n N --ppn P --hostfile
        /// F`, `PMI_LOCAL_RANK`), `hpe-mpt` (`mpiexec -np N`, hosts and ranks per node from
        /// PBS's node file, `MPT_LRANK`). The job checks `mpiexec --version` against it
        /// (MPICH and Intel MPI accept each other). `check`: with `hpe-mpt` and several ranks
        /// on a node, `job.resources.mpiprocs` must be the ranks per node.
        #[schemars(example = &"cray-pals")]
        mpi: MpiFlavour => replace,
        /// Which GPU a rank takes: local rank *r* takes GPU *r* (`forward`) or GPU *n-1-r*
        /// (`reverse`, Polaris' affinity script, whose GPU 0 sits by the last cores).
        #[schemars(example = &"reverse")]
        gpu_order: GpuOrder => replace,
        /// The site refuses a job without a project. `check` (for `job` and `interactive`):
        /// `job.account` must be set, from `--account`, `DASK_PBS_ACCOUNT`,
        /// `system.account_vars`, `PBS_ACCOUNT` or a defaults file.
        #[schemars(example = true)]
        account_required: bool => replace,
        /// How `job.account` is written: `-A` (PBS Pro), `-P` (NCI Gadi), `-W ATTR=` (NASA
        /// Pleiades: `-W group_list=` gives `#PBS -W group_list=s1234`); null: the site takes
        /// no project directive (the account is not written). `check`: a qsub option letter
        /// or `-W ATTR=`; `job.directives` may not repeat it.
        #[schemars(example = &"-P")]
        account_directive: Option<String> => replace,
        /// The site refuses a job without `-l filesystems=` (ALCF). `check`:
        /// `job.filesystems` must not be empty.
        #[schemars(example = true)]
        filesystems_required: bool => replace,
        /// `qsub -k` letters, written as `#PBS -k` (ALCF requires `doe`). null: no `-k`.
        /// `check`: letters of `e`, `o`, `d`, `n`.
        #[schemars(example = &"doe")]
        keep: Option<String> => replace,
        /// The site's own default-account variables (NCAR: `PBS_ACCOUNT_DERECHO`), read after
        /// `DASK_PBS_ACCOUNT` and before PBS's `PBS_ACCOUNT`; `explain` names the one used.
        /// `check`: environment variable names.
        #[schemars(example = ["PBS_ACCOUNT_DERECHO"])]
        account_vars: Vec<String> => replace,
        /// A launcher of the profile's own, used instead of `mpi`'s (its `--version` is not
        /// checked). null: `mpi`'s launcher.
        #[schemars(example = serde_json::json!({"words": ["srun", "-n", "{nranks}", "--ntasks-per-node", "{ranks_per_node}"], "local_rank_vars": ["SLURM_LOCALID"]}))]
        launcher: Option<CustomLauncher> => replace,
        /// Words put after the launcher's own, before the worker wrapper: CPU binding
        /// (Polaris: `[--depth=8, --cpu-bind, depth]`); placeholders as in
        /// `system.launcher.words`. Each word is shell-quoted. `check`: no NUL, no unknown
        /// placeholder.
        #[schemars(example = ["--depth=8", "--cpu-bind", "depth"])]
        launcher_args: Vec<String> => replace,
        /// The `#!` line of every script: bash's absolute path and at most one option
        /// (`/bin/bash -l`: a login shell, as ALCF's and NCAR's examples). `check`: a path
        /// ending in `bash`, one option at most.
        #[schemars(example = &"/bin/bash -l")]
        shell: String => replace,
        /// The site's queues by the name `--queue` uses, with their limits, checked before
        /// anything is rendered. Merged queue by queue over a parent's; a queue given again
        /// replaces the inherited one whole (repeat all its fields), and `null` removes it.
        /// `check`: at least one queue; names of letters, digits and `_.+-@`.
        #[schemars(example = serde_json::json!({"by-gpu": {"chunk": "gpu", "chunks": [1, 2, 4, 8], "walltime": ["00:05:00", "24:00:00"]}}))]
        queues: Entries<Queue> => by_key,
        /// The site's kinds of node by name (`--node-type NAME`), each with its shape and the
        /// resources that ask PBS for it. Empty: one node shape, the fields above. Merged like
        /// `queues`.
        #[schemars(example = serde_json::json!({"a100x2": {"gpus": 2, "gpu_memory": "40GB", "cpus": 32, "memory": "256GB", "resources": {"gpu_type": "a100"}}}))]
        node_types: Entries<NodeType> => by_key,
        /// How the site charges a job to the project's allocation (unit, rates per queue or
        /// node type, priority factors); `null`: unknown, no charge is shown. See
        /// docs/costs.md. Example: `{unit: SU, rates: [{per: cores, rate: 2}]}`.
        #[schemars(example = serde_json::json!({"unit": "SU", "rates": [{"per": "cores", "rate": 2}]}))]
        charging: Option<Charging> => replace,
        /// The limits of the queue the server gives a job that names none (no `-q`), checked
        /// when `job.queue` is null, as a `system.queues` entry: `{chunk: node, chunks: {min: 1,
        /// max: 64}, walltime: ["00:01:00", "72:00:00"]}`. null: unknown (`check` says what
        /// it could not verify).
        default_queue: Option<Queue> => replace,
        /// Paths the job uses that ask for a resource word (NCI Gadi: a path under /g/data/
        /// asks for `storage=gdata/PROJECT`): `[{prefix: /g/data/, resource: storage, word:
        /// "gdata/{dir}"}]`. The job's env.conda/env.venv, dask.local_directory, env.tmpdir and
        /// the directory it is generated in are matched; default [].
        #[schemars(example = serde_json::json!([{"prefix": "/g/data/", "resource": "storage", "word": "gdata/{dir}"}]))]
        path_resources: Vec<PathResource> => replace,
        /// The launcher program in place of the flavour's `mpiexec` (HPE MPT sites that
        /// document `mpiexec_mpt` or `mpirun`), e.g. mpiexec_mpt; null: the flavour's own.
        #[schemars(example = &"mpiexec_mpt")]
        launcher_program: Option<String> => replace,
    }
}

section! {
    /// The PBS request: queue, size, walltime, project and any other qsub option. The
    /// command-line flags (`-q`, `-n`, `-t`, `-A`, `--name`, `--node-type`) set these.
    JobLayer: JobKeys = "job." {
        /// The queue (`-q`, also `--queue`). null: no `-q`; the server's default queue takes
        /// the job, and its limits are `system.default_queue`'s (unknown when that is null).
        /// `check`: a queue of `system.queues`; the job must fit its chunk counts, walltimes,
        /// size tiers and caps and, for a routing queue, one route.
        #[schemars(example = &"by-gpu")]
        queue: Option<String> => replace,
        /// The node type to run on (also `--node-type`): its GPUs, GPU memory, cores, memory
        /// and count replace the `system` shape for the request, the worker layout and every
        /// limit. null: the type whose selecting resources (those every type sets, e.g.
        /// `gpu_type`) `job.resources` names, else the queue's first, else the `system` shape.
        /// `check`: a type of `system.node_types` that the queue serves; a selecting resource
        /// that names no type (`gpu_type=a100`) is refused.
        #[schemars(example = &"a100_80gb")]
        node_type: Option<String> => replace,
        /// Number of chunks (`-n`, `--select`): GPUs on a GPU-chunk queue (Sophia's `by-gpu`),
        /// nodes elsewhere. `check`: a count the queue accepts, within the node type's
        /// `count`.
        #[schemars(example = 2)]
        select: u32 => replace,
        /// How resources are asked for. `select`: `-l select=N:…` with `job.resources` in each
        /// chunk. `job-wide` (NCI Gadi): no `select`; `-n` still counts nodes (GPUs on a
        /// GPU-chunk queue, whole nodes beyond one) and dask-pbs writes `-l ncpus=`, `-l ngpus=`
        /// and `-l mem=` for all of them from the node shape (ncpus = the node's cores per GPU ×
        /// GPUs on a GPU queue), then each `job.resources` entry as its own `-l` (`jobfs`,
        /// `storage`). When `job.resources` names `ncpus`, `ngpus` or `mem` itself, they are
        /// written as given in one `-l k=v,…` line (dask-jobqueue's `resource-spec`) and the job
        /// is one node. `none`: no resource request at all (one node; dask-jobqueue's
        /// `job-directives-skip`). `check`: a job-wide request naming its own counts, or
        /// `none`, is one node; `-l ncpus/ngpus/mem` in `job.directives` beside `select` is
        /// refused (PBS Pro refuses it).
        #[schemars(example = &"job-wide")]
        request: RequestKind => replace,
        /// The walltime (`-l walltime`, also `-t`): `HH:MM:SS`, `MM:SS` or seconds, written as
        /// `HH:MM:SS`. `check`: within the queue's (or its route's) walltime range.
        #[schemars(example = &"02:00:00")]
        walltime: Walltime => replace,
        /// The project the job is charged to (also `-A`/`--account`), written with
        /// `system.account_directive`. null: none (refused where `system.account_required`).
        /// `check`: letters, digits and `_.+-`.
        #[schemars(example = &"MyProject")]
        account: Option<String> => replace,
        /// File systems the job uses, `-l filesystems=a:b` (ALCF). `check`: names of letters,
        /// digits and `_`; not empty where `system.filesystems_required`.
        #[schemars(example = ["home", "eagle"])]
        filesystems: Vec<String> => replace,
        /// The job name (`-N`, also `--name`). `check`: 1–230 characters of `A-Za-z0-9_.+-`.
        #[schemars(example = &"my-analysis")]
        name: String => replace,
        /// Placement (`-l place=`): words of `free`, `pack`, `scatter`, `vscatter`, `excl`,
        /// `shared`, `exclhost` joined by `:`. null: no `-l place`. `check`: those words only.
        #[schemars(example = &"scatter:excl")]
        place: Option<String> => replace,
        /// Chunk resources appended to `select` (`select=1:ncpus=64:ngpus=4:gpu_type=a100`),
        /// or job-wide resources with `request: job-wide`. Merged key by key over a parent's;
        /// `null` removes one. `check`: identifier names, values of letters, digits and
        /// `_.+-/`; `ngpus`, `ncpus` and `mpiprocs` counts that agree with the worker layout
        /// and fit the node (on a GPU-chunk queue `ngpus` and `mpiprocs` are 1); `mem` and
        /// `jobfs` with a unit, within the node's memory; never `select` or `walltime`.
        #[schemars(example = serde_json::json!({"ncpus": 64, "ngpus": 4, "mem": "400GB"}))]
        resources: Entries<Word> => by_key,
        /// Extra qsub options, one `#PBS` line each. `check`: starts with `-`, holds letters,
        /// digits, spaces and `_.,:=+@/-` only; options dask-pbs writes itself are refused,
        /// naming the key or flag to use (`-q`, `-A`, `-N`, `-l select`, `-l walltime`,
        /// `-l place`, `-l filesystems`, and `-k` where `system.keep` is set).
        #[schemars(example = ["-l job_priority=regular"])]
        directives: Vec<String> => replace,
        /// The most the job may charge, in the unit of `system.charging` (`--max-charge`):
        /// a job that could charge more (held to its walltime) is refused. Example: `500`.
        #[schemars(example = 500)]
        max_charge: Option<Amount> => replace,
    }
}

section! {
    /// What the job sets up before Dask starts: modules, the conda environment or venv,
    /// variables and extra shell lines.
    EnvLayer: EnvKeys = "env." {
        /// Directories given to `module use`, before `module load`.
        #[schemars(example = ["/soft/modulefiles"])]
        module_use: Vec<String> => replace,
        /// Modules to `module load` (the job sources the module system's init script when the
        /// batch shell has no `module`). `check`: no empty item (as for every list of lines
        /// and words).
        #[schemars(example = ["compilers/openmpi", "conda"])]
        modules: Vec<String> => replace,
        /// The conda prefix the job activates (also `--env`); `gen conda` creates it. The
        /// `job`, `start` and `worker` artifacts need `env.conda` or `env.venv`; the built-in
        /// profiles set neither (pass `--env`, or set it once in your defaults file). May name
        /// variables of the node's environment — `$USER`, `${PBS_JOBFS}`, a leading `~/` —
        /// expanded on the node when the job sets up; one that is not set there ends the job
        /// with a dask-pbs error naming it and the key. (Only `env.conda`, `env.venv`,
        /// `env.tmpdir` and `dask.local_directory` are expanded.) `check`: set (or `env.venv`),
        /// not both; absolute, or starting with `~/` or a variable (a relative `--env PATH` is
        /// resolved against the current directory; a bare name is a conda environment's name,
        /// with a warning); no placeholder (`/path/to/…`, `<…>`, `PREFIX`, `CHANGEME`, `...`);
        /// no `$(…)` or backticks.
        #[schemars(example = &"~/envs/rapids-25.06")]
        conda: Option<String> => replace,
        /// A virtualenv the job activates instead of a conda prefix (also `--venv`); expanded
        /// and checked like `env.conda`.
        #[schemars(example = &"/home/me/venvs/dask")]
        venv: Option<String> => replace,
        /// Variables the job exports (also passed to ranks on other nodes). Merged key by key;
        /// `null` removes one. `check`: identifier names.
        #[schemars(example = serde_json::json!({"OMP_NUM_THREADS": 1}))]
        vars: Entries<Word> => by_key,
        /// Extra shell lines, each run with `eval` after activation (lines that must run
        /// before it go in `env.prologue`).
        #[schemars(example = ["ulimit -n 65536"])]
        setup: Vec<String> => replace,
        /// Shell lines run with `eval` before the module system and activation (put `conda`
        /// on `PATH`, source a site script); dask-jobqueue's `job-script-prologue`. A failing
        /// line ends the job with a dask-pbs error naming it.
        #[schemars(example = ["source /etc/profile.d/modules.sh"])]
        prologue: Vec<String> => replace,
        /// `TMPDIR` of the scheduler and the workers, exported after `env.vars` and created;
        /// Dask spills under it unless `dask.local_directory` is set. `$NAME`/`${NAME}` and a
        /// leading `~/` are expanded on the node (an unset variable ends the job with a
        /// dask-pbs error). Polaris: `/tmp`; NCAR: `${SCRATCH}/temp`. null: the node's own.
        /// `check`: absolute, or starting with `~/` or a variable; no `$(…)` or backticks.
        #[schemars(example = &"${SCRATCH}/temp")]
        tmpdir: Option<String> => replace,
        /// The proxy compute nodes reach the internet through; `gen conda` exports
        /// `http_proxy`/`https_proxy` (and the upper-case names) with it. `check`:
        /// `http://host:port`.
        #[schemars(example = &"http://proxy.alcf.anl.gov:3128")]
        proxy: Option<String> => replace,
    }
}

section! {
    /// What the `conda` artifact installs: the RAPIDS release, Python, CUDA and channels.
    /// `check` holds them against RAPIDS' support table.
    RapidsLayer: RapidsKeys = "rapids." {
        /// The RAPIDS release (also `--rapids`). `check`: a release of the support table
        /// (24.02 … 26.10).
        #[schemars(example = &"25.06")]
        version: String => replace,
        /// The Python version (also `--python`). `check`: within the release's Python range.
        #[schemars(example = &"3.12")]
        python: String => replace,
        /// The CUDA constraint, as conda writes it (also `--cuda`). `check`: every version it
        /// names is supported by the release.
        #[schemars(example = &">=12.0,<=12.8")]
        cuda: String => replace,
        /// Conda channels, each a `-c`; `nvidia` is dropped from RAPIDS 25.12 on.
        #[schemars(example = ["rapidsai", "conda-forge", "nvidia"])]
        channels: Vec<String> => replace,
        /// Also install `ipykernel`, `jupyterlab-nvdashboard`, `dask-labextension` and register
        /// a Jupyter kernel.
        #[schemars(example = true)]
        jupyter: bool => replace,
    }
}

section! {
    /// The scheduler and the workers: their kind and layout, protocol and security, memory,
    /// threads, timeouts and extra options.
    DaskLayer: DaskKeys = "dask." {
        /// `cuda`: `dask cuda worker` (one GPU each); `cpu`: `dask worker`. `check`: GPU
        /// options (`device_memory_limit`, `rmm_pool_size`, `workers_per: gpu`) are refused
        /// with `cpu`.
        #[schemars(example = &"cpu")]
        worker: WorkerKind => replace,
        /// `gpu`: one MPI rank per GPU (the ALCF recipe); `node`: one rank per node that
        /// starts all its workers.
        #[schemars(example = &"node")]
        workers_per: WorkersPer => replace,
        /// CPU workers: `dask worker --nworkers N` on each node. null: one. `check`: at least
        /// 1; refused for GPU workers (one per GPU).
        #[schemars(example = 4)]
        workers_per_node: Option<u32> => replace,
        /// The Dask comm protocol. `ucx` also sets
        /// `DASK_DISTRIBUTED_UCXX__CREATE_CUDA_CONTEXT=True` for the scheduler and adds
        /// `distributed-ucxx` to the conda command (package name unverified on a site).
        #[schemars(example = &"ucx")]
        protocol: Protocol => replace,
        /// `tls`: the job makes its own certificate authority and every Dask connection is
        /// mutual TLS with `require-encryption`, so only you can use the cluster
        /// (docs/security.md). `none`: plain `tcp://`, open to anyone who can reach the nodes.
        /// `check`: `protocol: ucx` has no TLS and must say `none` (then a warning).
        #[schemars(example = &"none")]
        security: Security => replace,
        /// How a `security: tls` job makes its certificates on the node: `openssl` (the
        /// command) or `python` (the `cryptography` package of the job's own environment, for
        /// nodes without openssl).
        #[schemars(example = &"python")]
        certificates: Certificates => replace,
        /// The network interface of the scheduler and the workers (`--interface`). null:
        /// Dask's choice. `check`: one word of letters, digits and `_.+-:`.
        #[schemars(example = &"ib0")]
        interface: Option<String> => replace,
        /// GPU workers' `--device-memory-limit`: a Dask size (`40GB` = 40·10⁹ bytes, `40GiB`
        /// = 40·2³⁰, a plain number is bytes), a fraction `0 < x ≤ 1`, or `auto`. null: Dask's
        /// default. `check`: fits `system.gpu_memory`; at least 1 MiB (a number without its
        /// unit is bytes).
        #[schemars(example = &"40GB")]
        device_memory_limit: Option<String> => replace,
        /// GPU workers' RMM pool (`--rmm-pool-size`): a Dask size or a fraction (no `auto`).
        /// null: no pool. `check`: fits `system.gpu_memory`; at least 1 MiB.
        #[schemars(example = &"0.9")]
        rmm_pool_size: Option<String> => replace,
        /// Host memory per worker (`--memory-limit`): a Dask size, a fraction or `auto`. null:
        /// each worker's share of the memory the job holds on its node — its `mem=` request
        /// when `job.resources` has one, else its share of `system.memory_per_node` when that
        /// is known. `check`: limits × workers on a node (or fractions adding up) over the
        /// node's memory are refused, over the part the job holds a warning; `0` means no
        /// limit to Dask (a warning); otherwise at least 1 MiB.
        #[schemars(example = &"16GiB")]
        memory_limit: Option<String> => replace,
        /// Threads per worker (`--nthreads`). null: Dask divides the cores among the workers.
        /// `check`: at least 1; a warning when threads × workers exceed the CPUs the job holds
        /// on a node.
        #[schemars(example = 8)]
        nthreads: Option<u32> => replace,
        /// The workers' spill directory (`--local-directory`); `$NAME`/`${NAME}` are expanded
        /// by each worker on its node (a leading `~` is not: write `$HOME`). null: under
        /// `TMPDIR`. `check`: not empty; absolute or starting with a variable; no `$(…)` or
        /// backticks.
        #[schemars(example = &"$PBS_JOBFS")]
        local_directory: Option<String> => replace,
        /// The dashboard's port. null: a free port, which the job reports. `check`: 1024 or
        /// above (only root may listen below).
        #[schemars(example = 8787)]
        dashboard_port: Option<u16> => replace,
        /// Seconds a worker waits without its scheduler before it exits (`--death-timeout`).
        #[schemars(example = 120)]
        death_timeout: u32 => replace,
        /// Extra `dask scheduler` options, one word per item, each shell-quoted. `check`: no
        /// option dask-pbs writes itself (`--port`, `--scheduler-file`, the `--tls-*` options,
        /// `--dashboard-address`…: the message names the key to set instead); no option and
        /// its value in one item.
        #[schemars(example = ["--idle-timeout", "3600"])]
        scheduler_args: Vec<String> => replace,
        /// Extra worker options, one word per item, each shell-quoted. `check`: no option
        /// dask-pbs writes itself (`--nthreads` → `dask.nthreads`, `--memory-limit` →
        /// `dask.memory_limit`, `--name`…: the message names the key); no option and its value
        /// in one item; `--worker-port`/`--nanny-port` 1024 or above.
        #[schemars(example = ["--enable-nvlink"])]
        worker_args: Vec<String> => replace,
        /// Seconds for the scheduler and every worker to come up; then the job fails with the
        /// logs' tails. A worker job that starts before its head job waits this long for the
        /// scheduler. `check`: at least 1.
        #[schemars(example = 600)]
        startup_timeout: u32 => replace,
        /// With no payload, the job stops the cluster this long before walltime (a PBS
        /// duration). When it does not fit the walltime it is shrunk to a tenth of the walltime
        /// (at least 30 s while that is under half of it), with a warning.
        #[schemars(example = &"00:10:00")]
        shutdown_margin: Walltime => replace,
        /// How the worker ranks start. `auto`: when the allocation has one host the job starts
        /// the ranks itself (same wrapper, local rank in `DASK_PBS_LOCAL_RANK`, same GPU mapping
        /// and logs; no `mpiexec` start-up), else through the site's launcher. `mpi`: always the launcher (a site that accounts every
        /// process through it). `local`: always itself; refused at run time on several hosts.
        #[schemars(example = &"mpi")]
        launch: Launch => replace,
        /// Abstract worker resources, the workers' `--resources "GPU=1 IO=1"`: tasks submitted
        /// with `resources={"GPU": 1}` run only on workers that have them (e.g. `{GPU: 1}` on a
        /// GPU head job, `{IO: 1}` on a CPU worker job that joins it). Merged key by key.
        /// `check`: identifier names, non-negative numbers.
        #[schemars(example = serde_json::json!({"GPU": 1}))]
        resources: Entries<Word> => by_key,
    }
}

section! {
    /// A dask-pbs profile: a site and a default request, rendered into PBS job scripts.
    Layer: TopKeys = "" {
        /// One line shown by `profiles list`. `check`: one line, no control characters.
        #[schemars(example = &"Campus cluster — 2 × A100 nodes")]
        description: String => replace,
        /// The parent profile, by name or path: its values lie under this file's. Maps
        /// (`system.queues`, `system.node_types`, `job.resources`, `env.vars`,
        /// `dask.resources`) merge key by key; everything else is replaced whole. A name skips
        /// the profiles already in the chain, so your own `sophia.yaml` can extend the built-in
        /// `sophia`. `check`: the parent exists; no cycle.
        #[schemars(example = &"sophia")]
        extends: Option<String> => replace,
        /// The payload (also `--run`): run with `bash -c` once the cluster is ready, with
        /// `DASK_SCHEDULER_FILE` set; the job exits with its status. null: hold the cluster
        /// until `walltime - dask.shutdown_margin` or until a client shuts it down. `check`:
        /// not empty.
        #[schemars(example = &"python analysis.py")]
        run: Option<String> => replace,
        /// The profile's own template directory, relative to the profile file: its templates
        /// shadow the built-ins (and `--templates`) for this profile only, so a site
        /// directory's `verify` renders each profile with its own. `check`: an existing
        /// directory.
        #[schemars(example = &"templates")]
        templates: Option<String> => replace,
    }
    sections {
        system: SystemLayer,
        job: JobLayer,
        env: EnvLayer,
        rapids: RapidsLayer,
        dask: DaskLayer,
    }
}

/// Every section name and its fields, for "did you mean" hints.
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("system", SystemLayer::FIELDS),
    ("job", JobLayer::FIELDS),
    ("env", EnvLayer::FIELDS),
    ("rapids", RapidsLayer::FIELDS),
    ("dask", DaskLayer::FIELDS),
];

impl EnvLayer {
    /// The Python environment is one choice: a layer that names a conda prefix or a venv (and
    /// not the other) replaces whichever of the two the layers below named. So a defaults
    /// file's `env.conda` works with a venv profile, and `--env` over either.
    pub fn choose_one_environment(&mut self) {
        match (&self.conda, &self.venv) {
            (Some(conda), None) if conda.value.is_some() => {
                self.venv = Some(Sourced {
                    value: None,
                    ..conda.clone()
                });
            }
            (None, Some(venv)) if venv.value.is_some() => {
                self.conda = Some(Sourced {
                    value: None,
                    ..venv.clone()
                });
            }
            _ => {}
        }
    }
}

impl Layer {
    /// Every present key with its value and origin, in profile order.
    pub fn explain(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        self.explain_into("", &mut out);
        out
    }

    pub fn job_mut(&mut self) -> &mut JobLayer {
        self.job.get_or_insert_with(Default::default)
    }

    pub fn env_mut(&mut self) -> &mut EnvLayer {
        self.env.get_or_insert_with(Default::default)
    }

    pub fn rapids_mut(&mut self) -> &mut RapidsLayer {
        self.rapids.get_or_insert_with(Default::default)
    }
}
