//! The one error type of dask-pbs and the exit code each kind maps to.
//!
//! Every error carries a `Code`: which of the crate's messages it is. The code fixes the exit
//! code: input the user can fix (exit 2: usage, profile, validation, template) or everything
//! else (exit 1: I/O, a command that failed). tests/errors.rs runs a case for every code.

use std::fmt;

/// Declares `Code` and `Code::ALL` together, so the list cannot miss a variant.
macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $name:ident = $kebab:literal,)+) => {
        /// Every user-facing error and validation problem dask-pbs can give, one variant per
        /// message (template). `DASK_PBS_ERROR_CODES=1` shows the name before each line.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[doc = $doc])+ $name,)+
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)+];

            /// The stable kebab-case name shown with `DASK_PBS_ERROR_CODES=1`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$name => $kebab,)+
                }
            }
        }
    };
}

codes! {
    /// Not yet given a code of its own: input the user can fix (being split, issue 25).
    Input = "input",
    /// Not yet given a code of its own: a failure outside the input (being split, issue 25).
    Failure = "failure",
    /// Not yet given a code of its own: a validation problem (being split, issue 25).
    Invalid = "invalid",
    /// A profile failed validation; each problem below carries its own code.
    InvalidProfile = "invalid-profile",
}

impl Code {
    /// 2 for input the user can fix (usage, profile, validation, template), 1 for a failure
    /// outside the input (I/O, a command that failed).
    pub fn exit_code(self) -> i32 {
        match self {
            Code::Input | Code::Invalid | Code::InvalidProfile => 2,
            Code::Failure => 1,
        }
    }
}

/// An error: which case it is (`code`, which fixes the exit code) and the text for the user.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    /// The error `code`; `message` says what, where and how to fix it.
    pub fn new(code: Code, message: impl fmt::Display) -> Self {
        Error {
            code,
            message: message.to_string(),
        }
    }

    /// An I/O error on `path`, with what we were doing.
    pub fn io(code: Code, action: &str, path: impl fmt::Display, err: std::io::Error) -> Self {
        Error::new(code, format!("cannot {action} {path}: {err}"))
    }

    pub fn exit_code(&self) -> i32 {
        self.code.exit_code()
    }
}

/// Whether `DASK_PBS_ERROR_CODES` asks for each error line to carry its code's name.
pub fn show_codes() -> bool {
    std::env::var_os("DASK_PBS_ERROR_CODES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `[name] ` when codes are shown, else nothing.
pub fn tag(code: Code) -> String {
    if show_codes() {
        format!("[{}] ", code.name())
    } else {
        String::new()
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
