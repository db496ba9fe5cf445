//! The site's path rules (`system.path_resources`) applied to the paths the job uses: NCI
//! Gadi's `-l storage=` gets `gdata/a00` for a conda environment under `/g/data/a00`, merged
//! with the words the profile lists itself.

use super::Problems;
use crate::profile::model::Profile;
use crate::profile::path_resources::words;

pub(super) fn apply(profile: &mut Profile, p: &mut Problems, workdir: Option<&str>) {
    for (resource, added) in words_to_add(profile, workdir) {
        let mut all = profile
            .job
            .resources
            .get(&resource)
            .map(|v| words(v))
            .unwrap_or_default();
        let why: Vec<String> = added
            .iter()
            .map(|(w, key, path)| format!("{w} for {key} {path}"))
            .collect();
        all.extend(added.into_iter().map(|(word, _, _)| word));
        profile
            .job
            .resources
            .insert(resource.clone(), all.join("+"));
        p.note(format!(
            "job.resources.{resource}: added {} (system.path_resources)",
            why.join(", ")
        ));
    }
}

/// The paths the job uses, with the key that names each; only absolute ones without
/// variables (a `$SCRATCH` is expanded on the node, where dask-pbs cannot see it).
fn job_paths<'a>(profile: &'a Profile, workdir: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let candidates = [
        ("env.conda", profile.env.conda.as_deref()),
        ("env.venv", profile.env.venv.as_deref()),
        (
            "dask.local_directory",
            profile.dask.local_directory.as_deref(),
        ),
        ("env.tmpdir", profile.env.tmpdir.as_deref()),
        ("the working directory", workdir),
    ];
    candidates
        .into_iter()
        .filter_map(|(key, path)| Some((key, path?)))
        .filter(|(_, path)| path.starts_with('/') && !path.contains('$'))
        .collect()
}

/// For each resource, the words the paths ask for that the profile does not list yet, with
/// the key and path that ask for each.
type Added = Vec<(String, &'static str, String)>;

fn words_to_add(profile: &Profile, workdir: Option<&str>) -> Vec<(String, Added)> {
    let mut out: Vec<(String, Added)> = Vec::new();
    for rule in &profile.system.path_resources {
        let listed = profile
            .job
            .resources
            .get(&rule.resource)
            .map(|v| words(v))
            .unwrap_or_default();
        for (key, path) in job_paths(profile, workdir) {
            let Some(word) = rule.word_for(path) else {
                continue;
            };
            let at = match out.iter().position(|(r, _)| *r == rule.resource) {
                Some(at) => at,
                None => {
                    out.push((rule.resource.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            let added = &mut out[at].1;
            if !listed.contains(&word) && !added.iter().any(|(w, _, _)| *w == word) {
                added.push((word, key, path.to_string()));
            }
        }
    }
    out.retain(|(_, added)| !added.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::builtin_profile;

    #[test]
    fn gadi_asks_for_the_projects_its_paths_live_in() {
        let mut gadi = builtin_profile("gadi");
        gadi.env.conda = Some("/g/data/a00/envs/rapids".into());
        gadi.dask.local_directory = Some("$PBS_JOBFS".into());
        gadi.job
            .resources
            .insert("storage".into(), "gdata/a00".into());
        let added = words_to_add(&gadi, Some("/scratch/xy12/run"));
        assert_eq!(added.len(), 1);
        let (resource, words) = &added[0];
        assert_eq!(resource, "storage");
        let words: Vec<&str> = words.iter().map(|(w, _, _)| w.as_str()).collect();
        assert_eq!(words, ["scratch/xy12"], "gdata/a00 is listed already");
        assert!(words_to_add(&gadi, Some("/home/u/run")).is_empty());
    }
}
