//! Command-line flags and environment variables as layers on top of the profile chain.
//!
//! Each named flag is one field of `OverrideArgs` (its clap definition) and one row of
//! `FLAGS` (the profile keys it sets). The layers and the `# Regenerate with:` arguments are
//! both read from that table, so a new flag is a field and a row.

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use clap::Args;

use super::layer::{Layer, Sourced};
use super::origin::Origin;
use super::parse::parse_layer;
use super::patch::Patch;
use crate::error::{Code, Error};

/// The override flags shared by `gen`, `check`, `explain`, `submit`, `render` and `show`.
#[derive(Debug, Clone, Args, Default)]
pub struct OverrideArgs {
    /// Project to charge (-A); also $DASK_PBS_ACCOUNT, the site's system.account_vars, then
    /// $PBS_ACCOUNT.
    #[arg(long, short = 'A', value_name = "PROJECT")]
    pub account: Option<String>,
    /// Queue (-q).
    #[arg(long, short = 'q')]
    pub queue: Option<String>,
    /// Number of chunks: GPUs on Sophia's by-gpu queue, nodes elsewhere.
    #[arg(long, short = 'n', value_name = "N")]
    pub select: Option<u32>,
    /// Node type to run on (sets job.node_type): its GPUs, cores and memory shape the job.
    #[arg(long = "node-type", value_name = "NAME")]
    pub node_type: Option<String>,
    /// Walltime, HH:MM:SS.
    #[arg(long, short = 't', value_name = "HH:MM:SS")]
    pub walltime: Option<String>,
    /// Job name (-N).
    #[arg(long)]
    pub name: Option<String>,
    /// Conda environment prefix to activate (sets env.conda).
    #[arg(long, value_name = "PATH")]
    pub env: Option<String>,
    /// Virtual environment (python3 -m venv) to activate instead (sets env.venv).
    #[arg(long, value_name = "PATH", conflicts_with = "env")]
    pub venv: Option<String>,
    /// Payload command run once the cluster is ready (sets run).
    #[arg(long, value_name = "CMD")]
    pub run: Option<String>,
    /// RAPIDS release for the conda artifact (sets rapids.version).
    #[arg(long, value_name = "VER")]
    pub rapids: Option<String>,
    /// Python version for the conda artifact (sets rapids.python).
    #[arg(long, value_name = "VER")]
    pub python: Option<String>,
    /// CUDA constraint for the conda artifact, e.g. '>=12.0,<=12.8' (sets rapids.cuda).
    #[arg(long, value_name = "SPEC")]
    pub cuda: Option<String>,
    /// Refuse a job that could charge more than N, in the unit of the site's charging rule
    /// (sets job.max_charge).
    #[arg(long = "max-charge", value_name = "N")]
    pub max_charge: Option<String>,
    /// Any profile key, parsed as YAML: --set dask.worker_args='[--foo]' (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
}

/// How a flag's text becomes a YAML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Always a string, whatever it looks like (`--rapids 25.10` stays `"25.10"`).
    Text,
    /// Already a number (clap parsed it).
    Number,
}

/// One named flag: where its value comes from and which profile keys it sets.
pub struct Flag {
    /// The long form, as the user (and the regenerate line) writes it.
    pub long: &'static str,
    pub get: fn(&OverrideArgs) -> Option<String>,
    /// The profile key it sets.
    pub key: &'static str,
    pub value: Value,
    /// Keys it sets to null: `--env` replaces a venv the profile activates.
    pub clears: &'static [&'static str],
}

const fn text(
    long: &'static str,
    key: &'static str,
    get: fn(&OverrideArgs) -> Option<String>,
) -> Flag {
    Flag {
        long,
        get,
        key,
        value: Value::Text,
        clears: &[],
    }
}

/// Every named flag, in the order of the regenerate line (`--set`s follow).
pub const FLAGS: &[Flag] = &[
    text("--account", "job.account", |a| a.account.clone()),
    text("--queue", "job.queue", |a| a.queue.clone()),
    Flag {
        long: "--select",
        get: |a| a.select.map(|n| n.to_string()),
        key: "job.select",
        value: Value::Number,
        clears: &[],
    },
    text("--node-type", "job.node_type", |a| a.node_type.clone()),
    text("--walltime", "job.walltime", |a| a.walltime.clone()),
    text("--name", "job.name", |a| a.name.clone()),
    Flag {
        long: "--env",
        get: |a| a.env.clone(),
        key: "env.conda",
        value: Value::Text,
        clears: &["env.venv"],
    },
    Flag {
        long: "--venv",
        get: |a| a.venv.clone(),
        key: "env.venv",
        value: Value::Text,
        clears: &["env.conda"],
    },
    text("--run", "run", |a| a.run.clone()),
    text("--rapids", "rapids.version", |a| a.rapids.clone()),
    text("--python", "rapids.python", |a| a.python.clone()),
    text("--cuda", "rapids.cuda", |a| a.cuda.clone()),
    text("--max-charge", "job.max_charge", |a| a.max_charge.clone()),
];

impl OverrideArgs {
    /// The `--set` layers (in order), then one layer for the named flags on top.
    pub fn layers(&self) -> Result<Vec<Layer>, Error> {
        let mut layers = Vec::new();
        // A field of a queue or node type is a patch, applied once the layers merged.
        for set in self.sets.iter().filter(|s| Patch::of(s).is_none()) {
            layers.push(set_layer(set)?);
        }
        let mut top = Layer::default();
        for flag in FLAGS {
            if let Some(value) = (flag.get)(self) {
                // Flags set different keys, so the order they go under `top` does not matter.
                top.merge_over(flag_layer(flag, &value)?);
            }
        }
        layers.push(top);
        Ok(layers)
    }

    /// The `--set`s that change one field of a queue, a node type or the default queue.
    pub fn patches(&self) -> Vec<Patch> {
        self.sets.iter().filter_map(|s| Patch::of(s)).collect()
    }

    /// The flags again, for the "regenerate with" comment of generated scripts.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for flag in FLAGS {
            if let Some(value) = (flag.get)(self) {
                args.push(flag.long.to_string());
                args.push(value);
            }
        }
        for set in &self.sets {
            args.push("--set".into());
            args.push(set.clone());
        }
        args
    }
}

impl OverrideArgs {
    /// These flags with `--env` and `--venv` made absolute: the job activates the environment
    /// on a compute node, from another directory, so a relative path given here is read
    /// against `cwd`, the directory the user typed it in (a bare `--env NAME` only when `cwd`
    /// holds such a directory: otherwise it names a conda environment). Also a note for each
    /// path resolved, saying so.
    pub fn with_absolute_paths(&self, cwd: &Utf8Path) -> (OverrideArgs, Vec<String>) {
        let mut args = self.clone();
        let mut notes = Vec::new();
        for (flag, value, bare_names) in [
            ("--env", &mut args.env, true),
            ("--venv", &mut args.venv, false),
        ] {
            let Some(path) = value.as_deref() else {
                continue;
            };
            let relative = !path.is_empty()
                && !path.starts_with(['/', '$', '~'])
                && (!bare_names || path.contains('/') || cwd.join(path).is_dir());
            if !relative {
                continue;
            }
            let absolute: Utf8PathBuf = cwd
                .join(path)
                .components()
                .filter(|c| *c != Utf8Component::CurDir)
                .collect();
            notes.push(format!(
                "{flag} {path} is a relative path: the job uses {absolute} (resolved against the current directory)"
            ));
            *value = Some(absolute.to_string());
        }
        (args, notes)
    }
}

/// The layer of one named flag: its key (and the keys it clears) as YAML, parsed like a
/// profile so the flag's value has the field's type and messages.
fn flag_layer(flag: &Flag, value: &str) -> Result<Layer, Error> {
    let yaml_value = match flag.value {
        // A JSON string is a YAML string: quoted, escaped, one line.
        Value::Text => serde_json::to_string(value)
            .map_err(|e| Error::new(Code::Internal, format!("{}: {e}", flag.long)))?,
        Value::Number => value.to_string(),
    };
    let origin = Origin::Flag(flag.long.to_string());
    let mut layer = parse_layer(&key_yaml(flag.key, &yaml_value), &origin)?;
    for key in flag.clears {
        layer.merge_over(parse_layer(&key_yaml(key, "null"), &origin)?);
    }
    Ok(layer)
}

/// `a.b` and `v` → "a:\n  b: v\n" (one mapping per segment; sections merge in parse).
fn key_yaml(path: &str, value: &str) -> String {
    let mut yaml = String::new();
    for (depth, segment) in path.split('.').enumerate() {
        if depth > 0 {
            yaml.push('\n');
        }
        yaml.push_str(&"  ".repeat(depth));
        yaml.push_str(segment);
        yaml.push(':');
    }
    yaml.push(' ');
    yaml.push_str(value);
    yaml.push('\n');
    yaml
}

/// `dask.worker_args=[--foo]` → the layer `{dask: {worker_args: [--foo]}}`, parsed as YAML so
/// a `--set` value has the same types and messages as the profile file.
pub fn set_layer(set: &str) -> Result<Layer, Error> {
    let origin = Origin::Flag(format!("--set {set}"));
    let Some((path, value)) = set.split_once('=') else {
        return Err(Error::new(
            Code::SetSyntax,
            format!("--set {set}: expected KEY.PATH=VALUE, e.g. --set job.select=4"),
        ));
    };
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| {
        s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(Error::new(
            Code::SetNotAKeyPath,
            format!(
                "--set {set}: `{path}` is not a key path; write section.key (e.g. dask.worker_args)"
            ),
        ));
    }
    if value.contains(['\n', '\r']) {
        return Err(Error::new(
            Code::SetMultiline,
            format!("--set {path}: the value must be one line"),
        ));
    }
    parse_layer(&key_yaml(path, value), &origin)
}

/// `DASK_PBS_ACCOUNT`, then the site's own variables (`site_vars`: NCAR's
/// `PBS_ACCOUNT_DERECHO`, which its docs say supersedes `PBS_ACCOUNT`), then PBS's own
/// `PBS_ACCOUNT`: the first that is set and not empty.
pub fn env_layer(lookup: &dyn Fn(&str) -> Option<String>, site_vars: &[String]) -> Option<Layer> {
    let vars = std::iter::once("DASK_PBS_ACCOUNT")
        .chain(site_vars.iter().map(String::as_str))
        .chain(["PBS_ACCOUNT"]);
    for var in vars {
        if let Some(value) = lookup(var).filter(|v| !v.is_empty()) {
            let mut layer = Layer::default();
            layer.job_mut().account = Some(Sourced::new(Some(value), Origin::Env(var.to_string())));
            return Some(layer);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_one_row_and_every_row_a_flag() {
        let cmd = OverrideArgs::augment_args(clap::Command::new("t"));
        let longs: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .filter(|l| l != "--set")
            .collect();
        let rows: Vec<&str> = FLAGS.iter().map(|f| f.long).collect();
        assert_eq!(longs, rows, "OverrideArgs' flags and FLAGS' rows differ");
    }

    #[test]
    fn relative_environments_are_read_against_the_current_directory() {
        let cwd = tempfile::tempdir().unwrap();
        let cwd = Utf8Path::from_path(cwd.path()).unwrap();
        std::fs::create_dir(cwd.join("here")).unwrap();
        let resolved = |env: Option<&str>, venv: Option<&str>| {
            let args = OverrideArgs {
                env: env.map(String::from),
                venv: venv.map(String::from),
                ..OverrideArgs::default()
            };
            let (args, notes) = args.with_absolute_paths(cwd);
            (args.env.or(args.venv).unwrap_or_default(), notes.len())
        };
        assert_eq!(
            resolved(Some("./envs/dask"), None),
            (format!("{cwd}/envs/dask"), 1)
        );
        assert_eq!(resolved(None, Some("venv")), (format!("{cwd}/venv"), 1));
        assert_eq!(resolved(Some("here"), None), (format!("{cwd}/here"), 1));
        // A bare name with no such directory is a conda environment's name.
        assert_eq!(resolved(Some("rapids"), None), ("rapids".into(), 0));
        for anchored in ["/e", "~/envs/x", "$SCRATCH/env"] {
            assert_eq!(resolved(Some(anchored), None), (anchored.into(), 0));
        }
    }

    #[test]
    fn each_row_sets_its_key_from_its_flag() {
        let args = OverrideArgs {
            account: Some("P".into()),
            select: Some(4),
            env: Some("/e".into()),
            rapids: Some("25.10".into()),
            ..OverrideArgs::default()
        };
        let top = args.layers().unwrap().pop().unwrap();
        let job = top.job.unwrap();
        assert_eq!(job.account.unwrap().value.as_deref(), Some("P"));
        assert_eq!(job.select.unwrap().value, 4);
        let env = top.env.unwrap();
        assert_eq!(env.conda.unwrap().value.as_deref(), Some("/e"));
        assert_eq!(env.venv.unwrap().value, None, "--env clears env.venv");
        assert_eq!(top.rapids.unwrap().version.unwrap().value, "25.10");
        assert_eq!(
            args.to_args(),
            [
                "--account",
                "P",
                "--select",
                "4",
                "--env",
                "/e",
                "--rapids",
                "25.10"
            ]
        );
    }
}
