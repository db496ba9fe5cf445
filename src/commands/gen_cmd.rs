//! `dask-pbs gen` and `dask-pbs render`.

use crate::cli::{GenArgs, RenderArgs};
use crate::error::Error;
use crate::output::{self, Output};
use crate::render::artifact::{Artifact, GenTarget};

use super::Session;

/// Renders the asked artifacts; returns what goes to stdout (empty when writing files).
pub fn gen_artifacts(args: &GenArgs) -> Result<String, Error> {
    let all = args.artifact == GenTarget::All;
    // Clap requires --out-dir with `all`; this is the other direction.
    if !all && args.out_dir.is_some() {
        return Err(Error::input(
            "--out-dir is for `gen all`; for one artifact use -o FILE",
        ));
    }
    let artifacts = args.artifact.artifacts();
    let session = Session::load(&args.profile, &artifacts)?;
    let renderer = session.renderer();

    let mut rendered = Vec::new();
    for artifact in artifacts {
        if let Some(unmet) = artifact.unmet(&session.loaded.profile) {
            if all {
                eprintln!(
                    "dask-pbs: skipping {}: {}",
                    artifact.file_name(),
                    unmet.message()
                );
                continue;
            }
            return Err(Error::input(format!(
                "the {artifact} artifact cannot be rendered: {}",
                unmet.message()
            )));
        }
        rendered.push((artifact, renderer.render(artifact, &session.ctx)?));
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
            eprintln!("dask-pbs: wrote {}", o.path);
        }
        return Ok(String::new());
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
        eprintln!("dask-pbs: wrote {path}");
        return Ok(String::new());
    }
    Ok(text)
}

pub fn render_user_template(args: &RenderArgs) -> Result<String, Error> {
    let session = Session::load(&args.profile, &[Artifact::Job])?;
    let text = session
        .renderer()
        .render_file(&args.template, &session.ctx)?;
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
        return Ok(String::new());
    }
    Ok(text)
}
