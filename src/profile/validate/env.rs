//! `env:` — modules and the Python environment, each value checked on its own.

use crate::error::{Code, Error};
use indexmap::IndexMap;

use super::dask::variable_problem;
use super::paths::{is_anchored, relative_problem};
use super::words::{blank_problem, is_identifier, text_problem};
use super::{Problems, take};
use crate::profile::layer::{EnvLayer, remaining};
use crate::profile::model::Env;

pub(super) fn resolve(layer: &EnvLayer, p: &mut Problems) -> Option<Env> {
    let EnvLayer {
        module_use,
        modules,
        conda,
        venv,
        vars,
        setup,
        prologue,
        tmpdir,
        proxy,
    } = layer;
    let k = EnvLayer::KEYS;
    // Every field is taken before any `?`, so each missing one is reported.
    let module_use = take(module_use, k.module_use, p);
    let modules = take(modules, k.modules, p);
    let conda = take(conda, k.conda, p);
    let venv = take(venv, k.venv, p);
    let vars = take(vars, k.vars, p).map(|v| {
        remaining(v)
            .into_iter()
            .map(|(name, value)| (name, value.0))
            .collect::<IndexMap<String, String>>()
    });
    let setup = take(setup, k.setup, p);
    let prologue = take(prologue, k.prologue, p);
    let tmpdir = take(tmpdir, k.tmpdir, p);
    let proxy = take(proxy, k.proxy, p);
    let env = Env {
        module_use: module_use?,
        modules: modules?,
        conda: conda?,
        venv: venv?,
        vars: vars?,
        setup: setup?,
        prologue: prologue?,
        tmpdir: tmpdir?,
        proxy: proxy?,
    };
    check(&env, p);
    Some(env)
}

/// The rules on one env value each, and the one across two (conda or venv).
fn check(env: &Env, p: &mut Problems) {
    let k = EnvLayer::KEYS;
    for (key, lines) in [
        (k.prologue, &env.prologue),
        (k.module_use, &env.module_use),
        (k.modules, &env.modules),
        (k.setup, &env.setup),
    ] {
        for found in lines
            .iter()
            .filter_map(|t| text_problem(t).or_else(|| blank_problem(t)))
        {
            p.add(key, found);
        }
    }
    for (key, path, flag) in [
        (k.conda, &env.conda, "--env"),
        (k.venv, &env.venv, "--venv"),
    ] {
        let Some(path) = path.as_deref() else {
            continue;
        };
        let mut found = path_problems(path);
        if found.is_empty() && !is_anchored(path, true) {
            if key == k.conda && !path.contains('/') && path != "." && path != ".." {
                p.note(conda_name_note(path));
            } else {
                found.push(relative_problem(
                    path,
                    &format!(
                        " (`{flag} PATH` on the command line is resolved against the current directory)"
                    ),
                ));
            }
        }
        for problem in found {
            p.add(key, problem);
        }
    }
    for (name, value) in &env.vars {
        for found in var_problems(name, value) {
            p.add(k.vars, found);
        }
    }
    if let Some(dir) = env.tmpdir.as_deref() {
        let mut found: Vec<Error> = path_problems(dir)
            .into_iter()
            .chain(variable_problem(
                dir,
                "on the node, before the scheduler starts",
            ))
            .collect();
        if found.is_empty() && !is_anchored(dir, true) {
            found.push(relative_problem(
                dir,
                " (variables such as ${PBS_JOBFS}/tmp, and a leading ~/, are expanded on the node)",
            ));
        }
        for problem in found {
            p.add(k.tmpdir, problem);
        }
    }
    if let Some(url) = env.proxy.as_deref()
        && !url_like(url)
    {
        p.at(
            Code::NotAProxyUrl,
            k.proxy,
            format!(
                "`{}` is not a proxy URL; write it as http://host:port",
                url.escape_debug()
            ),
        );
    }
    if env.conda.is_some() && env.venv.is_some() {
        let message = format!(
            "both env.conda (from {}) and env.venv are set; pick one and set the other to null",
            p.whence(k.conda)
        );
        p.at(Code::CondaAndVenv, k.venv, message);
    }
}

/// A conda environment given by name: conda activates it from its envs directories, which
/// works, but `gen conda` creates a prefix of that name in the current directory.
fn conda_name_note(name: &str) -> String {
    format!(
        "env.conda `{}` is not a path: conda activates the environment of that name from its envs directories on the node, while `dask-pbs gen conda` would create ./{} instead; give the prefix's absolute path if you meant a directory",
        name.escape_debug(),
        name.escape_debug()
    )
}

/// `http://proxy.alcf.anl.gov:3128`: a scheme, then host and port characters only.
fn url_like(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:/_".contains(c))
    })
}

fn path_problems(path: &str) -> Vec<Error> {
    let mut found: Vec<Error> = text_problem(path).into_iter().collect();
    if path.is_empty() {
        found.push(Error::new(Code::EmptyPath, "is empty; give a path or null"));
    } else if let Some(shell) = super::dask::variable_problem(
        path,
        "a leading ~/ too, on the node, when the job sets up its environment",
    ) {
        found.push(shell);
    } else if is_placeholder(path) {
        found.push(Error::new(
            Code::PlaceholderEnvironment,
            format!(
                "`{}` is a placeholder, not an environment: give the real prefix with --env PREFIX (`dask-pbs gen conda --env PREFIX` creates one)",
                path.escape_debug()
            ),
        ));
    }
    found
}

/// Paths written to be replaced: `/path/to/...`, `<prefix>`, `PREFIX`, `CHANGEME`,
/// `YOUR_USER`, `...`.
fn is_placeholder(path: &str) -> bool {
    path.starts_with("/path/to")
        || path.contains("YOUR_")
        || path.contains(['<', '>'])
        || path.contains("PREFIX")
        || path.contains("CHANGEME")
        || path.contains("...")
}

fn var_problems(name: &str, value: &str) -> Vec<Error> {
    let mut found = Vec::new();
    if !is_identifier(name) {
        found.push(Error::new(
            Code::EnvVarName,
            format!(
                "`{}` is not an environment variable name",
                name.escape_debug()
            ),
        ));
    }
    found.extend(text_problem(value));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_paths_are_text_and_not_empty() {
        assert!(path_problems("/home/user/envs/rapids").is_empty());
        let empty = path_problems("");
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].message, "is empty; give a path or null");
        assert_eq!(path_problems("a\0").len(), 1);
    }

    #[test]
    fn placeholders_are_refused() {
        for path in [
            "/path/to/env/rapids-25.06_sophia",
            "<prefix>",
            "PREFIX",
            "/home/CHANGEME/env",
            "/opt/.../env",
            "/home/YOUR_USER/envs/rapids",
        ] {
            assert!(is_placeholder(path), "{path}");
            assert_eq!(path_problems(path).len(), 1, "{path}");
        }
        for path in ["/home/user/envs/rapids-25.06", "/opt/prefix/env", "../env"] {
            assert!(!is_placeholder(path), "{path}");
        }
    }

    #[test]
    fn variables_have_identifier_names() {
        assert!(var_problems("OMP_NUM_THREADS", "1").is_empty());
        assert_eq!(var_problems("A-B", "1").len(), 1);
        assert_eq!(var_problems("A", "\0").len(), 1);
    }
}
