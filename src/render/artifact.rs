//! The artifacts, in one table: every fact about each (its name, template, file name, whether
//! it is a shell script, whether it carries the PBS request and so needs the account, whether
//! it runs Dask and so needs a Python environment, what the profile must have to render it). The enum and `ALL` are generated from the table, so a
//! variant cannot be missing from `ALL`, nor a fact from a variant.

use std::fmt;

use crate::profile::Needs;
use crate::profile::model::Profile;

/// What a profile must have before an artifact can be rendered from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `env.conda`: the prefix `conda create` makes.
    CondaPrefix,
}

impl Precondition {
    pub fn holds(self, profile: &Profile) -> bool {
        match self {
            Precondition::CondaPrefix => profile.env.conda.is_some(),
        }
    }

    /// Why the artifact cannot be rendered, and how to fix it.
    pub fn message(self) -> &'static str {
        match self {
            Precondition::CondaPrefix => {
                "the profile sets no env.conda prefix to create: pass --env PATH or set env.conda"
            }
        }
    }
}

/// The facts of one artifact.
#[derive(Debug)]
pub struct Facts {
    /// The `gen` argument.
    pub name: &'static str,
    /// What `gen --help` says of it.
    pub help: &'static str,
    pub template: &'static str,
    /// The file name `gen all --out-dir` writes.
    pub file_name: &'static str,
    /// A bash script (checked with `bash -n` and shellcheck), as opposed to Python.
    pub shell: bool,
    /// Carries the PBS request to qsub, so a site's account is required.
    pub needs_account: bool,
    /// Runs Dask, so the profile must name a Python environment (env.conda or env.venv).
    pub needs_environment: bool,
    pub requires: Option<Precondition>,
}

macro_rules! artifacts {
    ($($variant:ident => $facts:expr),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Artifact {
            $($variant),+
        }

        impl Artifact {
            /// Every artifact, in the order `gen all` writes them.
            pub const ALL: &'static [Artifact] = &[$(Artifact::$variant),+];

            pub fn facts(self) -> &'static Facts {
                match self {
                    $(Artifact::$variant => {
                        const FACTS: Facts = $facts;
                        &FACTS
                    })+
                }
            }
        }
    };
}

artifacts! {
    Job => Facts {
        name: "job",
        help: "the PBS batch job (the default)",
        template: "job.sh.j2",
        file_name: "job.sh",
        shell: true,
        needs_account: true,
        needs_environment: true,
        requires: None,
    },
    Workers => Facts {
        name: "workers",
        help: "a PBS job of workers that join a running cluster (--join PATH)",
        template: "workers.sh.j2",
        file_name: "workers.sh",
        shell: true,
        needs_account: true,
        needs_environment: true,
        requires: None,
    },
    Start => Facts {
        name: "start",
        help: "starts the cluster inside an interactive job",
        template: "dask_start.sh.j2",
        file_name: "dask_start.sh",
        shell: true,
        needs_account: false,
        needs_environment: true,
        requires: None,
    },
    Worker => Facts {
        name: "worker",
        help: "the per-rank worker wrapper",
        template: "dask_start_worker.sh.j2",
        file_name: "dask_start_worker.sh",
        shell: true,
        needs_account: false,
        needs_environment: true,
        requires: None,
    },
    Conda => Facts {
        name: "conda",
        help: "creates the conda environment (needs env.conda)",
        template: "conda_create.sh.j2",
        file_name: "conda_create.sh",
        shell: true,
        needs_account: false,
        needs_environment: false,
        requires: Some(Precondition::CondaPrefix),
    },
    Interactive => Facts {
        name: "interactive",
        help: "the `qsub -I` line for an interactive job",
        template: "interactive.j2",
        file_name: "qsub_interactive.sh",
        shell: true,
        needs_account: true,
        needs_environment: false,
        requires: None,
    },
    Client => Facts {
        name: "client",
        help: "a Python client that lists the workers",
        template: "dask_client.py.j2",
        file_name: "dask_client.py",
        shell: false,
        needs_account: false,
        needs_environment: false,
        requires: None,
    },
}

impl Artifact {
    pub fn name(self) -> &'static str {
        self.facts().name
    }

    pub fn template(self) -> &'static str {
        self.facts().template
    }

    pub fn file_name(self) -> &'static str {
        self.facts().file_name
    }

    pub fn is_shell(self) -> bool {
        self.facts().shell
    }

    pub fn needs_account(self) -> bool {
        self.facts().needs_account
    }

    /// The unmet precondition that keeps `profile` from rendering this artifact, if any.
    pub fn unmet(self, profile: &Profile) -> Option<Precondition> {
        self.facts().requires.filter(|p| !p.holds(profile))
    }

    /// What rendering `artifacts` needs of the profile (the one place this is decided).
    pub fn needs(artifacts: &[Artifact]) -> Needs {
        Needs {
            account: artifacts.iter().any(|a| a.facts().needs_account),
            environment: artifacts.iter().any(|a| a.facts().needs_environment),
        }
    }
}

impl fmt::Display for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `gen`'s argument: one artifact, or `all` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenTarget {
    One(Artifact),
    All,
}

impl GenTarget {
    pub fn artifacts(self) -> Vec<Artifact> {
        match self {
            GenTarget::One(a) => vec![a],
            GenTarget::All => Artifact::ALL.to_vec(),
        }
    }
}

impl clap::ValueEnum for GenTarget {
    fn value_variants<'a>() -> &'a [Self] {
        static TARGETS: std::sync::LazyLock<Vec<GenTarget>> = std::sync::LazyLock::new(|| {
            let mut targets: Vec<GenTarget> =
                Artifact::ALL.iter().copied().map(GenTarget::One).collect();
            targets.push(GenTarget::All);
            targets
        });
        &TARGETS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(match self {
            GenTarget::One(a) => clap::builder::PossibleValue::new(a.name()).help(a.facts().help),
            GenTarget::All => clap::builder::PossibleValue::new("all")
                .help("every artifact, each in its own file of --out-dir"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_file_names_are_unique() {
        for (i, a) in Artifact::ALL.iter().enumerate() {
            for b in &Artifact::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.file_name(), b.file_name());
                assert_ne!(a.template(), b.template());
            }
        }
        assert!(Artifact::ALL.iter().all(|a| a.name() != "all"));
    }
}
