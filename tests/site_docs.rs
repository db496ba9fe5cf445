//! The built-in sites as their own documentation describes them (issue 18) and the launchers
//! of other PBS sites (issue 14.3), checked through the binary on the rendered text.

use crate::common::{DaskPbs, ok};

fn render(args: &[&str]) -> String {
    let mut all = vec!["gen"];
    all.extend(args);
    let run = DaskPbs::bare().args(&all).run();
    assert_eq!(run.code, 0, "{all:?}: {}", run.stderr);
    run.stdout
}

fn launch_line(text: &str) -> &str {
    text.lines()
        .find(|l| l.trim_start().starts_with("mpiexec ") || l.trim_start().starts_with("srun "))
        .unwrap_or_else(|| panic!("no launch line in\n{text}"))
        .trim()
}

/// 18.7: ALCF and NCAR job scripts start a login shell; the generic profile does not.
#[test]
fn alcf_and_ncar_scripts_start_a_login_shell() {
    for profile in ["polaris", "sophia", "derecho", "casper"] {
        let job = render(&["--profile", profile, "-A", "X", "--env", "/e"]);
        assert!(job.starts_with("#!/bin/bash -l\n"), "{profile}:\n{job}");
    }
    let job = render(&["--profile", "pbs-cpu", "--env", "/e"]);
    assert!(job.starts_with("#!/bin/bash\n"), "{job}");
    // Still the module-system fallback for non-login shells.
    let job = render(&[
        "--profile",
        "polaris",
        "-A",
        "X",
        "--env",
        "/e",
        "--set",
        "system.shell=/usr/bin/bash",
    ]);
    assert!(job.starts_with("#!/usr/bin/bash\n") && job.contains("/etc/profile.d/lmod.sh"));
}

/// 18.5 and 18.6: Polaris binds each rank to its GPU's cores and sets TMPDIR=/tmp.
#[test]
fn polaris_binds_ranks_and_sets_tmpdir() {
    // Two nodes: the job starts its ranks through the launcher.
    let job = render(&["--profile", "polaris", "-A", "X", "--env", "/e", "-n", "2"]);
    assert_eq!(
        launch_line(&job),
        "mpiexec -n \"$dask_pbs_nranks\" --ppn 4 --hostfile \"$dask_pbs_hostfile\" --depth=8 --cpu-bind depth \"$dask_pbs_dir/dask_start_worker.sh\" \"$dask_pbs_dir\" \"${dask_pbs_wrapper_args[@]}\" \\"
    );
    assert!(
        job.contains("TMPDIR=$(dask_pbs_expand_path env.tmpdir /tmp)"),
        "{job}"
    );
    assert!(
        job.contains("CONDA_PREFIX DASK_PBS_T0 TMPDIR; do"),
        "remote ranks get TMPDIR:\n{job}"
    );
    let derecho = render(&["--profile", "derecho", "-A", "X", "--env", "/e"]);
    assert!(derecho.contains("TMPDIR=$(dask_pbs_expand_path env.tmpdir '${SCRATCH}/temp')"));
    let plain = render(&["--profile", "pbs-cpu", "--env", "/e"]);
    assert!(
        !plain.contains("TMPDIR="),
        "no env.tmpdir, no TMPDIR:\n{plain}"
    );
}

/// 18.8: ALCF's conda script exports the documented proxy; a site with none says where to run.
#[test]
fn alcf_conda_script_uses_the_proxy() {
    for profile in ["polaris", "sophia"] {
        let conda = render(&["conda", "--profile", profile, "--env", "/e"]);
        assert!(
            conda.contains("export http_proxy=http://proxy.alcf.anl.gov:3128 https_proxy=http://proxy.alcf.anl.gov:3128\n"),
            "{profile}:\n{conda}"
        );
    }
    let conda = render(&["conda", "--profile", "derecho", "--env", "/e"]);
    assert!(
        !conda.contains("proxy=") && conda.contains("# Run it where the internet is reachable")
    );
}

/// 18.12: a CPU environment gets neither RAPIDS' channels nor the CUDA advice.
#[test]
fn cpu_conda_has_no_rapids_channels_or_cuda_advice() {
    let conda = render(&["conda", "--profile", "pbs-cpu", "--env", "/e"]);
    assert!(
        conda.contains("conda create -y -p /e -c conda-forge python=3.11 dask distributed\n"),
        "{conda}"
    );
    assert!(
        !conda.contains("rapidsai") && !conda.contains("nvidia"),
        "{conda}"
    );
    let gpu = render(&["conda", "--profile", "polaris", "--env", "/e"]);
    assert!(gpu.contains("-c rapidsai") && gpu.contains("check with nvidia-smi"));
}

/// 18.11: pbs-cpu asks for one chunk per host.
#[test]
fn pbs_cpu_scatters_its_chunks() {
    let job = render(&["--profile", "pbs-cpu", "--env", "/e", "-n", "2"]);
    assert!(job.contains("#PBS -l place=scatter\n"), "{job}");
}

/// 14.3: HPE MPT's line (`mpiexec -np N`, hosts from PBS) and Intel MPI's (hydra's options),
/// as their documentation writes them; a profile's own launcher fills its placeholders and
/// quotes its literal words.
#[test]
fn each_launcher_renders_its_documented_syntax() {
    let base = [
        "--profile",
        "polaris",
        "-A",
        "X",
        "--env",
        "/e",
        "--set",
        "system.launcher_args=[]",
        "--set",
        "dask.launch=mpi",
    ];
    let line = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra);
        let job = render(&args);
        let l = launch_line(&job);
        l[..l.find(" \"$dask_pbs_dir/dask_start_worker.sh\"").unwrap()].to_string()
    };
    assert_eq!(
        line(&[
            "--set",
            "system.mpi=hpe-mpt",
            "--set",
            "job.resources.mpiprocs=4"
        ]),
        "mpiexec -np \"$dask_pbs_nranks\""
    );
    assert_eq!(
        line(&["--set", "system.mpi=intel-mpi"]),
        "mpiexec -disable-auto-cleanup -n \"$dask_pbs_nranks\" -ppn 4 -f \"$dask_pbs_hostfile\""
    );
    assert_eq!(
        line(&[
            "--set",
            "system.launcher={words: [srun, -n, \"{nranks}\", \"--ntasks-per-node={ranks_per_node}\", \"--x=a b\"], local_rank_vars: [SLURM_LOCALID]}"
        ]),
        "srun -n \"$dask_pbs_nranks\" --ntasks-per-node=4 '--x=a b'"
    );
    // The profile's own launcher's variables only, and no flavour check of its --version.
    let job = render(
        &[
            &base[..],
            &[
                "--set",
                "system.launcher={words: [srun], local_rank_vars: [SLURM_LOCALID]}",
            ],
        ]
        .concat(),
    );
    assert!(job.contains("for var in DASK_PBS_LOCAL_RANK SLURM_LOCALID; do"));
    assert!(
        !job.contains("found=") && job.contains("the profile's own launcher"),
        "{job}"
    );
    // One rank per node needs no variable.
    ok(&[
        "check",
        "--profile",
        "pbs-cpu",
        "--env",
        "/e",
        "--set",
        "system.launcher={words: [srun, -n, \"{nranks}\"]}",
    ]);
}
