//! The top-level keys of a profile: `description`, `extends` and `run`.

use super::words::text_problem;
use super::{Problems, take};
use crate::profile::layer::Layer;

/// The top-level values a resolved profile keeps.
pub(super) struct Top {
    pub description: String,
    pub run: Option<String>,
}

pub(super) fn resolve(layer: &Layer, p: &mut Problems) -> Option<Top> {
    // The sections resolve in their own modules; `extends` only links files.
    let Layer {
        description,
        extends: _,
        run,
        system: _,
        job: _,
        env: _,
        rapids: _,
        dask: _,
    } = layer;
    let k = Layer::KEYS;
    let description = take(description, k.description, p);
    if let Some(text) = &description
        && let Some(message) = description_problem(text)
    {
        p.at(k.description, message);
    }
    let run = run.as_ref().and_then(|r| r.value.clone());
    if let Some(message) = run.as_deref().and_then(text_problem) {
        p.at(k.run, message);
    }
    Some(Top {
        description: description?,
        run,
    })
}

fn description_problem(text: &str) -> Option<&'static str> {
    text.chars()
        .any(char::is_control)
        .then_some("must be one line of text (no control characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_is_one_line() {
        assert!(description_problem("ALCF Sophia — DGX A100").is_none());
        assert!(description_problem("two\nlines").is_some());
    }
}
