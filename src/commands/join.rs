//! `--join PATH`: the running cluster a worker job joins, as its head job's directory.

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Code, Error};
use crate::output;
use crate::render::context::Context;

/// The head job's directory named by `path` (the directory, or the `scheduler.json` in it),
/// absolute: the worker job starts in its own working directory, maybe another one.
pub(crate) fn head_dir(path: &Utf8Path) -> Result<Utf8PathBuf, Error> {
    if path.as_str().is_empty() {
        return Err(Error::new(
            Code::JoinEmpty,
            "--join needs a path: the head job's directory (dask-pbs.JOBID) or its scheduler.json",
        ));
    }
    let dir = if path.file_name() == Some("scheduler.json") {
        path.parent().unwrap_or(Utf8Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    if dir.is_absolute() {
        return Ok(dir);
    }
    let cwd = output::working_dir()?;
    let joined = cwd.join(&dir);
    // `./x` and `x/.` name the same directory; keep the text the user would recognise.
    Ok(joined
        .components()
        .filter(|c| !matches!(c, camino::Utf8Component::CurDir))
        .collect())
}

/// Puts the head directory into the context, and `--join` into its "regenerate with" line.
pub(crate) fn set(ctx: &mut Context, dir: &Utf8Path) {
    ctx.join = Some(dir.to_string());
    ctx.regenerate_args
        .extend(["--join".to_string(), dir.to_string()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduler_file_names_its_directory() {
        assert_eq!(
            head_dir(Utf8Path::new("/w/dask-pbs.12.srv/scheduler.json")).unwrap(),
            "/w/dask-pbs.12.srv"
        );
        assert_eq!(
            head_dir(Utf8Path::new("/w/dask-pbs.12.srv")).unwrap(),
            "/w/dask-pbs.12.srv"
        );
        let relative = head_dir(Utf8Path::new("./dask-pbs.12.srv")).unwrap();
        assert!(relative.is_absolute() && relative.ends_with("dask-pbs.12.srv"));
        assert!(!relative.as_str().contains("/./"), "{relative}");
        assert!(head_dir(Utf8Path::new("")).is_err());
    }
}
