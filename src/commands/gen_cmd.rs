//! `dask-pbs gen` and `dask-pbs render`.

use camino::Utf8Path;

use crate::cli::{GenArgs, RenderArgs};
use crate::error::{Code, Error};
use crate::output::{self, Output};
use crate::render::artifact::{Artifact, GenTarget};

use super::{Note, Outcome, Session};

/// Renders the asked artifacts; returns what goes to stdout (empty when writing files) and
/// a note per file written or artifact skipped.
pub(super) fn gen_artifacts(args: &GenArgs) -> Result<Outcome, Error> {
    let all = args.artifact == GenTarget::All;
    // Clap requires --out-dir with `all`; this is the other direction.
    if !all && args.out_dir.is_some() {
        return Err(Error::new(
            Code::OutDirNotForOne,
            "--out-dir is for `gen all`; for one artifact use -o FILE",
        ));
    }
    let artifacts = args.artifact.artifacts();
    let mut session = Session::load(&args.profile, &artifacts)?;
    if let Some(path) = &args.join {
        if !artifacts.contains(&Artifact::Workers) {
            return Err(Error::new(
                Code::JoinNotForWorkers,
                format!(
                    "--join is for `gen workers` (the job of workers that join a running cluster), not `gen {}`",
                    args.artifact
                        .artifacts()
                        .first()
                        .map_or("all", |a| a.name())
                ),
            ));
        }
        super::join::set(&mut session.ctx, &super::join::head_dir(path)?);
    }
    let mut outcome = Outcome::of("", &session.loaded);
    let mut rendered = render_each(&session, &artifacts, all, &mut outcome)?;
    if let Some(dir) = &args.out_dir {
        write_dir(dir, rendered, args.force, &mut outcome)?;
        return Ok(outcome);
    }
    let (_, text) = rendered
        .pop()
        .ok_or_else(|| Error::new(Code::Internal, "nothing was rendered"))?;
    match &args.output {
        Some(path) => {
            let file = Output {
                path: path.clone(),
                text,
                executable: true,
            };
            output::write_all(&[file], args.force)?;
            outcome.notes.push(Note::Info(format!("wrote {path}")));
        }
        None => outcome.stdout = text,
    }
    Ok(outcome)
}

/// Renders each artifact whose precondition the profile meets; with `all` the others are
/// skipped with a note, otherwise an unmet precondition is the user's to fix.
fn render_each(
    session: &Session,
    artifacts: &[Artifact],
    all: bool,
    outcome: &mut Outcome,
) -> Result<Vec<(Artifact, String)>, Error> {
    let renderer = session.renderer();
    let mut rendered = Vec::new();
    for &artifact in artifacts {
        if let Some(unmet) = artifact.unmet(&session.loaded.profile) {
            if !all {
                return Err(Error::new(
                    Code::ArtifactNotRenderable,
                    format!(
                        "the {artifact} artifact cannot be rendered: {}",
                        unmet.message()
                    ),
                ));
            }
            outcome.notes.push(Note::Info(format!(
                "skipping {}: {}",
                artifact.file_name(),
                unmet.message()
            )));
            continue;
        }
        rendered.push((artifact, renderer.render(artifact, &session.ctx)?));
    }
    Ok(rendered)
}

/// `gen all --out-dir DIR`: every rendered artifact under its file name, all or none.
fn write_dir(
    dir: &Utf8Path,
    rendered: Vec<(Artifact, String)>,
    force: bool,
    outcome: &mut Outcome,
) -> Result<(), Error> {
    if output::is_non_empty_dir(dir) && !force {
        return Err(Error::new(
            Code::OutDirNotEmpty,
            format!("{dir} is not empty; pass --force to write into it"),
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(Code::CreateDirectory, "create directory", dir, e))?;
    let outputs: Vec<Output> = rendered
        .into_iter()
        .map(|(a, text)| Output {
            path: dir.join(a.file_name()),
            text,
            executable: true,
        })
        .collect();
    output::write_all(&outputs, force)?;
    for o in &outputs {
        outcome.notes.push(Note::Info(format!("wrote {}", o.path)));
    }
    Ok(())
}

pub(super) fn render_user_template(args: &RenderArgs) -> Result<Outcome, Error> {
    let session = Session::load(&args.profile, &[Artifact::Job])?;
    let text = session
        .renderer()
        .render_file(&args.template, &session.ctx)?;
    let mut outcome = Outcome::of("", &session.loaded);
    match &args.output {
        Some(path) => {
            let executable = text.starts_with("#!");
            let file = Output {
                path: path.clone(),
                text,
                executable,
            };
            output::write_all(&[file], args.force)?;
        }
        None => outcome.stdout = text,
    }
    Ok(outcome)
}
