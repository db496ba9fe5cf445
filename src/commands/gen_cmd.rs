//! `dask-pbs gen` and `dask-pbs render`.

use crate::cli::{GenArgs, RenderArgs};
use crate::error::Error;
use crate::output::{self, Output};
use crate::profile::Needs;
use crate::render::{self, artifact::Artifact};

use super::{Note, Outcome, context, load, load_for};

/// Renders the asked artifacts; returns what goes to stdout (empty when writing files) and
/// a note per file written or artifact skipped.
pub fn gen_artifacts(args: &GenArgs) -> Result<Outcome, Error> {
    let all = args.artifact == "all";
    let artifacts: Vec<Artifact> = if all {
        Artifact::ALL.to_vec()
    } else {
        vec![args.artifact.parse().map_err(Error::input)?]
    };
    if all && args.out_dir.is_none() {
        return Err(Error::input(
            "`gen all` writes several files: give --out-dir DIR",
        ));
    }
    if !all && args.out_dir.is_some() {
        return Err(Error::input(
            "--out-dir is for `gen all`; for one artifact use -o FILE",
        ));
    }
    let needs = Needs {
        account: artifacts.iter().any(|a| a.reaches_qsub()),
        environment: artifacts.iter().any(|a| a.runs_dask()),
    };
    let (places, loaded) = load_for(&args.profile, needs)?;
    let ctx = context(&args.profile, &loaded);
    let env = render::environment(&places.templates);

    let mut outcome = Outcome::of("", &loaded);
    let mut rendered = Vec::new();
    for artifact in &artifacts {
        if !artifact.applies_to(&loaded.profile) {
            if all {
                outcome.notes.push(Note::Info(
                    "skipping conda_create.sh: the profile sets no env.conda prefix (pass --env PATH)".into(),
                ));
                continue;
            }
            return Err(Error::input(
                "the conda artifact needs env.conda, the prefix to create: pass --env PATH or set env.conda",
            ));
        }
        rendered.push((
            *artifact,
            render::render(&env, &places.templates, *artifact, &ctx)?,
        ));
    }

    if let Some(dir) = &args.out_dir {
        if output::is_non_empty_dir(dir) && !args.force {
            return Err(Error::input(format!(
                "{dir} is not empty; pass --force to write into it"
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        let outputs: Vec<Output> = rendered
            .into_iter()
            .map(|(a, text)| Output {
                path: dir.join(a.file_name()),
                text,
                executable: true,
            })
            .collect();
        output::write_all(&outputs, args.force)?;
        for o in &outputs {
            outcome.notes.push(Note::Info(format!("wrote {}", o.path)));
        }
        return Ok(outcome);
    }
    let (_, text) = rendered
        .pop()
        .ok_or_else(|| Error::failure("nothing was rendered"))?;
    if let Some(path) = &args.output {
        output::write_all(
            &[Output {
                path: path.clone(),
                text,
                executable: true,
            }],
            args.force,
        )?;
        outcome.notes.push(Note::Info(format!("wrote {path}")));
        return Ok(outcome);
    }
    outcome.stdout = text;
    Ok(outcome)
}

pub fn render_user_template(args: &RenderArgs) -> Result<Outcome, Error> {
    let (places, loaded) = load(&args.profile)?;
    let ctx = context(&args.profile, &loaded);
    let env = render::environment(&places.templates);
    let text = render::render_file(&env, &places.templates, &args.template, &ctx)?;
    if let Some(path) = &args.output {
        let executable = text.starts_with("#!");
        output::write_all(
            &[Output {
                path: path.clone(),
                text,
                executable,
            }],
            args.force,
        )?;
        return Ok(Outcome::of("", &loaded));
    }
    Ok(Outcome::of(text, &loaded))
}
