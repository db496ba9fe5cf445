//! End-to-end runs of the sites shaped like none of the first built-ins (NCI Gadi's job-wide
//! request, NASA Pleiades' node types), and of environment paths that name variables, under
//! the emulated PBS job of `e2e_support`: each job starts exactly the workers it asks for.
//! Gadi and Pleiades ask for two nodes and run on two emulated nodes (`e2e_support::NODES`,
//! ranks on the second started with a bare environment); the others on one host.

use crate::common;
use crate::common::strs;

use std::time::Duration;

use crate::e2e_support::{NODES, PbsJob, multi_node, prerequisites};

use crate::e2e_support::serial;

/// The test venv reached through `~/venv` (so the path names a variable), two single-thread
/// workers, and the payload that counts them.
fn site_args(profile: &str, venv: &std::path::Path, job: &PbsJob, workers: u32) -> Vec<String> {
    std::os::unix::fs::symlink(venv, job.path("home/venv")).unwrap();
    let mut args: Vec<String> = [
        "--profile",
        profile,
        "-A",
        "a00",
        "--set",
        "env.conda=null",
        "--set",
        "env.venv=~/venv",
        "--set",
        "env.modules=[openmpi/test]",
        "--set",
        "dask.workers_per_node=2",
        "--set",
        "dask.nthreads=1",
        "--set",
        "dask.memory_limit=1GB",
        "--set",
        "dask.startup_timeout=90",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--run".to_string(), payload(workers)]);
    args
}

fn payload(workers: u32) -> String {
    format!(
        "python -c 'import os; from dask.distributed import Client; \
c = Client(scheduler_file=os.environ[\"DASK_SCHEDULER_FILE\"]); \
n = len(c.scheduler_info(n_workers=-1)[\"workers\"]); \
assert n == {workers}, n; print(\"RESULT\", n)'"
    )
}

fn run_ok(job: &PbsJob, args: &[String], workers: u32) -> String {
    let script = job.render("job", &strs(args));
    let text = std::fs::read_to_string(&script).unwrap();
    let done = job.run(&script, Duration::from_secs(150));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(
        done.stdout.contains(&format!("RESULT {workers}")),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
    text
}

/// Issue 14's done-when: `-A a00 -n 2` asks Gadi for two nodes' cores and memory job-wide
/// (no `select=`), and the job starts two workers on each of the two nodes, spilling where
/// the profile's `dask.local_directory` says after expanding it on each node.
#[test]
fn gadi_job_wide_request_for_two_nodes_brings_up_every_worker() {
    let Some(venv) = prerequisites() else { return };
    if !multi_node() {
        return;
    }
    let _serial = serial();
    let job = PbsJob::new("gadi");
    job.nodes(&NODES[..2], 1);
    let mut args = site_args("gadi", &venv, &job, 4);
    // Gadi's $PBS_JOBFS is not set on the emulated nodes; $HOME (set on every node) stands in.
    args.extend(["-n", "2", "--set", "dask.local_directory=${HOME}/jobfs"].map(String::from));
    let script = run_ok(&job, &args, 4);
    assert!(
        script.contains("#PBS -P a00\n#PBS -l ncpus=96\n#PBS -l mem=380GB\n"),
        "{script}"
    );
    assert!(!script.contains("select="), "{script}");
    // Each node's workers say where they spill: under the directory expanded on that node.
    let jobfs = job.path("home/jobfs").display().to_string();
    for node in &NODES[..2] {
        let log = job.job_dir().join(format!("logs/worker.{node}.0.log"));
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        let dirs = log
            .lines()
            .filter(|l| l.contains("Local Directory:") && l.contains(&jobfs))
            .count();
        assert_eq!(dirs, 2, "{node}:\n{log}");
    }
}

/// Issue 14's done-when: `-A s1234 -n 2` on Pleiades is `group_list`, `select=2` with the node
/// model, and two nodes' workers come up (through OpenMPI here: MPT does not exist here).
#[test]
fn pleiades_node_type_request_for_two_nodes_brings_up_every_worker() {
    let Some(venv) = prerequisites() else { return };
    if !multi_node() {
        return;
    }
    let _serial = serial();
    let job = PbsJob::new("pleiades");
    job.nodes(&NODES[..2], 1);
    let mut args = site_args("pleiades", &venv, &job, 4);
    args.extend(
        [
            "-n",
            "2",
            "--set",
            "system.mpi=openmpi",
            "--node-type",
            "bro",
        ]
        .map(String::from),
    );
    let script = run_ok(&job, &args, 4);
    assert!(script.contains("#PBS -W group_list=a00\n"), "{script}");
    assert!(
        script.contains("#PBS -l select=2:ncpus=28:model=bro\n"),
        "{script}"
    );
}

/// A variable in env.venv that is not set on the node ends the job with a dask-pbs error
/// naming the variable and the key, not bash's `unbound variable`.
#[test]
fn an_unset_variable_in_the_environment_path_names_itself_and_the_key() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let job = PbsJob::new("unset");
    job.nodefile(1);
    let mut args = site_args("pbs-cpu", &venv, &job, 2);
    args.extend(["--set", "env.venv=$PBS_JOBFS/venv"].map(String::from));
    let done = job.run(&job.render("job", &strs(&args)), Duration::from_mins(1));
    assert_eq!(done.status, Some(1), "{}", done.output());
    assert!(
        done.stderr
            .contains("env.venv names $PBS_JOBFS, which is not set on"),
        "{}",
        done.output()
    );
    assert!(
        !done.stderr.contains("unbound variable"),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
    // A failed set-up marks the job directory ended too: a worker job would say so at once.
    let ended = std::fs::read_to_string(job.job_dir().join("ended")).unwrap_or_default();
    assert!(
        ended.starts_with("status=1\n"),
        "{ended:?}\n{}",
        done.output()
    );
}

/// tests/site_profiles/campus.yaml (a site like no built-in) brings up its workers with no
/// template override.
#[test]
fn a_site_shaped_like_no_builtin_brings_up_its_workers() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let job = PbsJob::new("campus");
    job.nodefile(1);
    let profile = common::repo_root().join("tests/site_profiles/campus.yaml");
    let args = site_args(profile.to_str().unwrap(), &venv, &job, 2);
    let script = run_ok(&job, &args, 2);
    assert!(
        script.contains("#PBS -P a00\n#PBS -l ncpus=32\n#PBS -l mem=128GB\n"),
        "{script}"
    );
}

/// Issue 28's done-when 2: a Pleiades job launched the HPE MPT way reaches every rank with
/// `MPI_SHEPHERD=true`. MPT cannot run here, so tests/emulated_pbs/mpt's `mpiexec` stands in
/// for it: hosts and ranks from PBS_NODEFILE, MPT_LRANK, and MPT's refusal to start a program
/// that is not an MPI program unless MPI_SHEPHERD is true. Every worker on both nodes then
/// reports the variable.
#[test]
fn pleiades_mpt_form_hands_mpi_shepherd_to_every_rank() {
    let Some(venv) = prerequisites() else { return };
    if !multi_node() {
        return;
    }
    let _serial = serial();
    let job = PbsJob::new("mpt");
    job.nodes(&NODES[..2], 1);
    let mut args = site_args("pleiades", &venv, &job, 4);
    args.pop();
    args.pop();
    let shim = common::repo_root().join("tests/emulated_pbs/mpt");
    let payload = "python -c 'import os; from dask.distributed import Client; \
c = Client(scheduler_file=os.environ[\"DASK_SCHEDULER_FILE\"]); \
seen = c.run(lambda: os.environ.get(\"MPI_SHEPHERD\")); \
assert len(seen) == 4 and set(seen.values()) == {\"true\"}, seen; print(\"SHEPHERD\", len(seen))'";
    args.extend(
        [
            "-n",
            "2",
            "--node-type",
            "bro",
            "--set",
            &crate::e2e_support::path_prologue(&shim),
            "--run",
            payload,
        ]
        .map(String::from),
    );
    let script = job.render("job", &strs(&args));
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("export MPI_SHEPHERD=true"), "{text}");
    let done = job.run(&script, Duration::from_secs(150));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(done.stdout.contains("SHEPHERD 4"), "{}", done.output());
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
    let launcher =
        std::fs::read_to_string(job.job_dir().join("logs/launcher.log")).unwrap_or_default();
    assert!(!launcher.contains("MPT ERROR"), "{launcher}");
}
