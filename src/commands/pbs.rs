//! qsub, qstat and qdel, from `DASK_PBS_QSUB`, `DASK_PBS_QSTAT`, `DASK_PBS_QDEL` or PATH, and
//! the two formats of `qstat -f`: JSON (`-F json`, OpenPBS 19+) and the plain text one.

use std::collections::BTreeMap;
use std::process::Command;

use camino::Utf8Path;

use crate::error::Error;

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
        Error::failure(format!(
            "cannot run {program}: {e} (set DASK_PBS_{} to its path)",
            name.to_uppercase()
        ))
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
        return Err(Error::failure(format!(
            "{} refused {script} (exit {code}): {}",
            tool("qsub"),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if id.is_empty() || id.contains(char::is_whitespace) {
        return Err(Error::failure(format!(
            "{} printed no job id for {script}",
            tool("qsub")
        )));
    }
    Ok(id)
}

/// Deletes the jobs; those PBS no longer knows are not an error (they have ended).
pub(super) fn qdel(ids: &[String]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let args: Vec<&str> = ids.iter().map(String::as_str).collect();
    let out = run("qdel", &args, None)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let real: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains("Unknown Job Id") && !l.contains("Job has finished"))
        .collect();
    if !out.status.success() && !real.is_empty() {
        return Err(Error::failure(format!(
            "{} failed: {}",
            tool("qdel"),
            real.join("; ")
        )));
    }
    Ok(())
}

/// Each job's `job_state` letter (Q, R, E, F, H, ...) as PBS reports it; a job PBS does not
/// know (ended, out of its history) is absent.
pub(super) fn states(ids: &[String]) -> Result<BTreeMap<String, String>, Error> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut args = vec!["-f", "-F", "json"];
    args.extend(ids.iter().map(String::as_str));
    let out = run("qstat", &args, None)?;
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(found) = parse_json(&text) {
        return Ok(found);
    }
    // A server without -F json: the plain format.
    let mut args = vec!["-f"];
    args.extend(ids.iter().map(String::as_str));
    let out = run("qstat", &args, None)?;
    Ok(parse_plain(&String::from_utf8_lossy(&out.stdout)))
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

/// `qstat -f`: `Job Id: ID` then indented `key = value` lines (long values continue on lines
/// indented with a tab).
pub(super) fn parse_plain(text: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("Job Id:") {
            current = Some(id.trim().to_string());
        } else if let (Some(id), Some((key, value))) = (&current, line.split_once('='))
            && key.trim() == "job_state"
        {
            found.insert(id.clone(), value.trim().to_string());
        }
    }
    found
}

/// Whether PBS's state letter means the job will not run (any more).
pub(super) fn is_over(state: Option<&str>) -> bool {
    matches!(state, None | Some("F" | "X"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_give_each_jobs_state() {
        let want: BTreeMap<String, String> = [("4101.pbs01", "R"), ("4102.pbs01", "Q")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .into();
        let json = parse_json(include_str!("../../tests/qstat/full.json"));
        assert_eq!(json.as_ref(), Some(&want));
        // A wrapped Variable_List line holding `job_state=X` is not the job's state.
        assert_eq!(
            parse_plain(include_str!("../../tests/qstat/full.txt")),
            want
        );
    }

    #[test]
    fn plain_text_is_not_json_and_unknown_jobs_are_absent() {
        assert_eq!(parse_json("Job Id: 1.s\n    job_state = R\n"), None);
        assert_eq!(
            parse_json("{\"timestamp\":1,\"Jobs\":{}}"),
            Some(BTreeMap::new())
        );
        // `qstat: Unknown Job Id` goes to stderr; stdout may be empty.
        assert_eq!(parse_json(""), None);
        assert!(parse_plain("").is_empty());
        assert!(is_over(None) && is_over(Some("F")) && !is_over(Some("Q")) && !is_over(Some("R")));
    }
}
