//! Issue 17: no one else on the machine can join or drive the cluster.
//!
//! Under the emulation (see `e2e_support`), a held job runs a payload that publishes the
//! scheduler's, a worker's and a nanny's addresses and waits. A second Unix user then tries
//! what an unrelated user on a shared node could: a `Client` on the scheduler's address and
//! `client.run`, and the `identity` and `run` RPCs straight on the worker's and the nanny's
//! ports — each with plain `tcp://` and with TLS under a certificate of its own. With
//! `dask.security: tls` every attempt is refused and no marker file appears; with `none` the
//! same attempts succeed (so the test can fail). The owner's payload works in both.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::e2e_support::{PbsJob, prerequisites};

const INTRUDER: &str = "dask-pbs-intruder";

use crate::e2e_support::serial;

/// The owner's payload: publishes the addresses, waits for the intruder, then checks the
/// cluster still computes.
const PAYLOAD: &str = r#"
import json, os, sys, time
from dask.distributed import Client
addresses, done = sys.argv[1], sys.argv[2]
client = Client(scheduler_file=os.environ["DASK_SCHEDULER_FILE"], timeout=20)
workers = client.scheduler_info(n_workers=-1)["workers"]
worker, info = sorted(workers.items())[0]
with open(addresses + ".tmp", "w") as f:
    host = client.scheduler.address.split("://", 1)[1].rsplit(":", 1)[0]
    dashboard = f"http://{host}:{client.scheduler_info()['services']['dashboard']}"
    json.dump({"scheduler": client.scheduler.address, "worker": worker, "nanny": info["nanny"],
               "dashboard": dashboard}, f)
os.rename(addresses + ".tmp", addresses)
deadline = time.time() + 120
while not os.path.exists(done) and time.time() < deadline:
    time.sleep(0.1)
print("OWNER", len(client.scheduler_info(n_workers=-1)["workers"]), client.submit(sum, [1, 2, 3]).result())
"#;

/// The intruder: every way in, each printed as ACCEPTED or REFUSED.
const INTRUDER_SCRIPT: &str = r#"
import asyncio, json, os, subprocess, sys, tempfile
from distributed import Client, Security
from distributed.core import rpc
from distributed.protocol import pickle
import urllib.error, urllib.request
addresses, markers = json.loads(sys.argv[1]), sys.argv[2]
dashboard = addresses.pop("dashboard")
with urllib.request.urlopen(dashboard + "/json/counts.json", timeout=5) as page:
    print("DASHBOARD read-only page readable", page.status, flush=True)
try:
    urllib.request.urlopen(dashboard + "/api/v1/get_workers", timeout=5).close()
    print("ACCEPTED http-api", flush=True)
except urllib.error.HTTPError as e:
    print("REFUSED http-api", e.code, flush=True)
own = tempfile.mkdtemp()
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", own + "/key.pem", "-out", own + "/cert.pem", "-subj", "/CN=dask-pbs job",
                "-days", "1"], check=True, capture_output=True)
mine = Security(tls_ca_file=own + "/cert.pem", tls_client_cert=own + "/cert.pem",
                tls_client_key=own + "/key.pem", require_encryption=True)

def mark(name):
    def touch():
        open(os.path.join(markers, name), "w").close()
    return touch

async def direct(address, security, name):
    args = security.get_connection_args("client") if security else {}
    r = rpc(address, connection_args=args, timeout=5)
    try:
        await r.identity()
        await r.run(function=pickle.dumps(mark(name)))
    finally:
        await r.close_rpc()

for role, address in sorted(addresses.items()):
    hostport = address.split("://", 1)[1]
    for how, target, security in (("plain", "tcp://" + hostport, None), ("own-cert", "tls://" + hostport, mine)):
        name = f"{role}-{how}"
        try:
            if role == "scheduler":
                with Client(target, security=security, timeout=5) as client:
                    client.run(mark(name))
            else:
                asyncio.run(direct(target, security, name))
            print("ACCEPTED", name, flush=True)
        except Exception as e:
            print("REFUSED", name, type(e).__name__, str(e)[:150].replace("\n", " "), flush=True)
"#;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The intruder's account, created if absent; `None` (skip) when not root.
fn intruder_account() -> Option<()> {
    if !is_root() {
        common::skip(&format!(
            "creating the second user {INTRUDER} needs root (tests/run.sh runs as root in CI)"
        ));
        return None;
    }
    let exists = Command::new("id")
        .arg(INTRUDER)
        .output()
        .unwrap()
        .status
        .success();
    if !exists {
        let made = Command::new("useradd")
            .args(["-m", INTRUDER])
            .output()
            .expect("useradd runs");
        assert!(
            made.status.success(),
            "useradd -m {INTRUDER}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    Some(())
}

/// A command run as the intruder, with a bare environment of its own.
fn as_intruder(python: &(PathBuf, Option<PathBuf>), args: &[&str]) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", INTRUDER, "--", "env", "-i"]);
    cmd.arg(format!("HOME=/home/{INTRUDER}"));
    cmd.arg("PATH=/usr/local/bin:/usr/bin:/bin");
    if let Some(path) = &python.1 {
        cmd.arg(format!("PYTHONPATH={}", path.display()));
    }
    cmd.arg(&python.0).args(args);
    cmd
}

/// A Python with Dask that the intruder can run: the venv's own, else the system's Python
/// of the same version with the venv's packages (a venv under /root is out of its reach).
fn intruder_python(venv: &Path) -> Option<(PathBuf, Option<PathBuf>)> {
    let site = std::fs::read_dir(venv.join("lib"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir());
    let candidates = [
        (venv.join("bin/python"), None),
        (PathBuf::from("/usr/bin/python3"), site),
    ];
    for candidate in candidates {
        let ok = as_intruder(&candidate, &["-c", "import distributed"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Some(candidate);
        }
    }
    let why = format!(
        "no Python with Dask that the user {INTRUDER} may run (the venv {} must be readable by others)",
        venv.display()
    );
    common::skip(&why);
    None
}

/// `pbs-cpu` with the test venv, 2 single-thread workers, the given `dask.security`.
fn cpu_args(venv: &Path, security: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--profile",
        "pbs-cpu",
        "--set",
        "env.conda=null",
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
    args.extend([
        "--set".into(),
        format!("env.venv={}", venv.display()),
        "--set".into(),
        format!("dask.security={security}"),
    ]);
    args
}

fn wait_for(path: &Path, limit: Duration, job: &PbsJob) {
    let deadline = Instant::now() + limit;
    while !path.exists() {
        assert!(
            Instant::now() <= deadline,
            "{} never appeared; job output:\n{}{}",
            path.display(),
            job.output_of("o"),
            job.output_of("e")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir`, recursively, as text.
fn texts(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(texts(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, String::from_utf8_lossy(&bytes).to_string()));
        }
    }
    out
}

/// Another Python session of the owner connects with the job's `export DASK_CONFIG=` line
/// and nothing else; without it, it is refused like anyone.
fn owner_sessions_connect_with_the_printed_line(job: &PbsJob, venv: &Path) {
    let stdout = job.output_of("o");
    let config = stdout
        .lines()
        .find_map(|l| {
            l.split_once("export DASK_CONFIG=")
                .map(|(_, v)| v.to_string())
        })
        .unwrap_or_else(|| panic!("no DASK_CONFIG line in the job's output:\n{stdout}"));
    let scheduler_file = job.job_dir().join("scheduler.json");
    let check = "import sys; from dask.distributed import Client; \
c = Client(scheduler_file=sys.argv[1], timeout=10); \
print('SESSION', len(c.scheduler_info(n_workers=-1)['workers']))";
    let session = |with_config: bool| {
        let mut cmd = Command::new(venv.join("bin/python"));
        cmd.env_clear()
            .env("HOME", job.path("home"))
            .env("PATH", "/usr/bin:/bin")
            .args(["-c", check, &scheduler_file.display().to_string()]);
        if with_config {
            cmd.env("DASK_CONFIG", &config);
        }
        cmd.output().unwrap()
    };
    let with = session(true);
    assert!(
        String::from_utf8_lossy(&with.stdout).contains("SESSION 2"),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let without = session(false);
    assert!(
        !without.status.success(),
        "connected without the job's certificate"
    );
}

/// The certificate starts an hour back (clock skew between nodes) and ends a day past the
/// walltime (pbs-cpu's 01:00:00): 90000 s from now.
fn validity_covers_skew_and_walltime(cert: &Path) {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(["x509", "-noout", "-in"])
            .arg(cert)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        openssl(&["-checkend", "89000"]).status.success(),
        "ends too early"
    );
    assert!(
        !openssl(&["-checkend", "91000"]).status.success(),
        "ends too late"
    );
    let start = String::from_utf8_lossy(&openssl(&["-startdate"]).stdout).to_string();
    let start = start.trim().trim_start_matches("notBefore=");
    let epoch = |arg: &str| {
        let out = Command::new("date")
            .args(["-u", "+%s"])
            .args(["-d", arg])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<i64>()
            .unwrap()
    };
    let back = epoch("now") - epoch(start);
    assert!(
        (3500..3700).contains(&back),
        "starts {back} s back, not an hour"
    );
}

struct Attempt {
    /// The intruder's lines: `ACCEPTED name` / `REFUSED name why`.
    report: String,
    /// Marker files the intruder's code created on the owner's processes.
    markers: Vec<String>,
    /// The job's stdout, stderr and every log, at the end.
    job_texts: Vec<(PathBuf, String)>,
    /// Whether the certificate directory outlived the job.
    keys_left: bool,
}

/// Runs a held K=2 CPU job with `security`, lets the intruder try, and ends the job.
fn intrusion(security: &str, venv: &Path, python: &(PathBuf, Option<PathBuf>)) -> Attempt {
    let job = PbsJob::new(&format!("intruded-{security}"));
    job.nodefile(1);
    let payload = job.submit_dir().join("payload.py");
    std::fs::write(&payload, PAYLOAD).unwrap();
    let addresses = job.path("addresses.json");
    let done = job.path("intruder.done");
    let markers = job.path("markers");
    std::fs::create_dir_all(&markers).unwrap();
    let run = format!(
        "python {} {} {}",
        payload.display(),
        addresses.display(),
        done.display()
    );
    let mut args = cpu_args(venv, security);
    // As a site's Dask configuration could: turn on distributed's unauthenticated HTTP API.
    let site_routes = r#"env.vars={DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES: '["distributed.http.scheduler.api","distributed.http.scheduler.json"]'}"#;
    args.extend(["--set".into(), site_routes.into(), "--run".into(), run]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let script = job.render("job", &args);
    let child = job.spawn(&script);
    wait_for(&addresses, Duration::from_mins(2), &job);

    if security == "tls" {
        let tls = job.job_dir().join("tls");
        assert_eq!(mode(&job.job_dir()), 0o700, "the job directory is private");
        assert_eq!(mode(&tls), 0o700);
        let mut names: Vec<String> = std::fs::read_dir(&tls)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["ca.pem", "job.key", "job.pem"], "only these stay");
        for name in &names {
            assert_eq!(mode(&tls.join(name)), 0o600, "{name}");
        }
        validity_covers_skew_and_walltime(&tls.join("job.pem"));
    }

    if security == "tls" {
        owner_sessions_connect_with_the_printed_line(&job, venv);
    }

    let addresses_text = std::fs::read_to_string(&addresses).unwrap();
    let tried = as_intruder(
        python,
        &[
            "-c",
            INTRUDER_SCRIPT,
            &addresses_text,
            &markers.display().to_string(),
        ],
    )
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&tried.stdout).to_string();
    assert!(
        tried.status.success(),
        "the intruder's script itself failed: {report}{}",
        String::from_utf8_lossy(&tried.stderr)
    );
    std::fs::write(&done, "").unwrap();
    let finished = job.finish(child, Duration::from_mins(1));
    assert_eq!(finished.status, Some(0), "{}", finished.output());
    assert!(
        finished.stdout.contains("OWNER 2 6"),
        "the owner's payload still works: {}",
        finished.output()
    );
    assert!(finished.leftovers.is_empty(), "{:?}", finished.leftovers);
    let mut markers: Vec<String> = std::fs::read_dir(&markers)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    markers.sort();
    let mut job_texts = texts(&job.job_dir());
    job_texts.push(("stdout".into(), finished.stdout.clone()));
    job_texts.push(("stderr".into(), finished.stderr.clone()));
    Attempt {
        report,
        markers,
        job_texts,
        keys_left: job.job_dir().join("tls").exists() || job.job_dir().join("dask-config").exists(),
    }
}

#[test]
fn another_user_cannot_join_or_drive_a_tls_cluster_but_can_an_open_one() {
    let Some(venv) = prerequisites() else { return };
    let Some(()) = intruder_account() else { return };
    let _serial = serial();
    let Some(python) = intruder_python(&venv) else {
        return;
    };
    let names = [
        "http-api",
        "nanny-own-cert",
        "nanny-plain",
        "scheduler-own-cert",
        "scheduler-plain",
        "worker-own-cert",
        "worker-plain",
    ];

    let tls = intrusion("tls", &venv, &python);
    eprintln!("security: tls, the intruder's attempts:\n{}", tls.report);
    for name in names {
        assert!(
            tls.report.contains(&format!("REFUSED {name} ")),
            "{name} was not refused:\n{}",
            tls.report
        );
    }
    assert!(!tls.report.contains("ACCEPTED"), "{}", tls.report);
    assert!(
        tls.markers.is_empty(),
        "the intruder ran code: {:?}",
        tls.markers
    );
    for (path, text) in &tls.job_texts {
        assert!(
            !text.contains("PRIVATE KEY"),
            "key material in {}",
            path.display()
        );
    }
    assert!(!tls.keys_left, "the certificates outlived the job");

    // The control: the same attempts against `security: none` get in.
    let open = intrusion("none", &venv, &python);
    eprintln!("security: none, the intruder's attempts:\n{}", open.report);
    for name in ["scheduler-plain", "worker-plain", "nanny-plain"] {
        assert!(
            open.report.contains(&format!("ACCEPTED {name}")),
            "{name}:\n{}",
            open.report
        );
    }
    assert!(
        open.report.contains("REFUSED http-api 404"),
        "{}",
        open.report
    );
    assert_eq!(
        open.markers,
        ["nanny-plain", "scheduler-plain", "worker-plain"],
        "{}",
        open.report
    );
}

#[test]
fn tls_with_ucx_is_refused_and_none_with_ucx_warns() {
    let refused = common::dask_pbs(&[
        "gen",
        "job",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "dask.protocol=ucx",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(refused.stdout, "", "nothing written");
    assert!(
        refused.stderr.contains("dask.security")
            && refused
                .stderr
                .contains("security: tls with protocol: ucx is refused (UCX has no TLS in Dask): set dask.security: none"),
        "{}",
        refused.stderr
    );

    let open = common::dask_pbs(&[
        "gen",
        "job",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "dask.protocol=ucx",
        "--set",
        "dask.security=none",
    ]);
    assert_eq!(open.code, 0, "{}", open.stderr);
    let warnings: Vec<&str> = open
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "one line: {}", open.stderr);
    assert!(
        warnings[0].contains("anyone who can reach the job's nodes"),
        "{}",
        open.stderr
    );
    assert!(open.stdout.contains("--protocol ucx"));
    assert!(!open.stdout.contains("--tls-"));

    // TCP without TLS is the user's explicit choice: no warning there.
    let plain = common::dask_pbs(&[
        "gen",
        "job",
        "--profile",
        "pbs-cpu",
        "--set",
        "dask.security=none",
    ]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(!plain.stderr.contains("warning"), "{}", plain.stderr);
}

#[test]
fn every_builtin_profile_is_tls_by_default_in_every_cluster_artifact() {
    for (profile, _) in dask_pbs::builtin::PROFILES {
        for artifact in ["job", "start", "worker"] {
            let run = common::dask_pbs(&[
                "gen",
                artifact,
                "--profile",
                profile,
                "-A",
                "X",
                "--env",
                "/e",
            ]);
            assert_eq!(run.code, 0, "{profile} {artifact}: {}", run.stderr);
            let text = &run.stdout;
            assert!(text.contains("--protocol tls"), "{profile} {artifact}");
            assert!(!text.contains("--protocol tcp"), "{profile} {artifact}");
            for flag in ["--tls-ca-file", "--tls-cert", "--tls-key"] {
                assert!(text.contains(flag), "{profile} {artifact}: {flag}");
            }
            if artifact != "worker" {
                assert!(
                    text.contains("  dask_pbs_make_certificates "),
                    "{profile} {artifact}"
                );
                assert!(
                    text.contains("rm -rf \"$dask_pbs_dir/tls\" \"$dask_pbs_dir/dask-config\""),
                    "{profile} {artifact}: the secrets are removed at the end"
                );
            }
        }
        let client = common::dask_pbs(&["gen", "client", "--profile", profile]);
        assert!(client.stdout.contains("security=security"), "{profile}");
    }
}

/// A directory holding only Python's `cryptography` and what it imports, taken from the
/// machine's `python3`, for a job's PYTHONPATH; `None` where that Python has none.
fn cryptography_only() -> Option<tempfile::TempDir> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, cryptography, cffi, _cffi_backend, pycparser\n\
             for m in (cryptography, cffi, pycparser): print(os.path.dirname(m.__file__))\n\
             print(_cffi_backend.__file__)",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = Path::new(line);
        std::os::unix::fs::symlink(path, dir.path().join(path.file_name()?)).ok()?;
    }
    Some(dir)
}

/// `dask.certificates` picks the tool: openssl (the default) or Python's cryptography. Either
/// missing stops the job before anything listens, naming the keys that fix it.
#[test]
fn the_certificates_are_made_by_the_tool_the_profile_names() {
    let Some(venv) = prerequisites() else { return };
    let _serial = serial();
    let broken_openssl = |job: &PbsJob| {
        use std::os::unix::fs::PermissionsExt;
        let stub = job.path("stubs/openssl");
        std::fs::write(
            &stub,
            "#!/bin/sh\necho 'openssl: broken (test stub)' >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    let fails = |name: &str, tool: &str, message: &str| {
        let job = PbsJob::new(name);
        job.nodefile(1);
        broken_openssl(&job);
        let mut args = cpu_args(&venv, "tls");
        args.extend([
            "--set".to_string(),
            format!("dask.certificates={tool}"),
            "--run".to_string(),
            "echo PAYLOAD RAN".to_string(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let done = job.run(&job.render("job", &args), Duration::from_mins(1));
        assert_eq!(done.status, Some(1), "{}", done.output());
        assert!(
            done.stderr.contains(message) && done.stderr.contains("dask.security: none"),
            "{}",
            done.output()
        );
        assert!(!done.stdout.contains("PAYLOAD RAN"));
        assert!(
            !done.stdout.contains("scheduler starting"),
            "{}",
            done.output()
        );
        assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
        assert!(
            !job.job_dir().join("tls").exists(),
            "partial key files left"
        );
    };
    fails(
        "noopenssl",
        "openssl",
        "the openssl command is missing or failed",
    );
    // The test venv has no `cryptography`.
    fails(
        "nocryptography",
        "python",
        "no certificate could be made with Python's cryptography (dask.certificates: python",
    );

    let Some(cryptography) = cryptography_only() else {
        common::skip(
            "the half with Python's cryptography: this machine's python3 has no cryptography, cffi and pycparser to lend the job (tests/run.sh installs python3-cryptography and python3-cffi)",
        );
        return;
    };
    let job = PbsJob::new("pycerts");
    job.nodefile(2);
    broken_openssl(&job);
    let mut args = cpu_args(&venv, "tls");
    args.extend([
        "--set".to_string(),
        "dask.certificates=python".to_string(),
        "--set".to_string(),
        format!("env.vars={{PYTHONPATH: {}}}", cryptography.path().display()),
        "--run".to_string(),
        "python -c 'import os; from dask.distributed import Client; \
c = Client(scheduler_file=os.environ[\"DASK_SCHEDULER_FILE\"]); \
print(\"RESULT\", c.scheduler.address[:6], c.submit(sum, [1, 2]).result())'"
            .to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = job.run(&job.render("job", &args), Duration::from_mins(2));
    assert_eq!(done.status, Some(0), "{}", done.output());
    assert!(
        done.stdout
            .contains("certificates of this job made with python"),
        "{}",
        done.output()
    );
    assert!(done.stdout.contains("RESULT tls:// 3"), "{}", done.output());
    assert!(done.leftovers.is_empty(), "{:?}", done.leftovers);
}

/// A worker that finds no certificate (a job directory from elsewhere, a removed `tls/`)
/// says so in its log and does not start an open worker.
#[test]
fn the_worker_wrapper_refuses_to_start_without_the_jobs_certificate() {
    let job = PbsJob::new("nokey");
    let wrapper = job.render("worker", &["--profile", "pbs-cpu", "--env", "/unused"]);
    let dir = job.path("jobdir");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("scheduler.json"), "{}").unwrap();
    let mut cmd = job.command(
        "bash",
        &[&wrapper.display().to_string(), &dir.display().to_string()],
        &job.submit_dir(),
    );
    cmd.env("HOSTNAME", "node1")
        .env("OMPI_COMM_WORLD_LOCAL_RANK", "0");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log = std::fs::read_to_string(dir.join("logs/worker.node1.0.log")).unwrap();
    assert!(
        log.contains("no certificate in") && log.contains("(dask.security: tls)"),
        "{log}"
    );
}

/// `submit` prints the one line the owner's other sessions need, only when there is TLS.
#[test]
fn submit_prints_the_dask_config_line_for_a_tls_job() {
    use std::os::unix::fs::PermissionsExt;
    for (security, expected) in [("tls", true), ("none", false)] {
        let dir = tempfile::tempdir().unwrap();
        let qsub = dir.path().join("qsub");
        std::fs::write(&qsub, "#!/bin/sh\necho 77.pbs-server\n").unwrap();
        std::fs::set_permissions(&qsub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = common::DaskPbs::new()
            .cwd(dir.path())
            .env("DASK_PBS_QSUB", &qsub)
            .args([
                "submit".to_string(),
                "--profile".into(),
                "pbs-cpu".into(),
                "--set".into(),
                format!("dask.security={security}"),
            ])
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let line = format!(
            "    export DASK_CONFIG={}/dask-pbs.77.pbs-server/dask-config\n",
            dir.path().display()
        );
        assert_eq!(
            run.stdout.contains(&line),
            expected,
            "{security}: {}",
            run.stdout
        );
        assert_eq!(
            run.stdout.contains("DASK_CONFIG"),
            expected,
            "{}",
            run.stdout
        );
    }
}
