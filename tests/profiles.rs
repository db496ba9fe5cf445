//! Site rules and users' own profiles: every validation rule has a failing input with its
//! message checked; user profiles are found, explained and rendered.

mod common;

use common::{DaskPbs, dask_pbs, ok};

fn fails(args: &[&str], message: &str) {
    let run = dask_pbs(args);
    assert_eq!(run.code, 2, "expected exit 2 for {args:?}: {}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on stdout on error");
    assert!(
        run.stderr.contains(message),
        "expected {message:?} in:\n{}",
        run.stderr
    );
}

#[test]
fn queue_rules_give_the_allowed_values() {
    fails(
        &["check", "--profile", "sophia", "-A", "X", "-q", "by-gpus"],
        "no queue `by-gpus` on this site; did you mean `by-gpu`? queues: by-gpu, by-node, bigmem",
    );
    fails(
        &["check", "--profile", "sophia", "-A", "X", "-n", "3"],
        "by-gpu accepts 1, 2, 4 or 8 GPUs; got 3",
    );
    fails(
        &["check", "--profile", "sophia-node", "-A", "X", "-n", "9"],
        "by-node accepts 1 to 8 nodes; got 9",
    );
    fails(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "-q",
            "prod",
            "-n",
            "2",
        ],
        "prod accepts 10 to 496 nodes; got 2",
    );
    fails(
        &["check", "--profile", "sophia", "-A", "X", "-t", "00:01:00"],
        "by-gpu allows walltimes from 00:05:00 to 24:00:00; got 00:01:00",
    );
    fails(
        &["check", "--profile", "polaris", "-A", "X", "-t", "02:00:00"],
        "debug allows walltimes from 00:05:00 to 01:00:00; got 02:00:00",
    );
    fails(
        &["check", "--profile", "sophia", "-A", "X", "-t", "1h"],
        "--walltime: `1h` is not a PBS duration",
    );
    fails(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.shutdown_margin=02:00:00",
        ],
        "00:00 must be shorter than the walltime 01:00:00",
    );
    fails(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.filesystems=[]",
        ],
        "job.filesystems is required on this site",
    );
    fails(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--name",
            "my job",
        ],
        "is not a PBS job name",
    );
    fails(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.worker=cpu",
        ],
        "dask.device_memory_limit is a GPU option and dask.worker is cpu",
    );
}

#[test]
fn rapids_rules_give_the_supported_range() {
    fails(
        &["gen", "conda", "--profile", "sophia", "--rapids", "25.07"],
        "RAPIDS 25.07 is not a release dask-pbs knows; known releases: 24.02",
    );
    fails(
        &["gen", "conda", "--profile", "sophia", "--python", "3.9"],
        "RAPIDS 25.06 supports Python 3.10 to 3.13; got 3.9",
    );
    fails(
        &[
            "gen",
            "conda",
            "--profile",
            "sophia",
            "--rapids",
            "25.08",
            "--cuda",
            ">=11.8",
        ],
        "RAPIDS 25.08 supports CUDA 12.0-12.9; `>=11.8` names 11.8",
    );
    let text = ok(&[
        "gen",
        "conda",
        "--profile",
        "sophia",
        "--rapids",
        "25.12",
        "--cuda",
        ">=12.2,<=12.9",
    ]);
    assert!(
        text.contains(
            "-c rapidsai -c conda-forge rapids=25.12 python=3.11 'cuda-version>=12.2,<=12.9'"
        ),
        "{text}"
    );
    let text = ok(&[
        "gen",
        "conda",
        "--profile",
        "sophia",
        "--rapids",
        "25.10",
        "--python",
        "3.12",
    ]);
    assert!(
        text.contains("-c nvidia rapids=25.10 python=3.12"),
        "{text}"
    );
}

#[test]
fn launcher_and_rank_variable_follow_the_mpi_flavour() {
    let polaris = ok(&["gen", "--profile", "polaris", "-A", "X"]);
    assert!(
        polaris
            .contains("mpiexec -n \"$dask_pbs_nranks\" --ppn 4 --hostfile \"$dask_pbs_hostfile\"")
    );
    assert!(polaris.contains(
        "for var in DASK_PBS_LOCAL_RANK PMI_LOCAL_RANK PALS_LOCAL_RANKID OMPI_COMM_WORLD_LOCAL_RANK MPI_LOCALRANKID; do"
    ));
    assert!(
        polaris.contains("#PBS -l place=scatter\n")
            && polaris.contains("module use /soft/modulefiles")
    );
    let mpich = ok(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "system.mpi=mpich",
    ]);
    assert!(mpich.contains("mpiexec -n \"$dask_pbs_nranks\" -ppn 2 -f \"$dask_pbs_hostfile\""));
    let derecho = ok(&["gen", "--profile", "derecho", "-A", "X", "-n", "2"]);
    assert!(
        derecho.contains("#PBS -l select=2:ncpus=64:mpiprocs=4:ngpus=4:gpu_type=a100:mem=400GB\n")
    );
    assert!(derecho.contains("#PBS -l job_priority=regular\n"));
}

#[test]
fn a_user_profile_extending_polaris_is_found_explained_and_rendered() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mypolaris.yaml"),
        "description: my Polaris allocation\nextends: polaris\njob:\n  queue: preemptable\n  account: MyProj\n  select: 4\n",
    )
    .unwrap();
    let profile_dir = dir.path().to_str().unwrap();
    let listed = ok(&["profiles", "list", "--profile-dir", profile_dir]);
    assert!(
        listed.lines().any(|l| l.starts_with("mypolaris")
            && l.contains("user ")
            && l.contains("my Polaris allocation")),
        "{listed}"
    );

    let explained = ok(&[
        "explain",
        "--profile",
        "mypolaris",
        "--profile-dir",
        profile_dir,
    ]);
    let path = dir.path().join("mypolaris.yaml");
    assert!(
        explained
            .lines()
            .any(|l| l.starts_with("job.queue = \"preemptable\"")
                && l.ends_with(&format!("# {}:4:10", path.display()))),
        "{explained}"
    );
    assert!(
        explained
            .lines()
            .any(|l| l.starts_with("system.mpi = \"cray-pals\"")
                && l.contains("# built-in profile polaris, line")),
        "{explained}"
    );

    let job = ok(&[
        "gen",
        "--profile",
        "mypolaris",
        "--profile-dir",
        profile_dir,
    ]);
    assert!(
        job.contains("#PBS -q preemptable\n#PBS -A MyProj\n#PBS -l select=4:system=polaris\n"),
        "{job}"
    );
    // Also through the environment variable and the config directory.
    let run = DaskPbs::new()
        .args(["check", "--profile", "mypolaris"])
        .env("DASK_PBS_PROFILE_PATH", profile_dir)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_user_profile_can_shadow_and_extend_the_builtin_of_the_same_name() {
    let cli = DaskPbs::new();
    let profiles = cli.home().join("config/dask-pbs/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("sophia.yaml"),
        "description: site default plus my account\nextends: sophia\njob: {account: Mine}\n",
    )
    .unwrap();
    let run = cli.args(["gen", "--profile", "sophia"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("#PBS -A Mine\n#PBS -l select=2\n"));
}

#[test]
fn the_user_defaults_file_applies_under_every_profile() {
    let cli = DaskPbs::new();
    let config = cli.home().join("config/dask-pbs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("defaults.yaml"),
        "job:\n  account: FromDefaults\n",
    )
    .unwrap();
    let run = cli.args(["explain", "--profile", "polaris"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("job.account = \"FromDefaults\"")
                && l.contains("defaults.yaml:2:12")),
        "{}",
        run.stdout
    );
}

#[test]
fn extends_cycles_and_missing_parents_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "description: a\nextends: b\n").unwrap();
    std::fs::write(dir.path().join("b.yaml"), "description: b\nextends: a\n").unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "description: c\nextends: nowhere\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    fails(
        &["check", "--profile", "a", "--profile-dir", d],
        "extends cycle: a -> b -> a",
    );
    fails(
        &["check", "--profile", "c", "--profile-dir", d],
        "extends nowhere: no profile named `nowhere`",
    );
}

#[test]
fn schema_describes_every_section_and_key() {
    let text = ok(&["schema"]);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown top-level keys are errors"
    );
    let defs = &schema["$defs"];
    for (section, def, keys) in [
        (
            "system",
            "SystemLayer",
            &["gpus_per_node", "mpi", "gpu_order", "queues", "keep"][..],
        ),
        (
            "job",
            "JobLayer",
            &[
                "queue",
                "select",
                "walltime",
                "account",
                "resources",
                "directives",
            ][..],
        ),
        (
            "env",
            "EnvLayer",
            &["modules", "conda", "venv", "vars", "setup"][..],
        ),
        (
            "rapids",
            "RapidsLayer",
            &["version", "python", "cuda", "channels", "jupyter"][..],
        ),
        (
            "dask",
            "DaskLayer",
            &[
                "worker",
                "workers_per",
                "protocol",
                "startup_timeout",
                "shutdown_margin",
            ][..],
        ),
    ] {
        assert!(
            schema["properties"][section].to_string().contains(def),
            "{section}"
        );
        assert_eq!(
            defs[def]["additionalProperties"], false,
            "{def} refuses unknown keys"
        );
        for key in keys {
            assert!(
                defs[def]["properties"].get(key).is_some(),
                "{def}.{key} missing from the schema"
            );
        }
    }
    assert!(defs["MpiFlavour"].to_string().contains("cray-pals"));
}

#[test]
fn profiles_show_prints_the_yaml_or_the_resolved_result() {
    let raw = ok(&["profiles", "show", "sophia-node"]);
    assert!(raw.starts_with("# ALCF Sophia, by-node queue"), "{raw}");
    let resolved = ok(&["profiles", "show", "sophia-node", "--resolved", "-A", "P"]);
    for line in [
        "queue: by-node",
        "account: P",
        "workers_per: node",
        "mpi: openmpi",
        "device_memory_limit: 40GB",
    ] {
        assert!(resolved.contains(line), "{line} missing:\n{resolved}");
    }
}
