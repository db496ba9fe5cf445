//! qsub, qstat and qdel, from `DASK_PBS_QSUB`, `DASK_PBS_QSTAT`, `DASK_PBS_QDEL` or PATH, and
//! the two formats of `qstat -f`: JSON (`-F json`, OpenPBS 19+) and the plain text one.

use std::collections::BTreeMap;
use std::process::Command;

use camino::Utf8Path;

use crate::error::{Code, Error};

use super::process_env;

/// The command for `tool` (qsub, qstat, qdel): its DASK_PBS_ variable, else the name on PATH.
pub(super) fn tool(name: &str) -> String {
    process_env(&format!("DASK_PBS_{}", name.to_uppercase()))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| name.to_string())
}

fn run(name: &str, args: &[&str], cwd: Option<&Utf8Path>) -> Result<std::process::Output, Error> {
    let program = tool(name);
    let mut cmd = Command::new(&program);
    cmd.args(args);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.output().map_err(|e| {
        Error::new(
            Code::CannotRunPbs,
            format!(
                "cannot run {program}: {e} (set DASK_PBS_{} to its path)",
                name.to_uppercase()
            ),
        )
    })
}

/// Submits `script` from `cwd`; the job id qsub printed.
pub(super) fn qsub(script: &Utf8Path, cwd: &Utf8Path) -> Result<String, Error> {
    let out = run("qsub", &[script.as_str()], Some(cwd))?;
    if !out.status.success() {
        let code = out
            .status
            .code()
            .map_or_else(|| "by signal".to_string(), |c| c.to_string());
        return Err(Error::new(
            Code::QsubRefused,
            format!(
                "{} refused {script} (exit {code}): {}",
                tool("qsub"),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if id.is_empty() || id.contains(char::is_whitespace) {
        return Err(Error::new(
            Code::NoJobId,
            format!("{} printed no job id for {script}", tool("qsub")),
        ));
    }
    Ok(id)
}

/// Deletes the jobs; those PBS no longer knows or reports finished are not an error (they
/// have ended). qdel goes on past such an id and exits with the last error's status.
pub(super) fn qdel(ids: &[String]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let args: Vec<&str> = ids.iter().map(String::as_str).collect();
    let out = run("qdel", &args, None)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let real = failures(&stderr);
    if !out.status.success() && !real.is_empty() {
        return Err(Error::new(
            Code::QdelFailed,
            format!("{} failed: {}", tool("qdel"), real.join("; ")),
        ));
    }
    Ok(())
}

/// Each job's `job_state` letter (Q, R, E, F, H, ...) as PBS reports it (F also for a job
/// qstat says has finished); a job PBS does not know (any more) is absent. A qstat that fails otherwise (the server cannot
/// be reached) is an error: its silence does not mean the jobs have ended.
pub(super) fn states(ids: &[String]) -> Result<BTreeMap<String, String>, Error> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let json = ask(true, ids)?;
    let (mut found, rest) = match json.found {
        // A server without -F json, or JSON it could not write (openpbs/openpbs#2541).
        None => (BTreeMap::new(), ids.to_vec()),
        Some(found) => {
            let rest = unaccounted(ids, &found, &json.stderr, json.ok).map_err(qstat_failed)?;
            (found, rest)
        }
    };
    if rest.is_empty() {
        return Ok(found);
    }
    // OpenPBS prints only the first job of several ids in JSON (openpbs/openpbs#2672); the
    // plain format has them all.
    let plain = ask(false, &rest)?;
    let states = plain.found.unwrap_or_default();
    let left = unaccounted(&rest, &states, &plain.stderr, plain.ok).map_err(qstat_failed)?;
    if !left.is_empty() {
        return Err(qstat_failed(format!(
            "it printed neither a state nor an error for {} (is it the job id qsub printed?)",
            left.join(" ")
        )));
    }
    found.extend(states);
    Ok(found)
}

/// One `qstat -f [-F json] IDS`.
struct Answer {
    /// The states it printed; `None` when JSON was asked for and stdout is not JSON.
    found: Option<BTreeMap<String, String>>,
    stderr: String,
    /// Whether it exited 0.
    ok: bool,
}

fn ask(json: bool, ids: &[String]) -> Result<Answer, Error> {
    let mut args: Vec<&str> = if json {
        vec!["-f", "-F", "json"]
    } else {
        vec!["-f"]
    };
    args.extend(ids.iter().map(String::as_str));
    let out = run("qstat", &args, None)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut found = if json {
        parse_json(&stdout)
    } else {
        Some(parse_plain(&stdout))
    };
    if let Some(found) = &mut found {
        for id in finished(ids, &stderr) {
            found.insert(id.clone(), "F".to_string());
        }
    }
    Ok(Answer {
        found,
        stderr,
        ok: out.status.success(),
    })
}

/// The ids a server with job history says have finished (`qstat: ID Job has finished, use -x
/// or -H ...`): state F, as `qstat -x` would print it.
fn finished<'a>(ids: &'a [String], stderr: &str) -> Vec<&'a String> {
    ids.iter()
        .filter(|id| {
            stderr
                .lines()
                .any(|l| l.contains("Job has finished") && names(l, id))
        })
        .collect()
}

/// Whether a stderr line names job `id` (a word of its own: 99.vm is not 999.vm).
fn names(line: &str, id: &str) -> bool {
    line.split([' ', ',']).any(|t| t == id)
}

fn qstat_failed(why: String) -> Error {
    Error::new(
        Code::QstatFailed,
        format!(
            "{} could not tell the state of the cluster's jobs: {why} (run the command again once qstat answers)",
            tool("qstat")
        ),
    )
}

/// Whether a line of qstat's or qdel's stderr says a job has ended, as OpenPBS prints it:
/// `Unknown Job Id ID` (never known, or gone from a server without job history) or
/// `ID Job has finished, use -x ...` / `Job has finished ID` (a server with job history).
fn says_ended(line: &str) -> bool {
    line.contains("Unknown Job Id") || line.contains("Job has finished")
}

/// The stderr lines that report a failure rather than an ended job, each once (qstat repeats
/// `cannot connect to server` for each id).
fn failures(stderr: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = Vec::new();
    for line in stderr.lines().map(str::trim) {
        if !line.is_empty() && !says_ended(line) && !lines.contains(&line) {
            lines.push(line);
        }
    }
    lines
}

/// The ids of `ids` that one qstat answer neither printed (`found`) nor named on stderr as
/// ended; a failed qstat's other stderr lines are the error (`Err`, their text).
fn unaccounted(
    ids: &[String],
    found: &BTreeMap<String, String>,
    stderr: &str,
    ok: bool,
) -> Result<Vec<String>, String> {
    let failed = failures(stderr);
    if !ok && !failed.is_empty() {
        return Err(failed.join("; "));
    }
    let ended = |id: &str| stderr.lines().any(|l| says_ended(l) && names(l, id));
    Ok(ids
        .iter()
        .filter(|id| !found.contains_key(*id) && !ended(id))
        .cloned()
        .collect())
}

/// `qstat -f -F json`: `{"Jobs": {"ID": {"job_state": "R", ...}}}`.
pub(super) fn parse_json(text: &str) -> Option<BTreeMap<String, String>> {
    let value: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let mut found = BTreeMap::new();
    if let Some(jobs) = value.get("Jobs").and_then(|j| j.as_object()) {
        for (id, job) in jobs {
            if let Some(state) = job.get("job_state").and_then(|s| s.as_str()) {
                found.insert(id.clone(), state.to_string());
            }
        }
    }
    Some(found)
}

/// `qstat -f`: `Job Id: ID` then `key = value` lines indented with four spaces; long values
/// continue on lines that start with a tab, which are never an attribute of their own.
pub(super) fn parse_plain(text: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("Job Id:") {
            current = Some(id.trim().to_string());
        } else if let (Some(id), false, Some((key, value))) =
            (&current, line.starts_with('\t'), line.split_once('='))
            && key.trim() == "job_state"
        {
            found.insert(id.clone(), value.trim().to_string());
        }
    }
    found
}

/// The walltime each job has used so far (`resources_used.walltime`), in seconds, for
/// `status`'s charges; best effort: a qstat that fails, or a job it does not report, gives
/// nothing for that job (the plain format, which names every job asked).
pub(super) fn walltimes_used(ids: &[String]) -> BTreeMap<String, u64> {
    if ids.is_empty() {
        return BTreeMap::new();
    }
    let mut args = vec!["-f"];
    args.extend(ids.iter().map(String::as_str));
    run("qstat", &args, None)
        .map(|out| parse_used(&String::from_utf8_lossy(&out.stdout)))
        .unwrap_or_default()
}

/// `resources_used.walltime = HH:MM:SS` of each `Job Id:` of `qstat -f`.
fn parse_used(text: &str) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("Job Id:") {
            current = Some(id.trim().to_string());
        } else if let (Some(id), false, Some((key, value))) =
            (&current, line.starts_with('\t'), line.split_once('='))
            && key.trim() == "resources_used.walltime"
            && let Ok(used) = value.trim().parse::<crate::walltime::Walltime>()
        {
            found.insert(id.clone(), used.seconds());
        }
    }
    found
}

/// Whether PBS's state letter means the job will not run (any more).
pub(super) fn is_over(state: Option<&str>) -> bool {
    matches!(state, None | Some("F" | "X"))
}

/// The ids of `ids` that `states` says may still run (queued, held, running, ...).
pub(super) fn live(ids: &[String], states: &BTreeMap<String, String>) -> Vec<String> {
    ids.iter()
        .filter(|id| !is_over(states.get(*id).map(String::as_str)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    fn map(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    // The fixtures are recorded from an OpenPBS 23.06.06 server (tests/qstat/README.md).
    #[test]
    fn both_recorded_formats_give_each_jobs_state() {
        let want = map(&[("1.vm", "R"), ("2.vm", "R"), ("3.vm", "Q")]);
        let json = parse_json(include_str!("../../tests/qstat/full.json"));
        assert_eq!(json.as_ref(), Some(&want));
        assert_eq!(
            parse_plain(include_str!("../../tests/qstat/full.txt")),
            want
        );
        let finished = map(&[("1.vm", "F"), ("4.vm", "F")]);
        assert_eq!(
            parse_plain(include_str!("../../tests/qstat/finished-x.txt")),
            finished
        );
        assert!(is_over(Some("F")));
    }

    #[test]
    fn the_walltime_used_is_read_per_job() {
        let used = parse_used(include_str!("../../tests/qstat/full.txt"));
        assert_eq!(used.get("1.vm"), Some(&67), "{used:?}");
        assert_eq!(used.get("3.vm"), None, "queued: nothing used yet");
    }

    #[test]
    fn a_wrapped_line_starting_with_job_state_is_not_the_jobs_state() {
        // Long values wrap onto lines that start with a tab (Variable_List, after job_state);
        // `qsub -v job_state=X` can put `job_state=` at the start of one.
        let text = "Job Id: 1.vm\n    job_state = R\n    Variable_List = PBS_O_HOME=/h,\n\tjob_state=X,PBS_O_HOST=vm\n";
        assert_eq!(parse_plain(text), map(&[("1.vm", "R")]));
    }

    #[test]
    fn json_for_several_ids_names_only_the_first_so_the_rest_are_asked_again() {
        // OpenPBS (openpbs/openpbs#2672): `qstat -f -F json 1.vm 2.vm 3.vm` prints 1.vm alone,
        // exit 0, nothing on stderr.
        let all = ids(&["1.vm", "2.vm", "3.vm"]);
        let found = parse_json(include_str!("../../tests/qstat/several-ids.json"));
        assert_eq!(found, Some(map(&[("1.vm", "R")])));
        let found = found.unwrap_or_default();
        assert_eq!(
            unaccounted(&all, &found, "", true),
            Ok(ids(&["2.vm", "3.vm"]))
        );
    }

    #[test]
    fn ids_qstat_says_are_unknown_or_finished_have_ended() {
        let asked = ids(&["999.vm", "3.vm", "1.vm"]);
        let found = parse_json(include_str!("../../tests/qstat/mixed.json")).unwrap_or_default();
        assert_eq!(found, map(&[("3.vm", "Q")]));
        let stderr = include_str!("../../tests/qstat/mixed.err");
        assert_eq!(unaccounted(&asked, &found, stderr, false), Ok(vec![]));
        // A server with job history says which have finished: their state is F.
        assert_eq!(finished(&asked, stderr), vec!["1.vm"]);
        // Unknown ids alone: the JSON has no "Jobs" at all.
        let none = parse_json(include_str!("../../tests/qstat/unknown.json"));
        assert_eq!(none, Some(BTreeMap::new()));
        let stderr = "qstat: Unknown Job Id 999.vm\n";
        assert_eq!(
            unaccounted(&ids(&["999.vm"]), &BTreeMap::new(), stderr, false),
            Ok(vec![])
        );
        // 99.vm is not 999.vm.
        assert_eq!(
            unaccounted(&ids(&["99.vm"]), &BTreeMap::new(), stderr, false),
            Ok(ids(&["99.vm"]))
        );
    }

    #[test]
    fn a_server_that_cannot_be_reached_is_an_error_not_ended_jobs() {
        // qstat prints the JSON header without "Jobs" and exits 255: no job is known, yet
        // none has ended.
        let found = parse_json(include_str!("../../tests/qstat/server-down.json"));
        assert_eq!(found, Some(BTreeMap::new()));
        let stderr = include_str!("../../tests/qstat/server-down.err");
        let err = unaccounted(&ids(&["1.vm", "2.vm"]), &BTreeMap::new(), stderr, false);
        assert_eq!(
            err,
            Err("Connection refused; qstat: cannot connect to server vm (errno=15010)".into())
        );
        assert_eq!(
            failures(include_str!("../../tests/qstat/qdel-server-down.err")),
            vec!["Connection refused", "Couldn't connect to cluster: vm"]
        );
        // qdel of a finished and an unknown job: both have ended, neither is a failure.
        assert!(failures(include_str!("../../tests/qstat/qdel.err")).is_empty());
    }

    #[test]
    fn plain_text_is_not_json_and_unknown_jobs_are_absent() {
        assert_eq!(parse_json("Job Id: 1.s\n    job_state = R\n"), None);
        assert_eq!(parse_json(""), None);
        assert!(parse_plain("").is_empty());
        assert!(is_over(None) && is_over(Some("F")) && !is_over(Some("Q")) && !is_over(Some("R")));
    }
}
