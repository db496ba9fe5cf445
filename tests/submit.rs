//! `submit`. There is no PBS server here: a recording `qsub` stands in for it (the only way
//! to see what dask-pbs hands to qsub).

use crate::common::DaskPbs;

fn fake_qsub(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("qsub");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn submit_renders_runs_qsub_and_prints_the_whole_job_id() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("qsub.log");
    let qsub = fake_qsub(
        dir.path(),
        &format!(
            "echo \"$@\" >> {}\necho 12345.sophia-pbs-01.lab.alcf.anl.gov",
            log.display()
        ),
    );
    let run = DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", &qsub)
        .args(["submit", "--profile", "sophia", "-A", "X"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("12345.sophia-pbs-01.lab.alcf.anl.gov\n"),
        "{}",
        run.stdout
    );
    let script = dir.path().join("dask.dask-pbs.sh");
    assert!(
        std::fs::read_to_string(&script)
            .unwrap()
            .contains("#PBS -A X\n")
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        script.to_str().unwrap()
    );
    let job_dir = dir
        .path()
        .join("dask-pbs.12345.sophia-pbs-01.lab.alcf.anl.gov");
    assert!(
        run.stdout
            .contains(&format!("{}/scheduler.json", job_dir.display()))
    );
    assert!(run.stdout.contains("from dask.distributed import Client"));
}

#[test]
fn submit_dry_run_prints_the_qsub_command_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", "/opt/pbs/bin/qsub")
        .args(["submit", "--profile", "sophia", "-A", "X", "--dry-run"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "/opt/pbs/bin/qsub {}/dask.dask-pbs.sh\n",
            dir.path().display()
        )
    );
    assert!(
        run.stderr
            .contains("dry run: nothing written or submitted; without --dry-run, submit writes"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_failing_qsub_reaches_the_user_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let qsub = fake_qsub(
        dir.path(),
        "echo 'qsub: Job violates queue and/or server resource limits' >&2\nexit 188",
    );
    let run = DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", &qsub)
        .args(["submit", "--profile", "sophia", "-A", "X"])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("qsub: Job violates queue and/or server resource limits"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("exit 188"));
}
