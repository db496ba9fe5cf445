//! An emulated PBS job: what PBS gives a job script, and nothing more.
//!
//! There is no PBS server here. `PbsJob` provides what a real one gives the script: a
//! `PBS_NODEFILE` with each host repeated once per mpiproc, `PBS_JOBID`, `PBS_JOBNAME`,
//! `PBS_O_WORKDIR`, `PBS_QUEUE`, `PBS_ENVIRONMENT`, a per-job `TMPDIR`, a clean environment,
//! the script started by `bash` from a spooled copy with `$HOME` as working directory, stdin
//! from /dev/null, output to files (as `-k doe` does), a wall-clock limit, and at the end
//! every process the job left behind, found by a tag in its environment. The only stub is
//! `module` (a site command that cannot exist here): it logs its arguments.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::{have_tool, repo_root, skip};

/// The Dask venv of tests/run.sh, or `None` (the test skips: see `common::skip`).
pub(crate) fn dask_venv() -> Option<PathBuf> {
    let venv = std::env::var_os("DASK_PBS_E2E_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".e2e/venv"));
    if venv.join("bin/dask").is_file() {
        return Some(venv);
    }
    skip(&format!(
        "no Dask venv at {} (tests/run.sh creates it)",
        venv.display()
    ));
    None
}

/// An MPI's prefix that tests/run.sh installs (`var`, else .e2e/`dir`), or `None` (the test
/// skips).
pub(crate) fn mpi_prefix(var: &str, dir: &str) -> Option<PathBuf> {
    let dir =
        std::env::var_os(var).map_or_else(|| repo_root().join(".e2e").join(dir), PathBuf::from);
    if dir.join("bin/mpiexec").is_file() {
        return Some(dir);
    }
    skip(&format!(
        "{var}: no bin/mpiexec in {} (tests/run.sh installs it)",
        dir.display()
    ));
    None
}

/// The `--set` that puts an MPI prefix's `mpiexec` first on the job's PATH, through
/// env.prologue only (it must not shadow OpenMPI's for the other tests).
pub(crate) fn path_prologue(prefix: &Path) -> String {
    format!(
        "env.prologue=[\"export PATH={}/bin:$PATH\"]",
        prefix.display()
    )
}

/// Everything an end-to-end test needs, or `None` (the test skips).
pub(crate) fn prerequisites() -> Option<PathBuf> {
    if !have_tool("mpiexec", "end-to-end runs launch workers with OpenMPI") {
        return None;
    }
    dask_venv()
}

/// The emulated nodes of a multi-node job. Their names resolve to local addresses of their
/// own (tests/run.sh adds them to /etc/hosts: Hydra's proxies connect back by name), and each
/// node's processes run in a UTS namespace of that name, started through `rsh-agent`.
pub(crate) const NODES: [&str; 3] = ["e2e-node-1", "e2e-node-2", "e2e-node-3"];

/// Whether this machine can emulate several nodes: the names resolve (tests/run.sh adds them)
/// and `unshare --uts` works (it needs root: CI runs tests/run.sh as root). When not, the
/// test skips (in CI it fails).
pub(crate) fn multi_node() -> bool {
    let unshares = Command::new("unshare")
        .args(["--uts", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !unshares {
        skip(
            "`unshare --uts` is refused here (it needs root; a container may forbid it): no multi-node emulation",
        );
        return false;
    }
    let resolves = Command::new("getent")
        .args(["hosts", NODES[2]])
        .output()
        .is_ok_and(|o| o.status.success());
    if !resolves {
        skip(&format!(
            "the emulated nodes {NODES:?} do not resolve (tests/run.sh adds them to /etc/hosts)"
        ));
    }
    resolves
}

pub(crate) fn hostname() -> String {
    let out = Command::new("hostname").output().expect("hostname");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(crate) struct PbsJob {
    /// Shared by `sibling` jobs: one HOME and one submit directory.
    pub root: std::sync::Arc<tempfile::TempDir>,
    pub job_id: String,
    pub name: String,
    pub tag: String,
    pub interactive: bool,
}

pub(crate) struct Finished {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub timed_out: bool,
    /// Processes of the job still alive after it ended ("pid cmdline"), killed since.
    pub leftovers: Vec<String>,
}

impl Finished {
    pub(crate) fn output(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}

static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

impl PbsJob {
    /// A job with `mpiprocs` lines for this host in its node file.
    pub(crate) fn new(name: &str) -> PbsJob {
        let root = tempfile::Builder::new()
            .prefix("dask-pbs-e2e-")
            .tempdir()
            .expect("temp dir");
        for dir in ["home", "submit", "spool", "tmp", "stubs"] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        let job = PbsJob::with_root(std::sync::Arc::new(root), name);
        // The stub for the one site command that cannot exist here.
        let module = job.path("stubs/module");
        std::fs::write(&module, "#!/bin/sh\n# Test stub for the site's `module` command: logs, changes nothing.\necho \"module $*\" >>\"$DASK_PBS_E2E_MODULE_LOG\"\n").unwrap();
        make_executable(&module);
        job
    }

    fn with_root(root: std::sync::Arc<tempfile::TempDir>, name: &str) -> PbsJob {
        let n = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let job_id = format!("{}{n}.e2e-pbs", std::process::id());
        let tag = format!("e2e-{}-{n}", std::process::id());
        PbsJob {
            root,
            job_id,
            name: name.to_string(),
            tag,
            interactive: false,
        }
    }

    /// Another job submitted from the same directory by the same user.
    pub(crate) fn sibling(&self, name: &str) -> PbsJob {
        PbsJob::with_root(self.root.clone(), name)
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub(crate) fn submit_dir(&self) -> PathBuf {
        self.path("submit")
    }

    pub(crate) fn job_dir(&self) -> PathBuf {
        self.submit_dir().join(format!("dask-pbs.{}", self.job_id))
    }

    /// What the job has written so far to its stdout (`o`) or stderr (`e`), as `-k doe` leaves
    /// them in the submit directory.
    pub(crate) fn output_of(&self, stream: &str) -> String {
        std::fs::read_to_string(self.submit_dir().join(format!("{}.{stream}", self.name)))
            .unwrap_or_default()
    }

    pub(crate) fn module_log(&self) -> String {
        std::fs::read_to_string(self.path("module.log")).unwrap_or_default()
    }

    /// Writes `$PBS_NODEFILE`: this host `mpiprocs` times, as PBS does for one chunk.
    pub(crate) fn nodefile(&self, mpiprocs: usize) -> PathBuf {
        let path = self.path("nodefile");
        let host = hostname();
        std::fs::write(&path, format!("{host}\n").repeat(mpiprocs)).unwrap();
        path
    }

    /// Writes `$PBS_NODEFILE` for several emulated nodes (`mpiprocs` lines each) and the
    /// remote-start agent that reaches them; the job then runs on the first. See `NODES`.
    pub(crate) fn nodes(&self, hosts: &[&str], mpiprocs: usize) -> PathBuf {
        let path = self.path("nodefile");
        let lines: String = hosts
            .iter()
            .flat_map(|h| std::iter::repeat_n(format!("{h}\n"), mpiprocs))
            .collect();
        std::fs::write(&path, lines).unwrap();
        std::fs::write(self.path("head_host"), hosts[0]).unwrap();
        let agent = self.path("rsh-agent");
        std::fs::write(&agent, self.agent_script()).unwrap();
        make_executable(&agent);
        path
    }

    fn head_host(&self) -> Option<String> {
        std::fs::read_to_string(self.path("head_host")).ok()
    }

    /// The emulation's `ssh HOST COMMAND...`: COMMAND runs in a UTS namespace named HOST (its
    /// `hostname`), with the bare environment of a fresh login on another node — not the
    /// job's — so a rank there finds its environment only through what the job wrote for it.
    /// The one extra variable is the harness's tag, which finds leftovers; the job never reads
    /// it. Each node's first process id goes to `node.HOST.pid`, for `kill_node`.
    fn agent_script(&self) -> String {
        let home = self.path("home").display().to_string();
        let root = self.root.path().display().to_string();
        format!(
            r#"#!/bin/bash
# Test emulation of the remote start between a job's nodes (ssh HOST COMMAND...).
while [[ ${{1:-}} == -* ]]; do shift; done
host=$1
shift
exec unshare --uts /bin/bash -c 'echo $$ >"$3/node.$1.pid"; hostname "$1" || exit 255
exec env -i HOME="$4" USER=e2e LOGNAME=e2e SHELL=/bin/bash LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin DASK_PBS_E2E_TAG="$5" /bin/bash -c "$2"' agent "$host" "$*" '{root}' '{home}' '{tag}'
"#,
            tag = self.tag
        )
    }

    /// Every process of emulated node `host` killed at once, as when the node is lost.
    pub(crate) fn kill_node(&self, host: &str) -> usize {
        self.kill_on_node(host, None)
    }

    /// The processes of emulated node `host` killed, but those whose command line holds
    /// `spare` (the launcher's daemon): the node's ranks die, the node stays.
    pub(crate) fn kill_on_node(&self, host: &str, spare: Option<&str>) -> usize {
        let pid = std::fs::read_to_string(self.path(&format!("node.{host}.pid")))
            .unwrap_or_else(|e| panic!("node {host} never started: {e}"));
        let ns = std::fs::read_link(format!("/proc/{}/ns/uts", pid.trim()))
            .unwrap_or_else(|e| panic!("node {host}'s first process is gone: {e}"));
        let mut killed = 0;
        for (pid, cmdline) in tagged_processes(&self.tag) {
            if spare.is_some_and(|s| cmdline.contains(s)) {
                continue;
            }
            if std::fs::read_link(format!("/proc/{pid}/ns/uts"))
                .ok()
                .as_ref()
                == Some(&ns)
            {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                killed += 1;
            }
        }
        killed
    }

    /// Kills the job's processes whose environment holds `entry` (`NAME=value`).
    pub(crate) fn kill_with_env(&self, entry: &str) -> usize {
        let needle = format!("\0{entry}\0");
        let mut killed = 0;
        for (pid, _) in tagged_processes(&self.tag) {
            let mut environ = vec![0];
            environ.extend(std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default());
            if String::from_utf8_lossy(&environ).contains(&needle) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                killed += 1;
            }
        }
        killed
    }

    /// The environment PBS gives the job, and nothing from the test's own.
    pub(crate) fn command(&self, program: &str, args: &[&str], cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(cwd).env_clear();
        let home = self.path("home");
        let tmp = self.path("tmp").join(format!("pbs.{}", self.job_id));
        std::fs::create_dir_all(&tmp).unwrap();
        let path = format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.path("stubs").display()
        );
        let vars: Vec<(&str, String)> = vec![
            ("HOME", home.display().to_string()),
            ("USER", "e2e".into()),
            ("LOGNAME", "e2e".into()),
            ("SHELL", "/bin/bash".into()),
            ("LANG", "C.UTF-8".into()),
            ("PATH", path),
            ("TMPDIR", tmp.display().to_string()),
            ("PBS_JOBID", self.job_id.clone()),
            ("PBS_JOBNAME", self.name.clone()),
            ("PBS_O_WORKDIR", self.submit_dir().display().to_string()),
            ("PBS_O_HOME", home.display().to_string()),
            ("PBS_QUEUE", "workq".into()),
            (
                "PBS_ENVIRONMENT",
                if self.interactive {
                    "PBS_INTERACTIVE"
                } else {
                    "PBS_BATCH"
                }
                .into(),
            ),
            ("PBS_NODEFILE", self.path("nodefile").display().to_string()),
            ("NCPUS", "2".into()),
            ("OMP_NUM_THREADS", "1".into()),
            // This machine only: OpenMPI refuses root without these, and 2 cores are fewer
            // than the ranks some tests start. Never set by a profile: a site never needs them.
            ("OMPI_ALLOW_RUN_AS_ROOT", "1".into()),
            ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1".into()),
            ("OMPI_MCA_rmaps_base_oversubscribe", "1".into()),
            ("DASK_PBS_E2E_TAG", self.tag.clone()),
            (
                "DASK_PBS_E2E_MODULE_LOG",
                self.path("module.log").display().to_string(),
            ),
        ];
        for (k, v) in vars {
            cmd.env(k, v);
        }
        if self.head_host().is_some() {
            // What PBS's remote start gives a launcher on a real cluster (`pbs_tmrsh`, or ssh
            // between the job's nodes): here the emulation's agent, named to each launcher the
            // way a site's MPI module configures it.
            let agent = self.path("rsh-agent").display().to_string();
            cmd.env("OMPI_MCA_plm_rsh_agent", &agent)
                .env("HYDRA_LAUNCHER", "ssh")
                .env("HYDRA_LAUNCHER_EXEC", &agent)
                .env("I_MPI_HYDRA_BOOTSTRAP", "ssh")
                .env("I_MPI_HYDRA_BOOTSTRAP_EXEC", &agent);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Renders the job with `dask-pbs gen job ARGS` into the submit directory.
    pub(crate) fn render(&self, artifact: &str, args: &[&str]) -> PathBuf {
        let file = dask_pbs::render::artifact::Artifact::ALL
            .iter()
            .find(|a| a.name() == artifact)
            .unwrap_or_else(|| panic!("no artifact {artifact}"))
            .file_name();
        let out = self.submit_dir().join(file);
        let mut full = vec!["gen", artifact];
        full.extend_from_slice(args);
        let out_arg = out.display().to_string();
        full.extend_from_slice(&["-o", &out_arg, "--force"]);
        let run = super::common::DaskPbs::new().args(&full).run();
        assert_eq!(run.code, 0, "dask-pbs gen failed: {}", run.stderr);
        out
    }

    /// Runs `script` as PBS would (spooled copy, bash, from $HOME) until it exits or `limit`.
    pub(crate) fn run(&self, script: &Path, limit: Duration) -> Finished {
        let child = self.spawn(script);
        self.finish(child, limit)
    }

    pub(crate) fn spawn(&self, script: &Path) -> Child {
        let spooled = self.path("spool").join(format!("{}.SC", self.job_id));
        std::fs::copy(script, &spooled).unwrap();
        let spooled = spooled.display().to_string();
        let mut cmd = match self.head_host() {
            // The job's shell runs on the first node: a UTS namespace of that name.
            Some(head) => self.command(
                "unshare",
                &[
                    "--uts",
                    "/bin/sh",
                    "-c",
                    "hostname \"$0\" && exec bash \"$1\"",
                    &head,
                    &spooled,
                ],
                &self.path("home"),
            ),
            None => self.command("bash", &[&spooled], &self.path("home")),
        };
        let out =
            std::fs::File::create(self.submit_dir().join(format!("{}.o", self.name))).unwrap();
        let err =
            std::fs::File::create(self.submit_dir().join(format!("{}.e", self.name))).unwrap();
        cmd.stdout(out).stderr(err);
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        cmd.spawn().expect("bash starts")
    }

    pub(crate) fn finish(&self, mut child: Child, limit: Duration) -> Finished {
        let start = Instant::now();
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if start.elapsed() > limit {
                timed_out = true;
                unsafe_kill_group(child.id());
                break child.wait().unwrap().code();
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let elapsed = start.elapsed();
        let leftovers = self.reap_leftovers(Duration::from_millis(500));
        Finished {
            status,
            stdout: self.output_of("o"),
            stderr: self.output_of("e"),
            elapsed,
            timed_out,
            leftovers,
        }
    }

    /// Processes carrying this job's tag, after waiting up to `grace` for them to go.
    pub(crate) fn reap_leftovers(&self, grace: Duration) -> Vec<String> {
        let deadline = Instant::now() + grace;
        loop {
            let found = tagged_processes(&self.tag);
            if found.is_empty() || Instant::now() > deadline {
                for (pid, _) in &found {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                return found
                    .into_iter()
                    .map(|(pid, cmd)| format!("{pid} {cmd}"))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PbsJob {
    fn drop(&mut self) {
        // Never leave a cluster running behind a failed assertion.
        for (pid, _) in tagged_processes(&self.tag) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

fn unsafe_kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status();
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Live (not zombie) processes whose environment holds `DASK_PBS_E2E_TAG=tag`.
pub(crate) fn tagged_processes(tag: &str) -> Vec<(u32, String)> {
    let needle = format!("DASK_PBS_E2E_TAG={tag}\0");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !String::from_utf8_lossy(&environ).contains(&needle) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .unwrap_or('?');
        if state == 'Z' || state == 'X' {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        found.push((pid, cmdline.trim().to_string()));
    }
    found
}

/// One cluster at a time across the whole suite (e2e, security, hostile): the test machine
/// has 2 cores, and tests of one binary run in parallel.
static CLUSTERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    CLUSTERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
