//! `dask-pbs import-jobqueue [FILE]`: a dask-jobqueue `pbs:` configuration as a dask-pbs
//! profile. Every key that maps is mapped; every other one is listed on stderr with why.

use camino::Utf8PathBuf;
use serde_json::{Map, Value, json};

use crate::cli::ImportArgs;
use crate::error::Error;
use crate::profile::catalog::read_file;

use super::{Note, Outcome, process_env};

/// The profile (YAML) and the keys that could not be mapped, with reasons.
pub struct Imported {
    pub profile: Value,
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

pub fn import(config: &Value) -> Result<Imported, String> {
    let pbs = config
        .get("jobqueue")
        .and_then(|j| j.get("pbs"))
        .or_else(|| config.get("pbs"))
        .and_then(Value::as_object)
        .ok_or("no `jobqueue: pbs:` section (nor a top-level `pbs:`) in the file")?;
    let mut job = Map::new();
    let mut dask = Map::new();
    let mut env = Map::new();
    let mut unmapped: Vec<(String, String)> = Vec::new();
    let processes = pbs
        .get("processes")
        .and_then(Value::as_u64)
        .filter(|p| *p > 0)
        .unwrap_or(1);

    for (key, value) in pbs {
        if value.is_null()
            || value.as_array().is_some_and(Vec::is_empty)
            || value.as_object().is_some_and(Map::is_empty)
        {
            continue; // unset in the file: dask-pbs's own default applies
        }
        let mut skip = |why: &str| unmapped.push((key.clone(), why.to_string()));
        match key.as_str() {
            "name" => {
                job.insert("name".into(), value.clone());
            }
            "queue" => {
                job.insert("queue".into(), value.clone());
            }
            "account" | "project" => {
                job.insert("account".into(), json!(text(value)));
            }
            "walltime" => {
                job.insert("walltime".into(), json!(text(value)));
            }
            "processes" => {
                dask.insert("workers_per_node".into(), json!(processes));
            }
            "cores" => match value.as_u64() {
                Some(cores) => {
                    dask.insert("nthreads".into(), json!((cores / processes).max(1)));
                }
                None => skip("not a whole number of cores"),
            },
            "memory" => match text(value).as_deref().and_then(bytes) {
                Some(total) => {
                    let per_worker_mb = (total / processes as f64 / 1e6).floor() as u64;
                    dask.insert("memory_limit".into(), json!(format!("{per_worker_mb}MB")));
                }
                None => skip("not a size like 100GB"),
            },
            "interface" => {
                dask.insert("interface".into(), value.clone());
            }
            "death-timeout" => {
                dask.insert("death_timeout".into(), json!(value.as_u64().unwrap_or(60)));
            }
            "local-directory" => match text(value) {
                Some(dir) if !dir.contains('$') => {
                    dask.insert("local_directory".into(), json!(dir));
                }
                _ => skip(
                    "shell variables are not expanded in profile values; workers use the node's temp directory by default",
                ),
            },
            "worker-extra-args" | "extra" => {
                dask.insert("worker_args".into(), json!(strings(value)));
            }
            "job-script-prologue" | "env-extra" => {
                env.insert("setup".into(), json!(strings(value)));
            }
            "job-extra-directives" | "job-extra" => {
                let directives: Vec<String> = strings(value)
                    .into_iter()
                    .map(|d| d.trim_start_matches("#PBS").trim().to_string())
                    .collect();
                job.insert("directives".into(), json!(directives));
            }
            "resource-spec" => match text(value) {
                Some(spec) => {
                    let spec = spec.trim_start_matches("select=");
                    let mut parts = spec.split(':');
                    let count = parts.next().and_then(|n| n.parse::<u32>().ok());
                    let rest: Vec<&str> = if count.is_some() {
                        parts.collect()
                    } else {
                        spec.split(':').collect()
                    };
                    if let Some(n) = count {
                        job.insert("select".into(), json!(n));
                    }
                    let mut resources = Map::new();
                    for part in rest {
                        if let Some((k, v)) = part.split_once('=') {
                            resources.insert(k.into(), json!(v));
                        }
                    }
                    job.insert("resources".into(), Value::Object(resources));
                }
                None => skip("not a select= string"),
            },
            "scheduler-options" => {
                if let Some(interface) = value.get("interface").and_then(text) {
                    dask.insert("interface".into(), json!(interface));
                }
                let others: Vec<&String> = value
                    .as_object()
                    .map(|o| o.keys().filter(|k| *k != "interface").collect())
                    .unwrap_or_default();
                if !others.is_empty() {
                    unmapped.push((
                        format!(
                            "scheduler-options ({})",
                            others
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        "the job picks free ports itself; put other options in dask.scheduler_args"
                            .into(),
                    ));
                }
            }
            "python" => skip(
                "dask-pbs activates env.conda or env.venv; set one to this Python's environment",
            ),
            "worker-command" => skip(
                "dask-pbs runs `dask worker` (dask.worker: cpu) or `dask cuda worker` (dask.worker: cuda)",
            ),
            "shebang" => skip("generated jobs are bash scripts"),
            "shared-temp-directory" => {
                skip("the job directory $PBS_O_WORKDIR/dask-pbs.$PBS_JOBID holds shared files")
            }
            "log-directory" => skip("logs go to the job directory's logs/"),
            "job-directives-skip" => {
                skip("dask-pbs writes only the directives the profile asks for")
            }
            "job-script-epilogue" => {
                skip("no epilogue hook; shadow the _cleanup.sh.j2 template instead")
            }
            "job-cpu" | "job-mem" => skip("give the chunk's ncpus/mem in job.resources"),
            other => unmapped.push((
                other.to_string(),
                "not a dask-jobqueue PBS key dask-pbs knows".into(),
            )),
        }
    }

    let mut profile = Map::new();
    profile.insert(
        "description".into(),
        json!("imported from a dask-jobqueue configuration"),
    );
    profile.insert("extends".into(), json!("pbs-cpu"));
    if let Some(queue) = job.get("queue").and_then(text) {
        // Queue limits are the site's: a permissive entry so the profile checks, to tighten.
        profile.insert(
            "system".into(),
            json!({ "queues": { queue: { "chunk": "node", "chunks": { "min": 1, "max": 10000 }, "walltime": ["00:00:01", "720:00:00"] } } }),
        );
    }
    for (name, section) in [("job", job), ("env", env), ("dask", dask)] {
        if !section.is_empty() {
            profile.insert(name.into(), Value::Object(section));
        }
    }
    Ok(Imported {
        profile: Value::Object(profile),
        unmapped,
    })
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
    let imported = import(&config).map_err(|e| Error::input(format!("{path}: {e}")))?;
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
