//! YAML text → `Layer`, with errors that name the file, line and column and say how to fix.
//!
//! A file is read once when it is valid. When it is not, every problem is reported in one
//! run: unknown keys are found by walking the file's mappings against the layer's fields,
//! and each type error is found by parsing again with the fields already reported blanked
//! out (spaces keep every other line and column where they were).

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{
    DefaultMessageFormatter, DuplicateKeyPolicy, MessageFormatter, Options, Spanned,
};

use super::layer::{Layer, SECTIONS};
use super::origin::Origin;
use crate::error::{Code, Error, Suggestion};
/// Profiles are a page of YAML; anything this large is a mistake, and refusing it early
/// keeps memory flat on hostile input.
pub const MAX_PROFILE_BYTES: usize = 1 << 20;

/// The refusal of a profile over `MAX_PROFILE_BYTES`.
pub fn too_large(name: &str, bytes: u64) -> Error {
    Error::new(
        Code::ProfileTooLarge,
        format!(
            "{name}: the profile is {bytes} bytes; profiles are limited to {MAX_PROFILE_BYTES} bytes (1 MiB). Is this the right file?"
        ),
    )
}

fn options() -> Options {
    let mut options = Options::default();
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options
}

/// Parses one profile file. An empty document is an empty layer.
pub fn parse_layer(text: &str, origin: &Origin) -> Result<Layer, Error> {
    let name = origin.source_name();
    if text.len() > MAX_PROFILE_BYTES {
        return Err(too_large(&name, text.len() as u64));
    }
    let parsed: Result<Option<Layer>, _> = serde_saphyr::from_str_with_options(text, options());
    match parsed {
        Ok(layer) => {
            let mut layer = layer.unwrap_or_default();
            layer.stamp(origin);
            Ok(layer)
        }
        // A synthetic layer (--set) has no file to point into: keep only the message.
        Err(err) if matches!(origin, Origin::Flag(_) | Origin::Env(_)) => Err(Error::new(
            Code::FlagNotYaml,
            format!("{name}: {}", improve(&message_of(&err))),
        )),
        Err(err) => Err(Error::new(
            Code::ProfileSyntax,
            report(&problems(text, &err), text, &name),
        )),
    }
}

/// One problem of a file, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    line: u64,
    column: u64,
    /// The sentence after `FILE:LINE:COLUMN:`.
    message: String,
    /// The short label under the caret.
    label: String,
}

/// serde-saphyr's message for `err`, without its position and snippet.
fn message_of(err: &serde_saphyr::Error) -> String {
    DefaultMessageFormatter
        .format_message(err.without_snippet())
        .into_owned()
}

impl Problem {
    fn from_yaml(err: &serde_saphyr::Error) -> Self {
        let raw = message_of(err);
        let (line, column) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        Problem {
            line,
            column,
            message: improve(&raw),
            label: raw,
        }
    }
}

/// Every problem of a file whose parse failed with `first` (at least that one).
fn problems(text: &str, first: &serde_saphyr::Error) -> Vec<Problem> {
    let tree: Option<Node> = match serde_saphyr::from_str_with_options(text, options()) {
        Ok(tree) => tree,
        // Not YAML, or not one we can walk (an alias bomb): the first error is the report.
        Err(_) => return vec![Problem::from_yaml(first)],
    };
    let fields = match &tree {
        Some(Node::Map(entries)) => field_ranges(entries, text.lines().count() as u64 + 1, 0),
        _ => Vec::new(),
    };
    let mut problems = tree.as_ref().map(unknown_keys).unwrap_or_default();
    let original = text;
    let mut text = text.to_string();
    let mut blanked: Vec<(u64, u64)> = Vec::new();
    for problem in &problems {
        if let Some(range) = enclosing(&fields, problem.line) {
            blank(&mut text, range, &mut blanked);
        }
    }
    // Each round reports one error and blanks its field; a field is blanked once.
    for _ in 0..=fields.len() {
        let parsed: Result<Option<Layer>, _> =
            serde_saphyr::from_str_with_options(&text, options());
        let Err(err) = parsed else { break };
        let problem = Problem::from_yaml(&err);
        let range = enclosing(&fields, problem.line);
        problems.push(problem);
        match range {
            Some(range) if !blanked.contains(&range) => blank(&mut text, range, &mut blanked),
            _ => break,
        }
    }
    problems.sort_by_key(|p| (p.line, p.column));
    problems.dedup();
    for problem in &mut problems {
        name_the_key(problem, original, tree.as_ref());
    }
    problems
}

/// A value of the wrong type ("expected a whole number") names its key and what it got:
/// "`job.select`: expected a whole number, got `four`" (block-style YAML; flow style keeps
/// the plain message).
fn name_the_key(problem: &mut Problem, text: &str, tree: Option<&Node>) {
    if !problem.message.starts_with("expected ") || problem.line == 0 {
        return;
    }
    problem.label.clone_from(&problem.message); // not serde's "invalid u32"
    let lines: Vec<&str> = text.lines().collect();
    let Some(source) = lines.get(problem.line as usize - 1) else {
        return;
    };
    // Only where the value starts right after the line's key (not inside a flow mapping).
    let value_at = source.split_once(':').map(|(key, rest)| {
        key.chars().count() + 1 + rest.chars().take_while(|c| *c == ' ').count()
    });
    if value_at != Some(problem.column.saturating_sub(1) as usize) {
        return;
    }
    let Some(path) = tree.and_then(|tree| key_on_line(tree, problem.line)) else {
        return;
    };
    let got: String = source
        .chars()
        .skip(problem.column.saturating_sub(1) as usize)
        .collect::<String>()
        .trim()
        .chars()
        .take(40)
        .collect();
    problem.message = if got.is_empty() {
        format!("`{path}`: {}", problem.message)
    } else {
        format!("`{path}`: {}, got `{got}`", problem.message)
    };
}

/// The dotted key written on `line` (`job.select`), from the file's tree of keys.
fn key_on_line(node: &Node, line: u64) -> Option<String> {
    let Node::Map(entries) = node else {
        return None;
    };
    entries.iter().find_map(|(key, value)| {
        if key.referenced.line() == line {
            return Some(key.value.clone());
        }
        key_on_line(value, line).map(|inner| format!("{}.{inner}", key.value))
    })
}

/// The report of `problems`: each as `FILE:LINE:COLUMN: message` and a snippet.
fn report(problems: &[Problem], text: &str, name: &str) -> String {
    let blocks: Vec<String> = problems.iter().map(|p| describe(p, text, name)).collect();
    match blocks.as_slice() {
        [one] => one.clone(),
        many => format!("{name}: {} problems\n\n{}", many.len(), many.join("\n\n")),
    }
}

/// "FILE:3:3: message" and a snippet of the lines up to the position, with a caret.
fn describe(problem: &Problem, text: &str, name: &str) -> String {
    let Problem {
        line,
        column,
        message,
        label,
    } = problem;
    if *line == 0 {
        return format!("{name}: {message}");
    }
    let first = line.saturating_sub(2).max(1);
    let width = line.to_string().len();
    let mut out = format!(
        "{name}:{line}:{column}: {message}\n{:width$}--> {name}:{line}:{column}\n{:width$} |\n",
        "", ""
    );
    for (number, source) in (first..=*line).zip(text.lines().skip(first as usize - 1)) {
        // A tab is one column to the parser: one space keeps the caret under it.
        out.push_str(&format!(
            "{number:>width$} | {}\n",
            source.replace('\t', " ")
        ));
    }
    let indent = " ".repeat(column.saturating_sub(1) as usize);
    out.push_str(&format!("{:width$} | {indent}^ {label}", ""));
    out
}

/// A mapping as written: each key with its position, and the value's shape.
#[derive(Debug)]
enum Node {
    Map(Vec<(Spanned<String>, Node)>),
    Other,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            entries.push((key, map.next_value::<Node>()?));
        }
        Ok(Node::Map(entries))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Other)
    }
}

/// Every key of the file's top level and of its sections that the layer does not have.
fn unknown_keys(tree: &Node) -> Vec<Problem> {
    let Node::Map(entries) = tree else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        if !Layer::FIELDS.contains(&key.value.as_str()) {
            out.push(unknown(key, Layer::FIELDS, None));
            continue;
        }
        let section = SECTIONS.iter().find(|(name, _)| *name == key.value);
        if let (Some((name, fields)), Node::Map(inner)) = (section, value) {
            for (key, _) in inner {
                if !fields.contains(&key.value.as_str()) {
                    out.push(unknown(key, fields, Some(name)));
                }
            }
        }
    }
    out
}

fn unknown(key: &Spanned<String>, fields: &[&str], section: Option<&str>) -> Problem {
    let name = &key.value;
    let place = section.map(|s| format!(" in `{s}:`")).unwrap_or_default();
    let hint = match Suggestion::for_name(name, fields.iter().copied()) {
        Some(suggestion) => suggestion.to_string(),
        None => format!("the keys allowed here are {}", fields.join(", ")),
    };
    Problem {
        line: key.referenced.line(),
        column: key.referenced.column(),
        message: format!("unknown key `{name}`{place}; {hint}"),
        label: format!("unknown key `{name}`"),
    }
}

/// The lines `[first, end)` each top-level key and each section key spans; a key that
/// shares its line with another (flow style) spans nothing of its own. Deeper keys are not
/// fields: blanking one would leave its parent's value half there.
fn field_ranges(entries: &[(Spanned<String>, Node)], end: u64, depth: u8) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let starts: Vec<u64> = entries.iter().map(|(k, _)| k.referenced.line()).collect();
    for (i, (key, value)) in entries.iter().enumerate() {
        let first = key.referenced.line();
        let next = starts.get(i + 1).copied().unwrap_or(end);
        if next <= first || starts[..i].contains(&first) {
            continue;
        }
        out.push((first, next));
        if let (Node::Map(inner), 0) = (value, depth) {
            let inner = field_ranges(inner, next, depth + 1);
            out.extend(inner.into_iter().filter(|(a, _)| *a > first));
        }
    }
    out
}

/// The innermost field range holding `line`.
fn enclosing(fields: &[(u64, u64)], line: u64) -> Option<(u64, u64)> {
    fields
        .iter()
        .filter(|(first, end)| (*first..*end).contains(&line))
        .min_by_key(|(first, end)| end - first)
        .copied()
}

/// Replaces lines `[first, end)` of `text` with spaces, keeping line breaks.
fn blank(text: &mut String, range: (u64, u64), blanked: &mut Vec<(u64, u64)>) {
    let (first, end) = range;
    let mut out = String::with_capacity(text.len());
    for (number, line) in (1u64..).zip(text.split_inclusive('\n')) {
        if (first..end).contains(&number) {
            out.extend(
                line.chars()
                    .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
            );
        } else {
            out.push_str(line);
        }
    }
    *text = out;
    blanked.push(range);
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
    if message.contains("found a tab") {
        return format!(
            "{message}: YAML indents with spaces, not tabs (a tab starts this line or the next)"
        );
    }
    if message.starts_with("tabs disallowed") {
        return format!("{message}: indent with spaces, not tabs");
    }
    if message == "mapping values are not allowed in this context" {
        return format!(
            "{message}: a `key: value` line is indented deeper than the keys beside it, or a value holds `: ` (quote it)"
        );
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
    fn every_unknown_key_and_type_error_of_a_file_in_one_report() {
        let m = err("jobs: 1\njob:\n  selct: 3\n  select: two\ndask:\n  nthread: 2\n");
        assert!(m.starts_with("p.yaml: 4 problems\n"), "{m}");
        for expected in [
            "p.yaml:1:1: unknown key `jobs`; did you mean `job`?",
            "p.yaml:3:3: unknown key `selct` in `job:`; did you mean `select`?",
            "p.yaml:4:11: `job.select`: expected a whole number, got `two`",
            "p.yaml:6:3: unknown key `nthread` in `dask:`; did you mean `nthreads`?",
        ] {
            assert!(m.contains(expected), "{expected}\n{m}");
        }
    }

    #[test]
    fn a_wrong_type_names_its_key_and_what_it_got_in_block_style_only() {
        let m = err("dask:\n  nthreads: 2.5\n");
        assert!(
            m.starts_with("p.yaml:2:13: `dask.nthreads`: expected a whole number, got `2.5`"),
            "{m}"
        );
        assert!(m.ends_with("^ expected a whole number"), "{m}");
        let flow = err("job: {select: four}\n");
        assert!(
            flow.starts_with("p.yaml:1:15: expected a whole number\n"),
            "{flow}"
        );
        let tab = err("job:\n  queue: gpu\n\t  walltime: 1\n");
        assert!(tab.contains("YAML indents with spaces, not tabs"), "{tab}");
    }

    #[test]
    fn a_flow_style_section_is_reported_once_and_parsing_stops() {
        let m = err("job: {selct: 3, select: two}\n");
        assert!(m.contains("unknown key `selct` in `job:`"), "{m}");
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
