//! Every artifact of every built-in profile, and a few variations: reviewed snapshots, and
//! every shell artifact through `bash -n` and shellcheck.

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

fn check(snapshot: &str, artifact: Artifact, args: &[&str]) {
    let mut full = vec!["gen", artifact.name()];
    full.extend_from_slice(args);
    let text = ok(&full);
    if artifact.is_shell() {
        assert_shell_clean(&format!("{snapshot}.sh"), &text);
    }
    settings().bind(|| insta::assert_snapshot!(snapshot, text));
}

#[test]
fn every_builtin_profile_renders_every_artifact() {
    // The crate's own lists: a new built-in profile or artifact gets snapshots without an edit here.
    for (profile, _) in builtin::PROFILES {
        for &artifact in Artifact::ALL {
            check(
                &format!("{profile}__{artifact}"),
                artifact,
                &["--profile", profile, "--account", "demo"],
            );
        }
    }
}

#[test]
fn variations() {
    check(
        "sophia_by_node__job",
        Artifact::Job,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--queue",
            "by-node",
            "--select",
            "2",
            "--set",
            "dask.workers_per=node",
        ],
    );
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
        "sophia_select4__job",
        Artifact::Job,
        &["--profile", "sophia", "-A", "demo", "--select", "4"],
    );
    check(
        "sophia_set__worker",
        Artifact::Worker,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--set",
            "dask.rmm_pool_size=30GB",
            "--set",
            "dask.worker_args=[--enable-nvlink]",
        ],
    );
    check(
        "sophia_ucx__job",
        Artifact::Job,
        &[
            "--profile",
            "sophia",
            "-A",
            "demo",
            "--set",
            "dask.protocol=ucx",
            "--set",
            "dask.security=none",
            "--set",
            "dask.interface=ib0",
        ],
    );
    check(
        "sophia_ucx__conda",
        Artifact::Conda,
        &[
            "--profile",
            "sophia",
            "--set",
            "dask.protocol=ucx",
            "--set",
            "dask.security=none",
        ],
    );
    check(
        "sophia_jupyter__conda",
        Artifact::Conda,
        &["--profile", "sophia", "--set", "rapids.jupyter=true"],
    );
    check(
        "sophia_rapids2602__conda",
        Artifact::Conda,
        &[
            "--profile",
            "sophia",
            "--rapids",
            "26.02",
            "--cuda",
            ">=12.2,<=12.9",
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
            "env.venv=/opt/venvs/dask",
            "--set",
            "env.vars={OMP_NUM_THREADS: 1}",
        ],
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
