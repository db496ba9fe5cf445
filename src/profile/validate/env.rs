//! `env:` — modules and the Python environment, each value checked on its own.

use indexmap::IndexMap;

use super::words::{is_identifier, text_problem};
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
    } = layer;
    let k = EnvLayer::KEYS;
    let module_use = take(module_use, k.module_use, p);
    let modules = take(modules, k.modules, p);
    let setup = take(setup, k.setup, p);
    let prologue = take(prologue, k.prologue, p);
    for (key, lines) in [
        (k.prologue, &prologue),
        (k.module_use, &module_use),
        (k.modules, &modules),
        (k.setup, &setup),
    ] {
        for message in lines.iter().flatten().filter_map(|t| text_problem(t)) {
            p.at(key, message);
        }
    }
    let conda = take(conda, k.conda, p);
    let venv = take(venv, k.venv, p);
    for (key, path) in [(k.conda, &conda), (k.venv, &venv)] {
        for message in path.iter().flatten().flat_map(|t| path_problems(t)) {
            p.at(key, message);
        }
    }
    let vars: Option<IndexMap<String, String>> = take(vars, k.vars, p).map(|v| {
        remaining(v)
            .into_iter()
            .map(|(name, value)| (name, value.0))
            .collect()
    });
    for (name, value) in vars.iter().flatten() {
        for message in var_problems(name, value) {
            p.at(k.vars, message);
        }
    }
    if let (Some(Some(_)), Some(Some(_))) = (&conda, &venv) {
        let message = format!(
            "both env.conda (from {}) and env.venv are set; pick one and set the other to null",
            p.whence(k.conda)
        );
        p.at(k.venv, message);
    }
    Some(Env {
        module_use: module_use?,
        modules: modules?,
        conda: conda?,
        venv: venv?,
        vars: vars?,
        setup: setup?,
        prologue: prologue?,
    })
}

fn path_problems(path: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = text_problem(path).into_iter().collect();
    if path.is_empty() {
        found.push("is empty; give a path or null");
    }
    found
}

fn var_problems(name: &str, value: &str) -> Vec<String> {
    let mut found = Vec::new();
    if !is_identifier(name) {
        found.push(format!(
            "`{}` is not an environment variable name",
            name.escape_debug()
        ));
    }
    found.extend(text_problem(value).map(str::to_string));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_paths_are_text_and_not_empty() {
        assert!(path_problems("/home/user/envs/rapids").is_empty());
        assert_eq!(path_problems(""), ["is empty; give a path or null"]);
        assert_eq!(path_problems("a\0").len(), 1);
    }

    #[test]
    fn variables_have_identifier_names() {
        assert!(var_problems("OMP_NUM_THREADS", "1").is_empty());
        assert_eq!(var_problems("A-B", "1").len(), 1);
        assert_eq!(var_problems("A", "\0").len(), 1);
    }
}
