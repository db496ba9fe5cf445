//! `dask-pbs verify DIR [--update]`: for users' CI. Every profile in DIR must be valid and
//! render exactly the artifacts stored in DIR/expected/PROFILE/.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::VerifyArgs;
use crate::config::Places;
use crate::error::{Code, Error};
use crate::output::{self, Output};
use crate::profile::overrides::OverrideArgs;
use crate::render::{Renderer, artifact::Artifact, context::Context};

use super::{Note, Outcome, process_env};
use crate::profile::{self, Inputs, Loaded, Needs};

/// Profile files directly in `dir`, sorted.
fn profile_files(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    if !dir.is_dir() {
        return Err(Error::new(
            Code::VerifyNotADirectory,
            format!("{dir} is not a directory"),
        ));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry
            .map_err(|e| Error::new(Code::VerifyUnreadable, format!("cannot read {dir}: {e}")))?;
        let Some(path) = Utf8Path::from_path(entry.path()) else {
            continue;
        };
        if entry.file_type().is_file() && matches!(path.extension(), Some("yaml" | "yml")) {
            files.push(path.to_path_buf());
        }
    }
    Ok(files)
}

pub(super) fn verify(args: &VerifyArgs) -> Result<Outcome, Error> {
    let dir = &args.dir;
    let mut profile_dirs = vec![dir.clone()];
    profile_dirs.extend(args.places.profile_dirs.iter().cloned());
    let places = Places::new(&profile_dirs, &args.places.template_dirs, &process_env);
    let mut outcome = Outcome::default();
    let mut found = Found::default();
    for file in profile_files(dir)? {
        let loaded = load_alone(&places, file.as_str())?;
        outcome.warn(&loaded);
        let renderer = Renderer::new(&places.templates.for_profile(&loaded.profile));
        let name = loaded.profile.name.clone();
        let ctx = Context::new(loaded.profile, &name, &[]);
        compare_profile(dir, &renderer, &ctx, &mut found, &mut outcome)?;
    }
    let Found {
        outputs,
        report,
        checked,
    } = found;
    let expected = dir.join("expected");
    if !args.update && !outputs.is_empty() && !expected.exists() {
        // A first run: a diff of every artifact against nothing would only bury the next step.
        outcome.error = Some(Error::new(
            Code::VerifyNoExpected,
            format!(
                "verify: {expected} does not exist yet, so there is nothing to compare the {checked} artifact(s) with: run `dask-pbs verify {dir} --update` once, review and commit {expected}"
            ),
        ));
        return Ok(outcome);
    }
    if args.update {
        for out in &outputs {
            if let Some(parent) = out.path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error::io(Code::CreateDirectory, "create directory", parent, e))?;
            }
        }
        output::write_all(&outputs, true)?;
        outcome.stdout = format!(
            "verify: {checked} artifact(s) checked, {} updated\n",
            outputs.len()
        );
    } else if outputs.is_empty() {
        outcome.stdout = format!("verify: {checked} artifact(s) match\n");
    } else {
        // The diff is the output; the summary is the error it ends with.
        outcome.stdout = report;
        outcome.error = Some(Error::new(
            Code::VerifyDiffers,
            format!(
                "verify: {} of {checked} artifact(s) differ from {dir}/expected (run with --update to accept them)",
                outputs.len()
            ),
        ));
    }
    Ok(outcome)
}

/// A profile of DIR as it stands: no user defaults file, no environment variables (a CI
/// runner's `DASK_PBS_ACCOUNT` or `~/.config` must not change what is compared), and no
/// account or environment required (a site profile in CI may leave both to its users).
fn load_alone(places: &Places, spec: &str) -> Result<Loaded, Error> {
    let inputs = Inputs {
        catalog: &places.catalog,
        user_defaults: None,
        env: &|_| None,
        overrides: &OverrideArgs::default(),
        needs: Needs::NONE,
        defaults_file: None,
    };
    profile::load(spec, &inputs)
}

/// What the comparison found: the files that differ (to write with `--update`), their
/// unified diffs, and how many artifacts were checked.
#[derive(Default)]
struct Found {
    outputs: Vec<Output>,
    report: String,
    checked: usize,
}

/// Renders every artifact of one profile and compares it with DIR/expected/PROFILE/.
fn compare_profile(
    dir: &Utf8Path,
    renderer: &Renderer,
    ctx: &Context,
    found: &mut Found,
    outcome: &mut Outcome,
) -> Result<(), Error> {
    let name = &ctx.profile.name;
    for &artifact in Artifact::ALL {
        if let Some(unmet) = artifact.unmet(&ctx.profile) {
            // Said, not skipped silently: the user sees which file CI does not cover.
            outcome.notes.push(Note::Info(format!(
                "verify: {name}: {} not checked: {}",
                artifact.file_name(),
                unmet.message()
            )));
            continue;
        }
        let text = renderer.render(artifact, ctx)?;
        let path = dir.join("expected").join(name).join(artifact.file_name());
        let stored = std::fs::read_to_string(&path).ok();
        found.checked += 1;
        if stored.as_deref() == Some(text.as_str()) {
            continue;
        }
        let old = stored.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, &text);
        found.report.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(path.as_str(), &format!("{name} ({artifact}, rendered now)"))
                .to_string(),
        );
        found.outputs.push(Output {
            path,
            text,
            executable: true,
        });
    }
    Ok(())
}
