//! `job:` — the PBS request, each value checked on its own.

use crate::error::{Code, Error};
use indexmap::IndexMap;

use super::words::{MAX_WORD, is_directive_word, is_identifier};
use super::{Problems, set, take};
use crate::profile::layer::{JobLayer, remaining};
use crate::profile::model::Job;

pub(super) fn resolve(layer: &JobLayer, p: &mut Problems) -> Option<Job> {
    let JobLayer {
        queue,
        node_type,
        select,
        request,
        walltime,
        account,
        filesystems,
        name,
        place,
        resources,
        directives,
        max_charge,
    } = layer;
    let k = JobLayer::KEYS;
    let queue = take(queue, k.queue, p);
    let node_type = take(node_type, k.node_type, p);
    let select = take(select, k.select, p);
    let request = take(request, k.request, p);
    let walltime = take(walltime, k.walltime, p);
    let name = take(name, k.name, p);
    report(
        p,
        k.name,
        Code::NotAJobName,
        name.as_deref().and_then(name_problem),
    );
    let account = take(account, k.account, p);
    if let Some(found) = set(&account).and_then(account_problem) {
        p.add(k.account, found);
    }
    let filesystems = take(filesystems, k.filesystems, p);
    for fs in filesystems.iter().flatten() {
        report(
            p,
            k.filesystems,
            Code::NotAFilesystemName,
            filesystem_problem(fs),
        );
    }
    let place = take(place, k.place, p);
    report(
        p,
        k.place,
        Code::NotAPlacement,
        set(&place).and_then(place_problem),
    );
    let resources: Option<IndexMap<String, String>> = take(resources, k.resources, p).map(|r| {
        remaining(r)
            .into_iter()
            .map(|(key, value)| (key, value.0))
            .collect()
    });
    for (key, value) in resources.iter().flatten() {
        for found in resource_problems(key, value) {
            p.add(k.resources, found);
        }
    }
    let directives = take(directives, k.directives, p);
    for d in directives.iter().flatten() {
        report(p, k.directives, Code::NotAQsubOption, directive_problem(d));
    }
    let max_charge = take(max_charge, k.max_charge, p);
    Some(Job {
        queue: queue?,
        node_type: node_type?,
        select: select?,
        request: request?,
        walltime: walltime?,
        account: account?,
        filesystems: filesystems?,
        name: name?,
        place: place?,
        resources: resources?,
        directives: directives?,
        max_charge: max_charge?,
    })
}

fn report(p: &mut Problems, key: &str, code: Code, message: Option<String>) {
    if let Some(message) = message {
        p.at(code, key, message);
    }
}

fn name_problem(name: &str) -> Option<String> {
    (name.is_empty() || name.chars().count() > 230 || !is_directive_word(name, "")).then(|| {
        format!(
            "`{}` is not a PBS job name: use 1-230 characters of A-Z a-z 0-9 _ . + -",
            name.escape_debug()
        )
    })
}

fn account_problem(account: &str) -> Option<Error> {
    if is_placeholder_account(account) {
        return Some(Error::new(
            Code::PlaceholderAccount,
            format!(
                "`{}` is a placeholder, not a project: give the project your site charges (`-A PROJECT`, as in your site's `sbank`/`qstat -u` or allocation e-mail)",
                account.escape_debug()
            ),
        ));
    }
    (!is_directive_word(account, "")).then(|| {
        Error::new(
            Code::NotAProjectName,
            format!(
                "`{}` is not a project name: use letters, digits and _.+-",
                account.escape_debug()
            ),
        )
    })
}

/// Accounts written to be replaced, as copied from a guide: `YOUR_PROJECT`, `CHANGEME`,
/// `PROJECT`, `ACCOUNT`, `xxx`.
fn is_placeholder_account(account: &str) -> bool {
    let upper = account.to_ascii_uppercase();
    upper.contains("YOUR")
        || upper.contains("CHANGEME")
        || ["PROJECT", "ACCOUNT", "ALLOCATION", "XXX"].contains(&upper.as_str())
}

fn filesystem_problem(fs: &str) -> Option<String> {
    let bad = fs.is_empty()
        || fs.len() > MAX_WORD
        || !fs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    bad.then(|| {
        format!(
            "`{}` is not a file system name (letters, digits, _)",
            fs.escape_debug()
        )
    })
}

/// The words `-l place=` takes (qsub(1B)).
const ARRANGEMENTS: &[&str] = &[
    "free", "pack", "scatter", "vscatter", "excl", "shared", "exclhost",
];

fn place_problem(place: &str) -> Option<String> {
    (place.is_empty() || !place.split(':').all(|w| ARRANGEMENTS.contains(&w))).then(|| {
        format!(
            "`{}` is not a PBS placement; use words of {} joined by `:`",
            place.escape_debug(),
            ARRANGEMENTS.join(", ")
        )
    })
}

pub(super) fn resource_problems(key: &str, value: &str) -> Vec<Error> {
    let mut found = Vec::new();
    if !is_identifier(key) || !is_directive_word(value, "/") {
        found.push(Error::new(
            Code::NotAChunkResource,
            format!(
                "`{}={}` is not a PBS chunk resource; names are identifiers and values letters, digits and _.+-/ (NCI storage=gdata/a00+scratch/a00)",
                key.escape_debug(),
                value.escape_debug()
            ),
        ));
    }
    // PBS reads a size without its unit as bytes (`mem=250` is 250 bytes).
    if ["mem", "vmem", "pmem", "jobfs"].contains(&key)
        && !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
    {
        found.push(Error::new(
            Code::ResourceWithoutUnit,
            format!(
                "`{key}={value}` has no unit, so PBS reads it as {value} bytes; write the unit, e.g. `{key}={value}gb`"
            ),
        ));
    }
    if key == "select" || key == "walltime" {
        found.push(Error::new(
            Code::ResourceSetByDaskPbs,
            format!("`{key}` is set by dask-pbs; use job.select or job.walltime"),
        ));
    }
    found
}

fn directive_problem(directive: &str) -> Option<String> {
    let ok = directive.starts_with('-')
        && directive
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.,:=+@/-".contains(c));
    (!ok).then(|| {
        format!(
            "`{}` is not a qsub option: it must start with `-` and hold only letters, digits, spaces and _.,:=+@/-",
            directive.escape_debug()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_follow_qsub_n() {
        assert!(name_problem("dask-worker_1.x").is_none());
        assert!(name_problem(&"a".repeat(230)).is_none());
        assert!(name_problem(&"a".repeat(231)).is_some());
        assert!(name_problem("my job").is_some());
        assert!(name_problem("").is_some());
    }

    #[test]
    fn accounts_and_file_systems_are_plain_words() {
        assert!(account_problem("MyProj_2").is_none());
        assert!(account_problem("a;b").is_some());
        for placeholder in [
            "YOUR_PROJECT",
            "your-project",
            "PROJECT",
            "account",
            "CHANGEME",
            "xxx",
        ] {
            let found = account_problem(placeholder).expect(placeholder);
            assert_eq!(found.code, Code::PlaceholderAccount, "{found}");
        }
        assert!(filesystem_problem("eagle").is_none());
        assert!(filesystem_problem("home:eagle").is_some());
        assert!(filesystem_problem("").is_some());
    }

    #[test]
    fn placements_are_words_of_qsub_place() {
        assert!(place_problem("scatter:excl").is_none());
        assert!(place_problem("scatter:everywhere").is_some());
        assert!(place_problem("").is_some());
    }

    #[test]
    fn resources_are_identifiers_with_words_and_never_select_or_walltime() {
        assert!(resource_problems("ngpus", "4").is_empty());
        assert_eq!(resource_problems("n gpus", "4").len(), 1);
        assert_eq!(resource_problems("mem", "4 GB").len(), 1);
        assert_eq!(resource_problems("select", "2").len(), 1);
        assert_eq!(resource_problems("walltime", "3600").len(), 1);
    }

    #[test]
    fn directives_are_qsub_options() {
        assert!(directive_problem("-l job_priority=regular").is_none());
        assert!(directive_problem("l job_priority=regular").is_some());
        assert!(directive_problem("-l x=$(id)").is_some());
    }
}
