//! The commands that look rather than write: check, explain, profiles, templates.

use crate::builtin;
use crate::cli::{PlacesArgs, ProfileArgs, ShowArgs};
use crate::error::{Code, Error};
use crate::plan::Plan;
use serde_json::Value;

use crate::profile::Needs;
use crate::profile::catalog::is_path;
use crate::profile::layer::Sourced;
use crate::profile::origin::Origin;
use crate::profile::parse::parse_layer;
use crate::render::TemplateOrigin;

use super::{Outcome, charges, context, load, load_for, places, resolve};

/// The name `profiles show` gives dask-pbs's own defaults, unless a profile takes it.
const DEFAULTS_NAME: &str = "defaults";

pub(super) fn check(args: &ProfileArgs) -> Result<Outcome, Error> {
    let (_, loaded) = load(args)?;
    let plan = Plan::new(&loaded.profile);
    let mut summary = format!("ok: {}\n", plan.summary(&loaded.profile));
    let (charge, notes) = charges::shown(&loaded.profile);
    if let Some(line) = charge {
        summary.push_str(&format!("{line}\n"));
    }
    let mut outcome = Outcome::of(summary, &loaded);
    outcome.notes.extend(notes);
    Ok(outcome)
}

/// The width `explain` keeps to: a terminal's, with room to spare.
const EXPLAIN_COLUMNS: usize = 100;

pub(super) fn explain(args: &ProfileArgs) -> Result<Outcome, Error> {
    let (_, loaded) = load_for(args, Needs::INSPECT)?;
    let chain: Vec<String> = loaded.chain.iter().map(Origin::to_string).collect();
    let mut text = format!(
        "# profile {} (chain: {})\n",
        loaded.profile.name,
        chain.join(" <- ")
    );
    let (charge, charge_notes) = charges::shown(&loaded.profile);
    if let Some(line) = charge {
        text.push_str(&format!("# {line}\n"));
    }
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for entry in loaded.explain() {
        leaves(&entry.key, &entry.value, &entry.origin, &mut rows);
    }
    let table = explain_table(&rows);
    if table.contains('…') {
        text.push_str(&format!(
            "# values ending in … are cut; `dask-pbs profiles show {} --resolved` prints them whole\n",
            loaded.profile.name
        ));
    }
    text.push_str(&table);
    text.push_str(&resolved_section(&rows, &loaded.profile));
    let mut outcome = Outcome::of(text, &loaded);
    outcome.notes.extend(charge_notes);
    Ok(outcome)
}

/// The values validation gave the job that differ from the layers above (the chosen node
/// type's shape and resources, a shutdown margin fitted to a short walltime): without them
/// the table would show `system.gpus_per_node = 0` for a job on 4-GPU nodes.
fn resolved_section(
    rows: &[(String, String, String)],
    profile: &crate::profile::model::Profile,
) -> String {
    let Ok(Value::Object(resolved)) = serde_json::to_value(profile) else {
        return String::new();
    };
    let mut leaves_now = Vec::new();
    for (key, value) in &resolved {
        leaves(key, value, "", &mut leaves_now);
    }
    let layered: std::collections::HashMap<&str, &str> = rows
        .iter()
        .map(|(k, v, _)| (k.as_str(), v.as_str()))
        .collect();
    // Sections only: the profile's own scalars (`name`) are not layer keys.
    let sections: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|(k, _, _)| k.split_once('.').map(|(section, _)| section))
        .collect();
    let changed: Vec<String> = leaves_now
        .iter()
        .filter(|(key, value, _)| {
            key.split_once('.')
                .is_some_and(|(section, _)| sections.contains(section))
                && layered.get(key.as_str()) != Some(&value.as_str())
        })
        .map(|(key, value, _)| format!("{key} = {value}\n"))
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let node_type = profile
        .job
        .node_type
        .as_deref()
        .map_or(String::new(), |t| format!(" (node type {t})"));
    format!(
        "# resolved for this job{node_type}, as check and gen use them:\n{}",
        changed.concat()
    )
}

/// One row per leaf of `value`: a map opens into `key.sub` rows; a list or a scalar is one.
fn leaves(key: &str, value: &Value, origin: &str, rows: &mut Vec<(String, String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (sub, v) in map {
                leaves(&format!("{key}.{sub}"), v, origin, rows);
            }
        }
        _ => rows.push((key.to_string(), compact(value), origin.to_string())),
    }
}

/// JSON on one line with a space after each comma and colon: `["a", "b"]`, `{min: 1}`.
fn compact(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// `key = value  # origin` lines within `EXPLAIN_COLUMNS`, origins aligned; a value too
/// long for its line is cut with `…` rather than widening every line.
fn explain_table(rows: &[(String, String, String)]) -> String {
    let origin_width = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(0);
    let room = EXPLAIN_COLUMNS.saturating_sub(origin_width + 4).max(32);
    let lefts: Vec<String> = rows
        .iter()
        .map(|(key, value, _)| {
            let value_room = room.saturating_sub(key.chars().count() + 3).max(8);
            format!("{key} = {}", cut(value, value_room))
        })
        .collect();
    let width = lefts.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut text = String::new();
    for (left, (_, _, origin)) in lefts.iter().zip(rows) {
        text.push_str(&format!("{left:width$}  # {origin}\n"));
    }
    text
}

/// `text` in at most `width` characters.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

pub(super) fn profiles_list(args: &PlacesArgs) -> Result<String, Error> {
    let places = places(args);
    let mut rows: Vec<[String; 3]> = Vec::new();
    for row in places.catalog.list() {
        let source = places.catalog.find(&row.name, &[]);
        let description = match source.and_then(|s| parse_layer(&s.text, &s.origin)) {
            Ok(layer) => match (layer.description, layer.extends) {
                (Some(d), _) => d.value,
                (
                    None,
                    Some(Sourced {
                        value: Some(parent),
                        ..
                    }),
                ) => format!("extends {parent}"),
                (None, _) => String::new(),
            },
            Err(_) => "(invalid: run `dask-pbs check` on it)".to_string(),
        };
        let origin = match &row.origin {
            Origin::Builtin(_) => "built-in".to_string(),
            other => format!("user {other}"),
        };
        let shadows = if row.shadows.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = row.shadows.iter().map(Origin::to_string).collect();
            format!(" [shadows {}]", names.join(", "))
        };
        rows.push([row.name, format!("{origin}{shadows}"), description]);
    }
    let name_width = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    let origin_width = rows.iter().map(|r| r[1].chars().count()).max().unwrap_or(0);
    let mut text = String::new();
    for [name, origin, description] in rows {
        let line = format!("{name:name_width$}  {origin:origin_width$}  {description}");
        text.push_str(line.trim_end());
        text.push('\n');
    }
    Ok(text)
}

pub(super) fn profiles_show(args: &ShowArgs) -> Result<Outcome, Error> {
    let places = places(&args.places);
    // A user's own profile named `defaults` wins, as any profile shadows a built-in.
    if args.profile_name == DEFAULTS_NAME && places.catalog.find(DEFAULTS_NAME, &[]).is_err() {
        if args.resolved {
            return Err(Error::new(
                Code::DefaultsNotResolvable,
                format!(
                    "`{DEFAULTS_NAME}` is dask-pbs's bottom layer, not a profile: `dask-pbs profiles show {DEFAULTS_NAME}` prints it; --resolved needs a profile (e.g. sophia)"
                ),
            ));
        }
        return Ok(Outcome::text(builtin::DEFAULTS));
    }
    if !args.resolved {
        let source = if is_path(&args.profile_name) {
            places.catalog.file(&args.profile_name)?
        } else {
            places.catalog.find(&args.profile_name, &[])?
        };
        return Ok(Outcome::text(source.text));
    }
    let loaded = resolve(&places, &args.profile_name, &args.overrides, Needs::NONE)?;
    let yaml = serde_saphyr::to_string(&loaded.merged)
        .map_err(|e| Error::new(Code::Internal, format!("cannot print the profile: {e}")))?;
    Ok(Outcome::of(yaml, &loaded))
}

pub(super) fn templates_list(args: &PlacesArgs) -> String {
    let places = places(args);
    let width = builtin::TEMPLATES
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (name, _) in builtin::TEMPLATES {
        let origin = match places.templates.origin(name) {
            Some(TemplateOrigin::File(path)) => format!("user {path} (shadows the built-in)"),
            _ => "built-in".to_string(),
        };
        text.push_str(&format!("{name:width$}  {origin}\n"));
    }
    text
}

pub(super) fn templates_show(name: &str) -> Result<String, Error> {
    builtin::template(name).map(str::to_string).ok_or_else(|| {
        let names: Vec<&str> = builtin::TEMPLATES.iter().map(|(n, _)| *n).collect();
        Error::new(
            Code::UnknownTemplate,
            format!(
                "no built-in template `{name}`; templates: {}",
                names.join(", ")
            ),
        )
    })
}

pub(super) fn templates_context(args: &ProfileArgs) -> Result<Outcome, Error> {
    let (_, loaded) = load_for(args, Needs::INSPECT)?;
    let ctx = context(args, &loaded);
    let yaml = serde_saphyr::to_string(&ctx)
        .map_err(|e| Error::new(Code::Internal, format!("cannot print the context: {e}")))?;
    Ok(Outcome::of(yaml, &loaded))
}

/// The JSON Schema of a profile file, from the same types the parser uses.
pub(super) fn schema() -> Result<String, Error> {
    let schema = crate::profile::schema::schema()?;
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Error::new(Code::Internal, format!("cannot print the schema: {e}")))?;
    Ok(text + "\n")
}
