//! Issue 15: clusters past one job. Under the emulation (see `e2e_support`), a head job holds
//! its workers and a worker job (`dask-pbs gen workers --join`) brings more that join it
//! through the head job's directory (scheduler file, certificates); retiring them ends the
//! worker job, the head's end ends it, and a worker job started after the head ended exits
//! at once with a message.

use crate::common;
use crate::common::strs;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e_support::{PbsJob, prerequisites};

use crate::e2e_support::serial;

/// `pbs-cpu` with the test venv and `workers` single-thread workers, TLS (the default).
fn cpu_args(venv: &Path, workers: u32) -> Vec<String> {
    vec![
        "--profile".into(),
        "pbs-cpu".into(),
        "--set".into(),
        "env.conda=null".into(),
        "--set".into(),
        format!("env.venv={}", venv.display()),
        "--set".into(),
        format!("dask.workers_per_node={workers}"),
        "--set".into(),
        "dask.nthreads=1".into(),
        "--set".into(),
        "dask.memory_limit=1GB".into(),
        "--set".into(),
        "dask.startup_timeout=90".into(),
    ]
}

/// Waits until the job's stdout or stderr contains `text`.
fn wait_for(job: &PbsJob, text: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let out = job.output_of("o") + &job.output_of("e");
        if out.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {text:?} in:\n{out}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs Python `code` as a client of the head job's cluster (its DASK_CONFIG); stdout.
fn client(venv: &Path, head: &PbsJob, code: &str) -> String {
    let out = Command::new(venv.join("bin/python"))
        .env_clear()
        .env("HOME", head.path("home"))
        .env("PATH", "/usr/bin:/bin")
        .env("DASK_CONFIG", head.job_dir().join("dask-config"))
        .env(
            "SCHEDULER_FILE",
            head.job_dir().join("scheduler.json").display().to_string(),
        )
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

const NAMES: &str = "import os; from dask.distributed import Client; \
c = Client(scheduler_file=os.environ['SCHEDULER_FILE'], timeout=20); \
print(sorted(w['name'] for w in c.scheduler_info(n_workers=-1)['workers'].values()))";

#[test]
fn a_worker_job_joins_a_held_cluster_is_retired_and_ends_with_it() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let head = PbsJob::new("head");
    head.nodefile(2);
    let head_child = head.spawn(&head.render("job", &strs(&cpu_args(&venv, 2))));
    wait_for(&head, "ready: 2 of 2 workers", Duration::from_secs(90));

    let worker_job = head.sibling("more");
    let mut args = cpu_args(&venv, 2);
    let join = head.job_dir().join("scheduler.json").display().to_string();
    args.extend(["--join".to_string(), join]);
    let script = worker_job.render("workers", &strs(&args));
    let started = Instant::now();
    let child = worker_job.spawn(&script);
    wait_for(
        &worker_job,
        "joined: 2 workers of this job",
        Duration::from_secs(90),
    );
    eprintln!(
        "MEASURE: worker job start to its 2 workers joined: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let prefix = format!("w{}-", worker_job.job_id.split('.').next().unwrap());
    let names = client(&venv, &head, NAMES);
    assert_eq!(
        names.matches(&prefix).count(),
        2,
        "the worker job's workers are named {prefix}*: {names}"
    );
    assert_eq!(names.matches('\'').count(), 8, "4 workers: {names}");

    // Retired through the scheduler (their data moves first), the workers exit and so does
    // their job, with 0; the head keeps its own two.
    let retire = format!(
        "import os; from dask.distributed import Client; \
c = Client(scheduler_file=os.environ['SCHEDULER_FILE'], timeout=20); \
names = [w['name'] for w in c.scheduler_info(n_workers=-1)['workers'].values() if str(w['name']).startswith('{prefix}')]; \
print('RETIRED', len(c.retire_workers(names=names, close_workers=True)))"
    );
    assert!(client(&venv, &head, &retire).contains("RETIRED 2"));
    let done = worker_job.finish(child, Duration::from_mins(1));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(
        done.stdout.contains("every worker of this job exited"),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
    let names = client(&venv, &head, NAMES);
    assert_eq!(names.matches('\'').count(), 4, "2 workers left: {names}");

    // A second worker job, then the cluster shut down by a client: both jobs end with 0.
    let second = head.sibling("again");
    let mut args = cpu_args(&venv, 1);
    args.extend(["--join".to_string(), head.job_dir().display().to_string()]);
    let child = second.spawn(&second.render("workers", &strs(&args)));
    wait_for(
        &second,
        "joined: 1 workers of this job",
        Duration::from_secs(90),
    );
    client(
        &venv,
        &head,
        "import os; from dask.distributed import Client; \
Client(scheduler_file=os.environ['SCHEDULER_FILE'], timeout=20).shutdown()",
    );
    let head_done = head.finish(head_child, Duration::from_mins(1));
    assert_eq!(head_done.status, Some(0), "{}", head_done.output());
    assert!(head.job_dir().join("ended").is_file(), "no ended mark");
    let done = second.finish(child, Duration::from_mins(1));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
    assert!(head_done.leftovers.is_empty(), "{:?}", head_done.leftovers);

    // Started after its head ended: exits at once, saying so, and starts nothing.
    let late = head.sibling("late");
    let script = late.render("workers", &strs(&args));
    let done = late.run(&script, Duration::from_secs(20));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(
        done.stderr.contains("has ended") && done.stderr.contains("nothing to join"),
        "{}",
        done.output()
    );
    assert!(done.elapsed < Duration::from_secs(5), "{:?}", done.elapsed);
    assert!(
        !late.job_dir().exists(),
        "a late worker job made its directory"
    );
}

/// The head job died without marking its directory (SIGKILL to all of it, as a lost node):
/// a worker job waits a short bound for its scheduler, says so and exits non-zero.
#[test]
fn a_worker_job_whose_head_died_unmarked_says_so() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let head = PbsJob::new("killed");
    head.nodefile(1);
    let head_child = head.spawn(&head.render("job", &strs(&cpu_args(&venv, 1))));
    wait_for(&head, "ready: 1 of 1 workers", Duration::from_secs(90));
    Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", head_child.id())])
        .status()
        .unwrap();
    let head_done = head.finish(head_child, Duration::from_secs(10));
    assert_eq!(head_done.status, None, "{}", head_done.output());
    assert!(!head.job_dir().join("ended").exists());

    let orphan = head.sibling("orphan");
    let mut args = cpu_args(&venv, 1);
    args.extend(["--join".to_string(), head.job_dir().display().to_string()]);
    let script = orphan.render("workers", &strs(&args));
    let done = orphan.run(&script, Duration::from_secs(90));
    assert_eq!(done.status, Some(1), "{}", done.output());
    assert!(
        done.stderr.contains("has not written")
            && done
                .stderr
                .contains("for 30 s: its head job has likely died"),
        "{}",
        done.output()
    );
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}

#[test]
fn join_is_for_the_workers_artifact_only() {
    let run = common::DaskPbs::new()
        .args([
            "gen",
            "job",
            "--profile",
            "pbs-cpu",
            "-A",
            "x",
            "--env",
            "/e",
            "--join",
            "/w/d",
        ])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--join is for `gen workers`"),
        "{}",
        run.stderr
    );
    let run = common::DaskPbs::new()
        .args([
            "gen",
            "workers",
            "--profile",
            "pbs-cpu",
            "-A",
            "x",
            "--env",
            "/e",
            "--join",
            "/w/dask-pbs.7.srv/scheduler.json",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("dask_pbs_head_dir=/w/dask-pbs.7.srv\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--join /w/dask-pbs.7.srv"),
        "regenerate line"
    );
}

/// `dask-pbs` with the emulated PBS's qsub/qstat/qdel (tests/emulated_pbs) and its own state
/// directory, run from the submit directory of `head`'s emulation.
fn cli(head: &PbsJob, args: &[&str]) -> common::Run {
    let stubs = common::repo_root().join("tests/emulated_pbs");
    let run = common::DaskPbs::new()
        .env("DASK_PBS_QSUB", stubs.join("qsub"))
        .env("DASK_PBS_QSTAT", stubs.join("qstat"))
        .env("DASK_PBS_QDEL", stubs.join("qdel"))
        .env("XDG_STATE_HOME", head.path("state"))
        .env("DASK_PBS_E2E_ROOT", head.root.path())
        .env("DASK_PBS_E2E_TAG", &head.tag)
        .cwd(&head.submit_dir())
        .args(args)
        .run();
    eprintln!(
        "$ dask-pbs {}\n{}{}",
        args.join(" "),
        run.stdout,
        run.stderr
    );
    run
}

fn job_text(head: &PbsJob, id: &str) -> String {
    [".o", ".e"]
        .map(|s| std::fs::read_to_string(head.path(&format!("jobs/{id}{s}"))).unwrap_or_default())
        .join("--- stderr\n")
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

fn status_json(head: &PbsJob, id: &str) -> serde_json::Value {
    let run = cli(head, &["status", id, "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()[0].clone()
}

/// Issue 15's lifecycle: submit a head job of 2 workers, `scale --add 1` (a worker job of 2
/// more), `status`, `scale --remove 1`, `stop`; every job ends with 0 and nothing is left.
#[test]
fn submit_scale_status_remove_stop_under_the_emulated_pbs() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let head = PbsJob::new("lifecycle");
    head.nodefile(2);
    let run = cli(
        &head,
        &["submit"]
            .iter()
            .copied()
            .chain(strs(&cpu_args(&venv, 2)))
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.stdout.lines().next().unwrap().to_string();
    wait_until("head ready", Duration::from_secs(90), || {
        job_text(&head, &id).contains("ready: 2 of 2 workers")
    });

    let started = Instant::now();
    let run = cli(&head, &["scale", &id, "--add", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let worker_id = run.stdout.trim().to_string();
    let job_dir = head.submit_dir().join(format!("dask-pbs.{id}"));
    wait_until("4 workers in status.json", Duration::from_secs(90), || {
        std::fs::read_to_string(job_dir.join("status.json"))
            .is_ok_and(|t| t.contains("\"workers\": 4"))
    });
    let published = started.elapsed();
    wait_until(
        "the worker job's joined line",
        Duration::from_secs(10),
        || job_text(&head, &worker_id).contains("joined:"),
    );
    eprintln!(
        "MEASURE: scale --add to 4 workers in the head's status.json (published every 2 s): {:.2} s; the worker job's log: {}",
        published.as_secs_f64(),
        job_text(&head, &worker_id)
            .lines()
            .find(|l| l.contains("joined:"))
            .unwrap_or("?")
    );

    let status = status_json(&head, &id);
    assert_eq!(status["state"], "R", "{status}");
    assert_eq!(status["workers"], 4, "{status}");
    assert_eq!(
        status["head_workers"].as_array().unwrap().len(),
        2,
        "{status}"
    );
    assert_eq!(
        status["worker_jobs"][0]["job_id"],
        worker_id.as_str(),
        "{status}"
    );
    assert_eq!(status["worker_jobs"][0]["state"], "R", "{status}");
    assert_eq!(
        status["worker_jobs"][0]["workers"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{status}"
    );
    let text = cli(&head, &["status"]).stdout;
    assert!(
        text.contains("workers: 4")
            && text.contains(&format!("worker job {worker_id}  R: 2 workers")),
        "{text}"
    );

    let run = cli(&head, &["scale", &id, "--remove", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("retired 2 worker(s) of 1 job(s)"),
        "{}",
        run.stderr
    );
    wait_until("worker job ended", Duration::from_secs(30), || {
        head.path(&format!("jobs/{worker_id}.status")).exists()
            || !head.path(&format!("jobs/{worker_id}.pid")).exists()
            || !cli(&head, &["status", &id])
                .stdout
                .contains(&format!("{worker_id}  R"))
    });
    let worker_status =
        std::fs::read_to_string(head.path(&format!("jobs/{worker_id}.status"))).unwrap_or_default();
    assert_eq!(worker_status.trim(), "0", "{}", job_text(&head, &worker_id));
    wait_until("2 workers in status.json", Duration::from_secs(30), || {
        std::fs::read_to_string(job_dir.join("status.json"))
            .is_ok_and(|t| t.contains("\"workers\": 2"))
    });

    // A worker job running when the cluster stops ends by itself (status 0), not by qdel.
    let run = cli(&head, &["scale", &id, "--add", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let last_id = run.stdout.trim().to_string();
    wait_until(
        "the second worker job's joined line",
        Duration::from_secs(90),
        || job_text(&head, &last_id).contains("joined:"),
    );

    let run = cli(&head, &["stop", &id]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("1 worker job(s) ended by themselves, 0 deleted"),
        "{}",
        run.stderr
    );
    let last_status =
        std::fs::read_to_string(head.path(&format!("jobs/{last_id}.status"))).unwrap_or_default();
    assert_eq!(last_status.trim(), "0", "{}", job_text(&head, &last_id));
    let deleted = std::fs::read_to_string(head.path("jobs/qdel.log")).unwrap_or_default();
    assert!(!deleted.contains(&last_id), "qdel'd: {deleted}");
    wait_until("head job ended", Duration::from_mins(1), || {
        head.path(&format!("jobs/{id}.status")).exists()
    });
    let head_status = std::fs::read_to_string(head.path(&format!("jobs/{id}.status"))).unwrap();
    assert_eq!(head_status.trim(), "0", "{}", job_text(&head, &id));
    assert!(
        job_text(&head, &id).contains("shutting down: dask-pbs stop closed the cluster"),
        "{}",
        job_text(&head, &id)
    );
    let left = head.reap_leftovers(Duration::from_secs(10));
    assert!(left.is_empty(), "processes left: {left:?}");
    // Issue 25.5: the stopped cluster shows what ended it and no live workers, only the
    // last count seen.
    let text = cli(&head, &["status", &id]).stdout;
    assert!(
        text.contains("ended: by `dask-pbs stop` (exit status 0)")
            && text.contains("workers: none, the cluster has ended (")
            && !text.contains(" workers\n"),
        "{text}"
    );

    let run = cli(&head, &["clean"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!job_dir.exists(), "clean left {}", job_dir.display());
    // The retired worker job's directory too, and the one that ended with the cluster.
    for worker in [&worker_id, &last_id] {
        let dir = head.submit_dir().join(format!("dask-pbs.{worker}"));
        assert!(!dir.exists(), "clean left {}", dir.display());
    }
    assert!(
        cli(&head, &["status"])
            .stdout
            .contains("no clusters recorded")
    );
}

/// CPU seconds (user + system) a process and its ended children have used, from
/// /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    // utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the command name;
    // the waited-for children are its qstat calls.
    let ticks: f64 = fields[11..15]
        .iter()
        .map(|f| f.parse::<f64>().unwrap())
        .sum();
    let hz = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    ticks
        / String::from_utf8_lossy(&hz.stdout)
            .trim()
            .parse::<f64>()
            .unwrap()
}

/// `adapt --min 1` submits a worker job at once; its CPU use over a steady stretch is
/// measured; killing it leaves the cluster as it was.
#[test]
fn adapt_keeps_the_minimum_costs_little_and_killing_it_changes_nothing() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let head = PbsJob::new("adapt");
    head.nodefile(2);
    let run = cli(
        &head,
        &["submit"]
            .iter()
            .copied()
            .chain(strs(&cpu_args(&venv, 2)))
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.stdout.lines().next().unwrap().to_string();
    let job_dir = head.submit_dir().join(format!("dask-pbs.{id}"));
    wait_until("head ready", Duration::from_secs(90), || {
        job_text(&head, &id).contains("ready: 2 of 2 workers")
    });
    let stubs = common::repo_root().join("tests/emulated_pbs");
    let home = tempfile::tempdir().unwrap();
    let mut adapt = Command::new(env!("CARGO_BIN_EXE_dask-pbs"))
        .args(["adapt", &id, "--min", "1", "--max", "2", "--interval", "2"])
        .env("HOME", home.path())
        .env("DASK_PBS_QSUB", stubs.join("qsub"))
        .env("DASK_PBS_QSTAT", stubs.join("qstat"))
        .env("DASK_PBS_QDEL", stubs.join("qdel"))
        .env("XDG_STATE_HOME", head.path("state"))
        .env("DASK_PBS_E2E_ROOT", head.root.path())
        .env("DASK_PBS_E2E_TAG", &head.tag)
        .current_dir(head.submit_dir())
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("4 workers in status.json", Duration::from_secs(90), || {
        std::fs::read_to_string(job_dir.join("status.json"))
            .is_ok_and(|t| t.contains("\"workers\": 4"))
    });
    let before = cpu_seconds(adapt.id());
    let steady = Duration::from_secs(20);
    std::thread::sleep(steady);
    let used = cpu_seconds(adapt.id()) - before;
    eprintln!(
        "MEASURE: adapt (--interval 2) used {used:.3} CPU s in {} s: {:.3} % of one core",
        steady.as_secs(),
        100.0 * used / steady.as_secs_f64()
    );
    assert!(
        used / steady.as_secs_f64() < 0.01,
        "adapt used {used} s of CPU"
    );
    let status = status_json(&head, &id);
    assert_eq!(
        status["worker_jobs"].as_array().unwrap().len(),
        1,
        "{status}"
    );

    adapt.kill().unwrap();
    adapt.wait().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let status = status_json(&head, &id);
    assert_eq!(
        status["workers"], 4,
        "killing adapt changed the cluster: {status}"
    );

    assert_eq!(cli(&head, &["stop", &id]).code, 0);
    wait_until("head job ended", Duration::from_mins(1), || {
        head.path(&format!("jobs/{id}.status")).exists()
    });
    let left = head.reap_leftovers(Duration::from_secs(20));
    assert!(left.is_empty(), "processes left: {left:?}");
}

#[test]
fn dask_resources_become_the_workers_resources_and_bad_ones_are_refused() {
    let run = common::DaskPbs::new()
        .args([
            "gen",
            "worker",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.resources={IO: 1, GPU: 2}",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("--resources 'IO=1 GPU=2'"),
        "{}",
        run.stdout
    );
    let plain = common::DaskPbs::new()
        .args(["gen", "worker", "--profile", "pbs-cpu"])
        .run();
    assert!(!plain.stdout.contains("--resources"), "{}", plain.stdout);
    for bad in [
        "{IO: -1}",
        "{IO: \"1; rm -rf ~\"}",
        "{\"a b\": 1}",
        "{IO: inf}",
    ] {
        let run = common::DaskPbs::new()
            .args([
                "gen",
                "worker",
                "--profile",
                "pbs-cpu",
                "--set",
                &format!("dask.resources={bad}"),
            ])
            .run();
        assert_eq!(run.code, 2, "{bad}: {}", run.stdout);
        assert!(
            run.stderr.contains("is not a worker resource"),
            "{bad}: {}",
            run.stderr
        );
    }
}

/// Issue 15.3 under the emulation: a head job whose workers have `GPU: 1` (an abstract
/// resource here; tests/gpu/mixed.sh runs the GPU side on real GPUs) and a CPU worker job
/// with `IO: 1` joining it; tasks asking for each run on the right workers.
#[test]
fn tasks_route_to_the_workers_with_their_resources() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let head = PbsJob::new("gpuhead");
    head.nodefile(1);
    let mut args = cpu_args(&venv, 1);
    args.extend(["--set".into(), "dask.resources={GPU: 1}".into()]);
    let head_child = head.spawn(&head.render("job", &strs(&args)));
    wait_for(&head, "ready: 1 of 1 workers", Duration::from_secs(90));
    let io = head.sibling("io");
    let mut args = cpu_args(&venv, 1);
    args.extend([
        "--set".into(),
        "dask.resources={IO: 1}".into(),
        "--join".into(),
        head.job_dir().display().to_string(),
    ]);
    let child = io.spawn(&io.render("workers", &strs(&args)));
    wait_for(
        &io,
        "joined: 1 workers of this job",
        Duration::from_secs(90),
    );
    let out = client(
        &venv,
        &head,
        "import os; from dask.distributed import Client, get_worker; \
c = Client(scheduler_file=os.environ['SCHEDULER_FILE'], timeout=20); \
name = lambda: get_worker().name; \
print('GPU', c.submit(name, resources={'GPU': 1}, pure=False).result()); \
print('IO', c.submit(name, resources={'IO': 1}, pure=False).result()); \
c.shutdown()",
    );
    let prefix = format!("w{}-", io.job_id.split('.').next().unwrap());
    let gpu = out
        .lines()
        .find_map(|l| l.strip_prefix("GPU "))
        .unwrap_or_default();
    let io_worker = out
        .lines()
        .find_map(|l| l.strip_prefix("IO "))
        .unwrap_or_default();
    assert!(!gpu.is_empty() && !gpu.starts_with(&prefix), "{out}");
    assert!(io_worker.starts_with(&prefix), "{out}");
    let done = head.finish(head_child, Duration::from_mins(1));
    assert_eq!(done.status, Some(0), "{}", done.output());
    let done = io.finish(child, Duration::from_mins(1));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}

/// `adapt` waits out a PBS server that does not answer (qstat exits 255 with the recorded
/// "cannot connect to server" output of tests/qstat/) instead of exiting, and stops when the
/// cluster has ended. No cluster runs: a record, a status.json and the ended mark are enough.
#[test]
fn adapt_waits_out_a_pbs_server_that_does_not_answer() {
    let dir = tempfile::tempdir().unwrap();
    let job_dir = dir.path().join("dask-pbs.7.vm");
    std::fs::create_dir_all(&job_dir).unwrap();
    std::fs::write(
        job_dir.join("status.json"),
        r#"{"adaptive_target": 0, "jobs": {"head": ["vm-0"], "8.vm": ["w8-vm-0"]}}"#,
    )
    .unwrap();
    let records = dir.path().join("state/dask-pbs/clusters");
    std::fs::create_dir_all(&records).unwrap();
    let record = serde_json::json!({
        "job_id": "7.vm",
        "job_dir": job_dir,
        "workers_script": dir.path().join("workers.sh"),
        "worker_jobs": ["8.vm"],
    });
    std::fs::write(records.join("7.vm.json"), record.to_string()).unwrap();
    let recorded = common::repo_root().join("tests/qstat");
    let qstat = dir.path().join("qstat");
    std::fs::write(
        &qstat,
        format!(
            "#!/bin/sh\ncat '{0}/server-down.json'; cat '{0}/server-down.err' >&2; exit 255\n",
            recorded.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&qstat, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let err = std::fs::File::create(dir.path().join("adapt.err")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dask-pbs"))
        .args([
            "adapt",
            "7.vm",
            "--min",
            "0",
            "--max",
            "2",
            "--interval",
            "1",
        ])
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("DASK_PBS_QSTAT", &qstat)
        .env("DASK_PBS_QSUB", "/bin/false")
        .env("DASK_PBS_QDEL", "/bin/false")
        .stderr(err)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    let alive = child.try_wait().unwrap().is_none();
    std::fs::write(job_dir.join("ended"), "status=0\nreason=test\n").unwrap();
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("adapt.err")).unwrap();
    assert!(alive, "adapt exited on qstat's failure: {stderr}");
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot connect to server") && stderr.contains("trying again in 1s"),
        "{stderr}"
    );
    assert!(stderr.contains("the cluster has ended"), "{stderr}");
}

/// `scale --add` on a cluster whose head job is still queued submits, and warns that a worker
/// job starting first waits for the scheduler only so long.
#[test]
fn scale_add_warns_when_the_head_job_is_still_queued() {
    let dir = tempfile::tempdir().unwrap();
    let job_dir = dir.path().join("dask-pbs.7.vm");
    std::fs::create_dir_all(&job_dir).unwrap();
    let records = dir.path().join("state/dask-pbs/clusters");
    std::fs::create_dir_all(&records).unwrap();
    let workers = dir.path().join("workers.sh");
    std::fs::write(&workers, "#!/bin/bash\n").unwrap();
    let record = serde_json::json!({
        "job_id": "7.vm", "job_dir": job_dir, "workers_script": workers, "worker_jobs": [],
    });
    std::fs::write(records.join("7.vm.json"), record.to_string()).unwrap();
    let stub = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        path
    };
    let qstat = stub(
        "qstat",
        r#"echo '{"pbs_version": "23.06.06", "Jobs": {"7.vm": {"job_state": "Q"}}}'"#,
    );
    let qsub = stub("qsub", "echo 9.vm");
    let run = common::DaskPbs::new()
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("DASK_PBS_QSTAT", &qstat)
        .env("DASK_PBS_QSUB", &qsub)
        .cwd(dir.path())
        .args(["scale", "7.vm", "--add", "1"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "9.vm\n");
    assert!(
        run.stderr
            .contains("the head job 7.vm is not running yet (state Q)"),
        "{}",
        run.stderr
    );
}

/// The test head job of `scale_beside_adapt_loses_no_worker_job`: it answers the requests of
/// its job directory as the control preload does (templates/_control.py.j2), marking each
/// retired worker job in `retired/`, and ends on a stop request.
const FAKE_HEAD: &str = r#"#!/bin/bash
# Test head job: answers requests/NAME.json with NAME.done, as the control preload does.
dir="$PBS_O_WORKDIR/dask-pbs.$PBS_JOBID"
mkdir -p "$dir/retired" "$dir/requests"
while :; do
  for req in "$dir"/requests/*.json; do
    [[ -e $req ]] || continue
    body=$(<"$req")
    rm -f "$req"
    name=${req%.json}
    if [[ $body == *'"stop"'* ]]; then
      printf 'status=0\ncause=stop\nreason=dask-pbs stop\n' >"$dir/.ended" && mv "$dir/.ended" "$dir/ended"
      echo '{"stopped": true}' >"$name.done"
      exit 0
    fi
    n=0
    for id in $(grep -o '[0-9]*\.e2e-pbs' <<<"$body"); do
      touch "$dir/retired/$id"
      n=$((n + 1))
    done
    echo "{\"retired\": $n}" >"$name.tmp" && mv "$name.tmp" "$name.done"
  done
  sleep 0.1
done
"#;

/// The worker job of that test: it runs until its head retires it, or PBS deletes it.
fn fake_worker(job_dir: &Path) -> String {
    format!(
        "#!/bin/bash\n# Test worker job: runs until retired (or qdel).\nwhile [[ ! -e '{}'/retired/$PBS_JOBID ]]; do sleep 0.2; done\n",
        job_dir.display()
    )
}

/// Issue 25.2: `scale --add` and `scale --remove` run beside `adapt`, round after round; every
/// worker job the emulated qsub ever started is in the cluster's record (current or past),
/// and `stop` ends every one. The record logic needs no Dask: a fake head answers the
/// requests and fake worker jobs run until retired, under the emulated qsub/qstat/qdel.
#[test]
fn scale_beside_adapt_loses_no_worker_job() {
    let head = PbsJob::new("fake");
    let submit = head.submit_dir();
    let stubs = common::repo_root().join("tests/emulated_pbs");
    std::fs::write(submit.join("head.sh"), FAKE_HEAD).unwrap();
    let out = Command::new(stubs.join("qsub"))
        .arg("head.sh")
        .current_dir(&submit)
        .env("DASK_PBS_E2E_ROOT", head.root.path())
        .env("DASK_PBS_E2E_TAG", &head.tag)
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let job_dir = submit.join(format!("dask-pbs.{id}"));
    wait_until("the fake head's directory", Duration::from_secs(10), || {
        job_dir.join("requests").is_dir()
    });
    let workers = submit.join("workers.sh");
    std::fs::write(&workers, fake_worker(&job_dir)).unwrap();
    let records = head.path("state/dask-pbs/clusters");
    std::fs::create_dir_all(&records).unwrap();
    let record = serde_json::json!({
        "job_id": id, "job_dir": job_dir, "workers_script": workers, "worker_jobs": [],
    });
    std::fs::write(records.join(format!("{id}.json")), record.to_string()).unwrap();
    // The head's one worker plus one per worker job: a target of T asks for T - 1 jobs.
    let target = |t: u32| {
        let text = format!(r#"{{"adaptive_target": {t}, "jobs": {{"head": ["h-0"]}}}}"#);
        std::fs::write(job_dir.join("status.tmp"), text).unwrap();
        std::fs::rename(job_dir.join("status.tmp"), job_dir.join("status.json")).unwrap();
    };
    target(3);
    let adapt_err = head.path("adapt.err");
    let mut adapt = Command::new(env!("CARGO_BIN_EXE_dask-pbs"))
        .args(["adapt", &id, "--min", "0", "--max", "4", "--interval", "1"])
        .env("HOME", head.path("home"))
        .env("DASK_PBS_QSUB", stubs.join("qsub"))
        .env("DASK_PBS_QSTAT", stubs.join("qstat"))
        .env("DASK_PBS_QDEL", stubs.join("qdel"))
        .env("XDG_STATE_HOME", head.path("state"))
        .env("DASK_PBS_E2E_ROOT", head.root.path())
        .env("DASK_PBS_E2E_TAG", &head.tag)
        .current_dir(&submit)
        .stdin(std::process::Stdio::null())
        .stderr(std::fs::File::create(&adapt_err).unwrap())
        .spawn()
        .unwrap();

    let rounds = [5, 1, 4, 2, 5, 1, 3, 5, 1, 4];
    let (mut added, mut removed) = (0, 0);
    for t in rounds {
        target(t);
        let (add, remove) = std::thread::scope(|s| {
            let add = s.spawn(|| cli(&head, &["scale", &id, "--add", "1"]));
            let remove = s.spawn(|| cli(&head, &["scale", &id, "--remove", "1"]));
            (add.join().unwrap(), remove.join().unwrap())
        });
        assert_eq!(add.code, 0, "{}", add.stderr);
        added += 1;
        // Nothing live to remove is the one refusal expected.
        match remove.code {
            0 => removed += 1,
            _ => assert!(remove.stderr.contains("fewer than 1"), "{}", remove.stderr),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let submitted = || -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(head.path("jobs"))
            .unwrap()
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".pid")
                    .map(String::from)
            })
            .filter(|j| *j != id)
            .collect();
        ids.sort();
        ids
    };
    let recorded = || -> serde_json::Value {
        let text = std::fs::read_to_string(records.join(format!("{id}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let lost = |record: &serde_json::Value| -> Vec<String> {
        let known: Vec<&str> = ["worker_jobs", "past_jobs"]
            .iter()
            .flat_map(|k| record[k].as_array().into_iter().flatten())
            .filter_map(serde_json::Value::as_str)
            .collect();
        submitted()
            .into_iter()
            .filter(|j| !known.contains(&j.as_str()))
            .collect()
    };
    // adapt settles on 2 worker jobs; then nothing submits while `stop` runs.
    target(3);
    let mut steady = 0;
    wait_until(
        "adapt settles on 2 worker jobs",
        Duration::from_mins(1),
        || {
            let now = recorded()["worker_jobs"].as_array().map_or(0, Vec::len);
            steady = if now == 2 { steady + 1 } else { 0 };
            std::thread::sleep(Duration::from_millis(200));
            steady >= 15
        },
    );
    let jobs = submitted();
    let missing = lost(&recorded());
    eprintln!(
        "MEASURE: scale beside adapt: {} rounds of scale --add 1 and scale --remove 1 at once ({added} added, {removed} removed, adapt the rest): {} worker jobs submitted, {} lost from the record",
        rounds.len(),
        jobs.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "worker jobs missing from the record: {missing:?}\n{}",
        recorded()
    );
    assert!(jobs.len() > rounds.len(), "adapt submitted too: {jobs:?}");

    let run = cli(&head, &["stop", &id]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let adapt_status = adapt.wait().unwrap();
    let adapt_said = std::fs::read_to_string(&adapt_err).unwrap();
    assert!(adapt_status.success(), "{adapt_said}");
    assert!(adapt_said.contains("the cluster has ended"), "{adapt_said}");
    let qstat = Command::new(stubs.join("qstat"))
        .arg("-f")
        .args(submitted())
        .env("DASK_PBS_E2E_ROOT", head.root.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&qstat.stdout).trim().is_empty(),
        "jobs left running after stop:\n{}",
        String::from_utf8_lossy(&qstat.stdout)
    );
    assert!(lost(&recorded()).is_empty());
    let left = head.reap_leftovers(Duration::from_secs(5));
    assert!(left.is_empty(), "processes left: {left:?}");
}
