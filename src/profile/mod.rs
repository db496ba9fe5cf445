//! Site profiles: files → layers → merged → validated `Profile`.
//!
//! Precedence, lowest to highest: dask-pbs defaults < the profile chain (`extends`, parent
//! first) < the user defaults file < environment variables < `--set` < named flags.

pub mod catalog;
pub mod charging;
pub mod layer;
pub mod limits;
pub mod model;
pub mod origin;
pub mod overrides;
pub mod parse;
pub mod patch;
pub mod path_resources;
pub mod schema;
pub mod types;
pub mod validate;

use camino::{Utf8Path, Utf8PathBuf};

use crate::builtin;
use crate::error::{Code, Error};
use catalog::{Catalog, Source, is_path};
use layer::{Entry, Layer};
use model::Profile;
use origin::Origin;
use overrides::OverrideArgs;
pub use validate::{Demands, Needs};

/// Everything a profile is resolved from besides its name.
pub struct Inputs<'a> {
    pub catalog: &'a Catalog,
    /// The user defaults file, when one exists.
    pub user_defaults: Option<Utf8PathBuf>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub overrides: &'a OverrideArgs,
    /// What the artifacts being made need (the account, a Python environment).
    pub needs: Needs,
    /// The user defaults file dask-pbs reads, whether or not it exists (named in messages).
    pub defaults_file: Option<Utf8PathBuf>,
}

/// A resolved profile with the merged layer it came from (for `explain` and `show`).
pub struct Loaded {
    pub profile: Profile,
    pub merged: Layer,
    /// The profile chain, child first.
    pub chain: Vec<Origin>,
    /// Warnings about legitimate but unusual values (the command still runs).
    pub notes: Vec<String>,
}

impl Loaded {
    pub fn explain(&self) -> Vec<Entry> {
        self.merged.explain()
    }
}

/// Longest `extends` chain; deeper is surely a mistake.
const MAX_CHAIN: usize = 32;

/// The profile named (or at the path) `spec` and its `extends` chain, child first.
pub fn load_chain(spec: &str, catalog: &Catalog) -> Result<Vec<(Source, Layer)>, Error> {
    let first = if is_path(spec) {
        catalog.file(spec)?
    } else {
        catalog.find(spec, &[])?
    };
    let mut chain: Vec<(Source, Layer)> = Vec::new();
    let mut next = Some(first);
    while let Some(source) = next.take() {
        if source.text.trim().is_empty() {
            return Err(Error::new(
                Code::EmptyProfile,
                format!(
                    "{}: the profile is empty; a profile needs at least `description:` (see `dask-pbs profiles show sophia`)",
                    source.origin
                ),
            ));
        }
        let layer = parse::parse_layer(&source.text, &source.origin)?;
        let parent = layer
            .extends
            .as_ref()
            .and_then(|e| e.value.clone().map(|name| (name, e.whence())));
        chain.push((source, layer));
        if let Some((parent, whence)) = parent {
            if chain.len() >= MAX_CHAIN {
                return Err(Error::new(
                    Code::ExtendsTooLong,
                    format!("{whence}: extends chain longer than {MAX_CHAIN} profiles"),
                ));
            }
            let seen: Vec<Origin> = chain.iter().map(|(s, _)| s.origin.clone()).collect();
            if !is_path(&parent) && catalog.only_in(&parent, &seen) {
                let names: Vec<String> = chain.iter().map(|(s, _)| s.name.clone()).collect();
                return Err(Error::new(
                    Code::ExtendsCycle,
                    format!(
                        "{whence}: extends cycle: {} -> {parent}; remove one `extends`",
                        names.join(" -> ")
                    ),
                ));
            }
            let found = if is_path(&parent) {
                // A relative path is relative to the file that names it.
                let base = match &chain.last().map(|(s, _)| &s.origin) {
                    Some(Origin::File(path)) => path.parent().map(|d| d.join(&parent)),
                    _ => None,
                };
                catalog.file(base.as_ref().map(|p| p.as_str()).unwrap_or(&parent))
            } else {
                catalog.find(&parent, &seen)
            };
            let found = found.map_err(|e| {
                let beside = sibling_hint(&e, &parent, chain.last().map(|(s, _)| &s.origin));
                Error::new(
                    e.code,
                    format!("{whence}: extends {parent}: {}{beside}", e.message),
                )
            })?;
            if seen.contains(&found.origin) {
                let names: Vec<String> = chain.iter().map(|(s, _)| s.name.clone()).collect();
                return Err(Error::new(
                    Code::ExtendsPathCycle,
                    format!(
                        "{whence}: extends cycle: {} -> {}",
                        names.join(" -> "),
                        found.name
                    ),
                ));
            }
            next = Some(found);
        }
    }
    Ok(chain)
}

/// When `extends: NAME` finds no profile but a file NAME.yaml sits beside the profile that
/// names it (a site's profiles kept together), the way to reach it: a name is looked up in the
/// profile directories, never beside the file.
fn sibling_hint(error: &Error, parent: &str, child: Option<&Origin>) -> String {
    let Some(Origin::File(path)) = child else {
        return String::new();
    };
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    let beside = ["yaml", "yml"]
        .iter()
        .map(|ext| format!("{parent}.{ext}"))
        .find(|file| dir.join(file).is_file());
    match beside {
        Some(file) if error.code == Code::UnknownProfile => format!(
            ". {file} sits beside this profile: write `extends: ./{file}`, or pass --profile-dir {dir}"
        ),
        _ => String::new(),
    }
}

/// The bottom layer: dask-pbs's own defaults.
pub fn defaults_layer() -> Result<Layer, Error> {
    parse::parse_layer(builtin::DEFAULTS, &Origin::Defaults)
}

/// Resolves `spec` with everything above it.
pub fn load(spec: &str, inputs: &Inputs) -> Result<Loaded, Error> {
    let chain = load_chain(spec, inputs.catalog)?;
    let name = chain[0].0.name.clone();
    let origin = chain[0].0.origin.to_string();
    let origins: Vec<Origin> = chain.iter().map(|(s, _)| s.origin.clone()).collect();

    // Highest layer first; each next one goes under what we have.
    let mut layers: Vec<Layer> = inputs.overrides.layers()?;
    layers.reverse();
    // The environment's layer goes here, once the layers below say which variables to read.
    let env_at = layers.len();
    if let Some(path) = &inputs.user_defaults {
        let text = catalog::read_file(path)?;
        let layer = parse::parse_layer(&text, &Origin::File(path.clone()))?;
        if layer.extends.is_some() || layer.description.is_some() {
            return Err(Error::new(
                Code::DefaultsNotAProfile,
                format!(
                    "{path}: a defaults file sets values under every profile; `extends` and `description` belong in a profile"
                ),
            ));
        }
        layers.push(layer);
    }
    layers.extend(chain.into_iter().map(|(_, layer)| layer));
    layers.push(defaults_layer()?);
    let site_vars = layers
        .iter()
        .find_map(|l| l.system.as_ref()?.account_vars.as_ref())
        .map(|vars| vars.value.clone())
        .unwrap_or_default();
    if let Some(env) = overrides::env_layer(inputs.env, &site_vars) {
        layers.insert(env_at, env);
    }

    let mut merged = Layer::default();
    for mut layer in layers {
        if let Some(env) = &mut layer.env {
            env.choose_one_environment();
        }
        merged.merge_over(layer);
    }
    // A `--set` of one field of a queue or node type changes the entry the layers resolved
    // to (no named flag sets one, so after the merge is where `--set` stands).
    for patch in inputs.overrides.patches() {
        patch.apply(&mut merged)?;
    }
    // `extends` only links files; the resolved profile does not carry it.
    merged.extends = None;
    let demands = Demands {
        needs: inputs.needs,
        defaults_file: inputs.defaults_file.clone(),
        // The site's path rules match the directory the job is made (and submitted) in.
        workdir: std::env::current_dir()
            .ok()
            .and_then(|d| Utf8PathBuf::from_path_buf(d).ok()),
    };
    let resolved = validate::resolve(&merged, &name, &origin, &demands)?;
    Ok(Loaded {
        profile: resolved.profile,
        merged,
        chain: origins,
        notes: resolved.notes,
    })
}
