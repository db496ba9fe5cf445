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
    /// Input the user can fix; `message` is any error or text that says what and how.
    pub fn input(message: impl fmt::Display) -> Self {
        Error {
            kind: Kind::Input,
            message: message.to_string(),
        }
    }

    pub fn failure(message: impl fmt::Display) -> Self {
        Error {
            kind: Kind::Failure,
            message: message.to_string(),
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

/// A close known name for a mistyped one; shows as "did you mean `x`?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion(String);

impl Suggestion {
    /// The candidate closest to `input`, when one is close enough to be a likely typo.
    pub fn for_name<'a>(
        input: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<Self> {
        candidates
            .into_iter()
            .map(|c| (strsim::jaro_winkler(input, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| Suggestion(c.to_string()))
    }

    /// The suggested name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "did you mean `{}`?", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        let hint = Suggestion::for_name("selct", ["queue", "select", "account"]);
        assert_eq!(hint.as_ref().map(Suggestion::name), Some("select"));
        assert_eq!(hint.unwrap().to_string(), "did you mean `select`?");
        assert_eq!(Suggestion::for_name("zzz", ["queue", "select"]), None);
    }
}
