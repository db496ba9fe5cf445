//! The six artifacts: which template renders each and the file it is written to.

use std::fmt;
use std::str::FromStr;

use crate::profile::model::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    Job,
    Start,
    Worker,
    Conda,
    Interactive,
    Client,
}

impl Artifact {
    pub const ALL: [Artifact; 6] = [
        Artifact::Job,
        Artifact::Start,
        Artifact::Worker,
        Artifact::Conda,
        Artifact::Interactive,
        Artifact::Client,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Artifact::Job => "job",
            Artifact::Start => "start",
            Artifact::Worker => "worker",
            Artifact::Conda => "conda",
            Artifact::Interactive => "interactive",
            Artifact::Client => "client",
        }
    }

    pub fn template(self) -> &'static str {
        match self {
            Artifact::Job => "job.sh.j2",
            Artifact::Start => "dask_start.sh.j2",
            Artifact::Worker => "dask_start_worker.sh.j2",
            Artifact::Conda => "conda_create.sh.j2",
            Artifact::Interactive => "interactive.j2",
            Artifact::Client => "dask_client.py.j2",
        }
    }

    /// The file name `gen all --out-dir` writes.
    pub fn file_name(self) -> &'static str {
        match self {
            Artifact::Job => "job.sh",
            Artifact::Start => "dask_start.sh",
            Artifact::Worker => "dask_start_worker.sh",
            Artifact::Conda => "conda_create.sh",
            Artifact::Interactive => "qsub_interactive.sh",
            Artifact::Client => "dask_client.py",
        }
    }

    /// Whether `profile` can render this artifact: `conda` needs a prefix to create.
    pub fn applies_to(self, profile: &Profile) -> bool {
        self != Artifact::Conda || profile.env.conda.is_some()
    }

    /// Whether the artifact carries the PBS request (and so needs the account).
    pub fn reaches_qsub(self) -> bool {
        matches!(self, Artifact::Job | Artifact::Interactive)
    }

    /// Whether the artifact runs Dask (and so needs a Python environment).
    pub fn runs_dask(self) -> bool {
        matches!(self, Artifact::Job | Artifact::Start | Artifact::Worker)
    }

    /// Whether the artifact is shell (checked with `bash -n` and shellcheck).
    pub fn is_shell(self) -> bool {
        self != Artifact::Client
    }
}

impl fmt::Display for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Artifact {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Artifact::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Artifact::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown artifact `{s}`; artifacts: {}, all",
                    names.join(", ")
                )
            })
    }
}
