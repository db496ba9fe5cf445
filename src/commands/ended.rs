//! The head job's end mark: `ended` in its job directory, `key=value` lines that the job
//! writes first thing in its shutdown — `status=N` (its exit status), `reason=TEXT` and
//! `cause=WORD`, what ended the cluster. Marks of older jobs have no `cause`: their reason is
//! all there is.

use std::time::UNIX_EPOCH;

use camino::Utf8Path;

/// A head job's end mark, as read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ended {
    /// The job's exit status.
    pub status: Option<i64>,
    /// What ended the cluster: one of `CAUSES`' words, or an unknown one as written.
    pub cause: Option<String>,
    /// The job's own words.
    pub reason: Option<String>,
    /// When the mark was written (its modification time), seconds since the epoch.
    pub time: Option<f64>,
    /// The lines as written, joined: `status=0, cause=stop, reason=…`.
    pub text: String,
}

/// Each cause the job writes, and what `status` says ended the cluster ("ended by …").
const CAUSES: &[(&str, &str)] = &[
    ("stop", "`dask-pbs stop`"),
    ("client", "a client's shutdown"),
    ("payload", "the end of the payload (run)"),
    (
        "walltime",
        "its walltime (walltime - dask.shutdown_margin, or PBS's TERM near it)",
    ),
    ("signal", "a signal (qdel, or PBS)"),
    ("lost", "lost workers (a node or the MPI launcher died)"),
    ("failed", "a failure to set up or start"),
    ("scheduler", "the scheduler's death"),
];

impl Ended {
    /// The end mark in `dir`, when the job has written one.
    pub(super) fn read(dir: &Utf8Path) -> Option<Ended> {
        let path = dir.join("ended");
        let text = std::fs::read_to_string(&path).ok()?;
        let time = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64());
        Some(Ended {
            time,
            ..Ended::parse(&text)
        })
    }

    pub(super) fn parse(text: &str) -> Ended {
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ended {
            status: value("status").and_then(|s| s.parse().ok()),
            cause: value("cause"),
            reason: value("reason"),
            time: None,
            text: text.lines().collect::<Vec<_>>().join(", "),
        }
    }

    /// What ended the cluster: "by …" after a cause, else the job's own reason; then the
    /// exit status and, after a cause, the reason.
    pub(super) fn summary(&self) -> String {
        let status = self
            .status
            .map(|s| format!(" (exit status {s})"))
            .unwrap_or_default();
        let known = self
            .cause
            .as_deref()
            .and_then(|c| CAUSES.iter().find(|(word, _)| *word == c));
        let reason = self.reason.as_deref();
        match (known, self.cause.as_deref(), reason) {
            (Some((_, by)), _, Some(r)) => format!("by {by}{status}: {r}"),
            (Some((_, by)), _, None) => format!("by {by}{status}"),
            (None, Some(cause), Some(r)) => format!("by cause `{cause}`{status}: {r}"),
            (None, Some(cause), None) => format!("by cause `{cause}`{status}"),
            (None, None, Some(r)) => format!("{r}{status}"),
            (None, None, None) => format!("no reason given{status}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_named_and_an_old_mark_gives_its_reason() {
        let stop = Ended::parse("status=0\ncause=stop\nreason=a stop request\n");
        assert_eq!(
            stop.summary(),
            "by `dask-pbs stop` (exit status 0): a stop request"
        );
        assert_eq!(stop.text, "status=0, cause=stop, reason=a stop request");
        let old = Ended::parse("status=0\nreason=a client shut the cluster down\n");
        assert_eq!(old.cause, None);
        assert_eq!(
            old.summary(),
            "a client shut the cluster down (exit status 0)"
        );
        let new = Ended::parse("status=1\ncause=quake\n");
        assert_eq!(new.summary(), "by cause `quake` (exit status 1)");
        for (word, _) in CAUSES {
            let mark = Ended::parse(&format!("cause={word}\n"));
            assert!(!mark.summary().contains("cause `"), "{word}");
        }
        assert_eq!(Ended::parse("").summary(), "no reason given");
    }
}
