//! The RAPIDS support table (rapidsai/docs `_data/platform_support.yml`, copied into
//! docs/sites.md): which Python and CUDA each release supports, and the `conda create`
//! command line that installs it.

use crate::error::Code;
use crate::profile::model::Rapids;

/// `(major, minor)`; RAPIDS and Python versions are both two numbers.
type Version = (u32, u32);

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Release {
    version: &'static str,
    python: (Version, Version),
    /// Inclusive CUDA ranges; empty where the table gives none (any CUDA is accepted).
    cuda: &'static [(Version, Version)],
}

const CUDA_11_12: &[(Version, Version)] = &[((11, 4), (11, 8)), ((12, 0), (12, 9))];
const CUDA_12: &[(Version, Version)] = &[((12, 0), (12, 9))];
const CUDA_12_13: &[(Version, Version)] = &[((12, 0), (12, 9)), ((13, 0), (13, 0))];
const CUDA_12_2_13: &[(Version, Version)] = &[((12, 2), (12, 9)), ((13, 0), (13, 0))];
const CUDA_12_2_13_1: &[(Version, Version)] = &[((12, 2), (12, 9)), ((13, 0), (13, 1))];

const PY_39_311: (Version, Version) = ((3, 9), (3, 11));
const PY_310_312: (Version, Version) = ((3, 10), (3, 12));
const PY_310_313: (Version, Version) = ((3, 10), (3, 13));
const PY_311_314: (Version, Version) = ((3, 11), (3, 14));

const RELEASES: &[Release] = &[
    Release {
        version: "24.02",
        python: PY_39_311,
        cuda: &[],
    },
    Release {
        version: "24.04",
        python: PY_39_311,
        cuda: &[],
    },
    Release {
        version: "24.06",
        python: PY_39_311,
        cuda: &[],
    },
    Release {
        version: "24.08",
        python: PY_39_311,
        cuda: &[],
    },
    Release {
        version: "24.10",
        python: PY_310_312,
        cuda: &[],
    },
    Release {
        version: "24.12",
        python: PY_310_312,
        cuda: &[],
    },
    Release {
        version: "25.02",
        python: PY_310_312,
        cuda: &[],
    },
    Release {
        version: "25.04",
        python: PY_310_312,
        cuda: &[],
    },
    Release {
        version: "25.06",
        python: PY_310_313,
        cuda: CUDA_11_12,
    },
    Release {
        version: "25.08",
        python: PY_310_313,
        cuda: CUDA_12,
    },
    Release {
        version: "25.10",
        python: PY_310_313,
        cuda: CUDA_12_13,
    },
    Release {
        version: "25.12",
        python: PY_310_313,
        cuda: CUDA_12_2_13,
    },
    Release {
        version: "26.02",
        python: PY_310_313,
        cuda: CUDA_12_2_13_1,
    },
    // docs/sites.md lists "26.04+" with Python 3.11-3.14 and no CUDA range (unverified beyond that).
    Release {
        version: "26.04",
        python: PY_311_314,
        cuda: &[],
    },
    Release {
        version: "26.06",
        python: PY_311_314,
        cuda: &[],
    },
    Release {
        version: "26.08",
        python: PY_311_314,
        cuda: &[],
    },
    Release {
        version: "26.10",
        python: PY_311_314,
        cuda: &[],
    },
];

fn parse(text: &str) -> Option<Version> {
    let (major, minor) = text.trim().split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn show((major, minor): Version) -> String {
    format!("{major}.{minor}")
}

fn show_ranges(ranges: &[(Version, Version)]) -> String {
    let parts: Vec<String> = ranges
        .iter()
        .map(|(lo, hi)| {
            if lo == hi {
                show(*lo)
            } else {
                format!("{}-{}", show(*lo), show(*hi))
            }
        })
        .collect();
    parts.join(", ")
}

/// Every release dask-pbs knows, for messages and docs.
pub(crate) fn known_releases() -> Vec<&'static str> {
    RELEASES.iter().map(|r| r.version).collect()
}

/// Whether the `conda create` line still names `-c nvidia`: the install selector dropped it
/// from 25.12 on.
pub(crate) fn wants_nvidia_channel(version: &str) -> bool {
    parse(version).is_some_and(|v| v < (25, 12))
}

/// The `conda create` command as words: RAPIDS (GPU workers) or plain Dask (CPU workers) at
/// `prefix` (`PREFIX` when the profile names none), from `rapids`' channels, with the
/// protocol's `extra` packages.
pub(crate) fn conda_create(
    rapids: &Rapids,
    gpu: bool,
    prefix: Option<&str>,
    extra: &[String],
) -> Vec<String> {
    let mut create: Vec<String> = vec!["conda".into(), "create".into(), "-y".into()];
    create.extend(["-p".into(), prefix.unwrap_or("PREFIX").to_string()]);
    for channel in &rapids.channels {
        if channel == "nvidia" && !wants_nvidia_channel(&rapids.version) {
            continue;
        }
        // CPU workers install no RAPIDS and no CUDA: their channels add nothing.
        if !gpu && ["rapidsai", "nvidia"].contains(&channel.as_str()) {
            continue;
        }
        create.extend(["-c".into(), channel.clone()]);
    }
    if gpu {
        create.push(format!("rapids={}", rapids.version));
        create.push(format!("python={}", rapids.python));
        create.push(format!("cuda-version{}", cuda_spec(&rapids.cuda)));
    } else {
        create.push(format!("python={}", rapids.python));
        create.extend(["dask".into(), "distributed".into()]);
    }
    create.extend(extra.iter().cloned());
    create
}

/// `>=12.0,<=12.8` stays as is; a bare `12.8` becomes `=12.8` so `cuda-version12.8` never
/// appears.
fn cuda_spec(spec: &str) -> String {
    let spec = spec.trim();
    if spec.starts_with(['<', '>', '=', '!']) {
        spec.to_string()
    } else {
        format!("={spec}")
    }
}

/// Why a release, Python and CUDA spec do not go together; the message says what is
/// supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RapidsError {
    UnknownRelease {
        version: String,
    },
    NotAPythonVersion {
        python: String,
    },
    PythonOutOfRange {
        version: String,
        python: String,
        lo: Version,
        hi: Version,
    },
    NotACudaSpec {
        spec: String,
    },
    NotACudaVersion {
        spec: String,
        version: String,
    },
    CudaOutOfRange {
        release: &'static Release,
        spec: String,
        version: String,
    },
}

impl std::fmt::Display for RapidsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RapidsError::UnknownRelease { version } => write!(
                f,
                "RAPIDS {version} is not a release dask-pbs knows; known releases: {}",
                known_releases().join(", ")
            ),
            RapidsError::NotAPythonVersion { python } => {
                write!(f, "Python `{python}` is not a version like 3.11")
            }
            RapidsError::PythonOutOfRange {
                version,
                python,
                lo,
                hi,
            } => write!(
                f,
                "RAPIDS {version} supports Python {} to {}; got {python}",
                show(*lo),
                show(*hi)
            ),
            RapidsError::NotACudaSpec { spec } => write!(
                f,
                "CUDA spec `{spec}` is not a conda version constraint like `>=12.0,<=12.8`"
            ),
            RapidsError::NotACudaVersion { spec, version } => {
                write!(
                    f,
                    "CUDA spec `{spec}`: `{version}` is not a version like 12.8"
                )
            }
            RapidsError::CudaOutOfRange {
                release,
                spec,
                version,
            } => write!(
                f,
                "RAPIDS {} supports CUDA {}; `{spec}` names {version}",
                release.version,
                show_ranges(release.cuda)
            ),
        }
    }
}

impl std::error::Error for RapidsError {}

impl RapidsError {
    /// The code of each mismatch.
    pub(crate) fn code(&self) -> Code {
        match self {
            RapidsError::UnknownRelease { .. } => Code::RapidsUnknownRelease,
            RapidsError::NotAPythonVersion { .. } => Code::RapidsNotAPythonVersion,
            RapidsError::PythonOutOfRange { .. } => Code::RapidsPythonOutOfRange,
            RapidsError::NotACudaSpec { .. } => Code::RapidsNotACudaSpec,
            RapidsError::NotACudaVersion { .. } => Code::RapidsNotACudaVersion,
            RapidsError::CudaOutOfRange { .. } => Code::RapidsCudaOutOfRange,
        }
    }
}

/// Checks a release, Python and CUDA spec against the support table.
pub(crate) fn check(version: &str, python: &str, cuda: &str) -> Result<(), RapidsError> {
    let release = RELEASES
        .iter()
        .find(|r| r.version == version)
        .ok_or_else(|| RapidsError::UnknownRelease {
            version: version.to_string(),
        })?;
    let py = parse(python).ok_or_else(|| RapidsError::NotAPythonVersion {
        python: python.to_string(),
    })?;
    let (lo, hi) = release.python;
    if py < lo || py > hi {
        return Err(RapidsError::PythonOutOfRange {
            version: version.to_string(),
            python: python.to_string(),
            lo,
            hi,
        });
    }
    for (op, ver) in cuda_bounds(cuda)? {
        // Strict bounds (`<13`) name a version that is not itself installed.
        if op == "<" || op == ">" || release.cuda.is_empty() {
            continue;
        }
        let v = parse(&ver)
            .or_else(|| Some((ver.parse().ok()?, 0)))
            .ok_or_else(|| RapidsError::NotACudaVersion {
                spec: cuda.to_string(),
                version: ver.clone(),
            })?;
        if !release.cuda.iter().any(|(lo, hi)| v >= *lo && v <= *hi) {
            return Err(RapidsError::CudaOutOfRange {
                release,
                spec: cuda.to_string(),
                version: ver,
            });
        }
    }
    Ok(())
}

/// `>=12.0,<=12.8` → `[(">=", "12.0"), ("<=", "12.8")]`.
fn cuda_bounds(spec: &str) -> Result<Vec<(&'static str, String)>, RapidsError> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let op = ["==", ">=", "<=", "=", "<", ">"]
            .into_iter()
            .find(|op| part.starts_with(op))
            .unwrap_or("");
        let ver = part[op.len()..].trim();
        if ver.is_empty()
            || !ver
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'*')
        {
            return Err(RapidsError::NotACudaSpec {
                spec: spec.to_string(),
            });
        }
        out.push((op, ver.trim_end_matches(".*").to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_guides_combination() {
        assert_eq!(check("25.06", "3.11", ">=12.0,<=12.8"), Ok(()));
    }

    #[test]
    fn refuses_outside_the_table() {
        assert!(
            check("25.07", "3.11", "12.8")
                .unwrap_err()
                .to_string()
                .contains("known releases")
        );
        assert!(
            check("25.06", "3.9", "12.8")
                .unwrap_err()
                .to_string()
                .contains("Python 3.10 to 3.13")
        );
        assert!(
            check("25.08", "3.11", ">=11.8")
                .unwrap_err()
                .to_string()
                .contains("CUDA 12.0-12.9")
        );
        assert!(check("25.06", "3.11", "twelve").is_err());
    }

    #[test]
    fn nvidia_channel_until_25_10() {
        assert!(wants_nvidia_channel("25.10"));
        assert!(!wants_nvidia_channel("25.12"));
        assert!(!wants_nvidia_channel("26.02"));
    }
}
