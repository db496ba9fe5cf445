//! Resolved built-in profiles for the rules' unit tests.
#![cfg(test)]

use crate::builtin;
use crate::profile::defaults_layer;
use crate::profile::layer::Layer;
use crate::profile::model::Profile;
use crate::profile::origin::Origin;
use crate::profile::parse::parse_layer;

/// The built-in profile `name` over dask-pbs's defaults, with an account; panics if it does
/// not resolve (a broken built-in is a bug).
pub(crate) fn builtin_profile(name: &str) -> Profile {
    let mut layer = builtin_layer(name);
    // Built-ins extend only built-ins.
    while let Some(parent) = layer.extends.take().and_then(|e| e.value) {
        layer.merge_over(builtin_layer(&parent));
    }
    layer.merge_over(defaults_layer().expect("the defaults parse"));
    layer.extends = None;
    layer.job_mut().account = Some(crate::profile::layer::Sourced::new(
        Some("demo".into()),
        Origin::Defaults,
    ));
    let demands = super::Demands {
        needs: super::Needs::NONE,
        defaults_file: None,
        workdir: None,
    };
    super::resolve(&layer, name, "test", &demands)
        .expect("the built-in resolves")
        .profile
}

fn builtin_layer(name: &str) -> Layer {
    let text = builtin::profile(name).expect("a built-in profile");
    parse_layer(text, &Origin::Builtin(name.into())).expect("it parses")
}

pub(crate) fn sophia() -> Profile {
    builtin_profile("sophia")
}

pub(crate) fn pbs_cpu() -> Profile {
    builtin_profile("pbs-cpu")
}
