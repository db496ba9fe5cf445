//! The top-level keys of a profile: `description`, `extends` and `run`.

use super::words::text_problem;
use super::{Problems, take};
use crate::error::Code;
use camino::Utf8Path;

use crate::profile::layer::{Layer, Sourced};
use crate::profile::origin::Origin;

/// The top-level values a resolved profile keeps.
pub(super) struct Top {
    pub description: String,
    pub run: Option<String>,
    pub templates: Option<String>,
}

pub(super) fn resolve(layer: &Layer, p: &mut Problems) -> Option<Top> {
    // The sections resolve in their own modules; `extends` only links files.
    let Layer {
        description,
        extends: _,
        run,
        templates,
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
        p.at(Code::DescriptionNotOneLine, k.description, message);
    }
    let run = run.as_ref().and_then(|r| r.value.clone());
    if let Some(found) = run.as_deref().and_then(text_problem) {
        p.add(k.run, found);
    } else if run.as_deref().is_some_and(|r| r.trim().is_empty()) {
        p.at(Code::EmptyRun,
            k.run,
            "is empty: give the payload's command (e.g. --run 'python work.py'), or leave it out to hold the cluster until the walltime",
        );
    }
    let templates = templates.as_ref().and_then(template_dir);
    if let Some(Err(message)) = &templates {
        p.at(Code::TemplatesNotADirectory, k.templates, message.clone());
    }
    Some(Top {
        description: description?,
        run,
        templates: templates.and_then(Result::ok),
    })
}

/// `templates:` relative to the file that names it (as given when a flag or variable does).
fn template_dir(field: &Sourced<Option<String>>) -> Option<Result<String, String>> {
    let dir = Utf8Path::new(field.value.as_deref()?);
    let full = match (&field.origin, dir.is_relative()) {
        (Origin::File(file), true) => file.parent().unwrap_or(Utf8Path::new(".")).join(dir),
        _ => dir.to_path_buf(),
    };
    Some(if full.is_dir() {
        Ok(full.to_string())
    } else {
        Err(format!(
            "`{}` is not a directory (read as {full}, relative to the profile file); give the profile's own template directory, or null",
            dir.as_str().escape_debug()
        ))
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
