//! `import-jobqueue`: a dask-jobqueue configuration as a dask-pbs profile, through the binary.

mod common;

use common::DaskPbs;

/// dask-jobqueue's documented PBS example (its configuration docs, NCAR Cheyenne).
const JOBQUEUE_EXAMPLE: &str = "jobqueue:
  pbs:
    name: dask-worker
    cores: 36
    memory: 109 GB
    processes: 9
    interface: ib0
    local-directory: $TMPDIR
    queue: regular
    account: P48500028
    walltime: '00:30:00'
    resource-spec: select=1:ncpus=36:mem=109GB
";

#[test]
fn import_jobqueue_gives_a_profile_asking_for_the_same_job() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jobqueue.yaml");
    std::fs::write(&config, JOBQUEUE_EXAMPLE).unwrap();
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not mapped: local-directory: shell variables are not expanded"),
        "{}",
        run.stderr
    );
    let profile = dir.path().join("cheyenne.yaml");
    std::fs::write(&profile, &run.stdout).unwrap();
    let p = profile.to_str().unwrap();
    let check = common::ok(&["check", "--profile", p]);
    assert_eq!(
        check,
        "ok: 1 node of cheyenne/regular for 00:30:00 → 9 dask workers, 4 threads each (one rank per node)\n"
    );
    let job = common::ok(&["gen", "--profile", p]);
    assert!(job.contains("#PBS -N dask-worker\n#PBS -q regular\n#PBS -A P48500028\n#PBS -l select=1:ncpus=36:mem=109GB\n#PBS -l walltime=00:30:00\n"), "{job}");
    assert!(
        job.contains(
            "--nworkers 9 --memory-limit 12111MB --nthreads 4 --protocol tls --interface ib0"
        ),
        "{job}"
    );
}

#[test]
fn import_jobqueue_reads_the_default_file_and_refuses_a_file_without_pbs() {
    let cli = DaskPbs::new();
    let dir = cli.home().join(".config/dask");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("jobqueue.yaml"),
        "jobqueue:\n  slurm:\n    cores: 4\n",
    )
    .unwrap();
    let run = cli.args(["import-jobqueue"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no `jobqueue: pbs:` section"),
        "{}",
        run.stderr
    );
}
