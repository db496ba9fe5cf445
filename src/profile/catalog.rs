//! Where profiles are found: `--profile-dir` directories, `$DASK_PBS_PROFILE_PATH`, the
//! user's config directory, then the built-ins. The first match of a name wins.

use camino::{Utf8Path, Utf8PathBuf};

use super::origin::Origin;
use crate::builtin;
use crate::error::{Code, Error, Suggestion};

/// One profile's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub origin: Origin,
    pub text: String,
}

/// The directories searched for profiles by name, in order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub dirs: Vec<Utf8PathBuf>,
}

/// A listing row for `profiles list`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub origin: Origin,
    /// Later sources with the same name, hidden by this one.
    pub shadows: Vec<Origin>,
}

const EXTENSIONS: &[&str] = &["yaml", "yml"];

/// A `--profile` argument that names a file rather than a profile.
pub fn is_path(spec: &str) -> bool {
    spec.contains('/') || EXTENSIONS.iter().any(|e| spec.ends_with(&format!(".{e}")))
}

pub fn read_file(path: &Utf8Path) -> Result<String, Error> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            Code::ProfileFileMissing,
            format!("profile file {path} does not exist"),
        ),
        _ => Error::io(Code::ReadProfile, "read", path, e),
    })?;
    // Refuse giant files before reading them into memory.
    if meta.len() > super::parse::MAX_PROFILE_BYTES as u64 {
        return Err(super::parse::too_large(path.as_str(), meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(Code::ReadProfile, "read", path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            Code::ProfileNotUtf8,
            format!(
                "{path}: the profile is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

impl Catalog {
    /// Every source of `name`, in precedence order (first wins).
    fn candidates(&self, name: &str) -> Vec<(Origin, Option<Utf8PathBuf>)> {
        let mut out = Vec::new();
        for dir in &self.dirs {
            for ext in EXTENSIONS {
                let path = dir.join(format!("{name}.{ext}"));
                if path.is_file() {
                    out.push((Origin::File(path.clone()), Some(path)));
                }
            }
        }
        if builtin::profile(name).is_some() {
            out.push((Origin::Builtin(name.to_string()), None));
        }
        out
    }

    /// Whether `name` exists but every source of it is in `skip` (an `extends` cycle).
    pub fn only_in(&self, name: &str, skip: &[Origin]) -> bool {
        let all = self.candidates(name);
        !all.is_empty() && all.iter().all(|(origin, _)| skip.contains(origin))
    }

    /// The first source of `name` not in `skip` (the profiles already in an `extends`
    /// chain, so a user's `sophia` can extend the built-in `sophia`).
    pub fn find(&self, name: &str, skip: &[Origin]) -> Result<Source, Error> {
        if !is_name(name) {
            return Err(Error::new(
                Code::NotAProfileName,
                format!(
                    "`{}` is not a profile name (letters, digits, _ . -) or a path to a .yaml file",
                    name.escape_debug()
                ),
            ));
        }
        let all = self.candidates(name);
        let found = all.iter().find(|(origin, _)| !skip.contains(origin));
        match found {
            Some((origin, Some(path))) => Ok(Source {
                name: name.to_string(),
                origin: origin.clone(),
                text: read_file(path)?,
            }),
            Some((origin, None)) => Ok(Source {
                name: name.to_string(),
                origin: origin.clone(),
                text: builtin::profile(name).unwrap_or_default().to_string(),
            }),
            None if !all.is_empty() => Err(Error::new(
                // Unreachable: the chain refuses a cycle (`only_in`) before it asks.
                Code::Internal,
                format!(
                    "profile {name} extends itself: every profile named {name} ({}) is already in the chain",
                    all.iter()
                        .map(|(o, _)| o.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            None => {
                let names: Vec<String> = self.list().into_iter().map(|l| l.name).collect();
                let hint = Suggestion::for_name(name, names.iter().map(String::as_str))
                    .map(|s| format!("{s} "))
                    .unwrap_or_default();
                Err(Error::new(
                    Code::UnknownProfile,
                    format!(
                        "no profile named `{name}`; {hint}known profiles: {} (see `dask-pbs profiles list`)",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// A profile given as a path on the command line. Its name is the file's stem, which the
    /// job writes into its script: it must be a name, as every profile name must.
    pub fn file(&self, path: &str) -> Result<Source, Error> {
        let path = Utf8PathBuf::from(path);
        let name = path.file_stem().unwrap_or(path.as_str()).to_string();
        if !is_name(&name) {
            return Err(Error::new(
                Code::ProfileFileName,
                format!(
                    "{}: the profile's name `{}` (its file name without the extension) is not a name: \
                 use letters, digits, `_`, `.` and `-` (not starting with `.`), as for every profile \
                 name; rename the file",
                    path.as_str().escape_debug(),
                    name.escape_debug()
                ),
            ));
        }
        Ok(Source {
            name,
            origin: Origin::File(path.clone()),
            text: read_file(&path)?,
        })
    }

    /// Every profile name, first match first, with what it shadows.
    pub fn list(&self) -> Vec<Listed> {
        let mut names: Vec<String> = Vec::new();
        for dir in &self.dirs {
            let walker = walkdir::WalkDir::new(dir)
                .min_depth(1)
                .max_depth(1)
                .sort_by_file_name();
            for entry in walker.into_iter().filter_map(Result::ok) {
                let path = entry.path();
                let is_profile = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e));
                if let (true, Some(stem)) = (
                    is_profile && entry.file_type().is_file(),
                    path.file_stem().and_then(|s| s.to_str()),
                ) && is_name(stem)
                    && !names.iter().any(|n| n == stem)
                {
                    names.push(stem.to_string());
                }
            }
        }
        for (name, _) in builtin::PROFILES {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let mut origins = self.candidates(&name).into_iter().map(|(o, _)| o);
                let first = origins.next()?;
                Some(Listed {
                    name,
                    origin: first,
                    shadows: origins.collect(),
                })
            })
            .collect()
    }
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !name.starts_with('.')
}
