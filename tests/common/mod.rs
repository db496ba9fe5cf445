//! Helpers shared by the integration tests: run the real binary in a hermetic environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The result of one run of `dask-pbs`.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A `dask-pbs` invocation with no user configuration leaking in from this machine: HOME and
/// XDG_CONFIG_HOME point into a temp dir, the DASK_PBS_* and PBS_ACCOUNT variables are unset.
pub(crate) struct DaskPbs {
    cmd: Command,
    home_dir: tempfile::TempDir,
}

/// The Python environment every test user has set in their defaults file: built-in profiles
/// name none, and the job needs one (`DaskPbs::bare` starts without it).
pub(crate) const TEST_ENV: &str = "/home/user/envs/rapids-25.06";

impl DaskPbs {
    /// A user whose defaults file sets `env.conda` to `TEST_ENV`, as the README tells users
    /// to do once.
    pub(crate) fn new() -> Self {
        let cli = DaskPbs::bare();
        let config = cli.home().join("config/dask-pbs");
        std::fs::create_dir_all(&config).expect("config dir");
        std::fs::write(
            config.join("defaults.yaml"),
            format!("env:\n  conda: {TEST_ENV}\n"),
        )
        .expect("defaults file");
        cli
    }

    /// A user with no configuration at all.
    pub(crate) fn bare() -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dask-pbs"));
        for var in [
            "DASK_PBS_ACCOUNT",
            "PBS_ACCOUNT",
            "PBS_ACCOUNT_DERECHO",
            "PBS_ACCOUNT_CASPER",
            "DASK_PBS_PROFILE_PATH",
            "DASK_PBS_TEMPLATE_PATH",
            "NO_COLOR",
            "DASK_PBS_ERROR_CODES",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .stdin(Stdio::null());
        DaskPbs {
            cmd,
            home_dir: home,
        }
    }

    pub(crate) fn home(&self) -> &Path {
        self.home_dir.path()
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub(crate) fn arg_path(mut self, path: &Path) -> Self {
        self.cmd.arg(path);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub(crate) fn cwd(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs the binary through `sh -c LINE`, which gets it and its arguments as `"$@"` (with
    /// the same environment and working directory): for what a shell sets up around a
    /// command, e.g. `exec "$@" >/dev/full`.
    pub(crate) fn through_shell(mut self, line: &str) -> Self {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(line)
            .arg("sh")
            .arg(self.cmd.get_program())
            .args(self.cmd.get_args())
            .stdin(Stdio::null());
        for (key, value) in self.cmd.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = self.cmd.get_current_dir() {
            cmd.current_dir(dir);
        }
        self.cmd = cmd;
        self
    }

    pub(crate) fn run(mut self) -> Run {
        let out = self.cmd.output().expect("dask-pbs runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `dask-pbs ARGS` hermetically.
pub(crate) fn dask_pbs<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    DaskPbs::new().args(args).run()
}

/// Runs and expects exit 0; returns stdout.
pub(crate) fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let run = dask_pbs(args);
    assert_eq!(run.code, 0, "dask-pbs failed: {}", run.stderr);
    run.stdout
}

/// The `&str`s of owned arguments, for APIs that take `&[&str]`.
pub(crate) fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The list of skipped tests, a line each (`name: reason`): tests/run.sh empties it before
/// the tests and prints it after them. `DASK_PBS_TEST_SKIPS`, else a file in cargo's
/// temporary directory for tests.
pub(crate) fn skips_file() -> PathBuf {
    std::env::var_os("DASK_PBS_TEST_SKIPS").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt"),
        PathBuf::from,
    )
}

/// The one way a test skips, for a prerequisite it lacks (`why`: what is missing and what
/// provides it). In CI (`CI` set) the test fails with that reason: nothing skips there.
/// Elsewhere the skip is said on stderr and listed in `skips_file()`; the caller then returns
/// (or leaves out the part that needs it).
pub(crate) fn skip(why: &str) {
    let name = std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string();
    assert!(!in_ci(), "{name}: a prerequisite is missing in CI: {why}");
    eprintln!("SKIPPED {name}: {why}");
    let line = format!("{name}: {}\n", why.replace('\n', " "));
    // One short append per line: tests running at once do not mix their lines.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(skips_file());
    if let Ok(mut file) = file {
        let _ = std::io::Write::write_all(&mut file, line.as_bytes());
    }
}

/// Whether `tool` is on PATH; when not, the test `skip`s what needs it (in CI it fails).
pub(crate) fn have_tool(tool: &str, why: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        skip(&format!(
            "{tool} not found ({why}); tests/run.sh installs it"
        ));
    }
    found
}

/// `bash -n` and `shellcheck` on a shell script's text; panics with the findings.
pub(crate) fn assert_shell_clean(name: &str, text: &str) {
    assert_shell_clean_except(name, text, &[]);
}

/// Like `assert_shell_clean`, ignoring the named shellcheck codes.
pub(crate) fn assert_shell_clean_except(name: &str, text: &str, ignored: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let bash = Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        bash.status.success(),
        "bash -n {name}: {}",
        String::from_utf8_lossy(&bash.stderr)
    );
    if have_tool("shellcheck", "every generated script must pass shellcheck") {
        let mut sc = Command::new("shellcheck");
        sc.args(["--shell=bash", "--severity=style"]);
        if !ignored.is_empty() {
            sc.arg(format!("--exclude={}", ignored.join(",")));
        }
        let sc = sc.arg(&path).output().unwrap();
        assert!(
            sc.status.success(),
            "shellcheck findings in {name}:\n{}",
            String::from_utf8_lossy(&sc.stdout)
        );
    }
}
