//! `dask-pbs submit`: render the job into the working directory and hand it to qsub.

use camino::Utf8Path;

use crate::cli::SubmitArgs;
use crate::error::{Code, Error};
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
    let command =
        quote::join([qsub.as_str(), script.as_str()]).map_err(|e| Error::new(Code::Internal, e))?;
    // The charge goes to stderr: stdout is the command (--dry-run) or the job id first.
    let (charge, charge_notes) = charge_lines(&loaded.profile);
    if args.dry_run {
        let mut outcome = Outcome::of(format!("{command}\n"), loaded);
        outcome.notes.extend(charge_notes);
        outcome.notes.push(Note::Info(format!(
            "dry run: nothing written or submitted; without --dry-run, submit writes {script} and runs the line above"
        )));
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
    if args.json {
        let mut outcome = Outcome::of(
            json(&session, &job_id, &job_dir, &script, &security, charge),
            loaded,
        );
        outcome.notes.extend(charge_notes);
        return Ok(outcome);
    }
    let text = report(&job_id, &script, &job_dir, &security)?;
    let mut outcome = Outcome::of(text, loaded);
    outcome.notes.extend(charge_notes);
    Ok(outcome)
}

/// The charge line (for --json too) and the notes that show it with its warnings.
fn charge_lines(profile: &crate::profile::model::Profile) -> (Option<String>, Vec<Note>) {
    let (charge, warnings) = super::charges::shown(profile);
    let notes = charge
        .clone()
        .map(Note::Info)
        .into_iter()
        .chain(warnings)
        .collect();
    (charge, notes)
}

/// What `submit` prints: the job id first, where its files will be, and how to connect.
fn report(
    job_id: &str,
    script: &Utf8Path,
    job_dir: &Utf8Path,
    security: &crate::render::security::Security,
) -> Result<String, Error> {
    let config = if security.tls {
        let dir = quote::quote(job_dir.join(security.config_dir).as_str())
            .map_err(|e| Error::new(Code::Internal, e.to_string()))?;
        format!(
            "in the shell, before Python (the cluster accepts only this job's certificate):\n    export DASK_CONFIG={dir}\n"
        )
    } else {
        String::new()
    };
    Ok(format!(
        "{job_id}\n\
         job script:     {script}\n\
         scheduler file: {job_dir}/scheduler.json (once the job runs)\n\
         logs:           {job_dir}/logs/\n\
         {config}\
         connect from Python:\n    \
         from dask.distributed import Client\n    \
         client = Client(scheduler_file={:?})\n",
        format!("{job_dir}/scheduler.json")
    ))
}

/// What `submit --json` prints: the job, where its files will be, and its certificates.
fn json(
    session: &Session,
    job_id: &str,
    job_dir: &Utf8Path,
    script: &Utf8Path,
    security: &crate::render::security::Security,
    charge: Option<String>,
) -> String {
    let tls = security.tls.then(|| {
        serde_json::json!({
            "ca_file": job_dir.join(security.ca_file),
            "cert": job_dir.join(security.cert_file),
            "key": job_dir.join(security.key_file),
        })
    });
    let value = serde_json::json!({
        "job_id": job_id,
        "name": session.loaded.profile.job.name,
        "profile": session.loaded.profile.name,
        "job_dir": job_dir,
        "script": script,
        "scheduler_file": job_dir.join("scheduler.json"),
        "logs": job_dir.join("logs"),
        "expected_workers": session.ctx.plan.expected_workers,
        "tls": tls,
        "dask_config": security.tls.then(|| job_dir.join(security.config_dir)),
        "charge": charge,
    });
    format!("{value}\n")
}
