//! Issue 27: the Python package (`python/dask_pbs`): a Dask cluster object in PBS jobs, driven
//! from a notebook. The package calls the binary and reads its `--json` output; the first
//! tests here pin those outputs (`submit --json`, `wait`, `status NAME`, `scale` targets). The
//! others run the package for real under the emulated PBS (tests/emulated_pbs, as in
//! tests/elastic.rs): a notebook in a real Jupyter kernel (nbclient), `connect()` to a
//! cluster from `submit`, an adapt whose Python process is killed, dask-labextension's
//! cluster manager, and the mistakes that must raise dask-pbs's own message with nothing
//! left submitted. Their Python side is tests/python/.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{self, in_ci, repo_root};
use crate::e2e_support::{PbsJob, prerequisites, serial};

/// An executable stand-in for a PBS command in `dir`.
fn stub(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// A recorded cluster `id` (job name `name`) whose directory is under `dir`; the directory.
fn recorded(dir: &Path, id: &str, name: &str) -> PathBuf {
    let job_dir = dir.join(format!("dask-pbs.{id}"));
    std::fs::create_dir_all(&job_dir).unwrap();
    let records = dir.join("state/dask-pbs/clusters");
    std::fs::create_dir_all(&records).unwrap();
    let record = serde_json::json!({
        "job_id": id, "job_dir": job_dir, "workers_script": dir.join("workers.sh"),
        "worker_jobs": [], "name": name, "workers_per_job": 2,
    });
    std::fs::write(records.join(format!("{id}.json")), record.to_string()).unwrap();
    job_dir
}

/// `dask-pbs ARGS` with the state directory and qstat of `dir`.
fn with_qstat(dir: &Path, qstat: &str, args: &[&str]) -> common::Run {
    common::DaskPbs::new()
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("DASK_PBS_QSTAT", stub(dir, "qstat", qstat))
        .cwd(dir)
        .args(args)
        .run()
}

const QSTAT_R: &str = r#"echo '{"pbs_version": "23.06.06", "Jobs": {"7.vm": {"job_state": "R"}}}'"#;

#[test]
fn submit_json_names_the_job_its_directory_and_its_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let qsub = stub(dir.path(), "qsub", "echo 4242.pbs01");
    let run = common::DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", &qsub)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["submit", "--profile", "pbs-cpu", "--name", "mine", "--json"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let job_dir = dir.path().join("dask-pbs.4242.pbs01");
    let path = |p: &Path| p.display().to_string();
    assert_eq!(info["job_id"], "4242.pbs01");
    assert_eq!(info["name"], "mine");
    assert_eq!(info["profile"], "pbs-cpu");
    assert_eq!(info["job_dir"], path(&job_dir));
    assert_eq!(info["expected_workers"], 4, "pbs-cpu: 4 workers a node");
    assert_eq!(info["tls"]["ca_file"], path(&job_dir.join("tls/ca.pem")));
    assert_eq!(info["tls"]["key"], path(&job_dir.join("tls/job.key")));
    assert_eq!(
        info["scheduler_file"],
        path(&job_dir.join("scheduler.json"))
    );
    assert_eq!(info["script"], path(&dir.path().join("mine.dask-pbs.sh")));
    // Without TLS there are no certificates to present.
    let run = common::DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", &qsub)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args([
            "submit",
            "-p",
            "pbs-cpu",
            "--set",
            "dask.security=none",
            "--json",
        ])
        .run();
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        info["tls"].is_null() && info["dask_config"].is_null(),
        "{info}"
    );
}

#[test]
fn wait_returns_on_the_ready_mark_and_fails_on_the_end_mark() {
    let dir = tempfile::tempdir().unwrap();
    let job_dir = recorded(dir.path(), "7.vm", "dask");
    std::fs::write(
        job_dir.join("ready"),
        r#"{"workers": 2, "expected": 2, "seconds": 3.1, "address": "tls://10.0.0.1:4000", "dashboard": "http://10.0.0.1:8787/status"}"#,
    )
    .unwrap();
    let run = with_qstat(dir.path(), QSTAT_R, &["wait", "7.vm", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let last: serde_json::Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "ready", "{}", run.stdout);
    assert_eq!(last["workers"], 2, "the ready mark's count: {}", run.stdout);
    assert_eq!(last["cluster"]["scheduler"], "tls://10.0.0.1:4000");
    assert_eq!(last["cluster"]["dashboard"], "http://10.0.0.1:8787/status");
    assert_eq!(last["cluster"]["ready"]["seconds"], 3.1);

    std::fs::write(
        job_dir.join("ended"),
        "status=1\nreason=the scheduler died\n",
    )
    .unwrap();
    let run = with_qstat(dir.path(), QSTAT_R, &["wait", "7.vm"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("error: the head job 7.vm has ended (status=1, reason=the scheduler died)"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(job_dir.join("ready")).unwrap();
    let run = with_qstat(dir.path(), QSTAT_R, &["wait", "7.vm"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "error: the head job 7.vm ended before its cluster was ready (status=1, reason=the scheduler died); its logs:"
        ) && run.stderr.contains("dask-pbs.7.vm/logs/"),
        "{}",
        run.stderr
    );
}

#[test]
fn wait_names_the_jobs_state_when_it_gives_up_and_when_pbs_forgot_it() {
    let dir = tempfile::tempdir().unwrap();
    recorded(dir.path(), "7.vm", "dask");
    let queued = r#"echo '{"pbs_version": "23.06.06", "Jobs": {"7.vm": {"job_state": "Q"}}}'"#;
    let run = with_qstat(dir.path(), queued, &["wait", "7.vm", "--timeout", "0.3"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "error: gave up after 0.3 s: the head job 7.vm is queued (PBS state Q); its logs:"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the job goes on: `dask-pbs stop 7.vm` ends it"),
        "{}",
        run.stderr
    );
    let unknown = "echo 'qstat: Unknown Job Id 7.vm' >&2; exit 153";
    let run = with_qstat(dir.path(), unknown, &["wait", "7.vm", "--json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("PBS no longer runs the head job 7.vm and it left no end mark"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains(r#""event":"gone""#), "{}", run.stdout);
    // A server that does not answer is waited out, and named when the wait gives up.
    let down = "echo 'qstat: cannot connect to server vm (errno=15010)' >&2; exit 1";
    let run = with_qstat(dir.path(), down, &["wait", "7.vm", "--timeout", "0.3"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("of unknown state (PBS does not answer:")
            && run.stderr.contains("cannot connect to server vm"),
        "{}",
        run.stderr
    );
}

#[test]
fn status_finds_a_cluster_by_its_job_name_when_one_has_not_ended() {
    let dir = tempfile::tempdir().unwrap();
    recorded(dir.path(), "7.vm", "analysis");
    let old = recorded(dir.path(), "5.vm", "analysis");
    std::fs::write(old.join("ended"), "status=0\n").unwrap();
    let none = "exit 0";
    let run = with_qstat(dir.path(), QSTAT_R, &["status", "analysis", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report[0]["job_id"], "7.vm", "{report}");
    assert_eq!(report[0]["name"], "analysis");
    assert!(report[0]["tls"].is_null(), "no certificates made yet");
    recorded(dir.path(), "9.vm", "analysis");
    let run = with_qstat(dir.path(), none, &["status", "analysis"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("2 clusters named analysis have not ended (7.vm, 9.vm): give the job id"),
        "{}",
        run.stderr
    );
    for id in ["7.vm", "9.vm"] {
        let ended = dir.path().join(format!("dask-pbs.{id}/ended"));
        std::fs::write(ended, "status=0\n").unwrap();
    }
    let run = with_qstat(dir.path(), none, &["status", "analysis"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("every cluster named analysis has ended (5.vm, 7.vm, 9.vm): give the job id"),
        "{}",
        run.stderr
    );
    let run = with_qstat(dir.path(), none, &["status", "nothing"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no cluster nothing in"),
        "{}",
        run.stderr
    );
}

#[test]
fn scale_takes_one_change_and_overrides_only_with_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    recorded(dir.path(), "7.vm", "dask");
    let run = with_qstat(dir.path(), QSTAT_R, &["scale", "7.vm"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--add <N>|--remove <N>|--jobs <K>|--workers <N>"),
        "{}",
        run.stderr
    );
    let run = with_qstat(
        dir.path(),
        QSTAT_R,
        &["scale", "7.vm", "--jobs", "1", "--add", "1"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = with_qstat(
        dir.path(),
        QSTAT_R,
        &["scale", "7.vm", "--jobs", "1", "-A", "P"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("error: --account needs --profile P: the worker jobs of the head job's profile run the script rendered at submit"),
        "{}",
        run.stderr
    );
    let run = with_qstat(dir.path(), QSTAT_R, &["scale", "7.vm", "--remove", "1"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cluster 7.vm has 0 worker job(s) queued or running, fewer than 1"),
        "{}",
        run.stderr
    );
}

/// `scale --workers N` counts the head job's workers (its profile's plan until its status
/// says) and adds whole worker jobs; `--jobs K` again changes nothing.
#[test]
fn scale_to_a_number_of_workers_adds_whole_worker_jobs() {
    let dir = tempfile::tempdir().unwrap();
    recorded(dir.path(), "7.vm", "dask");
    std::fs::write(dir.path().join("workers.sh"), "#!/bin/bash\n").unwrap();
    let qsub = stub(
        dir.path(),
        "qsub",
        "n=$(cat n 2>/dev/null || echo 10); echo $((n + 1)) > n; echo $((n + 1)).vm",
    );
    // Every job runs; in JSON only the first, as OpenPBS prints several ids.
    let qstat = r#"json=0; for a in "$@"; do [ "$a" = json ] && json=1; done
for id in "$@"; do case $id in -*|json) ;; *)
  if [ $json = 1 ]; then echo "{\"Jobs\": {\"$id\": {\"job_state\": \"R\"}}}"; exit 0; fi
  printf 'Job Id: %s\n    job_state = R\n\n' "$id";; esac; done"#;
    let scale = |args: &[&str]| {
        common::DaskPbs::new()
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("DASK_PBS_QSTAT", stub(dir.path(), "qstat", qstat))
            .env("DASK_PBS_QSUB", &qsub)
            .cwd(dir.path())
            .args(args)
            .run()
    };
    // 2 in the head job (workers_per_job 2), so 7 workers need 3 worker jobs of 2.
    let run = scale(&["scale", "7.vm", "--workers", "7", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["added"], serde_json::json!(["11.vm", "12.vm", "13.vm"]));
    assert_eq!(out["worker_jobs"].as_array().unwrap().len(), 3, "{out}");
    let run = scale(&["scale", "7.vm", "--jobs", "3", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["added"], serde_json::json!([]), "{out}");
    assert!(run.stderr.contains("nothing to change"), "{}", run.stderr);
}

/// The Python package runs adapt with its input a pipe it holds: adapt stops once the pipe
/// closes (the Python process ended, however it ended).
#[test]
fn adapt_stops_when_its_input_closes() {
    let dir = tempfile::tempdir().unwrap();
    recorded(dir.path(), "7.vm", "dask");
    let start = std::time::Instant::now();
    let args = [
        "adapt",
        "7.vm",
        "--max",
        "1",
        "--interval",
        "30",
        "--stop-on-eof",
    ];
    // DaskPbs runs it with its input from /dev/null: at its end at once.
    let run = with_qstat(dir.path(), QSTAT_R, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dask-pbs: adapt stops: its input was closed"),
        "{}",
        run.stderr
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

// --- The package for real.

/// The Python of tests/run.sh's notebook venv (nbclient, ipykernel, dask-labextension), or
/// `None` (skip) outside CI when it is missing.
fn notebook_python() -> Option<PathBuf> {
    let venv = std::env::var_os("DASK_PBS_E2E_NOTEBOOK_VENV")
        .map_or_else(|| repo_root().join(".e2e/notebook-venv"), PathBuf::from);
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import nbclient, ipykernel, dask_labextension"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    assert!(
        !in_ci(),
        "the notebook venv {} is missing in CI; tests/run.sh creates it",
        venv.display()
    );
    eprintln!(
        "SKIPPED: no notebook venv at {} (run tests/run.sh to create it)",
        venv.display()
    );
    None
}

/// Runs `python ARGS` (the notebook venv's) in `job`'s emulation: its submit directory, its
/// HOME, the emulated qsub/qstat/qdel, the binary under test and python/ on PYTHONPATH.
fn python(python: &Path, job: &PbsJob, job_venv: &Path, args: &[&str]) -> common::Run {
    let stubs = repo_root().join("tests/emulated_pbs");
    let out = Command::new(python)
        .args(args)
        .env_clear()
        .env("HOME", job.path("home"))
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("PYTHONPATH", repo_root().join("python"))
        .env("DASK_PBS_BIN", env!("CARGO_BIN_EXE_dask-pbs"))
        .env("DASK_PBS_QSUB", stubs.join("qsub"))
        .env("DASK_PBS_QSTAT", stubs.join("qstat"))
        .env("DASK_PBS_QDEL", stubs.join("qdel"))
        .env("XDG_STATE_HOME", job.path("state"))
        .env("XDG_CONFIG_HOME", job.path("config"))
        .env("DASK_PBS_E2E_ROOT", job.root.path())
        .env("DASK_PBS_E2E_TAG", &job.tag)
        .env("DASK_PBS_TEST_JOB_VENV", job_venv)
        .current_dir(job.submit_dir())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("$ python {}\n{}{}", args.join(" "), run.stdout, run.stderr);
    run
}

/// The emulated jobs `job`'s root has started, and those still running.
fn jobs(job: &PbsJob) -> (Vec<String>, Vec<String>) {
    let mut all = Vec::new();
    let mut running = Vec::new();
    for entry in std::fs::read_dir(job.path("jobs")).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".pid") else {
            continue;
        };
        let pid = std::fs::read_to_string(job.path(&format!("jobs/{name}"))).unwrap();
        let alive = running_process(pid.trim()) && !job.path(&format!("jobs/{id}.status")).exists();
        if alive {
            running.push(id.to_string());
        }
        all.push(id.to_string());
    }
    all.sort();
    (all, running)
}

/// Whether `pid` is a running process: an exited job whose parent (this test, the subreaper
/// of what it starts) has not reaped it yet is a zombie, which PBS no longer lists either.
fn running_process(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the parenthesised command name, which may hold spaces.
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

/// Runs a case of tests/python/cases.py (its name, then its arguments) with the package; it
/// must exit 0.
fn python_case(python_bin: &Path, job: &PbsJob, job_venv: &Path, case: &[&str]) {
    let cases = repo_root().join("tests/python/cases.py");
    let args: Vec<&str> = std::iter::once(cases.to_str().unwrap())
        .chain(case.iter().copied())
        .collect();
    let run = python(python_bin, job, job_venv, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Every job the case started has ended and none of its processes is left.
fn nothing_left(job: &PbsJob, what: &str) -> usize {
    let (all, running) = jobs(job);
    assert!(
        running.is_empty(),
        "{what}: jobs still running: {running:?}"
    );
    let left = job.reap_leftovers(Duration::from_secs(20));
    assert!(left.is_empty(), "{what}: processes left: {left:?}");
    eprintln!(
        "MEASURE: {what}: {} job(s) submitted, {} ended",
        all.len(),
        all.len()
    );
    all.len()
}

fn setup(name: &str) -> Option<(PathBuf, PathBuf, PbsJob)> {
    let job_venv = prerequisites()?;
    let python = notebook_python()?;
    let job = PbsJob::new(name);
    job.nodefile(1);
    Some((python, job_venv, job))
}

/// Issue 27.6: a real Jupyter kernel runs tests/python/cluster.ipynb: a PBSCluster for
/// pbs-cpu, a Client over TLS, a computation, two worker jobs, adapt down to one, close.
#[test]
fn a_notebook_in_a_jupyter_kernel_runs_a_cluster_and_ends_every_job() {
    let Some((python_bin, job_venv, job)) = setup("notebook") else {
        return;
    };
    let _serial = serial();
    let notebook = repo_root().join("tests/python/cluster.ipynb");
    let runner = repo_root().join("tests/python/run_notebook.py");
    let out = job.path("cluster.out.ipynb");
    let run = python(
        &python_bin,
        &job,
        &job_venv,
        &[
            runner.to_str().unwrap(),
            notebook.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "the notebook failed:\n{}", run.stderr);
    let executed = std::fs::read_to_string(&out).unwrap();
    // The progress display (updated in place) and the widget.
    assert!(executed.contains(" is ready: 1 workers"), "{executed}");
    assert!(executed.contains("Worker jobs:"), "{executed}");
    let n = nothing_left(&job, "the notebook");
    assert_eq!(n, 3, "a head job and two worker jobs");
}

#[test]
fn mistakes_raise_dask_pbs_own_message_and_submit_nothing() {
    let Some((python_bin, job_venv, job)) = setup("bad") else {
        return;
    };
    python_case(&python_bin, &job, &job_venv, &["bad_input"]);
    assert_eq!(nothing_left(&job, "bad input"), 0);
}

#[test]
fn a_cluster_that_does_not_start_raises_with_its_state_and_logs_and_ends() {
    let Some((python_bin, job_venv, job)) = setup("failing") else {
        return;
    };
    let _serial = serial();
    python_case(&python_bin, &job, &job_venv, &["start_failures"]);
    assert_eq!(nothing_left(&job, "start failures"), 2);
}

/// A wait interrupted in the notebook stops the job; a Python process that ends without
/// `close()` stops its cluster.
#[test]
fn an_interrupted_start_and_a_forgotten_cluster_end_their_jobs() {
    let Some((python_bin, job_venv, job)) = setup("forgotten") else {
        return;
    };
    let _serial = serial();
    python_case(&python_bin, &job, &job_venv, &["interrupted_and_forgotten"]);
    assert_eq!(nothing_left(&job, "interrupted and forgotten"), 2);
}

/// `connect()` to a cluster from `dask-pbs submit`, a mixed worker job, and an adapt whose
/// Python process is killed.
#[test]
fn connect_attaches_to_a_submitted_cluster_and_adapt_dies_with_its_process() {
    let Some((python_bin, job_venv, job)) = setup("connect") else {
        return;
    };
    let _serial = serial();
    let stubs = repo_root().join("tests/emulated_pbs");
    let venv_set = format!("env.venv={}", job_venv.display());
    let run = common::DaskPbs::new()
        .env("DASK_PBS_QSUB", stubs.join("qsub"))
        .env("XDG_STATE_HOME", job.path("state"))
        .env("DASK_PBS_E2E_ROOT", job.root.path())
        .env("DASK_PBS_E2E_TAG", &job.tag)
        .cwd(&job.submit_dir())
        .args([
            "submit",
            "--profile",
            "pbs-cpu",
            "--set",
            "env.conda=null",
            "--set",
            &venv_set,
            "--set",
            "dask.workers_per_node=1",
            "--set",
            "dask.nthreads=1",
            "--set",
            "dask.memory_limit=1GB",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.stdout.lines().next().unwrap().to_string();
    python_case(
        &python_bin,
        &job,
        &job_venv,
        &["adapt_ends_with_its_process", &id],
    );
    python_case(&python_bin, &job, &job_venv, &["connect", &id]);
    assert_eq!(
        nothing_left(&job, "connect"),
        2,
        "the head and an IO worker job"
    );
}

/// Issue 27.5: dask-labextension's manager makes, scales, adapts and closes a dask-pbs
/// cluster from its `labextension.factory` configuration.
#[test]
fn dask_labextension_manages_dask_pbs_clusters() {
    let Some((python_bin, job_venv, job)) = setup("lab") else {
        return;
    };
    let _serial = serial();
    python_case(&python_bin, &job, &job_venv, &["labextension"]);
    assert_eq!(nothing_left(&job, "labextension"), 2);
}
