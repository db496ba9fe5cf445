//! The start-up path of the worker wrapper, run by bash with a stand-in `dask`: what it does
//! before the worker's own start-up, which the floor (a bare `dask worker`) does not pay.

use crate::common;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// The wrapper execs the worker at once, before the scheduler has written its file: the
/// worker waits for the file itself (`--scheduler-file`, bounded by `--death-timeout`), so
/// its Python start-up overlaps the scheduler's. Its log gives the start-up times from the
/// job's start (DASK_PBS_T0 of env.sh).
#[test]
fn the_worker_wrapper_execs_the_worker_without_waiting_for_the_scheduler_file() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("dask_start_worker.sh");
    let text = common::ok(&[
        "gen",
        "worker",
        "--profile",
        "pbs-cpu",
        "--set",
        "dask.security=none",
        "--set",
        "dask.startup_timeout=30",
    ]);
    std::fs::write(&wrapper, text).unwrap();
    let job_dir = dir.path().join("job");
    std::fs::create_dir_all(job_dir.join("logs")).unwrap();
    // A stand-in `dask` that notes its arguments; no scheduler file is ever written.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let dask = bin.join("dask");
    std::fs::write(&dask, "#!/bin/bash\necho \"dask $*\"\n").unwrap();
    std::fs::set_permissions(&dask, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        job_dir.join("env.sh"),
        format!(
            "export PATH={}:/usr/bin:/bin\nexport DASK_PBS_T0=1000000\n",
            bin.display()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["10", "bash"])
        .arg(&wrapper)
        .arg(&job_dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOSTNAME", "node1")
        .env("OMPI_COMM_WORLD_LOCAL_RANK", "1")
        .output()
        .unwrap();
    let log = std::fs::read_to_string(job_dir.join("logs/worker.node1.1.log")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(started.elapsed() < Duration::from_secs(5), "{log}");
    let scheduler_file = job_dir.join("scheduler.json");
    assert!(
        log.contains(&format!(
            "dask worker --scheduler-file {} --name node1-1 ",
            scheduler_file.display()
        )),
        "{log}"
    );
    assert!(!scheduler_file.exists());
    // DASK_PBS_T0 is one second after the epoch: the time is "since the job started".
    let line = log
        .lines()
        .find(|l| l.starts_with("dask-pbs: rank 1 on node1, starting the worker at "))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.ends_with(" s since the job started"), "{line}");
}
