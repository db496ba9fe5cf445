//! Merged layer → resolved `Profile`, in two steps:
//!
//! 1. each section (`system`, `job`, `env`, `rapids`, `dask`) turns its layer into typed
//!    values, checking what one field alone can tell;
//! 2. once every section resolved, the rules across sections run on the complete profile,
//!    grouped by what they check: the PBS `request`, the `node`, the `workers`, the
//!    `environment`, the `sizes` against the hardware.
//!
//! Every problem is collected, so the user fixes them all in one go.

mod args;
mod charging;
mod dask;
mod env;
mod environment;
mod job;
mod launcher;
mod limits;
mod node;
mod node_type;
mod paths;
mod rapids;
mod request;
mod sizes;
mod storage;
mod system;
#[cfg(test)]
pub(crate) mod testing;
mod top;
mod words;
mod workers;

use std::fmt;

use camino::Utf8PathBuf;

use super::layer::{DaskLayer, EnvLayer, JobLayer, Layer, RapidsLayer, Sourced, SystemLayer};
use super::model::Profile;
use super::origin::Origin;
use super::types::Word;
use crate::error::{Code, Error};

/// One thing wrong with a profile: the dotted key it is about, where that key was set (when
/// the problem belongs to one place), and what is wrong with it and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub key: String,
    pub whence: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = crate::error::tag(self.code);
        match &self.whence {
            Some(whence) => write!(f, "{tag}{} (from {whence}): {}", self.key, self.message),
            None => write!(f, "{tag}{} {}", self.key, self.message),
        }
    }
}

/// The problems found so far. Keys are looked up in the merged layer for their origin only
/// when a problem is reported.
pub(crate) struct Problems<'a> {
    layer: &'a Layer,
    found: Vec<Problem>,
    /// Warnings: legitimate but unusual values, and what dask-pbs changed; one line each.
    notes: Vec<String>,
}

impl<'a> Problems<'a> {
    fn new(layer: &'a Layer) -> Self {
        Problems {
            layer,
            found: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A problem with the value at `key`, shown with where that value was set.
    fn at(&mut self, code: Code, key: &str, message: impl Into<String>) {
        self.at_as(code, key, key, message);
    }

    /// The problem a rule's helper found (its code and message), at `key`.
    fn add(&mut self, key: &str, found: Error) {
        self.at(found.code, key, found.message);
    }

    /// A problem named `key` but located where `located` was set (a rule on a whole section).
    fn at_as(&mut self, code: Code, key: &str, located: &str, message: impl Into<String>) {
        self.found.push(Problem {
            code,
            key: key.to_string(),
            whence: self.layer.whence_of(located),
            message: message.into(),
        });
    }

    /// A problem about `key` as a whole (missing, or against another section's value):
    /// `message` continues the sentence that starts with the key.
    fn plain(&mut self, code: Code, key: &str, message: impl Into<String>) {
        self.found.push(Problem {
            code,
            key: key.to_string(),
            whence: None,
            message: message.into(),
        });
    }

    /// A problem with the `job.resources` entry `name`, located where that entry was set:
    /// the line or flag that set it, or the node type whose resources put it there.
    fn at_resource(
        &mut self,
        code: Code,
        profile: &Profile,
        name: &str,
        message: impl Into<String>,
    ) {
        let key = JobLayer::KEYS.resources;
        let whence = self
            .resource_whence(profile, name)
            .or_else(|| self.layer.whence_of(key));
        self.found.push(Problem {
            code,
            key: key.to_string(),
            whence,
            message: message.into(),
        });
    }

    fn resource_whence(&self, profile: &Profile, name: &str) -> Option<String> {
        let value = profile.job.resources.get(name);
        if let Some(entry) = self.resource_entry(name)
            && entry.value.as_ref().map(|w| &w.0) == value
        {
            return Some(entry.whence());
        }
        let node_type = profile.job.node_type.as_ref()?;
        let types = self.layer.system.as_ref()?.node_types.as_ref()?;
        let entry = types.value.get(node_type)?;
        Some(format!("node type {node_type}, {}", entry.whence()))
    }

    /// The merged layer's `job.resources` entry `name`, with its origin.
    fn resource_entry(&self, name: &str) -> Option<&Sourced<Option<Word>>> {
        self.layer.job.as_ref()?.resources.as_ref()?.value.get(name)
    }

    /// Whether the command line (`--set`) set the `job.resources` entry `name`: it then
    /// wins over a node type's value.
    fn resource_from_flag(&self, name: &str) -> bool {
        self.resource_entry(name)
            .is_some_and(|e| matches!(e.origin, Origin::Flag(_)))
    }

    /// Whether a problem of this code is already reported (a rule that would only repeat it
    /// in other words stays quiet).
    fn has(&self, code: Code) -> bool {
        self.found.iter().any(|problem| problem.code == code)
    }

    /// A warning: the profile is valid, but the user should know.
    fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// "sophia.yaml:12:10", or "?" when the key was never set (cannot happen for a
    /// resolved field: every field comes from some layer).
    fn whence(&self, key: &str) -> String {
        self.layer.whence_of(key).unwrap_or_else(|| "?".into())
    }

    /// The report of every problem found.
    fn report(self, name: &str) -> Error {
        let count = self.found.len();
        let list: Vec<String> = self.found.iter().map(|p| format!("  - {p}")).collect();
        Error::new(
            Code::InvalidProfile,
            format!(
                "profile {name} is invalid ({count} problem{}):\n{}",
                if count == 1 { "" } else { "s" },
                list.join("\n")
            ),
        )
    }
}

/// `found` with `what` before its message ("node type x: …"), keeping its code.
fn within(what: impl fmt::Display, found: Error) -> Error {
    Error::new(found.code, format!("{what}: {}", found.message))
}

/// Takes a required field, noting it when missing.
fn take<T: Clone>(field: &Option<Sourced<T>>, key: &str, p: &mut Problems) -> Option<T> {
    match field {
        Some(f) => Some(f.value.clone()),
        None => {
            p.plain(
                Code::Missing,
                key,
                format!("is missing: set it in the profile or with --set {key}=VALUE"),
            );
            None
        }
    }
}

/// What the artifacts being made need of the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The account: the artifact carries the PBS request to qsub (the job, `qsub -I`).
    pub account: bool,
    /// A Python environment: the artifact runs Dask (the job, the start and worker scripts).
    pub environment: bool,
}

impl Needs {
    /// Everything: what `check` and `submit` ask, since they stand for the job.
    pub const ALL: Needs = Needs {
        account: true,
        environment: true,
    };
    /// What inspecting a profile asks (`explain`, `templates context`): the request it would
    /// submit, not yet the environment, so a profile can be looked at before it has one.
    pub const INSPECT: Needs = Needs {
        account: true,
        environment: false,
    };
    /// Nothing beyond a valid profile (`profiles show --resolved`, the conda command).
    pub const NONE: Needs = Needs {
        account: false,
        environment: false,
    };
}

/// What the caller asks of validation besides the layer.
#[derive(Debug, Clone)]
pub struct Demands {
    pub needs: Needs,
    /// The user defaults file dask-pbs reads (whether or not it exists yet), for messages
    /// that tell the user to put a value there.
    pub defaults_file: Option<Utf8PathBuf>,
    /// The directory the job is made in (qsub's working directory), for the site's path
    /// rules (`system.path_resources`); `None`: not known.
    pub workdir: Option<Utf8PathBuf>,
}

impl Demands {
    fn defaults_file_text(&self) -> String {
        match &self.defaults_file {
            Some(path) => path.to_string(),
            None => "your defaults file ($XDG_CONFIG_HOME/dask-pbs/defaults.yaml)".into(),
        }
    }
}

/// A valid profile and the warnings about it.
#[derive(Debug)]
pub struct Resolved {
    pub profile: Profile,
    pub notes: Vec<String>,
}

pub fn resolve(
    layer: &Layer,
    name: &str,
    origin: &str,
    demands: &Demands,
) -> Result<Resolved, Error> {
    let mut p = Problems::new(layer);
    let sections = (
        top::resolve(layer, &mut p),
        system::resolve(
            layer.system.as_ref().unwrap_or(&SystemLayer::default()),
            &mut p,
        ),
        job::resolve(layer.job.as_ref().unwrap_or(&JobLayer::default()), &mut p),
        env::resolve(layer.env.as_ref().unwrap_or(&EnvLayer::default()), &mut p),
        rapids::resolve(
            layer.rapids.as_ref().unwrap_or(&RapidsLayer::default()),
            &mut p,
        ),
        dask::resolve(layer.dask.as_ref().unwrap_or(&DaskLayer::default()), &mut p),
    );
    let (Some(top), Some(system), Some(job), Some(env), Some(rapids), Some(dask)) = sections else {
        // A section resolves to nothing only when `take` noted a missing key.
        return Err(p.report(name));
    };
    let mut profile = Profile {
        name: name.to_string(),
        origin: origin.to_string(),
        description: top.description,
        system,
        job,
        env,
        rapids,
        dask,
        run: top.run,
        templates: top.templates,
    };
    let queue = profile.job.queue.as_ref();
    let known_queue = queue.is_none_or(|name| profile.system.queues.contains_key(name));
    if known_queue {
        node_type::apply(&mut profile, &mut p);
    }
    storage::apply(
        &mut profile,
        &mut p,
        demands.workdir.as_ref().map(|d| d.as_str()),
    );
    workers::fit_margin(&mut profile, &mut p);
    workers::note_short_walltime(&profile, &mut p);
    request::check(&profile, demands, &mut p);
    if known_queue {
        // The layout (`Plan`) these rules count with needs a known queue, or none named.
        node::check(&profile, &mut p);
        workers::check(&profile, &mut p);
        limits::check(&profile, &mut p);
    }
    launcher::check(&profile, &mut p);
    sizes::check(&profile, &mut p);
    args::check(&profile, &mut p);
    environment::check(&profile, demands, &mut p);
    charging::check(&profile, &mut p);
    if p.found.is_empty() {
        Ok(Resolved {
            profile,
            notes: p.notes,
        })
    } else {
        Err(p.report(name))
    }
}

/// The text of an optional field that is set (neither missing nor null).
fn set(field: &Option<Option<String>>) -> Option<&str> {
    field.as_ref().and_then(|v| v.as_deref())
}
