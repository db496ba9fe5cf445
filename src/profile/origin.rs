//! Where a value came from: every field of every layer carries one, so errors and
//! `dask-pbs explain` can point at the file and line, the variable or the flag.

use std::fmt;

use camino::Utf8PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// dask-pbs's own defaults, under every profile.
    Defaults,
    /// A profile compiled into the binary.
    Builtin(String),
    /// A profile or defaults file on disk.
    File(Utf8PathBuf),
    /// An environment variable.
    Env(String),
    /// A command-line flag, as the user typed it (`--account`, `--set job.select=4`).
    Flag(String),
}

impl Origin {
    /// The name shown in place of a file name in YAML error snippets.
    pub fn source_name(&self) -> String {
        match self {
            Origin::Defaults => "<dask-pbs defaults>".into(),
            Origin::Builtin(name) => format!("<built-in profile {name}>"),
            Origin::File(path) => path.to_string(),
            Origin::Env(var) => format!("${var}"),
            Origin::Flag(flag) => flag.clone(),
        }
    }

    /// `where` with a position when the origin has lines.
    pub fn at(&self, line: u64, column: u64) -> String {
        match self {
            Origin::File(path) if line > 0 => format!("{path}:{line}:{column}"),
            Origin::Builtin(name) if line > 0 => format!("built-in profile {name}, line {line}"),
            Origin::Defaults if line > 0 => format!("dask-pbs defaults, line {line}"),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Defaults => f.write_str("dask-pbs defaults"),
            Origin::Builtin(name) => write!(f, "built-in profile {name}"),
            Origin::File(path) => write!(f, "{path}"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::Flag(flag) => write!(f, "command-line flag {flag}"),
        }
    }
}
