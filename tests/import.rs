//! `import-jobqueue`: a dask-jobqueue configuration as a dask-pbs profile, through the binary,
//! compared with the job dask-jobqueue 0.9 itself writes for the same file.

use crate::common;
use crate::e2e_support;

use std::path::{Path, PathBuf};

use crate::common::{DaskPbs, repo_root};

/// One configuration of tests/jobqueue/: its section and what it covers.
struct Case {
    file: &'static str,
    section: &'static str,
}

const fn case(file: &'static str) -> Case {
    Case {
        file,
        section: "pbs",
    }
}

/// The corpus: one realistic configuration per problem of dask-jobqueue imports.
const CORPUS: &[Case] = &[
    case("cheyenne"),
    case("no-resource-spec"),
    case("missing-processes"),
    case("missing-queue"),
    case("empty-account"),
    case("underscore-keys"),
    case("variables-in-paths"),
    Case {
        file: "custom-section",
        section: "casper",
    },
    case("legacy-names"),
    case("duplicate-key"),
    case("torque-nodes"),
    case("gadi"),
    case("directives-skip"),
    case("lifetime"),
    case("pleiades-model"),
    case("no-python"),
];

/// `#PBS` lines in which dask-pbs differs from dask-jobqueue on purpose, with why. Lines are
/// compared as sets: PBS reads every `#PBS` line before the job runs, so their order does not
/// change the request (dask-pbs writes `job.directives` after its own lines; dask-jobqueue
/// writes a non-select `resource-spec` before `-l walltime`).
const ALLOWED: &[(&str, &str, &str)] = &[];

fn corpus_dir() -> PathBuf {
    repo_root().join("tests/jobqueue")
}

fn pbs_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("#PBS "))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// Imports `case`, checks the profile, renders its job; the `#PBS` lines of the job.
fn dask_pbs_lines(case: &Case, dir: &Path) -> Vec<String> {
    let config = corpus_dir().join(format!("{}.yaml", case.file));
    let run = common::dask_pbs(&[
        "import-jobqueue",
        "--section",
        case.section,
        config.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}: {}", case.file, run.stderr);
    let profile = dir.join(format!("{}.yaml", case.file));
    std::fs::write(&profile, &run.stdout).unwrap();
    let mut args = vec!["--profile", profile.to_str().unwrap()];
    if run.stdout.contains("\n  conda: null\n  venv: null\n") {
        // No `python` in the config: the only flag the profile may need.
        assert!(
            run.stderr.contains("set env.conda or env.venv"),
            "{}",
            run.stderr
        );
        args.extend(["--env", "/opt/envs/dask"]);
    }
    let check = common::dask_pbs(&[&["check"], args.as_slice()].concat());
    assert_eq!(check.code, 0, "{}: check: {}", case.file, check.stderr);
    let job = common::ok(&[&["gen", "job"], args.as_slice()].concat());
    pbs_lines(&job)
}

#[test]
fn every_corpus_import_asks_pbs_for_what_dask_jobqueue_asks() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for case in CORPUS {
        let expected =
            std::fs::read_to_string(corpus_dir().join(format!("expected/{}.pbs", case.file)))
                .unwrap();
        let mut want = pbs_lines(&expected);
        let mut got = dask_pbs_lines(case, dir.path());
        for (file, line, _why) in ALLOWED {
            if *file == case.file {
                want.retain(|l| l != line);
                got.retain(|l| l != line);
            }
        }
        if want != got {
            failures.push(format!(
                "{}:\n  dask-jobqueue: {want:?}\n  dask-pbs:      {got:?}",
                case.file
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// tests/jobqueue/expected/ is what dask-jobqueue 0.9 writes (tests/jobqueue/jobqueue_pbs.py).
#[test]
fn the_expected_lines_are_dask_jobqueue_s_own() {
    let Some(venv) = e2e_support::dask_venv() else {
        return;
    };
    let python = venv.join("bin/python");
    // Dask reads ~/.config/dask and DASK_CONFIG at import: the tester's own jobqueue.yaml
    // must not reach dask-jobqueue's output.
    let home = tempfile::tempdir().unwrap();
    for case in CORPUS {
        let out = std::process::Command::new(&python)
            .env("HOME", home.path())
            .env("DASK_CONFIG", home.path().join("dask"))
            .env_remove("DASK_ROOT_CONFIG")
            .env_remove("XDG_CONFIG_HOME")
            .arg(corpus_dir().join("jobqueue_pbs.py"))
            .arg(corpus_dir().join(format!("{}.yaml", case.file)))
            .arg(case.section)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {} (is dask-jobqueue in tests/requirements.txt installed?)",
            case.file,
            String::from_utf8_lossy(&out.stderr)
        );
        let expected =
            std::fs::read_to_string(corpus_dir().join(format!("expected/{}.pbs", case.file)))
                .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{}",
            case.file
        );
    }
}

/// dask-jobqueue's documented PBS example (its configuration docs, NCAR Cheyenne).
const JOBQUEUE_EXAMPLE: &str = "jobqueue:
  pbs:
    name: dask-worker
    cores: 36
    memory: 109 GB
    processes: 9
    interface: ib0
    local-directory: $TMPDIR
    queue: regular
    account: P48500028
    walltime: '00:30:00'
    resource-spec: select=1:ncpus=36:mem=109GB
    python: /opt/conda/envs/dask/bin/python
";

#[test]
fn import_jobqueue_gives_a_standalone_profile_with_the_same_workers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jobqueue.yaml");
    std::fs::write(&config, JOBQUEUE_EXAMPLE).unwrap();
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("extends: null"), "{}", run.stdout);
    assert!(
        run.stdout.contains("conda: /opt/conda/envs/dask"),
        "{}",
        run.stdout
    );
    let profile = dir.path().join("cheyenne.yaml");
    std::fs::write(&profile, &run.stdout).unwrap();
    let p = profile.to_str().unwrap();
    let check = bare_ok(&["check", "--profile", p]);
    assert_eq!(
        check,
        "ok: 1 node of cheyenne/regular for 00:30:00 → 9 dask workers, 4 threads each (one rank per node)\n"
    );
    let job = bare_ok(&["gen", "--profile", p]);
    assert!(job.contains("#PBS -N dask-worker\n#PBS -q regular\n#PBS -A P48500028\n#PBS -l select=1:ncpus=36:mem=109GB\n#PBS -l walltime=00:30:00\n"), "{job}");
    // 109 GB / 9 exactly, not truncated to decimal MB.
    assert!(
        job.contains("--nworkers 9 --memory-limit 12111111111B --nthreads 4"),
        "{job}"
    );
    assert!(job.contains("conda activate /opt/conda/envs/dask"), "{job}");
    // `$TMPDIR` is kept and expanded by the worker on the node.
    let worker = bare_ok(&["gen", "worker", "--profile", p]);
    assert!(
        worker.contains("local_directory=$(dask_pbs_expand '$TMPDIR') || exit 1"),
        "{worker}"
    );
    assert!(
        worker.contains(" --local-directory \"$local_directory\" --tls-ca-file"),
        "{worker}"
    );
    common::assert_shell_clean("dask_start_worker.sh", &worker);
}

#[test]
fn no_queue_no_q_line_and_job_wide_requests_have_no_select() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gadi.yaml");
    std::fs::write(
        &config,
        "jobqueue:\n  pbs:\n    cores: 48\n    memory: 190GB\n    resource-spec: ncpus=48,mem=190GB\n    python: /g/data/a00/venv/bin/python\n",
    )
    .unwrap();
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let profile = dir.path().join("p.yaml");
    std::fs::write(&profile, &run.stdout).unwrap();
    let p = profile.to_str().unwrap();
    let job = bare_ok(&["gen", "--profile", p]);
    assert!(!job.contains("#PBS -q"), "{job}");
    assert!(!job.contains("select="), "{job}");
    assert!(job.contains("#PBS -l ncpus=48,mem=190GB\n"), "{job}");
    // A job-wide request is one node's resources.
    let two = common::dask_pbs(&["check", "--profile", p, "-n", "2"]);
    assert_eq!(two.code, 2);
    assert!(two.stderr.contains("job.request"), "{}", two.stderr);
}

#[test]
fn missing_cores_or_memory_exits_2_naming_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jobqueue.yaml");
    std::fs::write(&config, "jobqueue:\n  pbs:\n    queue: q\n    cores: 4\n").unwrap();
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("set `memory`"), "{}", run.stderr);
}

#[test]
fn a_duplicate_key_is_a_warning_naming_its_line() {
    let config = corpus_dir().join("duplicate-key.yaml");
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("duplicate-key.yaml:9: `queue` again (first on line 7)"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("queue: long"), "{}", run.stdout);
}

#[test]
fn extends_names_the_site() {
    let config = corpus_dir().join("legacy-names.yaml");
    let run = common::dask_pbs(&[
        "import-jobqueue",
        "--extends",
        "derecho",
        config.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("extends: derecho"), "{}", run.stdout);
    assert!(!run.stdout.contains("system:"), "{}", run.stdout);
    // pbs-cpu's ncpus: 64 is not merged into a request that names no ncpus.
    let config = corpus_dir().join("pleiades-model.yaml");
    let run = common::dask_pbs(&[
        "import-jobqueue",
        "--extends",
        "pbs-cpu",
        config.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    std::fs::write(&profile, &run.stdout).unwrap();
    let job = common::ok(&[
        "gen",
        "--profile",
        profile.to_str().unwrap(),
        "--queue",
        "workq",
    ]);
    assert!(
        job.contains("#PBS -l select=1:mem=120GB:model=bro\n"),
        "{job}"
    );
}

#[test]
fn import_jobqueue_reads_the_default_file_and_refuses_a_file_without_pbs() {
    let cli = DaskPbs::new();
    let dir = cli.home().join(".config/dask");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("jobqueue.yaml"),
        "jobqueue:\n  slurm:\n    cores: 4\n",
    )
    .unwrap();
    let run = cli.args(["import-jobqueue"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no `jobqueue: pbs:` section"),
        "{}",
        run.stderr
    );
}

/// The worker wrapper's expansion of `dask.local_directory`, run by bash: variables expand,
/// shell code in their values stays text, an unset one is a dask-pbs error naming it.
#[test]
fn the_worker_expands_variables_in_the_local_directory() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    std::fs::write(
        &profile,
        "extends: pbs-cpu\nenv: {conda: /e}\ndask: {local_directory: '/s/${USER}/x$TMPDIR'}\n",
    )
    .unwrap();
    let worker = bare_ok(&["gen", "worker", "--profile", profile.to_str().unwrap()]);
    let start = worker.find("dask_pbs_expand() {").unwrap();
    let end = start + worker[start..].find("\n}\n").unwrap() + 3;
    let function = &worker[start..end];
    let run = |script: &str, env: &[(&str, &str)]| {
        std::process::Command::new("bash")
            .args([
                "-c",
                &format!("set -euo pipefail; log=/dev/stderr; host=n1\n{function}{script}"),
            ])
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let out = run(
        "dask_pbs_expand '/s/${USER}/x$TMPDIR'",
        &[("USER", "jdoe"), ("TMPDIR", "/tmp/$(id)")],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/s/jdoe/x/tmp/$(id)");
    let out = run("dask_pbs_expand '/s/${USER}'", &[]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("dask.local_directory names $USER, which is not set on n1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Shell code is refused before anything renders.
    std::fs::write(
        &profile,
        "extends: pbs-cpu\nenv: {conda: /e}\ndask: {local_directory: '/s/$(id)'}\n",
    )
    .unwrap();
    let bad = common::dask_pbs(&["check", "--profile", profile.to_str().unwrap()]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("holds shell code"), "{}", bad.stderr);
}

/// `null` removes an inherited map entry: a queue, a chunk resource (in a file or `--set`).
#[test]
fn null_removes_an_inherited_queue_or_resource() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("site.yaml");
    std::fs::write(
        &profile,
        "extends: pbs-cpu\nenv: {conda: /e}\nsystem:\n  queues:\n    workq: null\n    batch: {chunk: node, chunks: {min: 1, max: 4}, walltime: ['00:00:01', '24:00:00']}\njob: {queue: batch}\n",
    )
    .unwrap();
    let p = profile.to_str().unwrap();
    let job = bare_ok(&["gen", "--profile", p, "--set", "job.resources.ncpus=null"]);
    assert!(job.contains("#PBS -l select=1\n"), "{job}");
    let workq = common::dask_pbs(&["check", "--profile", p, "--queue", "workq"]);
    assert_eq!(workq.code, 2);
    assert!(
        workq.stderr.contains("no queue `workq` on this site"),
        "{}",
        workq.stderr
    );
    assert!(workq.stderr.contains("queues: batch"), "{}", workq.stderr);
    // explain credits each queue and resource to the file that defined it.
    let explain = common::ok(&["explain", "--profile", p]);
    let origin = |key: &str| {
        let line = explain
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key}: {explain}"));
        line.split("# ").nth(1).unwrap_or_default().to_string()
    };
    assert!(
        origin("system.queues.batch.chunk ").contains("site.yaml:6:"),
        "{explain}"
    );
    assert!(
        origin("system.queues.workq ").contains("site.yaml:5:"),
        "{explain}"
    );
    assert!(
        origin("job.resources.ncpus ").contains("built-in profile pbs-cpu"),
        "{explain}"
    );
}

/// `job-script-prologue` (here spelt with underscores) runs before the environment is
/// activated, as in dask-jobqueue's script.
#[test]
fn the_prologue_runs_before_activation() {
    let config = corpus_dir().join("underscore-keys.yaml");
    let run = common::dask_pbs(&["import-jobqueue", config.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("not mapped"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.yaml");
    std::fs::write(&profile, &run.stdout).unwrap();
    let job = bare_ok(&["gen", "--profile", profile.to_str().unwrap()]);
    let prologue = job
        .find("eval 'module load gcc/12'")
        .expect("the prologue line");
    let activate = job
        .find("conda activate /opt/envs/dask")
        .expect("activation");
    assert!(prologue < activate, "{job}");
    assert!(job.contains("--death-timeout 120"), "{job}");
    assert!(job.contains("--resources ssd=1"), "{job}");
    common::assert_shell_clean("job.sh", &job);
}

/// Runs as a user with no configuration (the harness's defaults file names an environment,
/// which, above every profile, would stand for the one the import derived) and expects exit 0.
fn bare_ok(args: &[&str]) -> String {
    let run = common::DaskPbs::bare().args(args).run();
    assert_eq!(run.code, 0, "dask-pbs failed: {}", run.stderr);
    run.stdout
}
