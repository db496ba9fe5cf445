//! `dask-pbs import-jobqueue [FILE]`: a dask-jobqueue `pbs:` configuration as a dask-pbs
//! profile. Every key that maps is mapped; every other one is listed on stderr with why.

use camino::Utf8PathBuf;
use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::cli::ImportArgs;
use crate::error::Error;
use crate::profile::catalog::read_file;
use crate::profile::layer::{DaskLayer, EnvLayer, JobLayer, Layer, Sourced, SystemLayer};
use crate::profile::origin::Origin;
use crate::profile::types::{ChunkKind, Chunks, Queue, Word};
use crate::walltime::Walltime;

use super::{Note, Outcome, process_env};

/// The profile and the keys that could not be mapped, with reasons.
pub struct Imported {
    pub profile: Layer,
    pub unmapped: Vec<(String, String)>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

/// "109 GB" → bytes.
fn bytes(size: &str) -> Option<f64> {
    let s = size.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0_f64.powi(4),
        _ => return None,
    };
    Some(n * factor)
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// Neither `jobqueue: pbs:` nor a top-level `pbs:` mapping.
    NoPbsSection,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::NoPbsSection => {
                f.write_str("no `jobqueue: pbs:` section (nor a top-level `pbs:`) in the file")
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// The profile being built, section by section, and the keys left out with why.
struct Builder {
    origin: Origin,
    /// dask-jobqueue's `processes`: workers per job, which divides cores and memory.
    processes: u64,
    job: JobLayer,
    env: EnvLayer,
    dask: DaskLayer,
    queue_limits: Option<String>,
    unmapped: Vec<(String, String)>,
}

impl Builder {
    fn set<T>(&self, value: T) -> Option<Sourced<T>> {
        Some(Sourced::new(value, self.origin.clone()))
    }

    fn skip(&mut self, key: &str, why: &str) {
        self.unmapped.push((key.to_string(), why.to_string()));
    }

    /// Maps one key of the `pbs:` section, or says why not.
    fn key(&mut self, key: &str, value: &Value) {
        match key {
            "name" | "queue" | "account" | "project" | "walltime" => self.job_key(key, value),
            "processes" => self.dask.workers_per_node = self.set(Some(self.processes as u32)),
            "cores" => match value.as_u64() {
                Some(cores) => {
                    let per_worker = (cores / self.processes).max(1);
                    self.dask.nthreads = self.set(Some(u32::try_from(per_worker).unwrap_or(u32::MAX)));
                }
                None => self.skip(key, "not a whole number of cores"),
            },
            "memory" => match text(value).as_deref().and_then(bytes) {
                Some(total) => {
                    let per_worker_mb = (total / self.processes as f64 / 1e6).floor() as u64;
                    self.dask.memory_limit = self.set(Some(format!("{per_worker_mb}MB")));
                }
                None => self.skip(key, "not a size like 100GB"),
            },
            "interface" => self.dask.interface = self.set(text(value)),
            "death-timeout" => match value.as_u64().and_then(|t| u32::try_from(t).ok()) {
                Some(seconds) => self.dask.death_timeout = self.set(seconds),
                None => self.skip(key, "not a whole number of seconds"),
            },
            "local-directory" => match text(value) {
                Some(dir) if !dir.contains('$') => self.dask.local_directory = self.set(Some(dir)),
                _ => self.skip(
                    key,
                    "shell variables are not expanded in profile values; workers use the node's temp directory by default",
                ),
            },
            "worker-extra-args" | "extra" => self.dask.worker_args = self.set(strings(value)),
            "job-script-prologue" | "env-extra" => self.env.setup = self.set(strings(value)),
            "job-extra-directives" | "job-extra" => {
                let directives = strings(value)
                    .into_iter()
                    .map(|d| d.trim_start_matches("#PBS").trim().to_string())
                    .collect();
                self.job.directives = self.set(directives);
            }
            "resource-spec" => self.resource_spec(key, value),
            "scheduler-options" => self.scheduler_options(value),
            other => match unmapped_reason(other) {
                Some(why) => self.skip(other, why),
                None => self.skip(other, "not a dask-jobqueue PBS key dask-pbs knows"),
            },
        }
    }

    /// `name`, `queue`, `account`/`project` and `walltime`: the PBS request.
    fn job_key(&mut self, key: &str, value: &Value) {
        let Some(value) = text(value) else {
            return self.skip(key, "not a single value");
        };
        match key {
            "name" => self.job.name = self.set(value),
            "queue" => {
                self.queue_limits = Some(value.clone());
                self.job.queue = self.set(value);
            }
            "walltime" => match value.parse::<Walltime>() {
                Ok(walltime) => self.job.walltime = self.set(walltime),
                Err(e) => self.skip(key, &e.to_string()),
            },
            _ => self.job.account = self.set(Some(value)),
        }
    }

    /// `select=1:ncpus=36:mem=109GB` → `job.select` and `job.resources`.
    fn resource_spec(&mut self, key: &str, value: &Value) {
        let Some(spec) = text(value) else {
            return self.skip(key, "not a select= string");
        };
        let spec = spec.trim_start_matches("select=");
        let mut parts = spec.split(':').peekable();
        if let Some(count) = parts.peek().and_then(|n| n.parse::<u32>().ok()) {
            parts.next();
            self.job.select = self.set(count);
        }
        let resources: IndexMap<String, Word> = parts
            .filter_map(|part| part.split_once('='))
            .map(|(k, v)| (k.to_string(), Word(v.to_string())))
            .collect();
        self.job.resources = self.set(resources);
    }

    /// `scheduler-options`: the interface maps; the ports and the rest do not.
    fn scheduler_options(&mut self, value: &Value) {
        if let Some(interface) = value.get("interface").and_then(text) {
            self.dask.interface = self.set(Some(interface));
        }
        let others: Vec<&str> = value
            .as_object()
            .map(|o| {
                o.keys()
                    .map(String::as_str)
                    .filter(|k| *k != "interface")
                    .collect()
            })
            .unwrap_or_default();
        if !others.is_empty() {
            self.skip(
                &format!("scheduler-options ({})", others.join(", ")),
                "the job picks free ports itself; put other options in dask.scheduler_args",
            );
        }
    }

    /// The profile: extends `pbs-cpu`, with a permissive entry for the queue it names.
    fn finish(self) -> Imported {
        let mut profile = Layer {
            description: self.set("imported from a dask-jobqueue configuration".to_string()),
            extends: self.set(Some("pbs-cpu".to_string())),
            ..Layer::default()
        };
        if let Some(queue) = &self.queue_limits {
            // Queue limits are the site's: a permissive entry so the profile checks, to tighten.
            let limits = Queue {
                chunk: ChunkKind::Node,
                chunks: Chunks::Range { min: 1, max: 10000 },
                walltime: [
                    Walltime::from_seconds(1),
                    Walltime::from_seconds(720 * 3600),
                ],
            };
            let system = SystemLayer {
                queues: self.set(IndexMap::from([(queue.clone(), limits)])),
                ..SystemLayer::default()
            };
            profile.system = Some(system);
        }
        profile.job = non_empty(self.job);
        profile.env = non_empty(self.env);
        profile.dask = non_empty(self.dask);
        Imported {
            profile,
            unmapped: self.unmapped,
        }
    }
}

/// A section with at least one field, or none at all.
fn non_empty<T: Default + serde::Serialize>(section: T) -> Option<T> {
    let empty = serde_json::to_value(&section).ok() == serde_json::to_value(T::default()).ok();
    (!empty).then_some(section)
}

/// Why a dask-jobqueue key has no dask-pbs counterpart.
fn unmapped_reason(key: &str) -> Option<&'static str> {
    Some(match key {
        "python" => {
            "dask-pbs activates env.conda or env.venv; set one to this Python's environment"
        }
        "worker-command" => {
            "dask-pbs runs `dask worker` (dask.worker: cpu) or `dask cuda worker` (dask.worker: cuda)"
        }
        "shebang" => "generated jobs are bash scripts",
        "shared-temp-directory" => {
            "the job directory $PBS_O_WORKDIR/dask-pbs.$PBS_JOBID holds shared files"
        }
        "log-directory" => "logs go to the job directory's logs/",
        "job-directives-skip" => "dask-pbs writes only the directives the profile asks for",
        "job-script-epilogue" => "no epilogue hook; shadow the _cleanup.sh.j2 template instead",
        "job-cpu" | "job-mem" => "give the chunk's ncpus/mem in job.resources",
        _ => return None,
    })
}

/// A dask-jobqueue configuration's `pbs:` section as a profile layer.
pub fn import(config: &Value, origin: &Origin) -> Result<Imported, ImportError> {
    let pbs = config
        .get("jobqueue")
        .and_then(|j| j.get("pbs"))
        .or_else(|| config.get("pbs"))
        .and_then(Value::as_object)
        .ok_or(ImportError::NoPbsSection)?;
    let processes = pbs
        .get("processes")
        .and_then(Value::as_u64)
        .filter(|p| (1..=u64::from(u32::MAX)).contains(p))
        .unwrap_or(1);
    let mut builder = Builder {
        origin: origin.clone(),
        processes,
        job: JobLayer::default(),
        env: EnvLayer::default(),
        dask: DaskLayer::default(),
        queue_limits: None,
        unmapped: Vec::new(),
    };
    for (key, value) in pbs {
        let unset = value.is_null()
            || value.as_array().is_some_and(Vec::is_empty)
            || value.as_object().is_some_and(Map::is_empty);
        // Unset in the file: dask-pbs's own default applies.
        if !unset {
            builder.key(key, value);
        }
    }
    Ok(builder.finish())
}

pub fn import_jobqueue(args: &ImportArgs) -> Result<Outcome, Error> {
    let path = match &args.file {
        Some(p) => p.clone(),
        None => {
            let home = process_env("HOME")
                .ok_or_else(|| Error::input("no FILE given and HOME is not set"))?;
            Utf8PathBuf::from(home).join(".config/dask/jobqueue.yaml")
        }
    };
    let text = read_file(&path)?;
    let config: Value = serde_saphyr::from_str(&text).map_err(|e| {
        Error::input(format!(
            "{path}: {}",
            e.to_string().lines().next().unwrap_or_default()
        ))
    })?;
    let imported = import(&config, &Origin::File(path.clone()))
        .map_err(|e| Error::input(format!("{path}: {e}")))?;
    let notes = imported
        .unmapped
        .iter()
        .map(|(key, why)| Note::Info(format!("not mapped: {key}: {why}")))
        .collect();
    let yaml = serde_saphyr::to_string(&imported.profile)
        .map_err(|e| Error::failure(format!("cannot print the profile: {e}")))?;
    Ok(Outcome {
        stdout: format!(
            "# Imported from {path} by dask-pbs import-jobqueue; review the queue limits.\n{yaml}"
        ),
        notes,
        error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(yaml: &str) -> Imported {
        let config: Value = serde_saphyr::from_str(yaml).unwrap();
        import(&config, &Origin::Defaults).unwrap()
    }

    #[test]
    fn values_that_do_not_fit_their_field_are_listed_not_written() {
        let out = imported("pbs:\n  walltime: soon\n  death-timeout: 60s\n  queue: q\n");
        let keys: Vec<&str> = out.unmapped.iter().map(|(k, _)| k.as_str()).collect();
        // The `pbs:` keys are read in name order.
        assert_eq!(keys, ["death-timeout", "walltime"]);
        assert!(out.unmapped[1].1.contains("is not a PBS duration"));
        let job = out.profile.job.unwrap();
        assert!(job.walltime.is_none());
        assert_eq!(job.queue.unwrap().value, "q");
        assert!(out.profile.dask.is_none(), "an empty section is left out");
    }

    #[test]
    fn the_imported_profile_parses_as_a_profile() {
        let out = imported(
            "jobqueue:\n  pbs:\n    queue: regular\n    cores: 8\n    processes: 2\n    resource-spec: select=2:ncpus=8\n",
        );
        let yaml = serde_saphyr::to_string(&out.profile).unwrap();
        let layer = crate::profile::parse::parse_layer(&yaml, &Origin::Defaults).unwrap();
        let job = layer.job.unwrap();
        assert_eq!(job.select.unwrap().value, 2);
        assert_eq!(layer.dask.unwrap().nthreads.unwrap().value, Some(4));
        assert!(
            layer
                .system
                .unwrap()
                .queues
                .unwrap()
                .value
                .contains_key("regular")
        );
    }

    #[test]
    fn no_pbs_section_is_a_typed_error() {
        let config: Value = serde_saphyr::from_str("jobqueue:\n  slurm: {}\n").unwrap();
        assert_eq!(
            import(&config, &Origin::Defaults).err(),
            Some(ImportError::NoPbsSection)
        );
    }
}
