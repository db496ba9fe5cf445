//! Every artifact of every built-in profile through `bash -n` and shellcheck; reviewed
//! snapshots of what a reviewer needs to see: each profile's decisions (its `#PBS` header, the
//! `qsub -I` line, the scheduler, launch and worker lines, the environment and the `conda
//! create` line), and whole scripts only for sophia, pbs-cpu and the variations that change
//! a script's structure. A template change then touches the few whole scripts, not dozens.

use crate::common::{assert_shell_clean, ok};
use dask_pbs::builtin;
use dask_pbs::render::artifact::Artifact;

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    // A version bump should not rewrite every snapshot.
    settings.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    settings
}

fn regex_escape(text: &str) -> String {
    text.replace('.', "\\.")
}

/// Renders `artifact` with `args`; a shell artifact must pass bash -n and shellcheck.
fn render(name: &str, artifact: Artifact, args: &[&str]) -> String {
    let mut full = vec!["gen", artifact.name()];
    full.extend_from_slice(args);
    let text = ok(&full);
    if artifact.is_shell() {
        assert_shell_clean(&format!("{name}.sh"), &text);
    }
    text
}

/// The whole artifact, snapshotted.
fn check(snapshot: &str, artifact: Artifact, args: &[&str]) {
    let text = render(snapshot, artifact, args);
    settings().bind(|| insta::assert_snapshot!(snapshot, text));
}

/// The lines of a job that carry a profile's decisions, the rest being the same for all.
fn decisions(job: &str, mpi_job: &str, interactive: &str, conda: &str) -> String {
    let picked = |text: &str, keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| keep(l))
            .map(str::to_string)
            .collect()
    };
    let header = picked(job, &|l| l.starts_with("#!") || l.starts_with("#PBS"));
    // The profile's own environment: its modules, activation, variables and set-up lines.
    let fixed = [
        "source \"$init\"",
        "eval \"$hook\"",
        "export TMPDIR",
        "export DASK_",
        "export CUDA_VISIBLE_DEVICES",
    ];
    let environment = picked(job, &|l| {
        ["module ", "conda activate", "source ", "export ", "eval "]
            .iter()
            .any(|w| l.starts_with(w))
            && !fixed.iter().any(|f| l.starts_with(f))
            || l.contains("$(dask_pbs_expand_path env.")
    });
    let scheduler = picked(job, &|l| l.contains("dask scheduler --scheduler-file"));
    // The launcher's line, from the job rendered with dask.launch: mpi.
    let launch = picked(mpi_job, &|l| {
        l.contains("\"$dask_pbs_dir/dask_start_worker.sh\" \"$dask_pbs_dir\"")
    });
    let worker = picked(job, &|l| l.starts_with("exec dask"));
    let layout = picked(job, &|l| {
        l.starts_with("dask_pbs_nranks=") || l.starts_with("dask_pbs_expected_workers=")
    });
    let qsub = picked(interactive, &|l| l.starts_with("qsub -I"));
    let create = picked(conda, &|l| l.starts_with("conda create"));
    let sections = [
        ("header", header),
        ("qsub -I", qsub),
        ("environment", environment),
        ("scheduler", scheduler),
        ("layout", layout),
        ("launch", launch),
        ("worker", worker),
        ("conda", create),
    ];
    sections
        .iter()
        .map(|(name, lines)| format!("## {name}\n{}\n", lines.join("\n")))
        .collect()
}

#[test]
fn every_builtin_profile_renders_every_artifact_and_its_decisions() {
    // The crate's own lists: a new built-in profile or artifact is covered without an edit here.
    for (profile, _) in builtin::PROFILES {
        let args = ["--profile", profile, "--account", "demo"];
        for &artifact in Artifact::ALL {
            render(&format!("{profile}__{artifact}"), artifact, &args);
        }
        let mpi_args = [&args[..], &["--set", "dask.launch=mpi"]].concat();
        let text = decisions(
            &render(profile, Artifact::Job, &args),
            &render(profile, Artifact::Job, &mpi_args),
            &render(profile, Artifact::Interactive, &args),
            &render(profile, Artifact::Conda, &args),
        );
        for section in ["header", "scheduler", "launch", "worker", "conda"] {
            assert!(
                !text.contains(&format!("## {section}\n\n")),
                "{profile}: no {section} line found:\n{text}"
            );
        }
        settings().bind(|| insta::assert_snapshot!(format!("{profile}__decisions"), text));
    }
}

/// Whole scripts: every artifact of sophia (the guide's site) and pbs-cpu (any PBS site).
#[test]
fn whole_scripts_of_sophia_and_pbs_cpu() {
    for profile in ["sophia", "pbs-cpu"] {
        for &artifact in Artifact::ALL {
            check(
                &format!("{profile}__{artifact}"),
                artifact,
                &["--profile", profile, "--account", "demo"],
            );
        }
    }
}

/// The variations that change a script's structure.
#[test]
fn variations() {
    check(
        "sophia_run__job",
        Artifact::Job,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--run",
            "python my_analysis.py --input 'data set.csv'",
        ],
    );
    check(
        "sophia_none__job",
        Artifact::Job,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--set",
            "dask.security=none",
        ],
    );
    check(
        "polaris_nodes2__job",
        Artifact::Job,
        &["--profile", "polaris", "-A", "demo", "--select", "2"],
    );
    check(
        "pbs_cpu_launcher__job",
        Artifact::Job,
        &[
            "--profile",
            "pbs-cpu",
            "--select",
            "2",
            "--set",
            "system.launcher={words: [srun, -n, \"{nranks}\"], local_rank_vars: [SLURM_LOCALID]}",
        ],
    );
    check(
        "pbs_cpu_venv__job",
        Artifact::Job,
        &[
            "--profile",
            "pbs-cpu",
            "--set",
            "env.conda=null",
            "--set",
            "env.venv=$HOME/venvs/dask",
            "--set",
            "env.vars={OMP_NUM_THREADS: 1}",
            "--set",
            "env.tmpdir=$TMPDIR/dask",
        ],
    );
    check(
        "sophia_python_certificates__job",
        Artifact::Job,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--set",
            "dask.certificates=python",
        ],
    );
}

/// Settings that change one line: asserted on that line, not snapshotted whole.
#[test]
fn settings_that_change_one_line() {
    let set = |args: &[&str], wanted: &str| {
        let mut full = vec!["--profile", "sophia", "-A", "demo"];
        full.extend_from_slice(args);
        let text = render("sophia-variation", Artifact::Job, &full);
        assert!(text.contains(wanted), "{args:?}: no `{wanted}` in\n{text}");
    };
    set(&["--select", "4"], "#PBS -l select=4");
    set(
        &["--select", "4"],
        "dask_pbs_nranks=$((dask_pbs_nodes * 4))",
    );
    set(
        &[
            "--queue",
            "by-node",
            "--select",
            "2",
            "--set",
            "dask.workers_per=node",
        ],
        "--map-by ppr:1:node",
    );
    set(
        &[
            "--set",
            "dask.rmm_pool_size=30GB",
            "--set",
            "dask.worker_args=[--enable-nvlink]",
        ],
        "--rmm-pool-size 30GB",
    );
    set(
        &[
            "--set",
            "dask.protocol=ucx",
            "--set",
            "dask.security=none",
            "--set",
            "dask.interface=ib0",
        ],
        "DASK_DISTRIBUTED_UCXX__CREATE_CUDA_CONTEXT=True",
    );
    let conda = |args: &[&str]| {
        let mut full = vec!["--profile", "sophia"];
        full.extend_from_slice(args);
        render("sophia-conda", Artifact::Conda, &full)
    };
    assert!(
        conda(&["--set", "dask.protocol=ucx", "--set", "dask.security=none"])
            .contains(" distributed-ucxx")
    );
    assert!(conda(&["--set", "rapids.jupyter=true"]).contains("python -m ipykernel install"));
    let rapids = conda(&["--rapids", "26.02", "--cuda", ">=12.2,<=12.9"]);
    assert!(
        rapids.contains("rapids=26.02") && !rapids.contains("-c nvidia"),
        "{rapids}"
    );
}

#[test]
fn every_file_gen_all_writes_executable_starts_with_a_shebang() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_arg = out.to_str().unwrap();
    ok(&[
        "gen",
        "all",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--out-dir",
        out_arg,
    ]);
    for artifact in Artifact::ALL {
        let path = out.join(artifact.file_name());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        if mode & 0o111 != 0 {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("#!"),
                "{} is executable with no shebang",
                path.display()
            );
        }
    }
}

#[test]
fn cpu_workers_retire_before_walltime_only_when_the_cluster_is_held() {
    let held = ok(&["gen", "worker", "--profile", "pbs-cpu"]);
    assert!(held.contains("--lifetime"), "{held}");
    // With a payload the job's trap stops the workers; a --lifetime would retire them
    // under a payload that runs past walltime - shutdown_margin (issue 13.10).
    let run = ok(&[
        "gen",
        "worker",
        "--profile",
        "pbs-cpu",
        "--run",
        "python x.py",
    ]);
    assert!(!run.contains("--lifetime"), "{run}");
}

#[test]
fn module_use_is_rendered_only_with_modules_to_load() {
    let with = ok(&["gen", "--profile", "polaris", "-A", "X"]);
    assert!(with.contains("module use /soft/modulefiles"), "{with}");
    // Issue 13.13: `module use` alone loads nothing, and on a node without a module system
    // it was a bare exit 127.
    for artifact in ["job", "conda"] {
        let without = ok(&[
            "gen",
            artifact,
            "--profile",
            "polaris",
            "-A",
            "X",
            "--set",
            "env.modules=[]",
        ]);
        for command in ["module use", "module load", "type module"] {
            assert!(!without.contains(command), "{command}: {without}");
        }
    }
}
