//! Issue 25.5: `status` of an ended cluster tells the truth. The job directories are written
//! here as a head job leaves them (status.json's last count, the `ended` mark of each cause,
//! the older mark without a cause, no mark at all) and qstat answers as OpenPBS 23.06 does
//! for finished jobs (tests/qstat/README.md): the header alone and "Job has finished".

use std::path::{Path, PathBuf};

use crate::common;

/// A cluster record, its job directory with a last status.json of 4 workers (2 of the head,
/// 2 of worker job 2.vm) written 5 s ago, and the end mark `ended` when given.
fn ended_cluster(root: &Path, id: &str, ended: Option<&str>) -> PathBuf {
    let job_dir = root.join(format!("dask-pbs.{id}"));
    std::fs::create_dir_all(&job_dir).unwrap();
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 5.0;
    let status = serde_json::json!({
        "time": time, "address": "tls://10.1.2.3:40000", "dashboard": 8787, "workers": 4,
        "jobs": {"head": ["h-0", "h-1"], "2": ["w2-0", "w2-1"]}, "adaptive_target": 4,
    });
    std::fs::write(job_dir.join("status.json"), status.to_string()).unwrap();
    if let Some(text) = ended {
        std::fs::write(job_dir.join("ended"), text).unwrap();
    }
    let records = root.join("state/dask-pbs/clusters");
    std::fs::create_dir_all(&records).unwrap();
    let record = serde_json::json!({
        "job_id": id, "job_dir": job_dir, "worker_jobs": ["2.vm"],
    });
    std::fs::write(records.join(format!("{id}.json")), record.to_string()).unwrap();
    job_dir
}

/// qstat of a server with job history, for jobs that have finished: the JSON header alone
/// and a line for each id on stderr, exit 35, as recorded.
fn finished_qstat(root: &Path) -> PathBuf {
    let path = root.join("qstat");
    std::fs::write(
        &path,
        "#!/bin/bash\n# Test qstat: every job has finished (OpenPBS 23.06 with job history).\nprintf '{\\n\\t\"timestamp\":\\t1,\\n\\t\"pbs_version\":\\t\"23.06.06\",\\n\\t\"pbs_server\":\\t\"vm\"\\n}\\n'\nfor id in \"$@\"; do [[ $id == -* || $id == json ]] || echo \"qstat: $id Job has finished, use -x or -H to obtain historical job information\" >&2; done\nexit 35\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn status(root: &Path, args: &[&str]) -> common::Run {
    common::DaskPbs::new()
        .env("XDG_STATE_HOME", root.join("state"))
        .env("DASK_PBS_QSTAT", finished_qstat(root))
        .args(["status"])
        .args(args)
        .run()
}

/// Every cause the job writes, the words `status` gives it, and the older mark that has no
/// cause (its reason is shown).
const CAUSES: &[(&str, &str, &str)] = &[
    (
        "status=0\ncause=stop\nreason=a stop request (dask-pbs stop)\n",
        "stop",
        "ended: by `dask-pbs stop` (exit status 0): a stop request (dask-pbs stop)",
    ),
    (
        "status=0\ncause=client\nreason=a client shut the cluster down\n",
        "client",
        "ended: by a client's shutdown (exit status 0)",
    ),
    (
        "status=3\ncause=payload\nreason=the payload exited with status 3\n",
        "payload",
        "ended: by the end of the payload (run) (exit status 3): the payload exited with status 3",
    ),
    (
        "status=0\ncause=walltime\nreason=walltime - shutdown_margin reached\n",
        "walltime",
        "ended: by its walltime (walltime - dask.shutdown_margin, or PBS's TERM near it) (exit status 0)",
    ),
    (
        "status=143\ncause=signal\nreason=SIGTERM\n",
        "signal",
        "ended: by a signal (qdel, or PBS) (exit status 143): SIGTERM",
    ),
    (
        "status=1\ncause=lost\nreason=the launcher exited: every rank is gone\n",
        "lost",
        "ended: by lost workers (a node or the MPI launcher died) (exit status 1)",
    ),
    (
        "status=1\ncause=failed\nreason=dask is not on PATH\n",
        "failed",
        "ended: by a failure to set up or start (exit status 1): dask is not on PATH",
    ),
    (
        "status=1\ncause=scheduler\nreason=the scheduler exited (status 1)\n",
        "scheduler",
        "ended: by the scheduler's death (exit status 1)",
    ),
];

#[test]
fn an_ended_cluster_shows_no_live_workers_and_what_ended_it() {
    for (mark, cause, says) in CAUSES {
        let dir = tempfile::tempdir().unwrap();
        ended_cluster(dir.path(), "1.vm", Some(mark));
        let run = status(dir.path(), &["1.vm"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let text = run.stdout;
        assert!(text.contains(says), "{cause}: {text}");
        assert!(text.starts_with("1.vm  F  "), "{cause}: {text}");
        assert!(
            text.contains("workers: none, the cluster has ended (4 when last seen, ")
                && text.contains(" s before the end)"),
            "{cause}: {text}"
        );
        assert!(text.contains("worker job 2.vm  F\n"), "{cause}: {text}");
        for stale in ["workers: 4", ": 2 workers", "dashboard:", "scheduler:"] {
            assert!(!text.contains(stale), "{cause}: {stale:?} in {text}");
        }

        let run = status(dir.path(), &["1.vm", "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let report = &json[0];
        assert_eq!(report["cause"], *cause, "{report}");
        assert_eq!(report["over"], true, "{report}");
        assert_eq!(report["workers"], 0, "{report}");
        assert_eq!(report["last_seen"]["workers"], 4, "{report}");
        assert_eq!(report["scheduler"], serde_json::Value::Null, "{report}");
        assert_eq!(report["worker_jobs"][0]["workers"], serde_json::json!([]));
        let by = report["ended_by"].as_str().unwrap();
        assert!(by.starts_with(&says["ended: ".len()..]), "{report}");
    }
}

#[test]
fn an_older_mark_without_a_cause_gives_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    ended_cluster(
        dir.path(),
        "1.vm",
        Some("status=0\nreason=a client shut the cluster down\n"),
    );
    let run = status(dir.path(), &["1.vm"]);
    assert!(
        run.stdout
            .contains("ended: a client shut the cluster down (exit status 0)\n"),
        "{}",
        run.stdout
    );
    let run = status(dir.path(), &["1.vm", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json[0]["cause"], serde_json::Value::Null);
    assert_eq!(json[0]["exit_status"], 0);
}

/// A head job killed before it could mark its directory (SIGKILL, a lost node): PBS no longer
/// knows it, its last status.json still counts 4 workers.
#[test]
fn a_head_job_gone_without_a_mark_is_ended_not_live() {
    let dir = tempfile::tempdir().unwrap();
    ended_cluster(dir.path(), "1.vm", None);
    let run = status(dir.path(), &["1.vm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("ended without marking its directory (killed: qdel -W force, a lost node, or PBS at walltime)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("workers: none, the cluster has ended (4 when last seen, ")
            && run.stdout.contains(" s ago)\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("workers: 4"), "{}", run.stdout);
}
