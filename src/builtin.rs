//! Profiles and templates compiled into the binary. Named once here, so no path is
//! spelled twice.

/// `dask-pbs`'s own defaults: the bottom layer under every profile.
pub const DEFAULTS: &str = include_str!("../profiles/defaults.yaml");

/// Built-in site profiles, by name.
pub const PROFILES: &[(&str, &str)] = &[
    ("sophia", include_str!("../profiles/sophia.yaml")),
    ("sophia-node", include_str!("../profiles/sophia-node.yaml")),
    ("polaris", include_str!("../profiles/polaris.yaml")),
    ("derecho", include_str!("../profiles/derecho.yaml")),
    ("casper", include_str!("../profiles/casper.yaml")),
    ("pbs-cpu", include_str!("../profiles/pbs-cpu.yaml")),
    ("gadi", include_str!("../profiles/gadi.yaml")),
    ("gadi-gpu", include_str!("../profiles/gadi-gpu.yaml")),
    ("pleiades", include_str!("../profiles/pleiades.yaml")),
    (
        "pleiades-gpu",
        include_str!("../profiles/pleiades-gpu.yaml"),
    ),
];

/// Built-in templates, by name. Names starting with `_` are shared pieces that the
/// artifact templates include; each can be shadowed on its own.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("job.sh.j2", include_str!("../templates/job.sh.j2")),
    (
        "dask_start.sh.j2",
        include_str!("../templates/dask_start.sh.j2"),
    ),
    (
        "dask_start_worker.sh.j2",
        include_str!("../templates/dask_start_worker.sh.j2"),
    ),
    (
        "conda_create.sh.j2",
        include_str!("../templates/conda_create.sh.j2"),
    ),
    (
        "interactive.j2",
        include_str!("../templates/interactive.j2"),
    ),
    (
        "dask_client.py.j2",
        include_str!("../templates/dask_client.py.j2"),
    ),
    ("_header.sh.j2", include_str!("../templates/_header.sh.j2")),
    ("_macros.j2", include_str!("../templates/_macros.j2")),
    (
        "_environment.sh.j2",
        include_str!("../templates/_environment.sh.j2"),
    ),
    (
        "_cluster.sh.j2",
        include_str!("../templates/_cluster.sh.j2"),
    ),
    (
        "_scheduler.sh.j2",
        include_str!("../templates/_scheduler.sh.j2"),
    ),
    (
        "_readiness.sh.j2",
        include_str!("../templates/_readiness.sh.j2"),
    ),
    (
        "_cleanup.sh.j2",
        include_str!("../templates/_cleanup.sh.j2"),
    ),
    ("_watch.sh.j2", include_str!("../templates/_watch.sh.j2")),
    (
        "_security.sh.j2",
        include_str!("../templates/_security.sh.j2"),
    ),
    ("workers.sh.j2", include_str!("../templates/workers.sh.j2")),
    ("_join.sh.j2", include_str!("../templates/_join.sh.j2")),
    ("_rank.sh.j2", include_str!("../templates/_rank.sh.j2")),
    (
        "_control.py.j2",
        include_str!("../templates/_control.py.j2"),
    ),
];

pub fn profile(name: &str) -> Option<&'static str> {
    PROFILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

pub fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
