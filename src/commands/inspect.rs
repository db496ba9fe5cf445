//! The commands that look rather than write: check, explain, profiles, templates.

use crate::builtin;
use crate::cli::{PlacesArgs, ProfileArgs, ShowArgs};
use crate::error::Error;
use crate::plan::Plan;
use crate::profile::Needs;
use crate::profile::catalog::is_path;
use crate::profile::origin::Origin;
use crate::profile::parse::parse_layer;
use crate::render::TemplateOrigin;

use super::{context, load, places, resolve};

pub fn check(args: &ProfileArgs) -> Result<String, Error> {
    let (_, loaded) = load(args)?;
    let plan = Plan::new(&loaded.profile);
    Ok(format!("ok: {}\n", plan.summary(&loaded.profile)))
}

pub fn explain(args: &ProfileArgs) -> Result<String, Error> {
    let (_, loaded) = load(args)?;
    let entries = loaded.explain();
    let chain: Vec<String> = loaded.chain.iter().map(Origin::to_string).collect();
    let mut text = format!(
        "# profile {} (chain: {})\n",
        loaded.profile.name,
        chain.join(" <- ")
    );
    let width = entries
        .iter()
        .map(|e| e.key.len() + e.value.to_string().len() + 3)
        .max()
        .unwrap_or(0);
    for e in entries {
        let left = format!("{} = {}", e.key, e.value);
        text.push_str(&format!("{left:width$}  # {}\n", e.origin));
    }
    Ok(text)
}

pub fn profiles_list(args: &PlacesArgs) -> Result<String, Error> {
    let places = places(args);
    let rows = places.catalog.list();
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4);
    let mut text = String::new();
    for row in rows {
        let source = places.catalog.find(&row.name, &[]);
        let description = match source.and_then(|s| parse_layer(&s.text, &s.origin)) {
            Ok(layer) => layer.description.map(|d| d.value).unwrap_or_default(),
            Err(_) => "(invalid: run `dask-pbs check` on it)".to_string(),
        };
        let origin = match &row.origin {
            Origin::Builtin(_) => "built-in".to_string(),
            other => format!("user {other}"),
        };
        let shadows = if row.shadows.is_empty() {
            String::new()
        } else {
            format!(
                " [shadows {}]",
                row.shadows
                    .iter()
                    .map(Origin::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        text.push_str(&format!(
            "{:width$}  {origin}{shadows}  {description}\n",
            row.name
        ));
    }
    Ok(text)
}

pub fn profiles_show(args: &ShowArgs) -> Result<String, Error> {
    let places = places(&args.places);
    if !args.resolved {
        let source = if is_path(&args.profile_name) {
            places.catalog.file(&args.profile_name)?
        } else {
            places.catalog.find(&args.profile_name, &[])?
        };
        return Ok(source.text);
    }
    let loaded = resolve(
        &places,
        &args.profile_name,
        &args.overrides.to_overrides(),
        Needs::NONE,
    )?;
    serde_saphyr::to_string(&loaded.merged)
        .map_err(|e| Error::failure(format!("cannot print the profile: {e}")))
}

pub fn templates_list(args: &PlacesArgs) -> String {
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

pub fn templates_show(name: &str) -> Result<String, Error> {
    builtin::template(name).map(str::to_string).ok_or_else(|| {
        let names: Vec<&str> = builtin::TEMPLATES.iter().map(|(n, _)| *n).collect();
        Error::input(format!(
            "no built-in template `{name}`; templates: {}",
            names.join(", ")
        ))
    })
}

pub fn templates_context(args: &ProfileArgs) -> Result<String, Error> {
    let (_, loaded) = load(args)?;
    let ctx = context(args, &loaded);
    serde_saphyr::to_string(&ctx)
        .map_err(|e| Error::failure(format!("cannot print the context: {e}")))
}

/// The JSON Schema of a profile file, from the same types the parser uses.
pub fn schema() -> Result<String, Error> {
    let mut schema = schemars::schema_for!(crate::profile::layer::Layer);
    schema.insert("title".into(), "dask-pbs profile".into());
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Error::failure(format!("cannot print the schema: {e}")))?;
    Ok(text + "\n")
}
