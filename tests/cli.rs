//! The command line through the real binary: exit codes, stdout/stderr, writing files.

mod common;

use common::{DaskPbs, dask_pbs, ok};

#[test]
fn gen_prints_the_job_on_stdout_and_nothing_else() {
    let run = dask_pbs(&["gen", "--profile", "sophia", "--account", "X"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "#!/bin/bash\n#PBS -N dask\n#PBS -q by-gpu\n#PBS -A X\n#PBS -l select=2\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("#PBS -l filesystems=home:eagle\n#PBS -k doe\n")
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn conda_artifact_holds_the_guides_command_byte_for_byte() {
    let out = ok(&["gen", "conda", "--profile", "sophia"]);
    assert!(out.contains("conda create -y -p /path/to/env/rapids-25.06_sophia -c rapidsai -c conda-forge -c nvidia rapids=25.06 python=3.11 'cuda-version>=12.0,<=12.8'\n"), "{out}");
    assert!(!out.contains("ipykernel"));
    let jupyter = ok(&[
        "gen",
        "conda",
        "--profile",
        "sophia",
        "--set",
        "rapids.jupyter=true",
    ]);
    assert!(
        jupyter.contains("conda install -y ipykernel jupyterlab-nvdashboard dask-labextension\n")
    );
    assert!(jupyter.contains("python -m ipykernel install --prefix=\"$CONDA_PREFIX\" --name \"$env_name\" --display-name \"Python [$env_name]\"\n"));
}

#[test]
fn interactive_asks_for_the_same_resources_as_the_guide() {
    let out = ok(&[
        "gen",
        "interactive",
        "--profile",
        "sophia",
        "-A",
        "myProject",
        "-t",
        "02:00:00",
    ]);
    // The guide: qsub -I -l select=2 -l walltime=HH:MM:SS -q by-gpu -A <myProjectName> -l filesystems=home:eagle
    for part in [
        "qsub -I ",
        "-l select=2",
        "-l walltime=02:00:00",
        "-q by-gpu",
        "-A myProject",
        "-l filesystems=home:eagle",
    ] {
        assert!(out.contains(part), "{part} missing from {out}");
    }
    // A script (gen all writes it executable): shebang, comments, then the one command.
    assert!(out.starts_with("#!/bin/bash\n"), "{out}");
    let commands: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(commands.len(), 1, "{out}");
    assert!(commands[0].starts_with("qsub -I "));
}

#[test]
fn unknown_key_exits_2_with_a_hint_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("mine.yaml");
    std::fs::write(
        &profile,
        "description: mine\nextends: sophia\njob:\n  queu: by-gpu\n",
    )
    .unwrap();
    let run = dask_pbs(&["gen", "--profile", profile.to_str().unwrap(), "-A", "X"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("mine.yaml:4:3: unknown key `queu` in `job:`; did you mean `queue`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn walltime_over_the_queue_limit_exits_2_naming_the_range() {
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--walltime",
        "25:00:00",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("by-gpu allows walltimes from 00:05:00 to 24:00:00; got 25:00:00"),
        "{}",
        run.stderr
    );
}

#[test]
fn select_3_on_by_gpu_exits_2_naming_the_allowed_counts() {
    let run = dask_pbs(&["gen", "--profile", "sophia", "-A", "X", "--select", "3"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("by-gpu accepts 1, 2, 4 or 8 GPUs; got 3"),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("job.sh");
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--select",
        "3",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(!out.exists());
    let all = dir.path().join("all");
    let run = dask_pbs(&[
        "gen",
        "all",
        "--profile",
        "sophia",
        "--out-dir",
        all.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "missing account");
    assert!(!all.exists());
}

#[test]
fn missing_account_names_every_way_to_give_it() {
    let run = dask_pbs(&["gen", "--profile", "sophia"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("pass --account PROJECT, set DASK_PBS_ACCOUNT"),
        "{}",
        run.stderr
    );
}

#[test]
fn account_from_the_environment_and_precedence() {
    let out = DaskPbs::new()
        .args(["gen", "--profile", "sophia"])
        .env("PBS_ACCOUNT", "FromPbs")
        .run();
    assert!(out.stdout.contains("#PBS -A FromPbs\n"), "{}", out.stderr);
    let out = DaskPbs::new()
        .args(["gen", "--profile", "sophia"])
        .env("PBS_ACCOUNT", "FromPbs")
        .env("DASK_PBS_ACCOUNT", "Ours")
        .run();
    assert!(out.stdout.contains("#PBS -A Ours\n"));
    let out = DaskPbs::new()
        .args(["gen", "--profile", "sophia", "-A", "Flag"])
        .env("DASK_PBS_ACCOUNT", "Ours")
        .run();
    assert!(out.stdout.contains("#PBS -A Flag\n"));
}

#[test]
fn output_file_is_executable_and_never_clobbered_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("job.sh");
    let path = out.to_str().unwrap();
    let run = dask_pbs(&["gen", "--profile", "sophia", "-A", "X", "-o", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "the artifact goes to the file, not stdout");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }
    std::fs::write(&out, "mine").unwrap();
    let run = dask_pbs(&["gen", "--profile", "sophia", "-A", "Y", "-o", path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("exists; pass --force"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "Y",
        "-o",
        path,
        "--force",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("#PBS -A Y\n")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".dask-pbs-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left behind");
}

#[test]
fn gen_all_writes_every_artifact_and_needs_force_for_a_non_empty_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cluster");
    let path = out.to_str().unwrap();
    let run = dask_pbs(&[
        "gen",
        "all",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--out-dir",
        path,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "job.sh",
        "dask_start.sh",
        "dask_start_worker.sh",
        "conda_create.sh",
        "qsub_interactive.sh",
        "dask_client.py",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let run = dask_pbs(&[
        "gen",
        "all",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--out-dir",
        path,
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not empty; pass --force"));
    let run = dask_pbs(&[
        "gen",
        "all",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--out-dir",
        path,
        "--force",
    ]);
    assert_eq!(run.code, 0);
}

#[test]
fn gen_all_requires_out_dir() {
    let run = dask_pbs(&["gen", "all", "--profile", "sophia", "-A", "X"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--out-dir"));
    // And the other way: --out-dir is for `all` only.
    let run = dask_pbs(&[
        "gen",
        "job",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--out-dir",
        "unused",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--out-dir is for `gen all`"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_artifact_and_profile_are_usage_errors() {
    let run = dask_pbs(&["gen", "jobb", "--profile", "sophia", "-A", "X"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'jobb'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("a similar value exists: 'job'"));
    let run = dask_pbs(&["gen", "--profile", "sophai", "-A", "X"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `sophia`?"),
        "{}",
        run.stderr
    );
    let run = dask_pbs(&["gen", "--bogus"]);
    assert_eq!(run.code, 2, "clap usage errors exit 2");
}

#[test]
fn set_values_are_typed_like_the_profile() {
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "job.select=four",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--set job.select=four: expected a whole number"),
        "{}",
        run.stderr
    );
    let out = ok(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "job.select=4",
    ]);
    assert!(out.contains("#PBS -l select=4\n"));
    let out = ok(&[
        "gen",
        "worker",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "dask.worker_args=[--resources, 'GPU=1']",
    ]);
    assert!(
        out.contains("--death-timeout 60 --resources GPU=1 >>"),
        "{out}"
    );
}

#[test]
fn output_is_deterministic() {
    let a = ok(&["gen", "--profile", "polaris", "-A", "X"]);
    let b = ok(&["gen", "--profile", "polaris", "-A", "X"]);
    assert_eq!(a, b);
}

#[test]
fn check_summarises_the_request() {
    let out = ok(&["check", "--profile", "sophia", "-A", "X"]);
    assert_eq!(
        out,
        "ok: 2 GPUs on 1 node of sophia/by-gpu for 01:00:00 → 2 dask-cuda workers, 40GB device memory limit each (one rank per GPU)\n"
    );
}

#[test]
fn explain_gives_every_origin() {
    let out = DaskPbs::new()
        .args(["explain", "--profile", "sophia", "--select", "4"])
        .env("DASK_PBS_ACCOUNT", "P")
        .run()
        .stdout;
    assert!(
        out.contains("job.select = 4") && out.contains("# command-line flag --select"),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("job.account = \"P\"")
        && l.ends_with("# environment variable DASK_PBS_ACCOUNT")));
    assert!(out.lines().any(|l| l.starts_with("job.queue = \"by-gpu\"")
        && l.ends_with("# built-in profile sophia, line 21")));
    assert!(out.lines().any(
        |l| l.starts_with("dask.death_timeout = 60") && l.contains("# dask-pbs defaults, line")
    ));
}
