//! Jobs across several nodes, emulated (`e2e_support::NODES`): three host names with local
//! addresses of their own, each node's processes in a UTS namespace of that name, and the
//! launcher reaching the other nodes through a remote-start agent that gives them the bare
//! environment of a fresh login (as `ssh` or PBS's `pbs_tmrsh` would). Under it: the ranks on
//! the other nodes find their environment (`env.sh`), get their node's name, and join; when a
//! node is lost, or its ranks die, after start-up the job says which workers went and what it
//! does next. CPU jobs run one rank per node, so every local rank here is 0.
//!
//! What each launcher does (seen here), and so what the job does:
//! - OpenMPI 4.1: a lost node (its daemon gone) or a dead rank ends every rank ("ORTE has lost
//!   communication with a remote daemon"; `--enable-recovery` hangs instead). The job names
//!   the lost workers and ends with status 1 rather than hold an empty cluster until walltime.
//! - MPICH 5.0 and Intel MPI 2021 (Hydra, launched with `-disable-auto-cleanup`): a node's
//!   ranks die, its proxy lives: the other ranks go on, and so does the job, naming the lost
//!   workers. (A lost proxy ends every rank, with the flag or without.)
//! - The job's own start (one host): its only rank dying ends the job the same way.

use crate::common::strs;
use std::time::{Duration, Instant};

use crate::e2e_support::{
    NODES, PbsJob, mpi_prefix, multi_node, path_prologue, prerequisites, serial,
};

fn cpu_args(venv: &std::path::Path, workers_per_node: u32, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--profile",
        "pbs-cpu",
        "-A",
        "e2e",
        "--set",
        "env.conda=null",
        "--set",
        "env.modules=[openmpi/test]",
        "--set",
        "dask.nthreads=1",
        "--set",
        "dask.memory_limit=1GB",
        "--set",
        "dask.startup_timeout=120",
        "--set",
        "dask.security=none",
    ]
    .map(String::from)
    .to_vec();
    args.extend([
        "--set".to_string(),
        format!("env.venv={}", venv.display()),
        "--set".to_string(),
        format!("dask.workers_per_node={workers_per_node}"),
    ]);
    args.extend(extra.iter().map(ToString::to_string));
    args
}

/// Waits until the job's output says it is ready; fails with its output if it ends first.
fn wait_ready(job: &PbsJob, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(150);
    while Instant::now() < deadline {
        if job.output_of("o").contains("dask-pbs: ready:") {
            return;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "the job did not become ready\n--- stdout\n{}--- stderr\n{}",
        job.output_of("o"),
        job.output_of("e")
    );
}

/// The worker names the scheduler has, sorted, asked from outside the job with the venv's
/// Python (as a user's client would).
fn worker_names(venv: &std::path::Path, job: &PbsJob) -> Vec<String> {
    let file = job.job_dir().join("scheduler.json");
    let out = std::process::Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sys; from dask.distributed import Client; \
c = Client(scheduler_file=sys.argv[1], timeout=30); \
print(' '.join(sorted(w['name'] for w in c.scheduler_info(n_workers=-1)['workers'].values())))",
            &file.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect()
}

fn expected_names() -> Vec<String> {
    // CPU workers: one rank per node starting both of its workers (`--nworkers 2`), whose
    // names end in the worker's index.
    let mut names: Vec<String> = NODES
        .iter()
        .flat_map(|n| (0..2).map(move |w| format!("{n}-0-{w}")))
        .collect();
    names.sort();
    names
}

/// Starts a three-node job through a launcher (with `extra` settings), checks that every
/// node's workers joined with their node's name, and that a rank on another node started
/// from its bare login environment (its PATH came from env.sh: the venv's `dask`).
fn start_three_nodes(venv: &std::path::Path, job: &PbsJob, extra: &[&str]) -> std::process::Child {
    job.nodes(&NODES, 1);
    let mut extra = extra.to_vec();
    extra.extend(["-n", "3"]);
    let script = job.render("job", &strs(&cpu_args(venv, 2, &extra)));
    let mut child = job.spawn(&script);
    wait_ready(job, &mut child);
    assert_eq!(worker_names(venv, job), expected_names());
    let log = job.job_dir().join("logs/worker.e2e-node-3.0.log");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(log.contains("rank 0 on e2e-node-3"), "{log}");
    child
}

/// The job's stderr once it holds `text`, within 30 s.
fn stderr_once(job: &PbsJob, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stderr = String::new();
    while Instant::now() < deadline && !stderr.contains(text) {
        std::thread::sleep(Duration::from_millis(300));
        stderr = job.output_of("e");
    }
    stderr
}

/// OpenMPI: node 2 is lost after start-up; OpenMPI ends every rank, and the job names the
/// node's workers and ends with status 1, leaving nothing behind.
#[test]
fn three_nodes_through_openmpi_join_and_a_lost_node_ends_the_job_naming_its_workers() {
    let Some(venv) = prerequisites() else { return };
    if !multi_node() {
        return;
    }
    let _serial = serial();
    let job = PbsJob::new("ompi3");
    let child = start_three_nodes(&venv, &job, &[]);

    assert!(job.kill_node("e2e-node-2") > 0);
    let done = job.finish(child, Duration::from_secs(90));
    assert_eq!(done.status, Some(1), "{}", done.output());
    let lost = done
        .stderr
        .lines()
        .filter(|l| l.contains("lost") && l.contains("worker(s) after start-up"))
        .collect::<Vec<_>>()
        .join("\n");
    for name in ["e2e-node-2-0-0", "e2e-node-2-0-1"] {
        assert!(lost.contains(name), "{name} not named\n{}", done.output());
    }
    assert!(
        done.stderr
            .contains("the launcher exited after start-up and took every rank with it"),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}

#[test]
fn three_nodes_through_mpich_join_and_keep_the_survivors_when_a_nodes_ranks_die() {
    hydra_keeps_the_survivors("mpich", "DASK_PBS_E2E_MPICH", "mpich");
}

#[test]
fn three_nodes_through_intel_mpi_join_and_keep_the_survivors_when_a_nodes_ranks_die() {
    hydra_keeps_the_survivors("intel-mpi", "DASK_PBS_E2E_IMPI", "impi");
}

/// Hydra (MPICH's or Intel MPI's, `-disable-auto-cleanup`): node 2's ranks die after
/// start-up but its proxy lives; the job names the two workers lost and goes on with the four
/// others until qdel. The `mpiexec` of `flavour`, installed under `var` (else .e2e/`dir`), is
/// on PATH through env.prologue only (it must not shadow OpenMPI's for the other tests).
fn hydra_keeps_the_survivors(flavour: &str, var: &str, dir: &str) {
    let Some(venv) = prerequisites() else { return };
    if !multi_node() {
        return;
    }
    let Some(prefix) = mpi_prefix(var, dir) else {
        return;
    };
    let _serial = serial();
    let job = PbsJob::new(dir);
    let prologue = path_prologue(&prefix);
    let mpi = format!("system.mpi={flavour}");
    let mut child = start_three_nodes(&venv, &job, &["--set", &mpi, "--set", &prologue]);

    assert!(job.kill_on_node("e2e-node-2", Some("hydra_pmi_proxy")) > 0);
    let stderr = stderr_once(&job, "lost 2 worker(s)");
    assert!(
        stderr.contains(
            "lost 2 worker(s) after start-up: e2e-node-2-0-0 e2e-node-2-0-1; 4 of 6 registered"
        ),
        "{stderr}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the job ended: {stderr}"
    );
    let mut left = expected_names();
    left.retain(|n| !n.starts_with("e2e-node-2"));
    assert_eq!(worker_names(&venv, &job), left);

    // qdel: SIGTERM to the job's shell.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let done = job.finish(child, Duration::from_mins(1));
    assert_eq!(done.status, Some(143), "{}", done.output());
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}

/// One host, the job's own start (no launcher): when its only rank dies after start-up, the
/// job names the workers lost and ends with status 1 rather than hold an empty cluster.
#[test]
fn the_only_rank_lost_on_one_host_ends_the_job_naming_its_workers() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let job = PbsJob::new("local1");
    job.nodefile(1);
    let script = job.render("job", &strs(&cpu_args(&venv, 2, &[])));
    let mut child = job.spawn(&script);
    wait_ready(&job, &mut child);
    let host = crate::e2e_support::hostname();
    let host = host.split('.').next().unwrap().to_string();

    // The rank's processes: the job gave them their local rank in the environment.
    assert!(job.kill_with_env("DASK_PBS_LOCAL_RANK=0") > 0);
    let done = job.finish(child, Duration::from_mins(1));
    assert_eq!(done.status, Some(1), "{}", done.output());
    assert!(
        done.stderr.contains(&format!(
            "lost 2 worker(s) after start-up: {host}-0-0 {host}-0-1; 0 of 2 registered"
        )),
        "{}",
        done.output()
    );
    assert!(
        done.stderr
            .contains("every rank the job started has exited"),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}
