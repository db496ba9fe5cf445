//! One dask-jobqueue section read the way dask-jobqueue 0.9 reads it: `_` and `-` alike in
//! keys, its defaults for missing keys, legacy names, empty text as unset, and the numbers
//! it derives (`processes` from `cores`, the default `select=` request).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{ImportError, ResourceSpec};
use crate::profile::types::Word;
use crate::walltime::Walltime;

/// Where `python` points: which environment the job activates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Environment {
    Conda {
        prefix: String,
        why: String,
    },
    Venv {
        prefix: String,
        why: String,
    },
    /// No prefix can be read from `python`: why.
    Unknown(String),
}

/// A section's values, every default applied.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub section: String,
    pub name: String,
    pub queue: Option<String>,
    pub account: Option<String>,
    pub walltime: Walltime,
    pub cores: u32,
    /// Bytes for the whole job.
    pub memory: u64,
    pub processes: u32,
    pub resource_spec: ResourceSpec,
    pub directives: Vec<String>,
    pub interface: Option<String>,
    pub death_timeout: Option<u32>,
    pub local_directory: Option<String>,
    pub worker_args: Vec<String>,
    pub prologue: Vec<String>,
    pub environment: Environment,
    pub warnings: Vec<String>,
}

/// Legacy names and the names that replaced them (dask-jobqueue 0.8).
const RENAMED: &[(&str, &str)] = &[
    ("project", "account"),
    ("extra", "worker-extra-args"),
    ("job-extra", "job-extra-directives"),
    ("env-extra", "job-script-prologue"),
    ("header-skip", "job-directives-skip"),
];

/// dask-jobqueue's `pbs:` defaults (its jobqueue.yaml) that dask-pbs must reproduce.
const DEFAULT_NAME: &str = "dask-worker";
const DEFAULT_WALLTIME: u64 = 30 * 60;
const DEFAULT_WORKER_COMMAND: &str = "distributed.cli.dask_worker";

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Unset as dask-jobqueue sees it: null, empty text, an empty list or mapping.
fn unset(v: &Value) -> bool {
    v.is_null()
        || v.as_str().is_some_and(|s| s.trim().is_empty())
        || v.as_array().is_some_and(Vec::is_empty)
        || v.as_object().is_some_and(Map::is_empty)
}

/// The keys that mean something, `_` read as `-` and legacy names folded into new ones
/// (a new name that is set wins, as in dask-jobqueue); a note for each legacy name.
fn canonical(keys: &Map<String, Value>, notes: &mut Vec<String>) -> IndexMap<String, Value> {
    let mut out: IndexMap<String, Value> = IndexMap::new();
    for (key, value) in keys {
        if !unset(value) {
            out.insert(key.replace('_', "-"), value.clone());
        }
    }
    for (old, new) in RENAMED {
        if let Some(value) = out.shift_remove(*old) {
            let used = if out.contains_key(*new) {
                "ignored: the new name is set"
            } else {
                "read as the new name"
            };
            notes.push(format!(
                "`{old}` is dask-jobqueue's old name for `{new}`: {used}"
            ));
            out.entry(new.to_string()).or_insert(value);
        }
    }
    out
}

/// Dask's `parse_bytes`: `109 GB` = 109·10⁹, `2GiB` = 2·2³⁰.
pub(super) fn parse_bytes(size: &str) -> Option<u64> {
    let s = size.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = if number.is_empty() {
        1.0
    } else {
        number.parse().ok()?
    };
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "pb" | "p" => 1e15,
        "kib" | "ki" => 1024.0,
        "mib" | "mi" => 1024.0 * 1024.0,
        "gib" | "gi" => 1024.0_f64.powi(3),
        "tib" | "ti" => 1024.0_f64.powi(4),
        "pib" | "pi" => 1024.0_f64.powi(5),
        _ => return None,
    };
    let bytes = n * factor;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// dask-jobqueue's `pbs_format_bytes_ceil`: GB from 10 GiB up, MB from 10 MiB, kB from
/// 10 KiB, all binary and rounded up.
pub(super) fn pbs_memory(bytes: u64) -> String {
    let ceil = |unit: u64| bytes.div_ceil(unit);
    if bytes >= 10 << 30 {
        format!("{}GB", ceil(1 << 30))
    } else if bytes >= 10 << 20 {
        format!("{}MB", ceil(1 << 20))
    } else if bytes >= 10 << 10 {
        format!("{}kB", ceil(1 << 10))
    } else {
        format!("{bytes}B")
    }
}

/// Dask's `nprocesses_nthreads`: all cores up to 4, else the smallest factor ≥ √cores.
pub(super) fn default_processes(cores: u32) -> u32 {
    if cores <= 4 {
        return cores.max(1);
    }
    (1..=cores)
        .find(|f| cores.is_multiple_of(*f) && u64::from(*f) * u64::from(*f) >= u64::from(cores))
        .unwrap_or(cores)
}

/// `python: /opt/envs/x/bin/python` → the environment `/opt/envs/x`, conda or venv.
pub(super) fn environment(python: Option<&str>) -> Environment {
    let Some(python) = python.map(str::trim) else {
        return Environment::Unknown(
            "`python` is not set, so dask-jobqueue runs the Python it was started from".into(),
        );
    };
    let prefix = python
        .rsplit_once('/')
        .filter(|(_, exe)| exe.starts_with("python"))
        .and_then(|(dir, _)| dir.strip_suffix("/bin"))
        .filter(|p| p.starts_with('/') && !p.contains('$'));
    let Some(prefix) = prefix else {
        return Environment::Unknown(format!(
            "`python: {python}` is not an absolute PREFIX/bin/python path"
        ));
    };
    let here = std::path::Path::new(prefix);
    let (conda, why) = if here.join("conda-meta").is_dir() {
        (true, "it has conda-meta/ on this machine".to_string())
    } else if here.join("pyvenv.cfg").is_file() {
        (false, "it has pyvenv.cfg on this machine".to_string())
    } else {
        let conda_like = ["conda", "mamba", "/envs/"]
            .iter()
            .any(|w| prefix.to_ascii_lowercase().contains(w));
        let why = if conda_like {
            "from `python`; its path names conda or envs/ (not found on this machine)"
        } else {
            "from `python`; its path names no conda (not found on this machine)"
        };
        (conda_like, why.to_string())
    };
    let prefix = prefix.to_string();
    if conda {
        Environment::Conda { prefix, why }
    } else {
        Environment::Venv { prefix, why }
    }
}

/// `job-extra-directives` lines without their `#PBS`.
fn directives(value: Option<&Value>) -> Vec<String> {
    strings(value)
        .into_iter()
        .map(|d| d.trim().trim_start_matches("#PBS").trim().to_string())
        .filter(|d| !d.is_empty())
        .collect()
}

/// `select=2:ncpus=8`, `ncpus=48,mem=190GB` or anything else.
fn resource_spec(spec: &str) -> ResourceSpec {
    let spec = spec.trim();
    let pairs = |text: &str, sep: char| -> Option<IndexMap<String, Word>> {
        text.split(sep)
            .map(|part| {
                let (k, v) = part.split_once('=')?;
                let ok = |w: &str| {
                    !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
                };
                (ok(k) && ok(v)).then(|| (k.to_string(), Word(v.to_string())))
            })
            .collect()
    };
    if let Some(rest) = spec.strip_prefix("select=") {
        let (count, chunk) = rest.split_once(':').unwrap_or((rest, ""));
        let chunk = if chunk.is_empty() {
            Some(IndexMap::new())
        } else {
            pairs(chunk, ':')
        };
        if let (Ok(count), Some(chunk)) = (count.parse::<u32>(), chunk)
            && count > 0
        {
            return ResourceSpec::Select { count, chunk };
        }
    } else if !spec.contains(':')
        && let Some(resources) = pairs(spec, ',')
    {
        return ResourceSpec::JobWide(resources);
    }
    ResourceSpec::Directive(spec.to_string())
}

/// `cores`, `memory` (bytes), `processes` and `walltime`, as dask-jobqueue reads them.
fn shape(k: &IndexMap<String, Value>) -> Result<(u32, u64, u32, Walltime), ImportError> {
    let missing: Vec<&'static str> = ["cores", "memory"]
        .into_iter()
        .filter(|key| !k.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Missing(missing));
    }
    let bad = |key: &'static str, why: String| ImportError::Bad { key, why };
    let cores = k
        .get("cores")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
        .ok_or_else(|| bad("cores", "not a whole number of cores from 1 up".into()))?;
    let memory = k
        .get("memory")
        .and_then(text)
        .as_deref()
        .and_then(parse_bytes)
        .filter(|m| *m > 0)
        .ok_or_else(|| bad("memory", "not a size like 100GB or 2GiB".into()))?;
    let processes = match k.get("processes") {
        None => default_processes(cores),
        Some(p) => p
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| (1..=cores).contains(p))
            .ok_or_else(|| {
                bad(
                    "processes",
                    format!("not a whole number from 1 to cores ({cores})"),
                )
            })?,
    };
    let walltime = match k.get("walltime").and_then(text) {
        None => Walltime::from_seconds(DEFAULT_WALLTIME),
        Some(w) => w
            .parse()
            .map_err(|e: crate::walltime::WalltimeError| bad("walltime", e.to_string()))?,
    };
    Ok((cores, memory, processes, walltime))
}

impl Config {
    /// Reads a section; the keys that have no dask-pbs counterpart come back with why.
    pub(super) fn read(
        section: &str,
        keys: &Map<String, Value>,
    ) -> Result<(Config, Vec<(String, String)>), ImportError> {
        let mut notes = Vec::new();
        let k = canonical(keys, &mut notes);
        let (cores, memory, processes, walltime) = shape(&k)?;
        let mut unmapped = Vec::new();
        let mut config = Config {
            section: section.to_string(),
            name: k
                .get("name")
                .and_then(text)
                .unwrap_or_else(|| DEFAULT_NAME.into()),
            queue: k.get("queue").and_then(text),
            account: k.get("account").and_then(text),
            walltime,
            cores,
            memory,
            processes,
            resource_spec: match k.get("resource-spec").and_then(text) {
                Some(spec) => resource_spec(&spec),
                None => ResourceSpec::Select {
                    count: 1,
                    chunk: IndexMap::from([
                        ("ncpus".to_string(), Word(cores.to_string())),
                        ("mem".to_string(), Word(pbs_memory(memory))),
                    ]),
                },
            },
            directives: directives(k.get("job-extra-directives")),
            interface: k.get("interface").and_then(text),
            death_timeout: None,
            local_directory: None,
            worker_args: Vec::new(),
            prologue: strings(k.get("job-script-prologue")),
            environment: environment(k.get("python").and_then(Value::as_str)),
            warnings: notes,
        };
        if matches!(config.environment, Environment::Unknown(_)) {
            config.lift_activation();
        }
        config.skips(k.get("job-directives-skip"), &mut unmapped);
        config.worker_keys(&k, &mut unmapped);
        config.other_keys(&k, &mut unmapped);
        Ok((config, unmapped))
    }

    /// With no usable `python`, a prologue that ends by activating an environment by its
    /// absolute path (`conda activate /p`, `source /p/bin/activate`) names it: the line becomes
    /// env.conda or env.venv, which dask-pbs activates at the same point (after the prologue).
    fn lift_activation(&mut self) {
        let Some(last) = self.prologue.last() else {
            return;
        };
        let words: Vec<&str> = last.split_whitespace().collect();
        let absolute = |p: &str| p.starts_with('/') && !p.contains(['$', '`', '\'', '"']);
        let why = "the last job-script-prologue line activated it".to_string();
        self.environment = match words.as_slice() {
            [
                "conda" | "mamba" | "micromamba" | "source" | ".",
                "activate",
                prefix,
            ] if absolute(prefix) => Environment::Conda {
                prefix: prefix.trim_end_matches('/').to_string(),
                why,
            },
            ["source" | ".", script] if absolute(script) && script.ends_with("/bin/activate") => {
                Environment::Venv {
                    prefix: script.trim_end_matches("/bin/activate").to_string(),
                    why,
                }
            }
            _ => return,
        };
        self.prologue.pop();
    }

    /// `job-directives-skip`: dask-jobqueue drops each header line containing one of them.
    fn skips(&mut self, value: Option<&Value>, unmapped: &mut Vec<(String, String)>) {
        for skip in strings(value) {
            let request = match &self.resource_spec {
                ResourceSpec::Select { count, chunk } => {
                    let mut line = format!("-l select={count}");
                    for (key, value) in chunk {
                        line.push_str(&format!(":{key}={}", value.0));
                    }
                    line
                }
                ResourceSpec::JobWide(r) => {
                    let pairs: Vec<String> =
                        r.iter().map(|(k, v)| format!("{k}={}", v.0)).collect();
                    format!("-l {}", pairs.join(","))
                }
                ResourceSpec::Directive(text) => format!("-l {text}"),
                ResourceSpec::Skipped => String::new(),
            };
            let mut hit = false;
            if !request.is_empty() && format!("#PBS {request}").contains(&skip) {
                self.resource_spec = ResourceSpec::Skipped;
                hit = true;
            }
            if let Some(q) = &self.queue
                && format!("#PBS -q {q}").contains(&skip)
            {
                self.queue = None;
                hit = true;
            }
            if let Some(a) = &self.account
                && format!("#PBS -A {a}").contains(&skip)
            {
                self.account = None;
                hit = true;
            }
            if !hit {
                unmapped.push((
                    format!("job-directives-skip ({skip})"),
                    "dask-pbs always writes -N and -l walltime; this skip matches no other line"
                        .into(),
                ));
            }
        }
    }

    /// `death-timeout`, `local-directory`, `worker-extra-args`, `worker-command`.
    fn worker_keys(&mut self, k: &IndexMap<String, Value>, unmapped: &mut Vec<(String, String)>) {
        match k
            .get("death-timeout")
            .map(|v| v.as_u64().and_then(|t| u32::try_from(t).ok()))
        {
            Some(Some(t)) => self.death_timeout = Some(t),
            Some(None) => unmapped.push((
                "death-timeout".into(),
                "not a whole number of seconds".into(),
            )),
            None => {}
        }
        if let Some(dir) = k.get("local-directory").and_then(text) {
            // `$NAME` and `${NAME}` are expanded by the worker on the node; shell code is not run.
            if dir.contains("$(") || dir.contains('`') {
                unmapped.push((
                    "local-directory".into(),
                    format!("`{dir}` runs shell code; dask.local_directory expands only $NAME and ${{NAME}}"),
                ));
            } else {
                self.local_directory = Some(dir);
            }
        }
        let mut args = strings(k.get("worker-extra-args")).into_iter();
        while let Some(arg) = args.next() {
            if arg == "--lifetime" {
                let value = args.next().unwrap_or_default();
                unmapped.push((
                    format!("worker-extra-args (--lifetime {value})"),
                    "dask-pbs gives workers --lifetime walltime − dask.shutdown_margin itself"
                        .into(),
                ));
            } else if arg.starts_with("--lifetime=") {
                unmapped.push((
                    format!("worker-extra-args ({arg})"),
                    "dask-pbs gives workers --lifetime walltime − dask.shutdown_margin itself"
                        .into(),
                ));
            } else {
                self.worker_args.push(arg);
            }
        }
        if let Some(command) = k.get("worker-command").and_then(text)
            && command != DEFAULT_WORKER_COMMAND
        {
            unmapped.push((
                "worker-command".into(),
                "dask-pbs runs `dask worker` (dask.worker: cpu) or `dask cuda worker` (dask.worker: cuda)".into(),
            ));
        }
    }

    /// The keys with no counterpart, and the ones dask-pbs does the same as.
    fn other_keys(&mut self, k: &IndexMap<String, Value>, unmapped: &mut Vec<(String, String)>) {
        for (key, value) in k {
            let why = match key.as_str() {
                "shebang" => match text(value) {
                    Some(s) if s.contains("bash") => continue,
                    _ => "generated jobs are bash scripts",
                },
                "shared-temp-directory" => {
                    "the job directory $PBS_O_WORKDIR/dask-pbs.$PBS_JOBID holds shared files"
                }
                "log-directory" => "logs go to the job directory's logs/",
                "job-script-epilogue" => {
                    "no epilogue hook; shadow the _cleanup.sh.j2 template instead"
                }
                "job-cpu" | "job-mem" => "give the chunk's ncpus/mem in job.resources",
                "scheduler-options" => {
                    if let Some(interface) = value.get("interface").and_then(text)
                        && self.interface.is_none()
                    {
                        self.interface = Some(interface);
                    }
                    if value
                        .as_object()
                        .is_some_and(|o| o.keys().all(|k| k == "interface"))
                    {
                        continue;
                    }
                    "the job picks free ports itself; put other options in dask.scheduler_args"
                }
                "nanny" => match value.as_bool() {
                    Some(true) => continue,
                    _ => "dask-pbs workers always have a nanny",
                },
                "name"
                | "queue"
                | "account"
                | "walltime"
                | "cores"
                | "memory"
                | "processes"
                | "resource-spec"
                | "job-extra-directives"
                | "interface"
                | "death-timeout"
                | "local-directory"
                | "worker-extra-args"
                | "worker-command"
                | "python"
                | "job-script-prologue"
                | "job-directives-skip" => continue,
                _ => "not a dask-jobqueue PBS key dask-pbs knows",
            };
            unmapped.push((key.clone(), why.to_string()));
        }
    }
}

/// Keys given twice in the same mapping of a block-style YAML file, as (key, first line,
/// repeated line), 1-based.
pub(super) fn duplicate_keys(text: &str) -> Vec<(String, usize, usize)> {
    // One frame per open mapping: its indentation and the keys seen in it.
    let mut frames: Vec<(usize, IndexMap<String, usize>)> = Vec::new();
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body.starts_with('-') {
            continue;
        }
        let indent = line.len() - body.len();
        let Some((key, _)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(['"', '\'']).replace('_', "-");
        while frames.last().is_some_and(|(i, _)| *i > indent) {
            frames.pop();
        }
        if frames.last().is_none_or(|(i, _)| *i < indent) {
            frames.push((indent, IndexMap::new()));
        }
        if let Some((_, keys)) = frames.last_mut() {
            match keys.get(&key) {
                Some(first) => found.push((key, *first, n + 1)),
                None => {
                    keys.insert(key, n + 1);
                }
            }
        }
    }
    found
}
