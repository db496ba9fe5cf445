//! `submit`, completions, man page and colour. There is no PBS server here: a recording
//! `qsub` stands in for it (the only way to see what dask-pbs hands to qsub).

mod common;

use common::DaskPbs;

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

#[test]
fn completions_load_in_bash_and_the_man_page_renders() {
    let bin = env!("CARGO_BIN_EXE_dask-pbs");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -e; source <('{bin}' completions bash); complete -p dask-pbs"
        ))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("dask-pbs"));
    for shell in ["zsh", "fish"] {
        assert!(common::ok(&["completions", shell]).contains("dask-pbs"));
    }
    let man = common::ok(&["man"]);
    assert!(
        man.starts_with(".ie ") || man.contains(".TH dask-pbs"),
        "{}",
        &man[..200.min(man.len())]
    );
}

#[test]
fn every_subcommand_has_help_with_an_example_and_colour_never_reaches_an_artifact() {
    for sub in [
        &["gen"][..],
        &["check"],
        &["explain"],
        &["profiles", "list"],
        &["profiles", "show"],
        &["templates", "list"],
        &["templates", "show"],
        &["templates", "context"],
        &["render"],
        &["verify"],
        &["schema"],
        &["submit"],
        &["import-jobqueue"],
        &["completions"],
        &["man"],
    ] {
        let mut args: Vec<&str> = sub.to_vec();
        args.push("--help");
        let out = common::ok(&args);
        assert!(out.contains("Example"), "{sub:?} --help has no example");
    }
    let version = common::ok(&["--version"]);
    assert!(version.starts_with("dask-pbs "));
    let plain = common::ok(&["gen", "--profile", "sophia", "-A", "X"]);
    let colored = common::ok(&["--color", "always", "gen", "--profile", "sophia", "-A", "X"]);
    assert_eq!(plain, colored);
    assert!(!colored.contains('\u{1b}'));
    let help = DaskPbs::new()
        .args(["--color", "always", "--help"])
        .run()
        .stdout;
    assert!(help.contains('\u{1b}'), "--color always colours the help");
    let help = DaskPbs::new()
        .args(["--help"])
        .env("NO_COLOR", "1")
        .run()
        .stdout;
    assert!(!help.contains('\u{1b}'));
}

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
