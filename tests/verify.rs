//! `dask-pbs verify` as a user's CI would run it.

use crate::common::{DaskPbs, dask_pbs};

#[test]
fn verify_passes_after_update_and_fails_with_a_diff_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let profile = dir.path().join("lab.yaml");
    std::fs::write(
        &profile,
        "description: our lab on Sophia\nextends: sophia\njob:\n  account: LabProj\nenv:\n  conda: /opt/envs/lab\n",
    )
    .unwrap();

    let first = dask_pbs(&["verify", d]);
    assert_eq!(first.code, 1, "nothing stored yet: {}", first.stderr);

    let update = dask_pbs(&["verify", d, "--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert!(dir.path().join("expected/lab/job.sh").is_file());
    assert!(dir.path().join("expected/lab/conda_create.sh").is_file());

    let clean = dask_pbs(&["verify", d]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert_eq!(clean.stdout, "verify: 7 artifact(s) match\n");

    std::fs::write(
        &profile,
        "description: our lab on Sophia\nextends: sophia\njob:\n  account: LabProj\n  select: 4\n",
    )
    .unwrap();
    let changed = dask_pbs(&["verify", d]);
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(
        changed
            .stdout
            .contains("-#PBS -l select=2\n+#PBS -l select=4\n"),
        "{}",
        changed.stdout
    );
    assert!(
        changed.stdout.contains("expected/lab/job.sh"),
        "{}",
        changed.stdout
    );
    assert!(changed.stderr.contains("differ from"), "{}", changed.stderr);
}

#[test]
fn verify_refuses_an_invalid_profile_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "description: bad\nextends: sophia\njob:\n  account: P\n  select: 3\n",
    )
    .unwrap();
    let run = dask_pbs(&["verify", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("by-gpu accepts 1, 2, 4 or 8 GPUs; got 3")
    );
}

#[test]
fn verify_says_per_profile_which_artifact_it_cannot_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("venvlab.yaml"),
        "description: venv lab\nextends: pbs-cpu\nenv:\n  conda: null\n  venv: /opt/venv\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lab.yaml"),
        "description: our lab\nextends: sophia\njob:\n  account: LabProj\nenv:\n  conda: /opt/envs/lab\n",
    )
    .unwrap();
    // No defaults file: its env.conda would stand for the venv lab's environment.
    let run = |args: &[&str]| DaskPbs::bare().args(args).run();
    let update = run(&["verify", d, "--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    let clean = run(&["verify", d]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert_eq!(clean.stdout, "verify: 13 artifact(s) match\n");
    assert_eq!(
        clean.stderr,
        "dask-pbs: verify: venvlab: conda_create.sh not checked: the profile sets no env.conda prefix to create: pass --env PATH or set env.conda\n"
    );
}

#[test]
fn verify_renders_the_profiles_alone_whatever_the_runner_has() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // A site profile that leaves the account and the environment to its users.
    std::fs::write(
        dir.path().join("site.yaml"),
        "description: our site\nextends: sophia\n",
    )
    .unwrap();
    let update = DaskPbs::bare().args(["verify", d, "--update"]).run();
    assert_eq!(update.code, 0, "{}", update.stderr);
    // A runner with an account in its environment and an environment in its defaults file
    // (the harness writes one) compares the same text.
    let run = DaskPbs::new()
        .env("DASK_PBS_ACCOUNT", "Runner")
        .args(["verify", d])
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let job = std::fs::read_to_string(dir.path().join("expected/site/job.sh")).unwrap();
    assert!(!job.contains("#PBS -A"), "{job}");
}
