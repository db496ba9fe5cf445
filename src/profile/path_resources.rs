//! Site rules that turn the paths a job uses into resource words: on NCI Gadi a job sees
//! `/g/data/a00` and `/scratch/a00` only when it asks for `-l storage=gdata/a00+scratch/a00`.
//! The rule is data (`system.path_resources`), so any site with such a resource states it.

use serde::{Deserialize, Serialize};

/// One rule: a path under `prefix` asks for `word` in the job-wide resource `resource`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathResource {
    /// An absolute directory prefix ending in `/`, e.g. "/g/data/".
    #[schemars(example = &"/g/data/")]
    pub prefix: String,
    /// The job-wide resource the word joins (words joined with `+`), e.g. "storage".
    #[schemars(example = &"storage")]
    pub resource: String,
    /// The word; `{dir}` stands for the path's first directory after the prefix, e.g.
    /// "gdata/{dir}" (`/g/data/a00/envs/x` gives `gdata/a00`).
    #[schemars(example = &"gdata/{dir}")]
    pub word: String,
}

impl PathResource {
    /// The word `path` asks for under this rule, if it lies below the prefix.
    pub fn word_for(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(&self.prefix)?;
        let dir = rest.split('/').next().filter(|d| !d.is_empty())?;
        Some(self.word.replace("{dir}", dir))
    }
}

/// The words of a `+`-joined resource value (`gdata/a00+scratch/a00`).
pub fn words(value: &str) -> Vec<String> {
    value
        .split('+')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_below_the_prefix_gives_its_project_word() {
        let rule = PathResource {
            prefix: "/g/data/".into(),
            resource: "storage".into(),
            word: "gdata/{dir}".into(),
        };
        assert_eq!(
            rule.word_for("/g/data/a00/envs/rapids").as_deref(),
            Some("gdata/a00")
        );
        assert_eq!(rule.word_for("/g/data/xy12").as_deref(), Some("gdata/xy12"));
        assert_eq!(rule.word_for("/g/data/"), None);
        assert_eq!(rule.word_for("/scratch/a00"), None);
        assert_eq!(words("gdata/a00+scratch/a00"), ["gdata/a00", "scratch/a00"]);
    }
}
