//! `dask-pbs submit`: render the job into the working directory and hand it to qsub.

use camino::Utf8Path;

use crate::cli::SubmitArgs;
use crate::error::Error;
use crate::output::{self, Output};
use crate::quote;
use crate::render::artifact::Artifact;

use super::{Outcome, Session};

pub(super) fn submit(args: &SubmitArgs) -> Result<Outcome, Error> {
    let session = Session::load(&args.profile, &[Artifact::Job])?;
    let text = session.renderer().render(Artifact::Job, &session.ctx)?;
    let loaded = &session.loaded;
    let cwd = output::working_dir()?;
    // One file per job name, rewritten by each submit: it is what qsub gets.
    let script = cwd.join(format!("{}.dask-pbs.sh", loaded.profile.job.name));
    let qsub = super::pbs::tool("qsub");
    let command = quote::join([qsub.as_str(), script.as_str()]).map_err(Error::input)?;
    if args.dry_run {
        return Ok(Outcome::of(format!("{command}\n"), loaded));
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
        return Ok(Outcome::of(
            json(&session, &job_id, &job_dir, &script, &security),
            loaded,
        ));
    }
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
    Ok(Outcome::of(text, loaded))
}

/// What `submit --json` prints: the job, where its files will be, and its certificates.
fn json(
    session: &Session,
    job_id: &str,
    job_dir: &Utf8Path,
    script: &Utf8Path,
    security: &crate::render::security::Security,
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
    });
    format!("{value}\n")
}
