//! The README's profile reference against the format itself: every key `dask-pbs schema`
//! knows has a row, and every row names a key the schema knows.

use crate::common;

use serde_json::Value;

/// The key paths of the profile format, from the JSON Schema: a map of named entries (the
/// queues) is written `NAME`; a value with one shape besides null is followed through.
fn schema_keys(schema: &Value, defs: &Value, prefix: &str, out: &mut Vec<String>) {
    let schema = resolve(schema, defs);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, sub) in props {
            let path = format!("{prefix}{key}");
            let sub = resolve(sub, defs);
            if has_fields(sub, defs) {
                schema_keys(sub, defs, &format!("{path}."), out);
            } else if let Some(entry) = sub
                .get("additionalProperties")
                .filter(|e| has_fields(e, defs))
            {
                schema_keys(entry, defs, &format!("{path}.NAME."), out);
            } else {
                out.push(path);
            }
        }
    }
}

/// `schema` with a `$ref` or a `T | null` followed to the one shape it stands for.
fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return resolve(&defs[name], defs);
    }
    if let Some(variants) = schema.get("anyOf").and_then(Value::as_array) {
        let shapes: Vec<&Value> = variants
            .iter()
            .filter(|v| v.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [one] = shapes[..] {
            return resolve(one, defs);
        }
    }
    schema
}

fn has_fields(schema: &Value, defs: &Value) -> bool {
    resolve(schema, defs).get("properties").is_some()
}

/// The first cell of each row of the README's "Profile reference" tables.
fn readme_keys() -> Vec<String> {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Profile reference\n")
        .nth(1)
        .expect("README has a `## Profile reference` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(key, _)| key.to_string()))
        .collect()
}

#[test]
fn readme_profile_reference_has_one_row_per_schema_key() {
    let schema: Value = serde_json::from_str(&common::ok(&["schema"])).unwrap();
    let mut keys = Vec::new();
    schema_keys(&schema, &schema["$defs"], "", &mut keys);
    assert!(
        keys.contains(&"system.queues.NAME.walltime".to_string()),
        "{keys:?}"
    );
    let rows = readme_keys();
    let missing: Vec<&String> = keys.iter().filter(|k| !rows.contains(k)).collect();
    let extra: Vec<&String> = rows.iter().filter(|r| !keys.contains(r)).collect();
    let mut problems = Vec::new();
    for key in missing {
        problems.push(format!(
            "`{key}` is in `dask-pbs schema` but has no row in README.md's Profile reference"
        ));
    }
    for row in extra {
        problems.push(format!(
            "README.md's Profile reference has a row `{row}` that `dask-pbs schema` does not know"
        ));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
