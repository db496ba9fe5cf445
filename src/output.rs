//! Writing artifacts: atomically (temp file in the same directory, then rename), never over
//! an existing file without `--force`, never through a symlink to another file.

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Code, Error};

/// One file to write.
pub(crate) struct Output {
    pub path: Utf8PathBuf,
    pub text: String,
    pub executable: bool,
}

/// Whether something (a file, a link, even a dangling one) is at `path`.
fn occupied(path: &Utf8Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Checks every target before anything is written, so a refusal writes nothing.
pub(crate) fn check_targets(outputs: &[Output], force: bool) -> Result<(), Error> {
    for out in outputs {
        if let Ok(meta) = std::fs::symlink_metadata(&out.path) {
            if meta.is_dir() {
                return Err(Error::new(
                    Code::OutputIsDirectory,
                    format!("{} is a directory; give a file name", out.path),
                ));
            }
            if !force {
                return Err(exists(&out.path));
            }
        }
    }
    Ok(())
}

/// Writes every output; each lands whole or not at all. A symlink at the target is replaced
/// by the file (the rename acts on the link), so the file it pointed to is never touched.
pub(crate) fn write_all(outputs: &[Output], force: bool) -> Result<(), Error> {
    check_targets(outputs, force)?;
    for out in outputs {
        write_one(out, force)?;
    }
    Ok(())
}

fn write_one(out: &Output, force: bool) -> Result<(), Error> {
    let dir = match out.path.parent() {
        Some(p) if !p.as_str().is_empty() => p.to_path_buf(),
        _ => Utf8PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".dask-pbs-")
        .tempfile_in(&dir)
        .map_err(|e| Error::io(Code::WriteOutput, "create a file in", &dir, e))?;
    tmp.write_all(out.text.as_bytes())
        .map_err(|e| Error::io(Code::WriteOutput, "write", &out.path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(Code::WriteOutput, "write", &out.path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if out.executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(Code::WriteOutput, "set permissions of", &out.path, e))?;
    }
    let result = if force {
        tmp.persist(&out.path).map(|_| ())
    } else {
        tmp.persist_noclobber(&out.path).map(|_| ())
    };
    result.map_err(|e| {
        if !force && occupied(&out.path) {
            exists(&out.path)
        } else {
            Error::io(Code::WriteOutput, "write", &out.path, e.error)
        }
    })
}

/// Whether a directory has entries (for `gen all --out-dir` without `--force`).
pub(crate) fn is_non_empty_dir(dir: &Utf8Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
}

/// A file in the way of one to write, without --force: checked first, and again at the
/// rename (something may have appeared meanwhile).
fn exists(path: &Utf8Path) -> Error {
    Error::new(
        Code::OutputExists,
        format!("{path} exists; pass --force to overwrite it"),
    )
}

/// The working directory, as the UTF-8 path every path of dask-pbs is.
pub(crate) fn working_dir() -> Result<Utf8PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(
            Code::WorkingDirUnreadable,
            format!("cannot read the working directory: {e}"),
        )
    })?;
    Utf8PathBuf::from_path_buf(cwd).map_err(|p| {
        Error::new(
            Code::WorkingDirNotUtf8,
            format!("the working directory {} is not UTF-8", p.display()),
        )
    })
}
