//! YAML text → `Layer`, with errors that name the file, line and column and say how to fix.

use serde_saphyr::{DuplicateKeyPolicy, Options};

use super::layer::{Layer, SECTIONS};
use super::origin::Origin;
use crate::error::{Error, Suggestion};

/// Profiles are a page of YAML; anything this large is a mistake, and refusing it early
/// keeps memory flat on hostile input.
pub const MAX_PROFILE_BYTES: usize = 1 << 20;

/// The refusal of a profile over `MAX_PROFILE_BYTES`.
pub fn too_large(name: &str, bytes: u64) -> Error {
    Error::input(format!(
        "{name}: the profile is {bytes} bytes; profiles are limited to {MAX_PROFILE_BYTES} bytes (1 MiB). Is this the right file?"
    ))
}

/// Parses one profile file. An empty document is an empty layer.
pub fn parse_layer(text: &str, origin: &Origin) -> Result<Layer, Error> {
    let name = origin.source_name();
    if text.len() > MAX_PROFILE_BYTES {
        return Err(too_large(&name, text.len() as u64));
    }
    let mut options = Options::default();
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    let parsed: Result<Option<Layer>, _> = serde_saphyr::from_str_with_options(text, options);
    match parsed {
        Ok(layer) => {
            let mut layer = layer.unwrap_or_default();
            layer.stamp(origin);
            Ok(layer)
        }
        // A synthetic layer (--set) has no file to point into: keep only the message.
        Err(err) if matches!(origin, Origin::Flag(_) | Origin::Env(_)) => {
            let full = describe(&err.to_string(), &name);
            let first = full.lines().next().unwrap_or_default();
            let message = first.split_once(": ").map(|(_, m)| m).unwrap_or(first);
            Err(Error::input(format!("{name}: {message}")))
        }
        Err(err) => Err(Error::input(describe(&err.to_string(), &name))),
    }
}

/// Rewrites serde-saphyr's report ("error: line 3 column 3: msg" + snippet) into
/// "FILE:3:3: msg" + snippet, with a "did you mean" hint for unknown keys.
fn describe(report: &str, name: &str) -> String {
    let report = report.replace("<input>", name);
    let (first, rest) = report.split_once('\n').unwrap_or((&report, ""));
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let (position, message) = match first.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((pos, msg)) => match pos.split_once(" column ") {
            Some((line, col)) => (format!("{name}:{line}:{col}"), msg.to_string()),
            None => (name.to_string(), first.to_string()),
        },
        None => (name.to_string(), first.to_string()),
    };
    let message = improve(&message);
    if rest.is_empty() {
        format!("{position}: {message}")
    } else {
        format!("{position}: {message}\n{rest}")
    }
}

fn improve(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once("`, expected one of ")
    {
        let candidates: Vec<&str> = expected.split(", ").map(|c| c.trim_matches('`')).collect();
        let section = SECTIONS.iter().find(|(_, fields)| {
            fields.len() == candidates.len() && fields.iter().zip(&candidates).all(|(a, b)| a == b)
        });
        let place = section
            .map(|(s, _)| format!(" in `{s}:`"))
            .unwrap_or_default();
        let hint = match Suggestion::for_name(field, candidates.iter().copied()) {
            Some(suggestion) => format!("; {suggestion}"),
            None => format!("; the keys allowed here are {}", candidates.join(", ")),
        };
        return format!("unknown key `{field}`{place}{hint}");
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return format!("unknown key `{field}`: this mapping takes no keys");
    }
    for (number, what) in [
        ("invalid u32", "a whole number"),
        ("invalid u16", "a port number (0-65535)"),
        ("invalid i64", "a whole number"),
        ("expected sequence start", "a list here, e.g. [a, b]"),
        (
            "expected mapping start",
            "a mapping here (key: value lines or {key: value})",
        ),
        ("expected string scalar", "text here"),
    ] {
        if message == number {
            return format!("expected {what}");
        }
    }
    if let Some((head, _)) = message.split_once(", set DuplicateKeyPolicy") {
        return format!("{head}; each key may appear only once");
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_layer(text, &Origin::File("p.yaml".into()))
            .unwrap_err()
            .message
    }

    #[test]
    fn unknown_keys_get_a_hint_and_a_position() {
        let m = err("job:\n  queue: by-gpu\n  selct: 3\n");
        assert!(
            m.starts_with("p.yaml:3:3: unknown key `selct` in `job:`; did you mean `select`?"),
            "{m}"
        );
    }

    #[test]
    fn wrong_types_name_the_position() {
        let m = err("job:\n  select: two\n");
        assert!(m.starts_with("p.yaml:2:11: "), "{m}");
    }

    #[test]
    fn null_is_a_value_not_an_absence() {
        let layer = parse_layer("env:\n  conda: null\n", &Origin::Defaults).unwrap();
        let conda = layer.env.unwrap().conda.unwrap();
        assert_eq!(conda.value, None);
        assert_eq!(conda.line, 2);
    }

    #[test]
    fn versions_keep_their_text() {
        let layer = parse_layer(
            "rapids:\n  version: 25.10\n  python: 3.10\n",
            &Origin::Defaults,
        )
        .unwrap();
        let rapids = layer.rapids.unwrap();
        assert_eq!(rapids.version.unwrap().value, "25.10");
        assert_eq!(rapids.python.unwrap().value, "3.10");
    }
}
