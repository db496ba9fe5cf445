//! Command-line flags and environment variables as layers on top of the profile chain.

use super::layer::{Layer, Sourced};
use super::origin::Origin;
use super::parse::parse_layer;
use crate::error::Error;
use crate::walltime::Walltime;

/// The override flags shared by `gen`, `check`, `explain`, `submit` and `render`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub account: Option<String>,
    pub queue: Option<String>,
    pub select: Option<u32>,
    pub walltime: Option<String>,
    pub name: Option<String>,
    pub env: Option<String>,
    pub run: Option<String>,
    pub rapids: Option<String>,
    pub python: Option<String>,
    pub cuda: Option<String>,
    /// `--set KEY.PATH=VALUE`, in the order given.
    pub sets: Vec<String>,
}

fn flag<T>(value: T, name: &str) -> Option<Sourced<T>> {
    Some(Sourced::new(value, Origin::Flag(name.to_string())))
}

impl Overrides {
    /// The `--set` layers (in order), then one layer for the named flags on top.
    pub fn layers(&self) -> Result<Vec<Layer>, Error> {
        let mut layers = Vec::new();
        for set in &self.sets {
            layers.push(set_layer(set)?);
        }
        let mut top = Layer::default();
        if let Some(v) = &self.account {
            top.job_mut().account = flag(Some(v.clone()), "--account");
        }
        if let Some(v) = &self.queue {
            top.job_mut().queue = flag(v.clone(), "--queue");
        }
        if let Some(v) = self.select {
            top.job_mut().select = flag(v, "--select");
        }
        if let Some(v) = &self.walltime {
            let w: Walltime = v
                .parse()
                .map_err(|e| Error::input(format!("--walltime: {e}")))?;
            top.job_mut().walltime = flag(w, "--walltime");
        }
        if let Some(v) = &self.name {
            top.job_mut().name = flag(v.clone(), "--name");
        }
        if let Some(v) = &self.env {
            let env = top.env_mut();
            env.conda = flag(Some(v.clone()), "--env");
            env.venv = flag(None, "--env");
        }
        if let Some(v) = &self.run {
            top.run = flag(Some(v.clone()), "--run");
        }
        if let Some(v) = &self.rapids {
            top.rapids_mut().version = flag(v.clone(), "--rapids");
        }
        if let Some(v) = &self.python {
            top.rapids_mut().python = flag(v.clone(), "--python");
        }
        if let Some(v) = &self.cuda {
            top.rapids_mut().cuda = flag(v.clone(), "--cuda");
        }
        layers.push(top);
        Ok(layers)
    }

    /// The flags again, for the "regenerate with" comment of generated scripts.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut push = |flag: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(flag.to_string());
                args.push(v.clone());
            }
        };
        push("--account", &self.account);
        push("--queue", &self.queue);
        push("--select", &self.select.map(|s| s.to_string()));
        push("--walltime", &self.walltime);
        push("--name", &self.name);
        push("--env", &self.env);
        push("--run", &self.run);
        push("--rapids", &self.rapids);
        push("--python", &self.python);
        push("--cuda", &self.cuda);
        for set in &self.sets {
            args.push("--set".into());
            args.push(set.clone());
        }
        args
    }
}

/// `dask.worker_args=[--foo]` → the layer `{dask: {worker_args: [--foo]}}`, parsed as YAML so
/// a `--set` value has the same types and messages as the profile file.
pub fn set_layer(set: &str) -> Result<Layer, Error> {
    let origin = Origin::Flag(format!("--set {set}"));
    let Some((path, value)) = set.split_once('=') else {
        return Err(Error::input(format!(
            "--set {set}: expected KEY.PATH=VALUE, e.g. --set job.select=4"
        )));
    };
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| {
        s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(Error::input(format!(
            "--set {set}: `{path}` is not a key path; write section.key (e.g. dask.worker_args)"
        )));
    }
    if value.contains(['\n', '\r']) {
        return Err(Error::input(format!(
            "--set {path}: the value must be one line"
        )));
    }
    let mut yaml = String::new();
    for (depth, segment) in segments.iter().enumerate() {
        yaml.push_str(&"  ".repeat(depth));
        yaml.push_str(segment);
        yaml.push(':');
        if depth + 1 < segments.len() {
            yaml.push('\n');
        }
    }
    yaml.push(' ');
    yaml.push_str(value);
    yaml.push('\n');
    parse_layer(&yaml, &origin)
}

/// `DASK_PBS_ACCOUNT`, then PBS's own `PBS_ACCOUNT`: the first that is set and not empty.
pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Layer> {
    for var in ["DASK_PBS_ACCOUNT", "PBS_ACCOUNT"] {
        if let Some(value) = lookup(var).filter(|v| !v.is_empty()) {
            let mut layer = Layer::default();
            layer.job_mut().account = Some(Sourced::new(Some(value), Origin::Env(var.to_string())));
            return Some(layer);
        }
    }
    None
}
