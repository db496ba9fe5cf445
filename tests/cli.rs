//! The command line through the real binary: exit codes, stdout/stderr, writing files, help,
//! colour, completions and the man page.

use crate::common;

use crate::common::{DaskPbs, dask_pbs, ok};

#[test]
fn gen_prints_the_job_on_stdout_and_nothing_else() {
    let run = dask_pbs(&["gen", "--profile", "sophia", "--account", "X"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "#!/bin/bash -l\n#PBS -N dask\n#PBS -q by-gpu\n#PBS -A X\n#PBS -l select=2\n"
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
    assert!(out.contains("conda create -y -p /home/user/envs/rapids-25.06 -c rapidsai -c conda-forge -c nvidia rapids=25.06 python=3.11 'cuda-version>=12.0,<=12.8'\n"), "{out}");
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
    assert!(out.starts_with("#!/bin/bash -l\n"), "{out}");
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
fn a_timeout_is_a_number_of_seconds_never_a_panic() {
    // Checked before any cluster is looked up: NaN once reached Duration and panicked.
    for command in [&["wait", "12.a"][..], &["scale", "12.a", "--remove", "1"]] {
        for bad in ["nan", "inf", "1e300", "soon"] {
            let run = dask_pbs(&[command, &["--timeout", bad]].concat());
            assert_eq!(run.code, 2, "{command:?} --timeout {bad}: {}", run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "`{bad}` is not a number of seconds from 0 to 1000000000 (e.g. 120)"
                )),
                "{}",
                run.stderr
            );
        }
    }
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
        out.contains("--death-timeout 60 --resources GPU=1 "),
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
    let row = |left: &str, origin: &str| {
        out.lines()
            .any(|l| l.starts_with(left) && l.ends_with(&format!("# {origin}")))
    };
    assert!(
        row("job.select = 4 ", "command-line flag --select"),
        "{out}"
    );
    assert!(row(
        "job.account = \"P\" ",
        "environment variable DASK_PBS_ACCOUNT"
    ));
    assert!(row(
        "job.queue = \"by-gpu\" ",
        "built-in profile sophia, line 30"
    ));
    assert!(
        out.lines()
            .any(|l| l.starts_with("dask.death_timeout = 60 ")
                && l.contains("# dask-pbs defaults, line"))
    );
}

#[test]
fn explain_fits_100_columns_with_one_line_per_leaf() {
    // No defaults file: its long temporary path would take the columns the values need.
    let run = DaskPbs::bare()
        .args(["explain", "--profile", "sophia", "-A", "P"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.stdout;
    for line in out.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    let walltime: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("system.queues.by-gpu.walltime "))
        .collect();
    assert_eq!(walltime.len(), 1, "{out}");
    assert!(
        walltime[0].starts_with(r#"system.queues.by-gpu.walltime = ["00:05:00", "24:00:00"] "#)
            && walltime[0].ends_with("# built-in profile sophia, line 18"),
        "{}",
        walltime[0]
    );
    assert!(
        !out.contains("system.queues "),
        "the queue table is one line:\n{out}"
    );
    // A cut value says where the whole one is.
    assert!(out.contains("description = ") && out.contains("…"), "{out}");
    assert!(out.contains("`dask-pbs profiles show sophia --resolved` prints them whole"));
}

#[test]
fn profiles_show_defaults_prints_the_bottom_layer() {
    let out = ok(&["profiles", "show", "defaults"]);
    let file = std::fs::read_to_string(common::repo_root().join("profiles/defaults.yaml")).unwrap();
    assert_eq!(out, file);
    let help = ok(&["profiles", "show", "--help"]);
    assert!(help.contains("bottom layer"), "{help}");
    let run = dask_pbs(&["profiles", "show", "defaults", "--resolved"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("bottom layer, not a profile"),
        "{}",
        run.stderr
    );
}

#[test]
fn profiles_list_aligns_user_rows_and_says_what_a_bare_profile_extends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sophia.yaml"),
        "extends: sophia\njob:\n  select: 4\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "description: my site\nextends: pbs-cpu\n",
    )
    .unwrap();
    let out = ok(&[
        "profiles",
        "list",
        "--profile-dir",
        dir.path().to_str().unwrap(),
    ]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name}:\n{out}"))
            .to_string()
    };
    let sophia = line("sophia");
    assert!(sophia.ends_with("  extends sophia"), "{sophia}");
    assert!(
        sophia.contains("[shadows built-in profile sophia]"),
        "{sophia}"
    );
    // The description column starts at the same character for every row.
    let start = |l: &str, text: &str| l.find(text).map(|b| l[..b].chars().count());
    let column = start(&sophia, "extends sophia");
    assert_eq!(start(&line("mine"), "my site"), column, "{out}");
    assert_eq!(start(&line("casper"), "NCAR Casper"), column, "{out}");
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
    // dask-pbs's own errors follow the flag too; never in a pipe by default.
    let failed = dask_pbs(&["--color", "always", "check", "--profile", "nosuch"]);
    assert!(
        failed.stderr.starts_with("\u{1b}[1;31merror:\u{1b}[0m "),
        "{}",
        failed.stderr
    );
    let plain = dask_pbs(&["check", "--profile", "nosuch"]);
    assert!(plain.stderr.starts_with("error: "), "{}", plain.stderr);
    let help = DaskPbs::new()
        .args(["--help"])
        .env("NO_COLOR", "1")
        .run()
        .stdout;
    assert!(!help.contains('\u{1b}'));
}

#[test]
fn files_written_are_reported_on_stderr_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.sh");
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "-o",
        job.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, format!("dask-pbs: wrote {}\n", job.display()));
    let all = dir.path().join("all");
    let run = dask_pbs(&[
        "gen",
        "all",
        "--profile",
        "pbs-cpu",
        "-A",
        "X",
        "--set",
        "env.conda=null",
        "--set",
        "env.venv=/home/user/venvs/dask",
        "--out-dir",
        all.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with("dask-pbs: skipping conda_create.sh"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1..].iter().all(|l| l.starts_with("dask-pbs: wrote ")),
        "{}",
        run.stderr
    );
}

/// `--venv PATH` activates a virtual environment (and clears a conda one the profile names);
/// `--env` names a conda environment, and the two together are refused.
#[test]
fn venv_flag_activates_a_venv_and_conflicts_with_env() {
    let job = common::ok(&[
        "gen",
        "--profile",
        "pbs-cpu",
        "-A",
        "x",
        "--venv",
        "~/venvs/dask",
    ]);
    assert!(
        job.contains("dask_pbs_expand_path env.venv '~/venvs/dask'"),
        "{job}"
    );
    assert!(!job.contains("conda activate"), "{job}");
    assert!(
        job.contains("--venv '~/venvs/dask'"),
        "the regenerate line: {job}"
    );
    let both = common::dask_pbs(&[
        "gen",
        "--profile",
        "pbs-cpu",
        "-A",
        "x",
        "--env",
        "/e",
        "--venv",
        "/v",
    ]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("--venv"), "{}", both.stderr);
}

/// A profile given as a file: the `# Regenerate with:` line names it by its absolute path, so
/// the line regenerates the same script from any directory.
#[test]
fn the_regenerate_line_of_a_profile_file_works_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.yaml"), "extends: pbs-cpu\n").unwrap();
    let first = common::DaskPbs::new()
        .cwd(dir.path())
        .args(["gen", "--profile", "./site.yaml", "-A", "x", "--env", "/e"])
        .run();
    assert_eq!(first.code, 0, "{}", first.stderr);
    let line = first
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("# Regenerate with: dask-pbs "))
        .unwrap();
    let file = dir.path().join("site.yaml").display().to_string();
    assert_eq!(
        line,
        format!("gen job --profile {file} --account x --env /e")
    );
    let again = common::dask_pbs(&line.split(' ').collect::<Vec<_>>());
    assert_eq!(again.code, 0, "{}", again.stderr);
    // The same script, but for the `# Generated … from profile site (PATH)` line, which
    // names the file as it was given.
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("# Generated by"))
            .map(String::from)
            .collect()
    };
    assert_eq!(body(&again.stdout), body(&first.stdout));
}

/// The table shows the layers; what validation resolves from them (the node type a queue
/// chose: its GPUs, memory and chunk resources) follows it, so that a GPU job's explain does
/// not end at `system.gpus_per_node = 0`.
#[test]
fn explain_shows_what_the_chosen_node_type_resolves() {
    let run = DaskPbs::bare()
        .args([
            "explain",
            "--profile",
            "pleiades",
            "-A",
            "s1",
            "--env",
            "/e",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let resolved = run
        .stdout
        .split_once("# resolved for this job (node type cas_ait), as check and gen use them:\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{}", run.stdout));
    for line in [
        r#"job.node_type = "cas_ait""#,
        r#"job.resources.model = "cas_ait""#,
        r#"system.memory_per_node = "192GB""#,
    ] {
        assert!(resolved.lines().any(|l| l == line), "{line}\n{resolved}");
    }
    // Nothing the layers already say is repeated.
    assert!(!resolved.contains("system.mpi"), "{resolved}");
    let plain = DaskPbs::bare()
        .args(["explain", "--profile", "sophia", "-A", "P"])
        .run();
    assert!(!plain.stdout.contains("# resolved"), "{}", plain.stdout);
}
