//! `dask-pbs submit`: render the job into the working directory and hand it to qsub.

use crate::cli::SubmitArgs;
use crate::error::Error;
use crate::output::{self, Output};
use crate::quote;
use crate::render::artifact::Artifact;

use super::{Note, Outcome, Session};

pub(super) fn submit(args: &SubmitArgs) -> Result<Outcome, Error> {
    let session = Session::load(&args.profile, &[Artifact::Job])?;
    let text = session.renderer().render(Artifact::Job, &session.ctx)?;
    let loaded = &session.loaded;
    let cwd = output::working_dir()?;
    // One file per job name, rewritten by each submit: it is what qsub gets.
    let script = cwd.join(format!("{}.dask-pbs.sh", loaded.profile.job.name));
    let qsub = super::pbs::tool("qsub");
    let command = quote::join([qsub.as_str(), script.as_str()]).map_err(Error::input)?;
    // The charge goes to stderr: stdout is the command (--dry-run) or the job id first.
    let (charge, charge_notes) = super::charges::shown(&loaded.profile);
    let charge_notes: Vec<Note> = charge
        .map(Note::Info)
        .into_iter()
        .chain(charge_notes)
        .collect();
    if args.dry_run {
        let mut outcome = Outcome::of(format!("{command}\n"), loaded);
        outcome.notes.extend(charge_notes);
        return Ok(outcome);
    }
    output::write_all(
        &[Output {
            path: script.clone(),
            text,
            executable: true,
        }],
        true,
    )?;
    let job_id = super::pbs::qsub(&script, &cwd)?;
    let job_dir = cwd.join(format!("dask-pbs.{job_id}"));
    super::cluster::record(&session, &job_id, &job_dir)?;
    let security = crate::render::security::Security::new(&loaded.profile);
    let config = if security.tls {
        let dir = quote::quote(job_dir.join(security.config_dir).as_str())
            .map_err(|e| Error::input(e.to_string()))?;
        format!(
            "in the shell, before Python (the cluster accepts only this job's certificate):\n    export DASK_CONFIG={dir}\n"
        )
    } else {
        String::new()
    };
    let text = format!(
        "{job_id}\n\
         job script:     {script}\n\
         scheduler file: {job_dir}/scheduler.json (once the job runs)\n\
         logs:           {job_dir}/logs/\n\
         {config}\
         connect from Python:\n    \
         from dask.distributed import Client\n    \
         client = Client(scheduler_file={:?})\n",
        format!("{job_dir}/scheduler.json")
    );
    let mut outcome = Outcome::of(text, loaded);
    outcome.notes.extend(charge_notes);
    Ok(outcome)
}
