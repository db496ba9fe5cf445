//! The user's own places, from flags and the environment: profile and template directories
//! and the defaults file. Read once at the edge, passed down as plain values.

use camino::Utf8PathBuf;

use crate::profile::catalog::Catalog;
use crate::render::TemplateDirs;

pub(crate) struct Places {
    pub catalog: Catalog,
    pub templates: TemplateDirs,
    pub user_defaults: Option<Utf8PathBuf>,
}

/// `$XDG_CONFIG_HOME/dask-pbs`, default `~/.config/dask-pbs`.
pub(crate) fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<Utf8PathBuf> {
    if let Some(xdg) = env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(Utf8PathBuf::from(xdg).join("dask-pbs"));
    }
    env("HOME")
        .filter(|v| !v.is_empty())
        .map(|home| Utf8PathBuf::from(home).join(".config").join("dask-pbs"))
}

fn path_list(value: Option<String>) -> Vec<Utf8PathBuf> {
    value
        .map(|v| {
            v.split(':')
                .filter(|p| !p.is_empty())
                .map(Utf8PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

impl Places {
    /// Flags first, then the `DASK_PBS_*_PATH` variables, then the config directory.
    pub(crate) fn new(
        profile_dirs: &[Utf8PathBuf],
        template_dirs: &[Utf8PathBuf],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Places {
        let config = config_dir(env);
        let mut profiles: Vec<Utf8PathBuf> = profile_dirs.to_vec();
        profiles.extend(path_list(env("DASK_PBS_PROFILE_PATH")));
        let mut templates: Vec<Utf8PathBuf> = template_dirs.to_vec();
        templates.extend(path_list(env("DASK_PBS_TEMPLATE_PATH")));
        if let Some(config) = &config {
            profiles.push(config.join("profiles"));
            templates.push(config.join("templates"));
        }
        let user_defaults = config
            .map(|c| c.join("defaults.yaml"))
            .filter(|p| p.is_file());
        Places {
            catalog: Catalog { dirs: profiles },
            templates: TemplateDirs { dirs: templates },
            user_defaults,
        }
    }
}
