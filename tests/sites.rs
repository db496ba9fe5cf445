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
    assert!(job.contains("Starts a Dask cluster (8 worker(s)"), "{job}");
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
    assert!(job.contains("Starts a Dask cluster (2 worker(s)"), "{job}");
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
    assert!(job.contains("Starts a Dask cluster (8 worker(s)"), "{job}");
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
    assert!(job.contains("Starts a Dask cluster (8 worker(s)"), "{job}");
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
        eight.contains("Starts a Dask cluster (8 worker(s)"),
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
    let gpu_args = [
        "gen",
        "--profile",
        &profile,
        "-A",
        "c01",
        "--env",
        "/e",
        "-q",
        "gpu",
        "-n",
        "4",
        "--set",
        "dask.worker=cuda",
        "--set",
        "dask.workers_per=gpu",
        "--set",
        "dask.workers_per_node=null",
    ];
    let gpu = ok(&gpu_args);
    let lines = directives(&gpu);
    assert!(lines.contains(&"-l ncpus=64"), "{lines:?}");
    assert!(lines.contains(&"-l ngpus=4"), "{lines:?}");
    assert!(lines.contains(&"-l mem=512GB"), "{lines:?}");
    assert!(gpu.contains("Starts a Dask cluster (4 worker(s)"), "{gpu}");
    common::assert_shell_clean("campus gpu job", &gpu);
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
