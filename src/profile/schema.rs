//! The JSON Schema of a profile file (`dask-pbs schema`): the layer types' own schema, with
//! their doc comments as each key's description and dask-pbs's defaults
//! (`profiles/defaults.yaml`) as each key's `default`. Editors show it on hover, and
//! docs/profile-reference.md is generated from it, so the two never say different things.

use serde_json::{Map, Value};

use super::defaults_layer;
use super::layer::Layer;
use crate::error::{Code, Error};

pub fn schema() -> Result<Value, Error> {
    let mut schema = schemars::schema_for!(Layer).to_value();
    let defaults = serde_json::to_value(defaults_layer()?)
        .map_err(|e| Error::new(Code::Internal, format!("cannot read the defaults: {e}")))?;
    let object = schema
        .as_object_mut()
        .ok_or_else(|| Error::new(Code::Internal, "the profile schema is not an object"))?;
    object.insert("title".into(), "dask-pbs profile".into());
    add_defaults(object, &defaults);
    unwrap_descriptions(&mut schema);
    Ok(schema)
}

/// Doc comments are wrapped at the source's width; a description is one line per paragraph,
/// so editors wrap it at theirs.
fn unwrap_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::String(text)) = object.get_mut("description") {
                *text = text
                    .split("\n\n")
                    .map(|paragraph| paragraph.replace('\n', " "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            object.values_mut().for_each(unwrap_descriptions);
        }
        Value::Array(values) => values.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Sets `default` on every key the defaults give: top-level keys on the root's properties,
/// a section's keys on the properties of the definition its key refers to.
fn add_defaults(root: &mut Map<String, Value>, defaults: &Value) {
    let Some(defaults) = defaults.as_object() else {
        return;
    };
    for (key, value) in defaults {
        match section_definition(&root["properties"][key]) {
            Some(def) => {
                let properties = &mut root["$defs"][def.as_str()]["properties"];
                for (field, value) in value.as_object().into_iter().flatten() {
                    set_default(properties, field, value);
                }
            }
            None => set_default(&mut root["properties"], key, value),
        }
    }
}

/// The definition a section key (`system`, an optional `$ref`) refers to.
fn section_definition(property: &Value) -> Option<String> {
    property["anyOf"]
        .as_array()?
        .iter()
        .find_map(|v| v["$ref"].as_str()?.strip_prefix("#/$defs/"))
        .map(str::to_string)
}

fn set_default(properties: &mut Value, key: &str, value: &Value) {
    if let Some(property) = properties.get_mut(key).and_then(Value::as_object_mut) {
        property.insert("default".into(), value.clone());
    }
}

/// A layer field's schema, allowing `null` only where its type does. Every field may be
/// absent (the layer's `Option`), but a YAML `null` is a value only for an optional type
/// (`login_host: null` unsets a parent's host; `gpus_per_node: null` is refused).
pub(super) fn null_only_if_allowed<T: schemars::JsonSchema>(schema: &mut schemars::Schema) {
    if allows_null(schemars::schema_for!(T).as_value()) {
        return;
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [one] = &types[..] {
            let one = one.clone();
            object.insert("type".into(), one);
        }
    }
    if let Some(Value::Array(variants)) = object.remove("anyOf") {
        let mut rest: Vec<Value> = variants.into_iter().filter(|v| !is_null(v)).collect();
        match (rest.len(), rest.pop()) {
            (1, Some(Value::Object(only))) => object.extend(only),
            (_, last) => {
                rest.extend(last);
                object.insert("anyOf".into(), rest.into());
            }
        }
    }
}

fn allows_null(schema: &Value) -> bool {
    let typed = |t: &Value| match t {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    typed(&schema["type"])
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema[*k]
                .as_array()
                .is_some_and(|vs| vs.iter().any(allows_null))
        })
}

fn is_null(schema: &Value) -> bool {
    schema["type"] == "null"
}
