//! `dask-pbs verify DIR [--update]`: for users' CI. Every profile in DIR must be valid and
//! render exactly the artifacts stored in DIR/expected/PROFILE/.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::VerifyArgs;
use crate::config::Places;
use crate::error::Error;
use crate::output::{self, Output};
use crate::profile::overrides::Overrides;
use crate::render::{Renderer, artifact::Artifact, context::Context};

use super::{process_env, resolve_for};

/// Profile files directly in `dir`, sorted.
fn profile_files(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    if !dir.is_dir() {
        return Err(Error::input(format!("{dir} is not a directory")));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| Error::failure(format!("cannot read {dir}: {e}")))?;
        let Some(path) = Utf8Path::from_path(entry.path()) else {
            continue;
        };
        if entry.file_type().is_file() && matches!(path.extension(), Some("yaml" | "yml")) {
            files.push(path.to_path_buf());
        }
    }
    Ok(files)
}

pub fn verify(args: &VerifyArgs) -> Result<String, Error> {
    let dir = &args.dir;
    let mut profile_dirs = vec![dir.clone()];
    profile_dirs.extend(args.places.profile_dirs.iter().cloned());
    let places = Places::new(&profile_dirs, &args.places.template_dirs, &process_env);
    let renderer = Renderer::new(&places.templates);
    let overrides = Overrides::default();

    let mut outputs: Vec<Output> = Vec::new();
    let mut report = String::new();
    let mut notes = String::new();
    let (mut checked, mut differ) = (0usize, 0usize);
    for file in profile_files(dir)? {
        let loaded = resolve_for(&places, file.as_str(), &overrides, Artifact::ALL)?;
        let name = loaded.profile.name.clone();
        let ctx = Context::new(loaded.profile, &[]);
        for &artifact in Artifact::ALL {
            if let Some(unmet) = artifact.unmet(&ctx.profile) {
                // Said, not skipped silently: the user sees which file CI does not cover.
                notes.push_str(&format!(
                    "verify: {name}: {} not checked: {}\n",
                    artifact.file_name(),
                    unmet.message()
                ));
                continue;
            }
            let text = renderer.render(artifact, &ctx)?;
            let path = dir.join("expected").join(&name).join(artifact.file_name());
            let stored = std::fs::read_to_string(&path).ok();
            checked += 1;
            if stored.as_deref() == Some(text.as_str()) {
                continue;
            }
            differ += 1;
            let old = stored.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &text);
            report.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(path.as_str(), &format!("{name} ({artifact}, rendered now)"))
                    .to_string(),
            );
            outputs.push(Output {
                path,
                text,
                executable: true,
            });
        }
    }
    if args.update {
        for out in &outputs {
            if let Some(parent) = out.path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io("create directory", parent, e))?;
            }
        }
        output::write_all(&outputs, true)?;
        return Ok(format!(
            "{notes}verify: {checked} artifact(s) checked, {} updated\n",
            outputs.len()
        ));
    }
    if differ > 0 {
        print!("{report}{notes}");
        return Err(Error::failure(format!(
            "verify: {differ} of {checked} artifact(s) differ from {dir}/expected (run with --update to accept them)"
        )));
    }
    Ok(format!("{notes}verify: {checked} artifact(s) match\n"))
}
