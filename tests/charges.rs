//! What a job charges, through the binary: the line of `check`, `explain` and `submit`, the
//! warnings of a request that costs more than its cores, `--max-charge`, the rule's own
//! problems, `status`'s totals, and the charge the job script logs at its end.

use std::path::Path;

use crate::common::{DaskPbs, Run};

/// `dask-pbs ARGS` as a user whose profile directory holds `yaml` as `p.yaml` (when given).
fn run_with(yaml: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), yaml).unwrap();
    DaskPbs::new()
        .args(args)
        .args(["--profile-dir".as_ref(), dir.path().as_os_str()])
        .run()
}

fn run(args: &[&str]) -> Run {
    DaskPbs::new().args(args).run()
}

#[test]
fn check_prints_the_most_the_job_can_charge_and_its_rate_per_hour() {
    let out = run(&["check", "--profile", "gadi", "-A", "a00"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.ends_with("\ncharge: at most 96 SU (48 cores × 2 SU × 1 h; memory 190GB = 47.5 cores' share, not more); 96 SU per hour held; the most is reserved from the allocation until the job ends\n"),
        "{}",
        out.stdout
    );
    let out = run(&[
        "check",
        "--profile",
        "derecho",
        "-A",
        "a",
        "-n",
        "2",
        "-t",
        "02:00:00",
        "--set",
        "job.directives=[\"-l job_priority=premium\"]",
    ]);
    assert!(
        out.stdout.contains("charge: at most 24 GPU-hours (2 nodes × 4 GPUs × 1.5 (job_priority=premium) × 2 h); 12 GPU-hours per hour held\n"),
        "{}",
        out.stdout
    );
    // A site whose rule is not known: no line at all.
    let out = run(&["check", "--profile", "sophia", "-A", "a"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("charge"), "{}", out.stdout);
    assert_eq!(out.stderr, "");
}

#[test]
fn explain_and_submit_show_it_and_gen_keeps_its_stdout_the_script() {
    let out = run(&["explain", "--profile", "polaris", "-A", "a"]);
    assert!(
        out.stdout.lines().nth(1)
            == Some(
                "# charge: at most 0.5 node-hours (1 node × 0.5 h); 1 node-hours per hour held"
            ),
        "{}",
        out.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let out = DaskPbs::new()
        .cwd(dir.path())
        .env("DASK_PBS_QSUB", "/opt/pbs/bin/qsub")
        .args(["submit", "--profile", "casper", "-A", "a", "--dry-run"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stdout.contains("charge"),
        "stdout is the qsub command: {}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "dask-pbs: charge: at most 4 GPU-hours (4 GPUs × 1 h); 4 GPU-hours per hour held\n"
        ),
        "{}",
        out.stderr
    );
    let out = run(&["gen", "--profile", "gadi", "-A", "a00"]);
    assert!(out.stdout.starts_with("#!"));
    assert!(!out.stdout.contains("at most"), "the line is not gen's");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_memory_request_that_costs_more_than_the_cores_is_warned_with_what_is_cheaper() {
    // NCI's own example: 12 cores, 1 GPU, 380 GB, 5 hours on gpuvolta = 716.23 SU.
    let out = run(&[
        "check",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-t",
        "05:00:00",
        "--set",
        "job.resources.ncpus=12",
        "--set",
        "job.resources.ngpus=1",
        "--set",
        "job.resources.mem=380GB",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("charge: at most 716.23 SU (47.75 cores' share of memory 380GB × 3 SU × 5 h; more than the 12 cores asked); 143.25 SU per hour held"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("dask-pbs: warning: the memory asked (380GB) is charged as 47.75 cores' share, more than the 12 cores asked: 143.25 SU an hour instead of 36; ask for at most 95.5GB (7.96GB a core) to be charged for the cores alone"),
        "{}",
        out.stderr
    );
}

#[test]
fn gpus_held_for_cpu_workers_and_idle_cores_of_whole_nodes_are_warned() {
    let out = run(&[
        "check",
        "--profile",
        "derecho",
        "-A",
        "a",
        "--set",
        "dask.worker=cpu",
        "--set",
        "dask.workers_per=node",
        "--set",
        "dask.device_memory_limit=null",
        "--set",
        "job.resources.mpiprocs=1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: the job runs CPU workers (dask.worker: cpu) but is charged for 4 GPUs: 4 GPU-hours an hour for GPUs it does not use; without ngpus in job.resources it would be charged 64 core-hours an hour instead"),
        "{}",
        out.stderr
    );
    // Half the cores of an exclusive node for CPU workers: the whole node is charged.
    let half: &[&str] = &[
        "check",
        "--profile",
        "derecho",
        "-A",
        "a",
        "--set",
        "dask.worker=cpu",
        "--set",
        "dask.workers_per=node",
        "--set",
        "dask.device_memory_limit=null",
        "--set",
        "job.resources.mpiprocs=1",
        "--set",
        "job.resources.ngpus=null",
        "--set",
        "job.resources.gpu_type=null",
        "--set",
        "job.resources.ncpus=32",
    ];
    let out = run(half);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "charge: at most 64 core-hours (1 node × 64 cores × 1 (job_priority=regular) × 1 h)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("warning: the job is charged for all 64 cores of each of its 1 node(s), 64 in all, though it asks for 32: the site gives whole nodes; use them (dask.workers_per_node, nthreads) or a queue of shared nodes instead of main"),
        "{}",
        out.stderr
    );
    // The shared develop queue charges what is asked, by its formula as written (no factor).
    let out = run(&[half, &["-q", "develop"]].concat());
    assert!(
        out.stdout
            .contains("charge: at most 32 core-hours (32 cores × 1 h)"),
        "{}",
        out.stdout
    );
    assert!(!out.stderr.contains("whole nodes"), "{}", out.stderr);
}

#[test]
fn a_job_no_rate_fits_is_said_so() {
    let yaml = "description: t\nextends: derecho\nsystem:\n  charging: { unit: core-hours, rates: [{ queues: [develop], per: cores, rate: 1 }] }\n";
    let out = run_with(yaml, &["check", "--profile", "p", "-A", "a"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: no rate of system.charging fits this job (queue main, a request with GPUs): its charge is not shown; add a rate for it (docs/costs.md)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_rate_for_a_misspelt_queue_and_one_cores_memory_for_a_nodes_are_pointed_out() {
    let yaml = "description: t\nextends: derecho\nsystem:\n  charging: { unit: core-hours, rates: [{ queues: [mian], per: cores, rate: 1 }] }\n";
    let out = run_with(yaml, &["check", "--profile", "p", "-A", "a"]);
    assert!(
        out.stderr.contains("warning: no rate of system.charging fits this job (queue main, a request with GPUs) (a rate names queue `mian`: a typo for `main`?): its charge is not shown"),
        "{}",
        out.stderr
    );
    let yaml = "description: t\nextends: gadi\nsystem:\n  charging: { unit: SU, rates: [{ per: cores, rate: 2, memory_per_node: 4GB }] }\n";
    let out = run_with(yaml, &["check", "--profile", "p", "-A", "a"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("warning: the charging rate's memory_per_node (4GB) is far below the node's memory (system.memory_per_node 190GB): it is a whole node's memory, shared among its 48 cores to charge memory, not one core's"),
        "{}",
        out.stderr
    );
}

#[test]
fn max_charge_refuses_a_job_that_could_charge_more() {
    let dir = tempfile::tempdir().unwrap();
    let out = DaskPbs::new()
        .cwd(dir.path())
        .args([
            "gen",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "-t",
            "10:00:00",
            "--max-charge",
            "500",
            "-o",
            "job.sh",
        ])
        .run();
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("job.max_charge (from command-line flag --max-charge): the job can charge up to 960 SU (held to its walltime 10:00:00, 96 SU an hour), more than the 500 allowed: ask for less walltime or fewer nodes, or raise the limit"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("job.sh").exists(), "nothing written");
    let out = run(&[
        "check",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "--max-charge",
        "96",
    ]);
    assert_eq!(out.code, 0, "exactly the limit is allowed: {}", out.stderr);
    let out = run(&[
        "check",
        "--profile",
        "sophia",
        "-A",
        "a",
        "--max-charge",
        "10",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("job.max_charge (from command-line flag --max-charge): asks that the job charge at most 10, but the profile has no system.charging (the site's rule, docs/costs.md) to compute it with"), "{}", out.stderr);
    let out = run(&[
        "check",
        "--profile",
        "gadi",
        "-A",
        "a00",
        "--max-charge",
        "5e2",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "--max-charge: `5e2` is not an amount: write a plain decimal number like 2, 1.25 or 0.7"
        ),
        "{}",
        out.stderr
    );
    let yaml = "description: t\nextends: polaris\njob:\n  max_charge: 0.25\n";
    let out = run_with(yaml, &["check", "--profile", "p", "-A", "a"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("job.max_charge (from "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("up to 0.5 node-hours"),
        "{}",
        out.stderr
    );
    let yaml = "description: t\nextends: derecho\nsystem:\n  charging: { unit: c, rates: [{ queues: [develop], per: cores, rate: 1 }] }\njob:\n  max_charge: 1\n";
    let out = run_with(yaml, &["check", "--profile", "p", "-A", "a"]);
    assert!(
        out.stderr.contains(
            "asks that the job charge at most 1, but no rate of system.charging fits this job"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_priority_the_rule_does_not_know_is_refused() {
    let out = run(&[
        "check",
        "--profile",
        "derecho",
        "-A",
        "a",
        "--set",
        "job.directives=[\"-l job_priority=urgent\"]",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("job.directives (from command-line flag --set job.directives=[\"-l job_priority=urgent\"]): job_priority=urgent is not a priority the site's charging rule (system.charging) knows: use one of premium, regular, economy"),
        "{}",
        out.stderr
    );
}

/// The rule's own mistakes are cases of tests/profiles.rs (every validation message has one);
/// here, what the parser refuses, with the line.
#[test]
fn a_rule_that_does_not_parse_is_refused_at_its_line() {
    for (charging, expect) in [
        (
            "{ unit: SU, rates: [{ per: racks, rate: 1 }] }",
            "unknown variant `racks`, expected one of nodes, cores, gpus",
        ),
        (
            "{ unit: SU, rates: [{ per: nodes, rate: -1 }] }",
            "`-1` is not an amount: write a plain decimal number like 2, 1.25 or 0.7",
        ),
        (
            "{ unit: SU, rate: 2 }",
            "unknown key `rate`; did you mean `rates`?",
        ),
    ] {
        let yaml = format!("description: t\nextends: polaris\nsystem:\n  charging: {charging}\n");
        let out = run_with(&yaml, &["check", "--profile", "p", "-A", "a"]);
        assert_eq!(out.code, 2, "{charging}: {}", out.stderr);
        assert!(
            out.stderr.contains("p.yaml:4:"),
            "{charging}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(expect), "{charging}: {}", out.stderr);
    }
}

fn write_tool(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A qstat that reports every job asked as running for 30 minutes (`-F json` and plain).
const RUNNING_QSTAT: &str = r#"json=0; ids=""
for a in "$@"; do case $a in -f|json) ;; -F) json=1 ;; *) ids="$ids $a" ;; esac; done
if [ $json = 1 ]; then
  printf '{"Jobs": {'; sep=""
  for i in $ids; do printf '%s"%s": {"job_state": "R"}' "$sep" "$i"; sep=","; done
  printf '}}\n'
else
  for i in $ids; do printf 'Job Id: %s\n    resources_used.walltime = 00:30:00\n    job_state = R\n\n' "$i"; done
fi"#;

/// A qstat for which every job has ended and is forgotten (no job history).
const FORGETFUL_QSTAT: &str = r#"for a in "$@"; do case $a in -*|json) ;; *) echo "qstat: Unknown Job Id $a" >&2 ;; esac; done
exit 153"#;

#[test]
fn status_reports_what_each_cluster_has_charged_and_would_if_held() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let qsub = write_tool(
        d,
        "qsub",
        "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; echo \"$n.gadi-pbs\"",
    );
    let running = write_tool(d, "qstat-running", RUNNING_QSTAT);
    let forgetful = write_tool(d, "qstat-forgetful", FORGETFUL_QSTAT);
    let state = d.join("state");
    let cli = |qstat: &Path, args: &[&str]| {
        DaskPbs::new()
            .cwd(d)
            .env("XDG_STATE_HOME", &state)
            .env("DASK_PBS_QSUB", &qsub)
            .env("DASK_PBS_QSTAT", qstat)
            .args(args)
            .run()
    };
    let out = cli(&running, &["submit", "--profile", "gadi", "-A", "a00"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("1.gadi-pbs\n"), "{}", out.stdout);
    assert!(
        out.stderr.contains("dask-pbs: charge: at most 96 SU"),
        "{}",
        out.stderr
    );
    let out = cli(&running, &["status"]);
    assert!(
        out.stdout
            .contains("\n  charge: 48 SU so far; 96 SU if held to walltime\n"),
        "{}",
        out.stdout
    );
    // Worker jobs of the recorded script charge as the head does.
    assert_eq!(
        cli(&running, &["scale", "1.gadi-pbs", "--add", "2"]).code,
        0
    );
    let out = cli(&running, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json[0]["charge"],
        serde_json::json!([{"unit": "SU", "so_far": 144.0, "if_held_to_walltime": 288.0, "unknown_use": []}])
    );
    // All ended and forgotten by PBS: the head recorded its walltime used at its end (the
    // job script's `walltime_used`), the worker jobs did not.
    let head_dir = d.join("dask-pbs.1.gadi-pbs");
    std::fs::create_dir_all(&head_dir).unwrap();
    std::fs::write(head_dir.join("walltime_used"), "1800\n").unwrap();
    let out = cli(&forgetful, &["status", "1.gadi-pbs"]);
    assert!(
        out.stdout.contains("  charge: 48 SU so far; 240 SU if held to walltime (walltime used unknown for 2.gadi-pbs, 3.gadi-pbs, counted whole)\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_job_script_logs_its_charge_at_its_end() {
    let out = run(&[
        "gen",
        "--profile",
        "gadi-gpu",
        "-A",
        "a00",
        "-t",
        "05:00:00",
        "--set",
        "job.resources.ncpus=12",
        "--set",
        "job.resources.ngpus=1",
        "--set",
        "job.resources.mem=380GB",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let start = out
        .stdout
        .find("dask_pbs_log_charge() {")
        .expect("the function");
    let end = start + out.stdout[start..].find("\n}\n").unwrap() + 3;
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "dask_pbs_log() {{ printf '%s\\n' \"$*\"; }}\n{}dask_pbs_dir={}\nSECONDS=18000\ndask_pbs_log_charge\n",
        &out.stdout[start..end],
        dir.path().display()
    );
    let ran = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "charge: 716.23 SU (05:00:00 used × 143.25 SU an hour)\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("walltime_used")).unwrap(),
        "18000\n"
    );
    // The script calls it in its shutdown; a site without a rule has neither.
    assert!(out.stdout.contains("\n  dask_pbs_log_charge\n"));
    let sophia = run(&["gen", "--profile", "sophia", "-A", "a"]).stdout;
    assert!(!sophia.contains("dask_pbs_log_charge"));
}
