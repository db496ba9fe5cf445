//! The sites that are shaped like none of the first built-ins: job-wide requests (NCI Gadi),
//! another project directive (`-P`, `-W group_list=`), node types (NASA Pleiades, NCAR
//! Casper), a queue's submit name. Each through the binary, as a user would run it.

use crate::common;

use crate::common::{dask_pbs, ok};

fn directives(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("#PBS "))
        .collect()
}

#[test]
fn gadi_asks_job_wide_for_every_node_with_its_project_directive() {
    let job = ok(&[
        "gen",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "-n",
        "2",
        "--env",
        "/x",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-P a00"), "{lines:?}");
    assert!(lines.contains(&"-l ncpus=96"), "{lines:?}");
    assert!(lines.contains(&"-l mem=380GB"), "{lines:?}");
    assert!(lines.contains(&"-l jobfs=100GB"), "{lines:?}");
    assert!(lines.contains(&"-l wd"), "{lines:?}");
    assert!(!job.contains("select="), "{job}");
    assert!(!lines.iter().any(|l| l.starts_with("-A")), "{lines:?}");
    assert!(
        job.contains("Starts a Dask cluster of 8 worker(s)"),
        "{job}"
    );
    common::assert_shell_clean("gadi job", &job);
    // The storage a site needs comes from the profile (here a --set), as its own -l.
    let job = ok(&[
        "gen",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "--env",
        "/x",
        "--set",
        "job.resources.storage=gdata/a00+scratch/a00",
    ]);
    assert!(
        directives(&job).contains(&"-l storage=gdata/a00+scratch/a00"),
        "{job}"
    );
}

#[test]
fn gadi_gpu_asks_twelve_cpus_a_gpu_and_whole_nodes_beyond_one() {
    let job = ok(&[
        "gen",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-n",
        "2",
        "--env",
        "/x",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-l ngpus=2"), "{lines:?}");
    assert!(lines.contains(&"-l ncpus=24"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("-l mem=")), "{lines:?}");
    assert!(
        job.contains("Starts a Dask cluster of 2 worker(s)"),
        "{job}"
    );
    let check = ok(&[
        "check",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-n",
        "8",
        "--env",
        "/x",
    ]);
    assert!(check.contains("8 GPUs on 2 nodes"), "{check}");
    let job = ok(&[
        "gen",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-n",
        "8",
        "--env",
        "/x",
    ]);
    let lines = directives(&job);
    assert!(
        lines.contains(&"-l ngpus=8") && lines.contains(&"-l ncpus=96"),
        "{lines:?}"
    );
    let odd = dask_pbs(&[
        "check",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-n",
        "6",
        "--env",
        "/x",
    ]);
    assert_eq!(odd.code, 2, "{}", odd.stderr);
}

#[test]
fn pleiades_writes_group_list_and_the_node_model_in_each_chunk() {
    let job = ok(&[
        "gen",
        "--profile",
        "pleiades",
        "-A",
        "s1234",
        "-n",
        "2",
        "--env",
        "/x",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-W group_list=s1234"), "{lines:?}");
    assert!(
        lines.contains(&"-l select=2:ncpus=40:model=cas_ait"),
        "{lines:?}"
    );
    assert!(
        job.contains("Starts a Dask cluster of 8 worker(s)"),
        "{job}"
    );
    common::assert_shell_clean("pleiades job", &job);
    // Another model changes the chunk and each worker's share of the node's memory.
    let job = ok(&[
        "gen",
        "--profile",
        "pleiades",
        "-A",
        "s1234",
        "--env",
        "/x",
        "--node-type",
        "rom_ait",
    ]);
    assert!(
        directives(&job).contains(&"-l select=1:ncpus=128:model=rom_ait"),
        "{job}"
    );
    assert!(
        job.contains("--memory-limit 128GiB"),
        "512GB / 4 workers: {job}"
    );
    let job = ok(&[
        "gen",
        "--profile",
        "pleiades",
        "-A",
        "s1234",
        "--env",
        "/x",
        "--set",
        "job.resources.model=bro",
    ]);
    assert!(
        directives(&job).contains(&"-l select=1:model=bro:ncpus=28"),
        "{job}"
    );
    assert!(
        job.contains("--memory-limit 32GiB"),
        "128GB / 4 workers: {job}"
    );
}

#[test]
fn pleiades_gpu_submits_to_the_server_qualified_queue() {
    let job = ok(&[
        "gen",
        "--profile",
        "pleiades-gpu",
        "-A",
        "s1234",
        "-n",
        "2",
        "--env",
        "/x",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-q v100@pbspl4"), "{lines:?}");
    assert!(
        lines.contains(&"-l select=2:ncpus=36:ngpus=4:mpiprocs=4:mem=360GB:model=sky_gpu"),
        "{lines:?}"
    );
    assert!(
        job.contains("Starts a Dask cluster of 8 worker(s)"),
        "{job}"
    );
    let cpu = dask_pbs(&[
        "check",
        "--profile",
        "pleiades-gpu",
        "-A",
        "s",
        "--env",
        "/x",
        "--node-type",
        "rom_ait",
    ]);
    assert_eq!(cpu.code, 2, "{}", cpu.stderr);
}

#[test]
fn casper_gpu_types_change_the_layout_and_the_limits() {
    let h100 = dask_pbs(&[
        "check",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--set",
        "job.resources.gpu_type=h100",
        "-n",
        "4",
    ]);
    assert_eq!(h100.code, 2, "only 2 h100 nodes: {}", h100.stderr);
    let flag = dask_pbs(&[
        "check",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--node-type",
        "h100",
        "-n",
        "4",
    ]);
    assert_eq!(flag.code, 2, "{}", flag.stderr);
    let generic = dask_pbs(&[
        "check",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--set",
        "job.resources.gpu_type=a100",
    ]);
    assert_eq!(generic.code, 2, "{}", generic.stderr);
    let eight = ok(&[
        "gen",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--node-type",
        "v100_8way",
    ]);
    assert!(eight.contains("gpu_type=v100_8way"), "{eight}");
    assert!(eight.contains(":ngpus=8"), "{eight}");
    assert!(
        eight.contains("Starts a Dask cluster of 8 worker(s)"),
        "{eight}"
    );
    let one = ok(&[
        "gen",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--node-type",
        "a100_40gb",
    ]);
    assert!(
        one.contains("select=1:ncpus=8:mpiprocs=1:ngpus=1:gpu_type=a100_40gb"),
        "{one}"
    );
    // A limit over the chosen type's GPU memory is refused (72GB fits 80 GB, not 32 GB).
    let over = dask_pbs(&[
        "check",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--node-type",
        "v100_4way",
        "--set",
        "dask.device_memory_limit=72GB",
    ]);
    assert_eq!(over.code, 2, "{}", over.stderr);
    assert!(
        over.stderr.contains("system.gpu_memory `32GB`"),
        "{}",
        over.stderr
    );
}

#[test]
fn the_regenerate_line_carries_the_node_type() {
    let job = ok(&[
        "gen",
        "--profile",
        "casper",
        "-A",
        "a",
        "--env",
        "/x",
        "--node-type",
        "h100",
    ]);
    assert!(job.contains("--node-type h100"), "{job}");
}

#[test]
fn a_profile_names_its_own_templates_for_itself_only_and_regenerate_keeps_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tpl")).unwrap();
    std::fs::write(
        root.join("site.yaml"),
        "description: own templates\nextends: pbs-cpu\ntemplates: tpl\n",
    )
    .unwrap();
    std::fs::write(
        root.join("other.yaml"),
        "description: plain\nextends: pbs-cpu\n",
    )
    .unwrap();
    std::fs::write(
        root.join("tpl/interactive.j2"),
        "#!/bin/bash\n# custom {{ profile.name }}\n# {{ regenerate }}\n",
    )
    .unwrap();
    let places = root.to_str().unwrap();
    let own = ok(&[
        "gen",
        "interactive",
        "--profile",
        "site",
        "--profile-dir",
        places,
        "--env",
        "/e",
    ]);
    assert!(own.contains("# custom site"), "{own}");
    assert!(own.contains(&format!("--profile-dir {places}")), "{own}");
    let other = ok(&[
        "gen",
        "interactive",
        "--profile",
        "other",
        "--profile-dir",
        places,
        "--env",
        "/e",
    ]);
    assert!(!other.contains("custom"), "{other}");
    assert!(other.contains("qsub -I"), "{other}");
    let extra = root.join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let job = ok(&[
        "gen",
        "job",
        "--profile",
        "other",
        "--profile-dir",
        places,
        "--templates",
        extra.to_str().unwrap(),
        "--env",
        "/e",
    ]);
    let line = job
        .lines()
        .find(|l| l.starts_with("# Regenerate with:"))
        .unwrap();
    assert!(line.contains(&format!("--profile-dir {places}")), "{line}");
    assert!(
        line.contains(&format!("--templates {}", extra.display())),
        "{line}"
    );
}

/// tests/site_profiles/campus.yaml: job-wide, `-P`, two queues of different node shapes.
fn campus() -> String {
    common::repo_root()
        .join("tests/site_profiles/campus.yaml")
        .display()
        .to_string()
}

#[test]
fn a_site_shaped_like_no_builtin_renders_from_its_profile_alone() {
    let profile = campus();
    let job = ok(&[
        "gen",
        "--profile",
        &profile,
        "-A",
        "c01",
        "-n",
        "2",
        "--env",
        "/e",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-P c01"), "{lines:?}");
    assert!(lines.contains(&"-l ncpus=64"), "{lines:?}");
    assert!(lines.contains(&"-l mem=256GB"), "{lines:?}");
    assert!(lines.contains(&"-l scratch=20GB"), "{lines:?}");
    assert!(!job.contains("select="), "{job}");
    assert!(
        job.contains("--memory-limit 64GiB"),
        "128GB / 2 workers: {job}"
    );
    common::assert_shell_clean("campus job", &job);
    // The GPU queue as docs/adding-a-site.md keeps it: a second file that extends the first
    // by path and changes only the queue and the worker kind.
    let gpu_profile = profile.replace("campus.yaml", "campus-gpu.yaml");
    let gpu = ok(&[
        "gen",
        "--profile",
        &gpu_profile,
        "-A",
        "c01",
        "--env",
        "/e",
        "-n",
        "4",
    ]);
    let lines = directives(&gpu);
    assert!(lines.contains(&"-l ncpus=64"), "{lines:?}");
    assert!(lines.contains(&"-l ngpus=4"), "{lines:?}");
    assert!(lines.contains(&"-l mem=512GB"), "{lines:?}");
    assert!(
        gpu.contains("Starts a Dask cluster of 4 worker(s)"),
        "{gpu}"
    );
    common::assert_shell_clean("campus gpu job", &gpu);
    let page = std::fs::read_to_string(common::repo_root().join("docs/adding-a-site.md")).unwrap();
    let file = std::fs::read_to_string(&gpu_profile).unwrap();
    assert!(
        page.contains(&file),
        "docs/adding-a-site.md shows tests/site_profiles/campus-gpu.yaml as it is"
    );
    // GPU workers on the CPU queue are refused.
    let cpu_queue = dask_pbs(&[
        "check",
        "--profile",
        &profile,
        "-A",
        "c01",
        "--env",
        "/e",
        "--set",
        "dask.worker=cuda",
        "--set",
        "dask.workers_per=gpu",
        "--set",
        "dask.workers_per_node=null",
    ]);
    assert_eq!(cpu_queue.code, 2, "{}", cpu_queue.stderr);
    assert!(
        cpu_queue.stderr.contains("batch serves no GPU node type"),
        "{}",
        cpu_queue.stderr
    );
}

/// The job's `dask_pbs_find_hosts` run on its own with a node file: the hostfile it writes
/// and the layout it computes ("nodes nranks expected use_mpi").
fn prepare_with_nodefile(job: &str, nodefile: &str) -> (String, String) {
    let start = job
        .find("dask_pbs_find_hosts() {")
        .expect("the job has dask_pbs_find_hosts");
    let rest = &job[start..];
    let end = rest.find("\n}\n").expect("the function's end") + 3;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nodefile"), nodefile).unwrap();
    let script = format!(
        "dask_pbs_log() {{ :; }}\ndask_pbs_fail() {{ echo \"FAIL $*\"; exit 1; }}\n{}\ndask_pbs_find_hosts\necho \"$dask_pbs_nodes $dask_pbs_nranks $dask_pbs_expected_workers $dask_pbs_use_mpi\"\n",
        &rest[..end]
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PBS_NODEFILE", dir.path().join("nodefile"))
        .env("dask_pbs_dir", dir.path())
        .env("dask_pbs_hostfile", dir.path().join("hostfile"))
        .env("dask_pbs_t0", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hostfile = std::fs::read_to_string(dir.path().join("hostfile")).unwrap();
    (hostfile, stdout)
}

/// Issue 28's done-when 5: chunks of G GPUs anywhere are rank groups of their own. The job
/// counts each host's ranks from its lines in PBS_NODEFILE (two chunks on node-a, one on
/// node-b: 2 + 1 ranks on 2 hosts, never "2 hosts × 2"), the launcher gets each host's count
/// in the hostfile, and `check` says how many nodes that may be.
#[test]
fn chunks_anywhere_count_each_hosts_ranks_from_the_node_file() {
    let profile = crate::common::repo_root().join("tests/site_profiles/uni.yaml");
    let profile = profile.to_str().unwrap();
    let check = ok(&["check", "--profile", profile, "-n", "3"]);
    assert!(
        check.starts_with("ok: 3 chunks of 1 GPU (1 to 3 nodes) of uni/(default queue) for 01:00:00 → 3 dask-cuda workers"),
        "{check}"
    );
    let job = ok(&["gen", "--profile", profile, "-n", "3"]);
    assert!(
        directives(&job).contains(&"-l select=3:ncpus=4:ngpus=1:mem=32GB"),
        "{job}"
    );
    assert!(!job.contains("#PBS -q"), "no -q on this site:\n{job}");
    assert!(
        job.contains("mpiexec -np \"$dask_pbs_nranks\" --map-by slot --bind-to none --hostfile \"$dask_pbs_hostfile\""),
        "{job}"
    );
    common::assert_shell_clean("uni job", &job);
    let (hostfile, layout) = prepare_with_nodefile(&job, "node-a\nnode-b\nnode-a\n");
    assert_eq!(hostfile, "node-a slots=2\nnode-b slots=1\n");
    assert_eq!(
        layout, "2 3 3 1",
        "nodes, ranks, workers, through the launcher"
    );
    let (hostfile, layout) = prepare_with_nodefile(&job, "node-a\nnode-a\nnode-a\n");
    assert_eq!(hostfile, "node-a slots=3\n");
    assert_eq!(
        layout, "1 3 3 0",
        "one host: the job starts its ranks itself"
    );
    // Chunks of 2 GPUs, 2 ranks (mpiprocs) each, through MPICH's hydra (`host:N` lines).
    let job = ok(&[
        "gen",
        "--profile",
        profile,
        "--set",
        "job.resources={ncpus: 8, ngpus: 2, mpiprocs: 2}",
        "--set",
        "system.mpi=mpich",
    ]);
    assert!(
        job.contains(
            "mpiexec -disable-auto-cleanup -n \"$dask_pbs_nranks\" -f \"$dask_pbs_hostfile\""
        ),
        "{job}"
    );
    let (hostfile, layout) = prepare_with_nodefile(&job, "node-a\nnode-a\nnode-b\nnode-b\n");
    assert_eq!(hostfile, "node-a:2\nnode-b:2\n");
    assert_eq!(layout, "2 4 4 1");
}

/// Issue 28's done-when 6: `--set` on one field of a queue, a node type or the default queue
/// changes that field of the entry the profile resolved to; the other fields stay. A field
/// the entry does not have, an entry that does not exist, or a value that is not YAML is
/// refused with what to give instead.
#[test]
fn a_set_on_one_field_of_a_queue_or_node_type_changes_that_field_only() {
    let check = ok(&[
        "check",
        "--profile",
        "pleiades",
        "-A",
        "s1",
        "--env",
        "/e",
        "-t",
        "10:00:00",
        "--set",
        "system.queues.normal.walltime=[\"00:00:01\", \"12:00:00\"]",
    ]);
    assert!(
        check.starts_with("ok: 1 node of pleiades/normal for 10:00:00"),
        "{check}"
    );
    let job = ok(&[
        "gen",
        "--profile",
        "pleiades",
        "-A",
        "s1",
        "--env",
        "/e",
        "--node-type",
        "bro",
        "--set",
        "system.node_types.bro.cpus=24",
        "--set",
        "system.node_types.bro.resources={ncpus: 24, model: bro}",
    ]);
    assert!(
        directives(&job).contains(&"-l select=1:ncpus=24:model=bro"),
        "{job}"
    );
    for (set, message) in [
        (
            "system.node_types.bro.memroy=100GB",
            "--set system.node_types.bro.memroy=100GB: unknown field `memroy`, expected one of `gpus`, `gpu_memory`, `cpus`, `memory`, `count`, `resources` (the other fields of system.node_types.bro are kept",
        ),
        (
            "system.queues.nope.walltime=1",
            "--set system.queues.nope.walltime=1: there is no queue nope to change one field of; give the whole entry with --set 'system.queues.nope={…}'",
        ),
        (
            "system.default_queue.walltime=1",
            "--set system.default_queue.walltime=1: there is no default queue to change one field of",
        ),
        (
            "system.queues.normal.walltime=[1, 2",
            "--set system.queues.normal.walltime=[1, 2: the value is not YAML",
        ),
    ] {
        let run = dask_pbs(&[
            "check",
            "--profile",
            "pleiades",
            "-A",
            "s1",
            "--env",
            "/e",
            "--set",
            set,
        ]);
        assert_eq!(run.code, 2, "{set}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{set}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

/// Issue 28's done-when 3: Gadi asks for the storage of the paths the job uses, merged with
/// the projects the profile names; a path under no rule (or naming a variable) asks nothing.
#[test]
fn gadi_asks_for_the_storage_of_the_paths_the_job_uses() {
    let job = ok(&[
        "gen",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "--env",
        "/g/data/a00/envs/rapids",
        "--set",
        "dask.local_directory=/scratch/xy12/spill",
        "--set",
        "job.resources.storage=gdata/zz99",
    ]);
    assert!(
        directives(&job).contains(&"-l storage=gdata/zz99+gdata/a00+scratch/xy12"),
        "{job}"
    );
    let job = ok(&[
        "gen",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "--env",
        "/home/u/envs/r",
    ]);
    assert!(!job.contains("storage="), "{job}");
    // A select site with the same rule asks for it job-wide, never in a chunk.
    let job = ok(&[
        "gen",
        "--profile",
        "pbs-cpu",
        "--env",
        "/g/data/a00/envs/rapids",
        "--set",
        "system.path_resources=[{prefix: /g/data/, resource: storage, word: \"gdata/{dir}\"}]",
    ]);
    let lines = directives(&job);
    assert!(lines.contains(&"-l select=1:ncpus=64"), "{lines:?}");
    assert!(lines.contains(&"-l storage=gdata/a00"), "{lines:?}");
}

/// Issue 28's done-when 2: the launch line forms of MPT sites, chosen without a custom
/// launcher — NAS's `mpiexec -np N`, `mpiexec_mpt`, and `mpirun -np N omplace` — each with
/// MPI_SHEPHERD exported for every rank; the profile's own value of it wins.
#[test]
fn mpt_sites_choose_their_launch_form_and_get_mpi_shepherd() {
    let base = [
        "gen",
        "--profile",
        "pleiades",
        "-A",
        "s1",
        "--env",
        "/e",
        "-n",
        "2",
    ];
    let job = ok(&base);
    assert!(
        job.contains("    mpiexec -np \"$dask_pbs_nranks\" \"$dask_pbs_dir/dask_start_worker.sh\""),
        "{job}"
    );
    assert!(job.contains("  export MPI_SHEPHERD=true\n"), "{job}");
    assert!(job.contains("  module load mpi-hpe/mpt ||"), "{job}");
    assert!(job.contains("  module load miniconda3/v4 ||"), "{job}");
    let mut args = base.to_vec();
    args.extend(["--set", "system.launcher_program=mpiexec_mpt"]);
    let job = ok(&args);
    assert!(
        job.contains(
            "    mpiexec_mpt -np \"$dask_pbs_nranks\" \"$dask_pbs_dir/dask_start_worker.sh\""
        ),
        "{job}"
    );
    assert!(
        job.contains("command -v mpiexec_mpt"),
        "the job looks for mpiexec_mpt:\n{job}"
    );
    let mut args = base.to_vec();
    args.extend([
        "--set",
        "system.launcher_program=mpirun",
        "--set",
        "system.launcher_args=[omplace]",
    ]);
    let job = ok(&args);
    assert!(
        job.contains(
            "    mpirun -np \"$dask_pbs_nranks\" omplace \"$dask_pbs_dir/dask_start_worker.sh\""
        ),
        "{job}"
    );
    let mut args = base.to_vec();
    args.extend(["--set", "env.vars.MPI_SHEPHERD=false"]);
    let job = ok(&args);
    assert!(
        job.contains("  export MPI_SHEPHERD=false\n") && !job.contains("MPI_SHEPHERD=true"),
        "{job}"
    );
    let polaris = ok(&["gen", "--profile", "polaris", "-A", "X", "--env", "/e"]);
    assert!(!polaris.contains("MPI_SHEPHERD"), "only MPT needs it");
}

/// Issue 28's points 11 and 12: `check` names the routing row a job goes to; an imported
/// dask-jobqueue config that holds whole nodes (resource-spec ncpus above `cores`) and names
/// no queue imports into a profile `check` accepts, asking PBS for what dask-jobqueue asks.
#[test]
fn check_names_the_routing_row_and_imports_hold_whole_nodes() {
    let check = ok(&[
        "check",
        "--profile",
        "polaris",
        "-A",
        "X",
        "--env",
        "/e",
        "-q",
        "prod",
        "-n",
        "30",
        "-t",
        "02:00:00",
    ]);
    assert!(
        check.contains("of polaris/prod (routed to medium) for 02:00:00"),
        "{check}"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jobqueue.yaml");
    std::fs::write(
        &config,
        "jobqueue:\n  pbs:\n    cores: 8\n    memory: 16GB\n    processes: 2\n    python: /apps/venv/bin/python3\n    resource-spec: select=1:ncpus=36:mem=180GB\n",
    )
    .unwrap();
    let profile = dir.path().join("site.yaml");
    let run = dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&profile, &run.stdout).unwrap();
    let text = run.stdout;
    assert!(text.contains("default_queue:"), "{text}");
    let profile = profile.to_str().unwrap();
    let check = ok(&["check", "--profile", profile]);
    assert!(
        check.starts_with("ok: 1 node of site/(default queue)"),
        "{check}"
    );
    let job = ok(&["gen", "--profile", profile]);
    let lines = directives(&job);
    assert!(
        lines.contains(&"-l select=1:ncpus=36:mem=180GB"),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("-q")), "{lines:?}");
}
