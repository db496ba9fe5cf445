//! `dask-pbs verify DIR [--update]`: for users' CI. Every profile in DIR must be valid and
//! render exactly the artifacts stored in DIR/expected/PROFILE/.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::VerifyArgs;
use crate::config::Places;
use crate::error::Error;
use crate::output::{self, Output};
use crate::profile::Needs;
use crate::profile::overrides::OverrideArgs;
use crate::render::{self, artifact::Artifact, context::Context};

use super::{Outcome, process_env, resolve};

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

pub fn verify(args: &VerifyArgs) -> Result<Outcome, Error> {
    let dir = &args.dir;
    let mut profile_dirs = vec![dir.clone()];
    profile_dirs.extend(args.places.profile_dirs.iter().cloned());
    let places = Places::new(&profile_dirs, &args.places.template_dirs, &process_env);
    let env = render::environment(&places.templates);
    let overrides = OverrideArgs::default();

    let mut outcome = Outcome::default();
    let mut outputs: Vec<Output> = Vec::new();
    let mut report = String::new();
    let (mut checked, mut differ) = (0usize, 0usize);
    for file in profile_files(dir)? {
        let loaded = resolve(&places, file.as_str(), &overrides, Needs::ALL)?;
        outcome.warn(&loaded);
        let name = loaded.profile.name.clone();
        let ctx = Context::new(loaded.profile, &[]);
        for artifact in Artifact::ALL {
            if !artifact.applies_to(&ctx.profile) {
                continue;
            }
            let text = render::render(&env, &places.templates, artifact, &ctx)?;
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
        outcome.stdout = format!(
            "verify: {checked} artifact(s) checked, {} updated\n",
            outputs.len()
        );
        return Ok(outcome);
    }
    if differ > 0 {
        // The diff is the output; the summary is the error it ends with.
        outcome.stdout = report;
        outcome.error = Some(Error::failure(format!(
            "verify: {differ} of {checked} artifact(s) differ from {dir}/expected (run with --update to accept them)"
        )));
        return Ok(outcome);
    }
    outcome.stdout = format!("verify: {checked} artifact(s) match\n");
    Ok(outcome)
}
