//! Paths a compute node reads: the job runs there, from another working directory (PBS
//! starts it in `$HOME`, the job moves to the submit directory, each worker has its own), so
//! a relative path names another place there than it does here.

use crate::error::{Code, Error};

/// Whether `path` names one place wherever it is read: absolute, or starting with a variable
/// the node expands (`$TMPDIR`, `${PBS_JOBFS}`), or with `~/` where `tilde` (the job expands
/// a leading `~/` of env.conda, env.venv and env.tmpdir to `$HOME/`).
pub(super) fn is_anchored(path: &str, tilde: bool) -> bool {
    path.starts_with('/')
        || path.starts_with('$')
        || (tilde && (path == "~" || path.starts_with("~/")))
}

/// The refusal of a relative `path`; `instead` says how else to give it.
pub(super) fn relative_problem(path: &str, instead: &str) -> Error {
    Error::new(
        Code::RelativePath,
        format!(
            "`{}` is a relative path, which the compute node resolves from another directory than this one; give an absolute path{instead}",
            path.escape_debug()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_and_variables_are_anchored() {
        for path in ["/glade/u/env", "$HOME/env", "${PBS_JOBFS}/w"] {
            assert!(is_anchored(path, false), "{path}");
        }
        assert!(is_anchored("~/envs/dask", true));
        assert!(
            !is_anchored("~/envs/dask", false),
            "a leading ~ the worker does not expand"
        );
        for path in ["envs/dask", "./env", "../env", "env", ""] {
            assert!(!is_anchored(path, true), "{path}");
        }
    }
}
