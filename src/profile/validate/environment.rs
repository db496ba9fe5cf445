//! Rules on the environment the job runs Dask in.

use super::{Demands, Problems};
use crate::error::Code;
use crate::profile::layer::EnvLayer;
use crate::profile::model::Profile;

pub(super) fn check(profile: &Profile, demands: &Demands, p: &mut Problems) {
    if demands.needs.environment && profile.env.conda.is_none() && profile.env.venv.is_none() {
        p.plain(
            Code::NoEnvironment,
            EnvLayer::KEYS.conda,
            no_environment(&profile.name, &demands.defaults_file_text()),
        );
    }
}

/// Every way to give the environment, with the user's real defaults file.
fn no_environment(name: &str, defaults_file: &str) -> String {
    format!(
        "is not set (nor env.venv): the job needs a Python environment with Dask. Pass --env PREFIX, or put `env: {{conda: PREFIX}}` in {defaults_file}; create one with `dask-pbs gen conda --profile {name} --env PREFIX`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_flag_the_file_and_gen_conda() {
        let message = no_environment("sophia", "/home/u/.config/dask-pbs/defaults.yaml");
        assert!(message.contains("--env PREFIX"), "{message}");
        assert!(
            message.contains("`env: {conda: PREFIX}` in /home/u/.config/dask-pbs/defaults.yaml"),
            "{message}"
        );
        assert!(
            message.contains("dask-pbs gen conda --profile sophia --env PREFIX"),
            "{message}"
        );
    }
}
