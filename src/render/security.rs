//! Who may use the cluster (`dask.security`), as the words the templates need.
//!
//! With `tls` the job makes a certificate authority of its own at start-up and one
//! certificate signed by it (files in the job directory, readable by the owner only). The
//! scheduler, every worker and nanny and every client present that certificate and accept
//! only peers that present one of the same authority (mutual TLS), and Dask's
//! `require-encryption` makes them refuse plain `tcp://` connections. Anyone else who reaches
//! a port — another user on a shared node, a port scan from another node — is refused before
//! any message is read. Dask checks the chain, not host names (distributed's
//! `Security._get_tls_context` sets `check_hostname = False`), so one certificate serves every
//! host of the job.

use serde::Serialize;

use crate::profile::model::Profile;
use crate::profile::types::{Certificates, Security as Choice};

/// The job directory's sub-directory of certificates and key, removed at job end.
const TLS_DIR: &str = "tls";
/// The directory `DASK_CONFIG` points at for the owner's other Python sessions.
const CONFIG_DIR: &str = "dask-config";
/// The authority's certificate; its key is deleted once it has signed the job's.
pub const CA_FILE: &str = "tls/ca.pem";
pub const CERT_FILE: &str = "tls/job.pem";
pub const KEY_FILE: &str = "tls/job.key";

/// Certificates stay valid this long past the walltime (a held job may outlive its
/// walltime by PBS's grace period; nothing depends on the exact end).
const VALID_AFTER_WALLTIME_S: u64 = 86_400;

/// The scheduler's HTTP routes: the read-only pages of distributed's default list. Named
/// explicitly so that neither a site's Dask configuration can add the unauthenticated
/// `distributed.http.scheduler.api` (`POST /api/v1/retire_workers` and others) nor the
/// dashboard's `distributed.http.proxy` relay HTTP requests to other ports of the nodes.
/// The readiness poll reads `/json/counts.json` (`distributed.http.scheduler.json`).
const SCHEDULER_ROUTES: &[&str] = &[
    "distributed.http.scheduler.prometheus",
    "distributed.http.scheduler.info",
    "distributed.http.scheduler.json",
    "distributed.http.health",
    "distributed.http.statics",
];

#[derive(Debug, Clone, Serialize)]
pub struct Security {
    /// Whether the job makes certificates and every connection uses TLS.
    pub tls: bool,
    /// `dask.certificates`: the tool the job makes its certificates with.
    pub certificates: Certificates,
    /// The `--protocol` word of the scheduler and the workers (`tls` replaces `tcp`).
    pub protocol: String,
    /// Sub-directories of the job directory: the certificates, the `DASK_CONFIG` directory.
    pub dir: &'static str,
    pub config_dir: &'static str,
    /// Files relative to the job directory.
    pub ca_file: &'static str,
    pub cert_file: &'static str,
    pub key_file: &'static str,
    /// `--tls-*` options of `dask scheduler`, `dask worker` and `dask cuda worker`, each with
    /// its file relative to the job directory (the template puts the directory in front).
    pub options: Vec<(&'static str, &'static str)>,
    /// Dask configuration the job exports for the payload (and the processes it starts).
    pub env: Vec<EnvVar>,
    /// Seconds the certificates are valid from now; they start an hour back (clock skew
    /// between nodes).
    pub valid_seconds: u64,
    /// Variables set for `dask scheduler`, as (name, value).
    pub scheduler_env: Vec<(&'static str, String)>,
}

/// One exported variable of Dask's configuration.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: &'static str,
    /// `value` is a file relative to the job directory.
    pub in_job_dir: bool,
}

impl Security {
    pub fn new(profile: &Profile) -> Security {
        let tls = profile.dask.security == Choice::Tls;
        let protocol = if tls {
            "tls".to_string()
        } else {
            profile.dask.protocol.to_string()
        };
        // Dask reads a list from an environment variable with Python's `ast.literal_eval`.
        let routes: Vec<String> = SCHEDULER_ROUTES
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect();
        let routes = format!("[{}]", routes.join(","));
        let (options, env) = if tls { tls_words() } else { (vec![], vec![]) };
        Security {
            tls,
            certificates: profile.dask.certificates,
            protocol,
            dir: TLS_DIR,
            config_dir: CONFIG_DIR,
            ca_file: CA_FILE,
            cert_file: CERT_FILE,
            key_file: KEY_FILE,
            options,
            env,
            valid_seconds: profile.job.walltime.seconds() + VALID_AFTER_WALLTIME_S,
            scheduler_env: vec![("DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES", routes)],
        }
    }
}

/// The `--tls-*` options and the client's configuration (distributed.yaml's
/// `distributed.comm.tls.*` and `distributed.comm.require-encryption`).
fn tls_words() -> (Vec<(&'static str, &'static str)>, Vec<EnvVar>) {
    let options = vec![
        ("--tls-ca-file", CA_FILE),
        ("--tls-cert", CERT_FILE),
        ("--tls-key", KEY_FILE),
    ];
    let file = |name, value| EnvVar {
        name,
        value,
        in_job_dir: true,
    };
    let env = vec![
        EnvVar {
            name: "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION",
            value: "True",
            in_job_dir: false,
        },
        file("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", CA_FILE),
        file("DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT", CERT_FILE),
        file("DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY", KEY_FILE),
    ];
    (options, env)
}
