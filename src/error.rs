//! The one error type of dask-pbs and the exit code each kind maps to.
//!
//! Two kinds matter to a user: input they can fix (exit 2: usage, profile, validation,
//! template) and everything else (exit 1: I/O, a command that failed).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The user's input is wrong: a profile, a flag, a template. Exit code 2.
    Input,
    /// Something outside the input failed: a file system error, a command. Exit code 1.
    Failure,
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            message: message.into(),
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Failure,
            message: message.into(),
        }
    }

    /// An I/O error on `path`, with what we were doing.
    pub fn io(action: &str, path: impl fmt::Display, err: std::io::Error) -> Self {
        Error::failure(format!("cannot {action} {path}: {err}"))
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Input => 2,
            Kind::Failure => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// "did you mean `x`?" for a name that is close to one of `candidates`.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(
            did_you_mean("selct", ["queue", "select", "account"]),
            Some("select")
        );
        assert_eq!(did_you_mean("zzz", ["queue", "select"]), None);
    }
}
