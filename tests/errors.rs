//! Errors as data: every `Code` the crate can give has a case here that produces it through
//! the binary, with `DASK_PBS_ERROR_CODES=1` so stderr names the code that fired. `case` is
//! an exhaustive match: a new code without a case does not compile.

use std::path::Path;

use dask_pbs::error::Code;

use crate::common::DaskPbs;

/// A command that gives one code: its arguments (`{DIR}` stands for the case's own
/// directory, also the working directory), files written there first (name, text), extra
/// environment, and a fragment of stderr, word for word.
struct Case {
    args: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    expect: &'static str,
}

const fn run(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        files: &[],
        env: &[],
        expect,
    }
}

const fn with_files(
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    expect: &'static str,
) -> Case {
    Case {
        args,
        files,
        env: &[],
        expect,
    }
}

/// A regular file, so that a path under it can be neither read nor written, even as root.
const A_FILE: (&str, &str) = ("plain", "not a directory\n");

/// The case that produces `code`. No `_` arm: every code needs its own.
fn case(code: Code) -> Case {
    match code {
        // Still shared by the messages not yet given their own code: any one of them.
        Code::Input => run(
            &["check", "--profile", "nosuch"],
            "no profile named `nosuch`; known profiles:",
        ),
        Code::Failure => with_files(
            &[A_FILE],
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "-o",
                "{DIR}/plain/x",
            ],
            "cannot create a file in {DIR}/plain: Not a directory",
        ),
        Code::Invalid => run(
            &[
                "check",
                "--profile",
                "pbs-cpu",
                "--env",
                "/e",
                "--set",
                "job.request=none",
                "-n",
                "2",
            ],
            "none asks for no resources, so the job is one node",
        ),
        Code::InvalidProfile => run(
            &[
                "check",
                "--profile",
                "pbs-cpu",
                "--env",
                "/e",
                "--set",
                "job.request=none",
                "-n",
                "2",
            ],
            "profile pbs-cpu is invalid (1 problem):",
        ),
    }
}

fn run_case(code: Code, case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    for (name, text) in case.files {
        let path = dir.path().join(name.replace("{DIR}", root));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text.replace("{DIR}", root)).unwrap();
    }
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{DIR}", root)).collect();
    let mut cli = DaskPbs::new()
        .env("DASK_PBS_ERROR_CODES", "1")
        .args(&args)
        .cwd(Path::new(root));
    for (key, value) in case.env {
        cli = cli.env(key, value.replace("{DIR}", root));
    }
    let out = cli.run();
    let tag = format!("[{}]", code.name());
    let expect = case.expect.replace("{DIR}", root);
    if out.code == code.exit_code() && out.stderr.contains(&tag) && out.stderr.contains(&expect) {
        Ok(())
    } else {
        Err(format!(
            "{tag} {args:?}: exit {} (want {}), want {expect:?} in stderr:\n{}",
            out.code,
            code.exit_code(),
            out.stderr
        ))
    }
}

#[test]
fn every_code_has_a_case_through_the_binary() {
    let failed: Vec<String> = Code::ALL
        .iter()
        .filter_map(|&code| run_case(code, &case(code)).err())
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn code_names_are_unique_kebab_case() {
    let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
    for name in &names {
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Code::ALL.len(), "two codes share a name");
}

#[test]
fn codes_stay_hidden_unless_asked() {
    let out = DaskPbs::new().args(["check", "--profile", "nosuch"]).run();
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}
