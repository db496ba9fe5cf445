//! `dask-pbs import-jobqueue [FILE]`: a dask-jobqueue PBS configuration as a dask-pbs
//! profile asking PBS for what dask-jobqueue 0.9's `PBSJob` asks for. Every key that maps is
//! mapped; every other one is listed on stderr with why.

use camino::{Utf8Path, Utf8PathBuf};
use indexmap::IndexMap;
use serde_json::Value;

use crate::cli::ImportArgs;
use crate::error::{Code, Error};
use crate::profile::catalog::read_file;
use crate::profile::layer::{DaskLayer, Entries, EnvLayer, JobLayer, Layer, Sourced, SystemLayer};
use crate::profile::origin::Origin;
use crate::profile::types::{
    ChunkKind, Chunks, MpiFlavour, Queue, RequestKind, Word, WorkerKind, WorkersPer,
};
use crate::walltime::Walltime;

use super::{Note, Outcome, process_env};

mod config;
use config::{Config, Environment};

/// The profile, the keys that could not be mapped (with reasons) and notes for the user.
pub(super) struct Imported {
    pub profile: Layer,
    pub unmapped: Vec<(String, String)>,
    /// Comment lines for the top of the printed profile.
    pub comments: Vec<String>,
    /// Warnings for stderr (the import still succeeds).
    pub warnings: Vec<String>,
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ImportError {
    /// Neither `jobqueue: NAME:` nor a top-level `NAME:` mapping.
    NoSection(String),
    /// dask-jobqueue itself refuses a job without these keys.
    Missing(Vec<&'static str>),
    /// A key dask-jobqueue needs has a value it cannot use.
    Bad { key: &'static str, why: String },
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::NoSection(name) => write!(
                f,
                "no `jobqueue: {name}:` section (nor a top-level `{name}:`) in the file; pick another with --section NAME"
            ),
            ImportError::Missing(keys) => write!(
                f,
                "dask-jobqueue needs {} in the section (it refuses a job without them); set {}",
                keys.join(" and "),
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            ImportError::Bad { key, why } => write!(f, "`{key}`: {why}"),
        }
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    /// The code of each refusal.
    pub(super) fn code(&self) -> Code {
        match self {
            ImportError::NoSection(_) => Code::ImportNoSection,
            ImportError::Missing(_) => Code::ImportMissing,
            ImportError::Bad { .. } => Code::ImportBad,
        }
    }
}

/// The profile being built, section by section.
struct Builder<'a> {
    origin: Origin,
    config: &'a Config,
    job: JobLayer,
    env: EnvLayer,
    dask: DaskLayer,
    out: Imported,
}

impl Builder<'_> {
    fn set<T>(&self, value: T) -> Option<Sourced<T>> {
        Some(Sourced::new(value, self.origin.clone()))
    }

    fn skip(&mut self, key: &str, why: &str) {
        self.out.unmapped.push((key.to_string(), why.to_string()));
    }

    /// `-N`, `-q`, `-A`, the resource request and `-l walltime`, with dask-jobqueue's defaults
    /// and its `job-directives-skip`.
    fn request(&mut self) {
        let c = self.config;
        self.job.name = self.set(c.name.clone());
        self.job.queue = self.set(c.queue.clone());
        self.job.account = self.set(c.account.clone());
        self.job.walltime = self.set(c.walltime);
        self.job.select = self.set(1);
        match &c.resource_spec {
            ResourceSpec::Select { count, chunk } => {
                self.job.request = self.set(RequestKind::Select);
                self.job.select = self.set(*count);
                self.job.resources = self.set(entries(chunk, &self.origin));
            }
            ResourceSpec::JobWide(resources) => {
                self.job.request = self.set(RequestKind::JobWide);
                self.job.resources = self.set(entries(resources, &self.origin));
            }
            ResourceSpec::Directive(text) => {
                self.job.request = self.set(RequestKind::None);
                self.job.resources = self.set(IndexMap::new());
                self.out.comments.push(format!(
                    "The request `-l {text}` is not PBS Pro's select= form: it is a job.directives line."
                ));
            }
            ResourceSpec::Skipped => {
                self.job.request = self.set(RequestKind::None);
                self.job.resources = self.set(IndexMap::new());
            }
        }
        let Written {
            place,
            filesystems,
            mut directives,
        } = split_written(&c.directives);
        if let Some(place) = place {
            self.job.place = self.set(Some(place));
        }
        if let Some(filesystems) = filesystems {
            self.job.filesystems = self.set(filesystems);
        }
        if let ResourceSpec::Directive(text) = &c.resource_spec {
            directives.insert(0, format!("-l {text}"));
        }
        self.job.directives = self.set(directives);
        if c.walltime <= Walltime::from_seconds(300) {
            // dask-pbs stops the cluster `shutdown_margin` (5 min) before walltime: keep a
            // quarter of a short walltime for that instead.
            let margin = Walltime::from_seconds((c.walltime.seconds() / 4).max(1));
            self.dask.shutdown_margin = self.set(margin);
            self.out.comments.push(format!(
                "The walltime {} is short: dask.shutdown_margin is {margin} instead of 5 minutes.",
                c.walltime
            ));
        }
    }

    /// The workers: dask-jobqueue's `processes` workers of `cores / processes` threads and
    /// `memory / processes` bytes each, on one node.
    fn workers(&mut self) {
        let c = self.config;
        self.dask.worker = self.set(WorkerKind::Cpu);
        self.dask.workers_per = self.set(WorkersPer::Node);
        self.dask.workers_per_node = self.set(Some(c.processes));
        self.dask.nthreads = self.set(Some((c.cores / c.processes).max(1)));
        self.dask.memory_limit = self.set(Some(exact_size(c.memory / u64::from(c.processes))));
        self.dask.interface = self.set(c.interface.clone());
        if let Some(t) = c.death_timeout {
            self.dask.death_timeout = self.set(t);
        }
        self.dask.local_directory = self.set(c.local_directory.clone());
        self.dask.worker_args = self.set(c.worker_args.clone());
        self.env.prologue = self.set(c.prologue.clone());
    }

    /// env.conda or env.venv from `python`, or neither with a note saying what to set.
    fn environment(&mut self) {
        let (conda, venv, comment) = match &self.config.environment {
            Environment::Conda { prefix, why } => (
                Some(prefix.clone()),
                None,
                format!(
                    "env.conda {prefix}: {why}. If it is a venv, write `conda: null` and `venv: {prefix}`."
                ),
            ),
            Environment::Venv { prefix, why } => (
                None,
                Some(prefix.clone()),
                format!(
                    "env.venv {prefix}: {why}. If it is a conda environment, write `venv: null` and `conda: {prefix}`."
                ),
            ),
            Environment::Unknown(why) => {
                let message = format!(
                    "no environment: {why}; set env.conda or env.venv in the profile (or pass --env PREFIX to gen/submit)"
                );
                self.out.warnings.push(message.clone());
                (None, None, message)
            }
        };
        self.env.conda = self.set(conda);
        self.env.venv = self.set(venv);
        self.out.comments.push(comment);
    }

    /// The profile: standalone (a one-queue site of this config's node) or over `extends`.
    fn finish(mut self, extends: Option<&str>) -> Imported {
        let c = self.config;
        let mut profile = Layer {
            description: self.set(format!(
                "imported from dask-jobqueue section `{}`: {} cores, {} workers a node",
                c.section, c.cores, c.processes
            )),
            extends: self.set(extends.map(str::to_string)),
            ..Layer::default()
        };
        if extends.is_none() {
            profile.system = Some(self.system());
            match c.queue.as_deref() {
                Some(queue) => self.out.comments.push(format!(
                    "Queue `{queue}` allows walltimes up to the imported {}: put the site's limits in system.queues.",
                    c.walltime
                )),
                None => self.out.comments.push(format!(
                    "job.queue is null: no -q line, the server's default queue takes the job; system.default_queue allows walltimes up to the imported {}: put the site's limits there.",
                    c.walltime
                )),
            }
            if let Some(ncpus) = self.node_cpus().filter(|n| *n > c.cores) {
                self.out.comments.push(format!(
                    "The node has {ncpus} CPUs (the resource-spec's ncpus), more than the {} cores the workers use: the job asks PBS for {ncpus}, as dask-jobqueue does.",
                    c.cores
                ));
            }
        } else {
            self.out.comments.push(
                "The queue's limits, the launcher and the modules are the extended profile's."
                    .to_string(),
            );
            // The site's own ncpus/ngpus/mem would be merged into the request: dask-jobqueue
            // asks only for what the config names, so the others are removed (`null`).
            if let Some(resources) = self.job.resources.as_mut() {
                for key in ["ncpus", "ngpus", "mem"] {
                    let removed = Sourced::new(None, self.origin.clone());
                    resources.value.entry(key.to_string()).or_insert(removed);
                }
            }
        }
        profile.job = Some(self.job);
        profile.env = Some(self.env);
        profile.dask = Some(self.dask);
        self.out.profile = profile;
        self.out
    }

    /// A site of one node shape, with the config's queue (if any) and its walltime as limit.
    fn system(&self) -> SystemLayer {
        let c = self.config;
        let limits = Queue {
            chunk: ChunkKind::Node,
            chunks: Chunks::Range { min: 1, max: 10000 },
            walltime: [Walltime::from_seconds(1), c.walltime],
            node_types: Vec::new(),
            submit_as: None,
            routes: Vec::new(),
            note: None,
            tiers: Vec::new(),
            max: crate::profile::limits::JobMax::default(),
        };
        // With no queue in the config the job has no `-q`: the limits are the server's
        // default queue's, and the site has no queue to name.
        let (queues, default_queue) = match &c.queue {
            Some(name) => (
                IndexMap::from([(
                    name.clone(),
                    Sourced::new(Some(limits), self.origin.clone()),
                )]),
                None,
            ),
            None => (IndexMap::new(), Some(limits)),
        };
        SystemLayer {
            gpus_per_node: self.set(0),
            // dask-jobqueue users ask for more ncpus than `cores` to hold whole nodes: the
            // node has at least what the request asks of one chunk.
            cpus_per_node: self.set(self.node_cpus().unwrap_or(c.cores).max(c.cores)),
            mpi: self.set(MpiFlavour::OpenMpi),
            queues: self.set(queues),
            default_queue: self.set(default_queue),
            ..SystemLayer::default()
        }
    }

    /// The `ncpus` the resource-spec asks of one node (a chunk, or the job-wide request).
    fn node_cpus(&self) -> Option<u32> {
        let resources = match &self.config.resource_spec {
            ResourceSpec::Select { chunk, .. } => chunk,
            ResourceSpec::JobWide(resources) => resources,
            ResourceSpec::Directive(_) | ResourceSpec::Skipped => return None,
        };
        resources.get("ncpus")?.0.parse().ok()
    }
}

/// dask-jobqueue's `resource-spec`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ResourceSpec {
    /// `select=N:k=v:…` (PBS Pro chunks), or the one dask-jobqueue builds without a spec.
    Select {
        count: u32,
        chunk: IndexMap<String, Word>,
    },
    /// `ncpus=48,mem=190GB`: job-wide resources (NCI Gadi).
    JobWide(IndexMap<String, Word>),
    /// Anything else (`nodes=1:ppn=48`, Torque), written as it is.
    Directive(String),
    /// `job-directives-skip` removed the request line.
    Skipped,
}

/// A map as a layer's map, every entry present.
fn entries(map: &IndexMap<String, Word>, origin: &Origin) -> Entries<Word> {
    map.iter()
        .map(|(k, v)| (k.clone(), Sourced::new(Some(v.clone()), origin.clone())))
        .collect()
}

/// Bytes as the shortest exact size Dask reads: `2GiB`, `109GB`, or `12111111111B`.
fn exact_size(bytes: u64) -> String {
    const UNITS: &[(&str, u64)] = &[
        ("TiB", 1 << 40),
        ("TB", 1_000_000_000_000),
        ("GiB", 1 << 30),
        ("GB", 1_000_000_000),
        ("MiB", 1 << 20),
        ("MB", 1_000_000),
        ("KiB", 1 << 10),
        ("kB", 1_000),
    ];
    UNITS
        .iter()
        .find(|(_, size)| bytes >= *size && bytes.is_multiple_of(*size))
        .map(|(unit, size)| format!("{}{unit}", bytes / size))
        .unwrap_or_else(|| format!("{bytes}B"))
}

/// A dask-jobqueue configuration's section as a profile layer. `extends`: the site profile
/// the output is for (standalone when `None`).
pub(super) fn import(
    config: &Value,
    section: &str,
    extends: Option<&str>,
    origin: &Origin,
) -> Result<Imported, ImportError> {
    let keys = config
        .get("jobqueue")
        .and_then(|j| j.get(section))
        .or_else(|| config.get(section))
        .and_then(Value::as_object)
        .ok_or_else(|| ImportError::NoSection(section.to_string()))?;
    let (config, unmapped) = Config::read(section, keys)?;
    let mut builder = Builder {
        origin: origin.clone(),
        config: &config,
        job: JobLayer::default(),
        env: EnvLayer::default(),
        dask: DaskLayer::default(),
        out: Imported {
            profile: Layer::default(),
            unmapped: Vec::new(),
            comments: Vec::new(),
            warnings: config.warnings.clone(),
        },
    };
    for (key, why) in unmapped {
        builder.skip(&key, &why);
    }
    builder.request();
    builder.workers();
    builder.environment();
    Ok(builder.finish(extends))
}

/// The file as JSON, duplicate keys keeping the last value as Dask's YAML loader does; a
/// warning for each duplicate, naming its line.
fn parse(text: &str, path: &Utf8Path) -> Result<(Value, Vec<String>), Error> {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        Error::new(
            Code::ImportNotYaml,
            format!(
                "{path}: not YAML: {}",
                e.to_string().lines().next().unwrap_or_default()
            ),
        )
    })?;
    let warnings = config::duplicate_keys(text)
        .into_iter()
        .map(|(key, first, again)| {
            format!("{path}:{again}: `{key}` again (first on line {first}); the last value is used, as Dask does")
        })
        .collect();
    Ok((value, warnings))
}

pub(super) fn import_jobqueue(args: &ImportArgs) -> Result<Outcome, Error> {
    let path = match &args.file {
        Some(p) => p.clone(),
        None => {
            let home = process_env("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    Error::new(Code::ImportNoHome, "no FILE given and HOME is not set")
                })?;
            Utf8PathBuf::from(home).join(".config/dask/jobqueue.yaml")
        }
    };
    let text = read_file(&path)?;
    let (config, mut warnings) = parse(&text, &path)?;
    let imported = import(
        &config,
        &args.section,
        args.extends.as_deref(),
        &Origin::File(path.clone()),
    )
    .map_err(|e| Error::new(e.code(), format!("{path}: {e}")))?;
    warnings.extend(imported.warnings.iter().cloned());
    let mut notes: Vec<Note> = warnings.into_iter().map(Note::Warning).collect();
    notes.extend(
        imported
            .unmapped
            .iter()
            .map(|(key, why)| Note::Info(format!("not mapped: {key}: {why}"))),
    );
    let yaml = serde_saphyr::to_string(&imported.profile)
        .map_err(|e| Error::new(Code::Internal, format!("cannot print the profile: {e}")))?;
    let mut header = format!(
        "# Imported from {path} (section {}) by dask-pbs import-jobqueue.\n",
        args.section
    );
    for line in &imported.comments {
        header.push_str(&format!("# {}\n", line.replace('\n', " ")));
    }
    Ok(Outcome {
        stdout: format!("{header}{yaml}"),
        notes,
        error: None,
    })
}

#[cfg(test)]
mod tests;

/// The extra directives, with those dask-pbs writes itself (and refuses when repeated) taken
/// out into their keys: `-l place=…` → `job.place`, `-l filesystems=a:b` → `job.filesystems`.
struct Written {
    place: Option<String>,
    filesystems: Option<Vec<String>>,
    directives: Vec<String>,
}

fn split_written(directives: &[String]) -> Written {
    let mut written = Written {
        place: None,
        filesystems: None,
        directives: Vec::new(),
    };
    for directive in directives {
        let words: Vec<&str> = directive.split_whitespace().collect();
        let spec = match words.as_slice() {
            ["-l", spec] => Some(*spec),
            [spec] => spec.strip_prefix("-l"),
            _ => None,
        };
        if let Some(place) = spec.and_then(|s| s.strip_prefix("place=")) {
            written.place = Some(place.to_string());
        } else if let Some(list) = spec.and_then(|s| s.strip_prefix("filesystems=")) {
            written.filesystems = Some(list.split(':').map(str::to_string).collect());
        } else {
            written.directives.push(directive.clone());
        }
    }
    written
}
