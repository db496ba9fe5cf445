//! The profile reference has one source: the doc comments on the profile model, which
//! `dask-pbs schema` carries as descriptions (editors show them on hover) and from which
//! docs/profile-reference.md is generated. Every key needs a description and an example; the
//! committed page must be what the schema generates (regenerate it with
//! `DASK_PBS_UPDATE_DOCS=1 cargo test --test suite -- reference::`, then review the diff).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common;

const PAGE: &str = "docs/profile-reference.md";
const BEGIN: &str = "<!-- BEGIN generated from `dask-pbs schema` by tests/reference.rs: edit the doc comments in src/profile/, not this text -->";
const END: &str = "<!-- END generated -->";

/// One key of the profile format.
struct Key {
    /// Dotted path, `NAME` for an entry of a map, `[]` for an element of a list.
    path: String,
    /// The Rust type whose field it is (`SystemLayer`, `Queue`): where its doc comment goes.
    owner: String,
    field: String,
    schema: Value,
    required: bool,
    /// For a key whose value holds keys of its own: where they are listed, and how the path
    /// goes on (`.NAME`, `[]` or nothing).
    nested: Option<(String, &'static str)>,
}

/// The keys of one object of the format (a section, a queue), with its own description.
struct Group {
    path: String,
    description: String,
    keys: Vec<Key>,
    children: Vec<Group>,
}

/// `schema` with a `$ref` followed, and `T | null` read as `T`: the definition's name (if
/// any) and its schema.
fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> (Option<&'a str>, &'a Value) {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        let (inner, found) = resolve(&defs[name], defs);
        return (inner.or(Some(name)), found);
    }
    if let Some(variants) = schema["anyOf"].as_array() {
        let shapes: Vec<&Value> = variants.iter().filter(|v| v["type"] != "null").collect();
        if let [one] = shapes[..] {
            return resolve(one, defs);
        }
    }
    (None, schema)
}

/// The object a key's value holds keys of, and how its path goes on: `system` (a section),
/// `system.queues` (a map of queues: `.NAME`), `routes` (a list of routes: `[]`).
fn nested<'a>(schema: &'a Value, defs: &'a Value) -> Option<(&'a str, &'a Value, &'static str)> {
    let (name, inner) = resolve(schema, defs);
    if inner.get("properties").is_some() {
        return Some((name?, inner, ""));
    }
    for (child, suffix) in [
        (&inner["additionalProperties"], ".NAME"),
        (&inner["items"], "[]"),
    ] {
        if let (Some(name), object) = resolve(child, defs)
            && object.get("properties").is_some()
        {
            return Some((name, object, suffix));
        }
    }
    None
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// Where each type of object is listed: the shortest path it appears at (a queue's keys under
/// `system.queues.NAME`, not again under `system.default_queue`).
fn homes(object: &Value, defs: &Value, path: &str, out: &mut BTreeMap<String, String>) {
    for (field, schema) in object["properties"].as_object().into_iter().flatten() {
        if let Some((def, inner, suffix)) = nested(schema, defs) {
            let at = format!("{}{suffix}", join(path, field));
            let shorter = |home: &String| (at.len(), &at) < (home.len(), home);
            if out.get(def).is_none_or(shorter) {
                out.insert(def.to_string(), at.clone());
            }
            homes(inner, defs, &at, out);
        }
    }
}

fn group(
    path: &str,
    owner: &str,
    object: &Value,
    defs: &Value,
    homes: &BTreeMap<String, String>,
) -> Group {
    let required: Vec<&str> = object["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut group = Group {
        path: path.to_string(),
        description: text(&object["description"]),
        keys: Vec::new(),
        children: Vec::new(),
    };
    for (field, schema) in object["properties"].as_object().into_iter().flatten() {
        let key_path = join(path, field);
        let mut nested_at = None;
        if let Some((def, inner, suffix)) = nested(schema, defs) {
            let home = &homes[def];
            if *home == format!("{key_path}{suffix}") {
                group
                    .children
                    .push(self::group(home, def, inner, defs, homes));
            }
            nested_at = Some((home.clone(), suffix));
        }
        group.keys.push(Key {
            path: key_path,
            owner: owner.to_string(),
            field: field.clone(),
            schema: schema.clone(),
            required: required.contains(&field.as_str()),
            nested: nested_at,
        });
    }
    group
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().trim().to_string()
}

fn schema() -> Value {
    serde_json::from_str(&common::ok(&["schema"])).expect("the schema is JSON")
}

fn root(schema: &Value) -> Group {
    let defs = &schema["$defs"];
    let mut found = BTreeMap::new();
    homes(schema, defs, "", &mut found);
    group("", "Layer", schema, defs, &found)
}

fn all_keys(group: &Group) -> Vec<&Key> {
    let mut keys: Vec<&Key> = group.keys.iter().collect();
    for child in &group.children {
        keys.extend(all_keys(child));
    }
    keys
}

/// A key's description: its own, or a section's (`system:`) its type's. (A field of an enum
/// type needs its own: the enum's says what the type is, not what the key is for.)
fn description(key: &Key, defs: &Value) -> String {
    let own = text(&key.schema["description"]);
    if own.is_empty() && is_section(key, defs) {
        text(&resolve(&key.schema, defs).1["description"])
    } else {
        own
    }
}

/// A key whose value is a section of keys (`system`) needs no example of its own.
fn is_section(key: &Key, defs: &Value) -> bool {
    resolve(&key.schema, defs).1.get("properties").is_some()
}

/// The file of `src/` that defines the Rust type `owner` (a struct, or a `section!`).
fn defining_file(owner: &str) -> String {
    let src = common::repo_root().join("src");
    let struct_line = format!("struct {owner} ");
    let section_line = format!("{owner}: ");
    for entry in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Ok(code) = std::fs::read_to_string(path)
            && code
                .lines()
                .any(|l| l.contains(&struct_line) || l.trim_start().starts_with(&section_line))
        {
            let relative = path.strip_prefix(common::repo_root()).unwrap_or(path);
            return relative.display().to_string();
        }
    }
    "src/profile/".to_string()
}

#[test]
fn every_profile_key_has_a_description_and_an_example() {
    let schema = schema();
    let defs = &schema["$defs"];
    let root = root(&schema);
    let keys = all_keys(&root);
    for expected in [
        "system.queues.NAME.walltime",
        "system.node_types.NAME.resources",
        "system.queues.NAME.routes[].name",
        "system.launcher.words",
        "dask.security",
        "run",
    ] {
        assert!(
            keys.iter().any(|k| k.path == expected),
            "the schema walk missed {expected}"
        );
    }
    let mut problems = Vec::new();
    for key in keys {
        let place = format!(
            "field `{}` of `{}` in {}",
            key.field,
            key.owner,
            defining_file(&key.owner)
        );
        if description(key, defs).is_empty() {
            problems.push(format!(
                "`{}` has no description in `dask-pbs schema`: add a `///` doc comment on {place} (what it means, its unit, what `check` verifies)",
                key.path
            ));
        }
        if !is_section(key, defs) && key.schema["examples"].as_array().is_none_or(Vec::is_empty) {
            problems.push(format!(
                "`{}` has no example in `dask-pbs schema`: add `#[schemars(example = VALUE)]` on {place} (a string: `example = &\"text\"`; a map: `example = serde_json::json!({{…}})`)",
                key.path
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_profile_reference_page_is_generated_from_the_schema() {
    let path = common::repo_root().join(PAGE);
    let page = std::fs::read_to_string(&path).expect("docs/profile-reference.md");
    let (before, rest) = page
        .split_once(BEGIN)
        .expect("docs/profile-reference.md has the BEGIN marker");
    let (committed, after) = rest
        .split_once(END)
        .expect("docs/profile-reference.md has the END marker");
    let generated = format!("\n{}", render(&schema()));
    if committed == generated {
        return;
    }
    if std::env::var_os("DASK_PBS_UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{before}{BEGIN}{generated}{END}{after}")).unwrap();
        return;
    }
    let diff = similar::TextDiff::from_lines(committed, &generated)
        .unified_diff()
        .header(
            "docs/profile-reference.md",
            "generated from dask-pbs schema",
        )
        .to_string();
    panic!(
        "{PAGE} is not what `dask-pbs schema` generates (a key or a doc comment changed). Regenerate it with\n  DASK_PBS_UPDATE_DOCS=1 cargo test --test suite -- reference::\nand review the diff:\n{diff}"
    );
}

/// The reference: the top-level keys, then each section and each object inside it (a queue,
/// a node type), every key with its type, default, an example and its description.
fn render(schema: &Value) -> String {
    let defs = &schema["$defs"];
    let root = root(schema);
    let mut out = String::from("## Top level\n\n");
    render_keys(&root, defs, &mut out);
    let order = section_order();
    let mut sections: Vec<&Group> = root.children.iter().collect();
    sections.sort_by_key(|g| {
        order
            .iter()
            .position(|s| *s == g.path)
            .unwrap_or(usize::MAX)
    });
    for child in sections {
        render_group(child, defs, &mut out);
    }
    out
}

/// The sections in the order a profile writes them: profiles/defaults.yaml's.
fn section_order() -> Vec<String> {
    let defaults = std::fs::read_to_string(common::repo_root().join("profiles/defaults.yaml"))
        .expect("profiles/defaults.yaml");
    defaults
        .lines()
        .filter_map(|l| l.strip_suffix(':'))
        .filter(|l| !l.starts_with([' ', '#']))
        .map(str::to_string)
        .collect()
}

/// Text as lines of at most `WIDTH` columns (a longer word stays whole).
fn wrap(text: &str) -> String {
    const WIDTH: usize = 96;
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > WIDTH {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        lines.push(String::new());
    }
    lines.pop();
    lines.join("\n")
}

fn render_group(group: &Group, defs: &Value, out: &mut String) {
    out.push_str(&format!(
        "## `{}`\n\n{}\n\n",
        group.path,
        wrap(&group.description)
    ));
    render_keys(group, defs, out);
    for child in &group.children {
        render_group(child, defs, out);
    }
}

fn render_keys(group: &Group, defs: &Value, out: &mut String) {
    for key in &group.keys {
        if is_section(key, defs) && group.path.is_empty() {
            continue;
        }
        let mut facts = vec![type_text(key, defs)];
        facts.push(match (&key.schema.get("default"), key.required) {
            (_, true) => "required".to_string(),
            (Some(default), _) => format!("default `{}`", flow(default)),
            (None, _) => "no default".to_string(),
        });
        if let Some(example) = key.schema["examples"].as_array().and_then(|e| e.first()) {
            facts.push(format!("example `{}: {}`", key.field, flow(example)));
        }
        out.push_str(&format!(
            "### `{}`\n\n{}\n\n{}\n\n",
            key.path,
            wrap(&facts.join(" · ")),
            wrap(&description(key, defs))
        ));
    }
}

/// The type of a key whose value holds keys of its own, with a link to where they are listed.
fn link_text(home: &str, suffix: &str) -> String {
    let target = format!("`{home}`");
    let link = format!("[{target}](#{})", slug(&target));
    match suffix {
        ".NAME" => format!("map of name → {link}"),
        "[]" => format!("list of {link}"),
        _ => format!("the keys of {link}"),
    }
}

/// The anchor GitHub gives a heading: lower case, spaces as `-`, punctuation but `-` and `_`
/// dropped.
pub(crate) fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The type in words: `integer`, `text or null`, `one of `a`, `b``, `list of text`, a link
/// to the keys of an object.
fn type_text(key: &Key, defs: &Value) -> String {
    let schema = &key.schema;
    let (name, inner) = resolve(schema, defs);
    let shape = match &key.nested {
        Some((home, suffix)) => link_text(home, suffix),
        None => shape_text(name, inner, defs),
    };
    let nullable = schema["anyOf"]
        .as_array()
        .is_some_and(|v| v.iter().any(|s| s["type"] == "null"))
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "null"));
    if nullable {
        format!("{shape}, or null")
    } else {
        shape
    }
}

fn shape_text(name: Option<&str>, schema: &Value, defs: &Value) -> String {
    match name {
        Some("Walltime") => return "PBS duration".into(),
        Some("Chunks") => return "list of counts, or `{min, max}`".into(),
        Some("Word") => return "text, number or bool".into(),
        _ => {}
    }
    let choices = choices(schema);
    if !choices.is_empty() {
        return format!("one of {}", choices.join(", "));
    }
    if schema.get("properties").is_some() {
        return "the keys below".into();
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match types.iter().find(|t| **t != "null").copied() {
        Some("string") => "text".into(),
        Some("integer") => "integer".into(),
        Some("number") => "number".into(),
        Some("boolean") => "bool".into(),
        Some("array") if schema["minItems"] == 2 && schema["maxItems"] == 2 => {
            let (n, items) = resolve(&schema["items"], defs);
            format!("`[min, max]` of {}", shape_text(n, items, defs))
        }
        Some("array") => {
            let (n, items) = resolve(&schema["items"], defs);
            format!("list of {}", shape_text(n, items, defs))
        }
        Some("object") => {
            let (n, entry) = resolve(&schema["additionalProperties"], defs);
            format!("map of name → {}", shape_text(n, entry, defs))
        }
        _ => "any".into(),
    }
}

/// The words an enum takes, each in backticks.
fn choices(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut add = |v: &Value| {
        if let Some(word) = v.as_str() {
            found.push(format!("`{word}`"));
        }
    };
    schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .for_each(&mut add);
    for variant in schema["oneOf"].as_array().into_iter().flatten() {
        variant["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .for_each(&mut add);
        add(&variant["const"]);
    }
    found
}

/// A value as YAML flow text, quoting only what YAML would read as something else.
fn flow(value: &Value) -> String {
    match value {
        Value::String(s) => plain_or_quoted(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", plain_or_quoted(k), flow(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

fn plain_or_quoted(text: &str) -> String {
    let first_ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || "/_.~$".contains(c));
    let rest_ok = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " _./~$@=+-{}".contains(c));
    // Braces are flow indicators inside `[…]` and `{…}`.
    let braces = text.contains(['{', '}']);
    let special = text.parse::<f64>().is_ok()
        || ["true", "false", "null", "yes", "no", "on", "off", "~"].contains(&text);
    if first_ok && rest_ok && !braces && !special {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap()
    }
}

#[test]
fn flow_quotes_what_yaml_would_misread() {
    assert_eq!(flow(&serde_json::json!("40GB")), "40GB");
    assert_eq!(flow(&serde_json::json!("~/envs/x")), "~/envs/x");
    assert_eq!(
        flow(&serde_json::json!("${SCRATCH}/temp")),
        "\"${SCRATCH}/temp\""
    );
    assert_eq!(flow(&serde_json::json!("25.06")), "\"25.06\"");
    assert_eq!(flow(&serde_json::json!("00:05:00")), "\"00:05:00\"");
    assert_eq!(flow(&serde_json::json!("{nranks}")), "\"{nranks}\"");
    assert_eq!(flow(&serde_json::json!("-P")), "\"-P\"");
    assert_eq!(
        flow(&serde_json::json!({"GPU": 1, "x": [true, null]})),
        "{GPU: 1, x: [true, null]}"
    );
}
