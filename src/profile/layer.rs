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
    /// `system:` — facts about the machine and its queues.
    SystemLayer: SystemKeys = "system." {
        login_host: Option<String> => replace,
        gpus_per_node: u32 => replace,
        cpus_per_node: u32 => replace,
        gpu_memory: Option<String> => replace,
        memory_per_node: Option<String> => replace,
        mpi: MpiFlavour => replace,
        gpu_order: GpuOrder => replace,
        account_required: bool => replace,
        account_directive: Option<String> => replace,
        filesystems_required: bool => replace,
        keep: Option<String> => replace,
        account_vars: Vec<String> => replace,
        launcher: Option<CustomLauncher> => replace,
        launcher_args: Vec<String> => replace,
        shell: String => replace,
        queues: Entries<Queue> => by_key,
        node_types: Entries<NodeType> => by_key,
        /// How the site charges a job to the project's allocation (unit, rates per queue or
        /// node type, priority factors); `null`: unknown, no charge is shown. See
        /// docs/costs.md. Example: `{unit: SU, rates: [{per: cores, rate: 2}]}`.
        charging: Option<Charging> => replace,
    }
}

section! {
    /// `job:` — the PBS request.
    JobLayer: JobKeys = "job." {
        queue: Option<String> => replace,
        node_type: Option<String> => replace,
        select: u32 => replace,
        request: RequestKind => replace,
        walltime: Walltime => replace,
        account: Option<String> => replace,
        filesystems: Vec<String> => replace,
        name: String => replace,
        place: Option<String> => replace,
        resources: Entries<Word> => by_key,
        directives: Vec<String> => replace,
        /// The most the job may charge, in the unit of `system.charging` (`--max-charge`):
        /// a job that could charge more (held to its walltime) is refused. Example: `500`.
        max_charge: Option<Amount> => replace,
    }
}

section! {
    /// `env:` — modules and the Python environment.
    EnvLayer: EnvKeys = "env." {
        module_use: Vec<String> => replace,
        modules: Vec<String> => replace,
        conda: Option<String> => replace,
        venv: Option<String> => replace,
        vars: Entries<Word> => by_key,
        setup: Vec<String> => replace,
        prologue: Vec<String> => replace,
        tmpdir: Option<String> => replace,
        proxy: Option<String> => replace,
    }
}

section! {
    /// `rapids:` — what the `conda` artifact installs.
    RapidsLayer: RapidsKeys = "rapids." {
        version: String => replace,
        python: String => replace,
        cuda: String => replace,
        channels: Vec<String> => replace,
        jupyter: bool => replace,
    }
}

section! {
    /// `dask:` — the scheduler and the workers.
    DaskLayer: DaskKeys = "dask." {
        worker: WorkerKind => replace,
        workers_per: WorkersPer => replace,
        workers_per_node: Option<u32> => replace,
        protocol: Protocol => replace,
        security: Security => replace,
        /// How a `security: tls` job makes its certificates on the node: `openssl` (the
        /// command, default) or `python` (the `cryptography` package of the job's own
        /// environment, for nodes without openssl). Example: `certificates: python`.
        certificates: Certificates => replace,
        interface: Option<String> => replace,
        device_memory_limit: Option<String> => replace,
        rmm_pool_size: Option<String> => replace,
        memory_limit: Option<String> => replace,
        nthreads: Option<u32> => replace,
        local_directory: Option<String> => replace,
        dashboard_port: Option<u16> => replace,
        death_timeout: u32 => replace,
        scheduler_args: Vec<String> => replace,
        worker_args: Vec<String> => replace,
        startup_timeout: u32 => replace,
        shutdown_margin: Walltime => replace,
        launch: Launch => replace,
        resources: Entries<Word> => by_key,
    }
}

section! {
    /// A whole profile file.
    Layer: TopKeys = "" {
        description: String => replace,
        extends: Option<String> => replace,
        run: Option<String> => replace,
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
