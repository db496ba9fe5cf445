//! The MPI launchers of PBS sites, one table row per flavour: the launch words up to the
//! program, the variables that tell a rank its index on its node, and the hostfile format.
//!
//! The launch words carry placeholders (`{nranks}`, `{ranks_per_node}`, `{hostfile}`) that
//! the template fills with its own shell variables (the `launch` filter): Rust decides the
//! words, the template owns the variables. A new launcher (HPE MPT, Intel MPI, one from a
//! profile) is a new row.

use crate::profile::types::MpiFlavour;

/// Every variable a launcher may set for the node-local rank. The worker wrapper tries the
/// flavour's own first, then these, so a profile with the wrong flavour still works.
const ALL_LOCAL_RANK_VARS: &[&str] = &[
    "OMPI_COMM_WORLD_LOCAL_RANK",
    "PMI_LOCAL_RANK",
    "PALS_LOCAL_RANKID",
    "MPI_LOCALRANKID",
    "MPT_LRANK",
];

/// The local rank of a rank the job starts itself (one host, no launcher); the wrapper reads
/// it first.
pub(crate) const LOCAL_RANK_VAR: &str = "DASK_PBS_LOCAL_RANK";

/// The placeholders a launch word may hold.
pub(crate) const PLACEHOLDERS: &[&str] = &["nranks", "ranks_per_node", "hostfile"];

/// One launcher.
#[derive(Debug)]
pub(crate) struct Launcher {
    /// Words up to (not including) the program it starts, with placeholders.
    pub launch: &'static [&'static str],
    /// The flavour's own local-rank variables, first choice first.
    pub local_rank_vars: &'static [&'static str],
    /// Whether hostfile lines carry `slots=N` (OpenMPI) rather than one host per line.
    pub hostfile_slots: bool,
    /// Variables the launcher needs in its environment and in every rank's, set unless the
    /// profile's `env.vars` sets them itself.
    pub env: &'static [(&'static str, &'static str)],
    /// How it starts a different number of ranks on each host (chunks PBS put anywhere);
    /// `None`: it cannot.
    pub uneven: Option<Uneven>,
}

/// A launcher's form for a different number of ranks on each host: the rank count of each
/// host comes from the hostfile, not from a ranks-per-node option.
#[derive(Debug)]
pub(crate) struct Uneven {
    /// Words up to the program, with placeholders, as `Launcher::launch`.
    pub launch: &'static [&'static str],
    /// What goes between a host and its rank count in a hostfile line (`node1 slots=2`,
    /// `node1:2`).
    pub count_separator: &'static str,
}

// OpenMPI ends every rank when one dies or a node is lost (OpenMPI 4's
// orte_abort_on_non_zero_status=0 keeps them on a rank's death, but OpenMPI 5's PRRTE has
// other names, unverified here): the job then ends with the lost workers named.
const OPENMPI: Launcher = Launcher {
    // --bind-to none: a Dask worker is a multi-threaded process, not one per core.
    launch: &[
        "mpiexec",
        "-np",
        "{nranks}",
        "--map-by",
        "ppr:{ranks_per_node}:node",
        "--bind-to",
        "none",
        "--hostfile",
        "{hostfile}",
    ],
    local_rank_vars: &["OMPI_COMM_WORLD_LOCAL_RANK"],
    hostfile_slots: true,
    env: &[],
    // Each host's slots from the hostfile, filled in order (OpenMPI's mpirun(1): --map-by slot).
    uneven: Some(Uneven {
        launch: &[
            "mpiexec",
            "-np",
            "{nranks}",
            "--map-by",
            "slot",
            "--bind-to",
            "none",
            "--hostfile",
            "{hostfile}",
        ],
        count_separator: " slots=",
    }),
};

// `-disable-auto-cleanup` (MPICH's and Intel MPI's Hydra): when a rank dies, the others go
// on, so the job keeps its surviving workers (seen with MPICH 5.0.2 and Intel MPI 2021.19;
// without it Hydra ends every rank). A lost node still ends them all.
const MPICH: Launcher = Launcher {
    launch: &[
        "mpiexec",
        "-disable-auto-cleanup",
        "-n",
        "{nranks}",
        "-ppn",
        "{ranks_per_node}",
        "-f",
        "{hostfile}",
    ],
    // MPICH's hydra sets MPI_LOCALRANKID; Cray MPICH under PALS sets PMI_LOCAL_RANK.
    local_rank_vars: &["MPI_LOCALRANKID", "PMI_LOCAL_RANK"],
    hostfile_slots: false,
    env: &[],
    uneven: Some(HYDRA_UNEVEN),
};

// Hydra's hostfile `host:N` gives each host its rank count when no -ppn is given (MPICH's
// and Intel MPI's `-f`).
const HYDRA_UNEVEN: Uneven = Uneven {
    launch: &[
        "mpiexec",
        "-disable-auto-cleanup",
        "-n",
        "{nranks}",
        "-f",
        "{hostfile}",
    ],
    count_separator: ":",
};

const CRAY_PALS: Launcher = Launcher {
    launch: &[
        "mpiexec",
        "-n",
        "{nranks}",
        "--ppn",
        "{ranks_per_node}",
        "--hostfile",
        "{hostfile}",
    ],
    local_rank_vars: &["PMI_LOCAL_RANK", "PALS_LOCAL_RANKID"],
    hostfile_slots: false,
    env: &[],
    // PALS takes one --ppn for every host; a per-host count is not documented here.
    uneven: None,
};

// HPE MPT's mpiexec (mpiexec_mpt) takes its hosts and the ranks of each from PBS's node
// file (`mpiprocs` of each chunk), not from a hostfile: validation requires mpiprocs to be
// the ranks per node, and chunks anywhere come out right by themselves. MPT_LRANK is MPT's
// local rank (LAMMPS' GPU package docs: "MPT_LRANK (HPE MPI)"; NAS's HECC pages launch with
// `mpiexec -np N`). MPT starts a program that is not an MPI program (the worker wrapper)
// only with MPI_SHEPHERD=true (NCAR's Cheyenne scripts and NAS users' job scripts set it
// for such programs; docs/sites.md).
const HPE_MPT: Launcher = Launcher {
    launch: &["mpiexec", "-np", "{nranks}"],
    local_rank_vars: &["MPT_LRANK"],
    hostfile_slots: false,
    env: &[("MPI_SHEPHERD", "true")],
    uneven: Some(Uneven {
        launch: &["mpiexec", "-np", "{nranks}"],
        count_separator: ":",
    }),
};

// Intel MPI's mpiexec is hydra's (Intel MPI Library developer reference: `-n`, `-ppn`, `-f`);
// it sets MPI_LOCALRANKID.
const INTEL_MPI: Launcher = Launcher {
    launch: &[
        "mpiexec",
        "-disable-auto-cleanup",
        "-n",
        "{nranks}",
        "-ppn",
        "{ranks_per_node}",
        "-f",
        "{hostfile}",
    ],
    local_rank_vars: &["MPI_LOCALRANKID"],
    hostfile_slots: false,
    env: &[],
    uneven: Some(HYDRA_UNEVEN),
};

/// What `mpiexec --version` prints, by flavour: the job checks the `mpiexec` on PATH against
/// the profile's `system.mpi` before launching (a PALS line run by OpenMPI's mpiexec would
/// otherwise read as a worker failure). Intel MPI's mpiexec is hydra's and takes MPICH's
/// options, so the two accept each other (`compatible`); Intel's mark comes before hydra's.
/// HPE MPT's marks are unverified (no MPT here to ask). OpenMPI 4 prints "mpiexec (OpenRTE) 4.1.4" and its
/// open-mpi.org address; OpenMPI 5 "mpiexec (Open MPI) 5.0.x".
pub(crate) const VERSION_MARKS: &[(&str, MpiFlavour)] = &[
    ("Open MPI", MpiFlavour::OpenMpi),
    ("OpenRTE", MpiFlavour::OpenMpi),
    ("open-mpi.org", MpiFlavour::OpenMpi),
    ("Intel(R) MPI", MpiFlavour::IntelMpi),
    ("HYDRA", MpiFlavour::Mpich),
    ("HPE MPT", MpiFlavour::HpeMpt),
    ("SGI MPT", MpiFlavour::HpeMpt),
    ("PALS", MpiFlavour::CrayPals),
    ("Cray", MpiFlavour::CrayPals),
];

/// The launcher of `flavour`.
pub(crate) fn launcher(flavour: MpiFlavour) -> &'static Launcher {
    match flavour {
        MpiFlavour::OpenMpi => &OPENMPI,
        MpiFlavour::Mpich => &MPICH,
        MpiFlavour::CrayPals => &CRAY_PALS,
        MpiFlavour::HpeMpt => &HPE_MPT,
        MpiFlavour::IntelMpi => &INTEL_MPI,
    }
}

/// Whether an mpiexec of flavour `found` runs the launch line of flavour `wanted`: MPICH's
/// and Intel MPI's hydra take the same options and set the same local-rank variable.
pub(crate) fn compatible(wanted: MpiFlavour, found: MpiFlavour) -> bool {
    use MpiFlavour::{IntelMpi, Mpich};
    wanted == found || matches!((wanted, found), (Mpich, IntelMpi) | (IntelMpi, Mpich))
}

/// Every flavour, for the tests that go through each.
#[cfg(test)]
const FLAVOURS: &[MpiFlavour] = &[
    MpiFlavour::OpenMpi,
    MpiFlavour::Mpich,
    MpiFlavour::CrayPals,
    MpiFlavour::HpeMpt,
    MpiFlavour::IntelMpi,
];

impl Launcher {
    /// The local-rank variables in the order the wrapper should try them.
    pub(crate) fn all_local_rank_vars(&self) -> Vec<&'static str> {
        let mut vars: Vec<&str> = vec![LOCAL_RANK_VAR];
        vars.extend(self.local_rank_vars);
        vars.extend(
            ALL_LOCAL_RANK_VARS
                .iter()
                .filter(|v| !self.local_rank_vars.contains(v)),
        );
        vars
    }
}

/// Splits a launch word into literal text and placeholder names: `ppr:{n}:node` gives
/// `[Literal("ppr:"), Placeholder("n"), Literal(":node")]`. An unclosed `{` is an error.
pub(crate) fn split_word(word: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = word;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Literal(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("launch word `{word}` has a `{{` without `}}`"))?;
        parts.push(Part::Placeholder(&after[..close]));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Ok(parts)
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flavour_has_its_own_syntax_and_rank_variable() {
        let ompi = launcher(MpiFlavour::OpenMpi);
        assert!(ompi.launch.contains(&"ppr:{ranks_per_node}:node"));
        assert_eq!(
            ompi.all_local_rank_vars()[..2],
            [LOCAL_RANK_VAR, "OMPI_COMM_WORLD_LOCAL_RANK"]
        );
        assert!(ompi.hostfile_slots);
        let pals = launcher(MpiFlavour::CrayPals);
        assert!(pals.launch.contains(&"--ppn"));
        assert_eq!(pals.all_local_rank_vars()[1], "PMI_LOCAL_RANK");
        let hydra = launcher(MpiFlavour::Mpich);
        assert!(hydra.launch.contains(&"-ppn"));
        assert_eq!(hydra.all_local_rank_vars().len(), 6);
        let mpt = launcher(MpiFlavour::HpeMpt);
        assert_eq!(mpt.launch, ["mpiexec", "-np", "{nranks}"]);
        assert_eq!(mpt.all_local_rank_vars()[1], "MPT_LRANK");
        let intel = launcher(MpiFlavour::IntelMpi);
        assert_eq!(intel.all_local_rank_vars()[1], "MPI_LOCALRANKID");
        assert!(compatible(MpiFlavour::Mpich, MpiFlavour::IntelMpi));
        assert!(!compatible(MpiFlavour::OpenMpi, MpiFlavour::Mpich));
    }

    #[test]
    fn mpt_starts_a_program_that_is_not_mpi_through_its_shepherd() {
        assert_eq!(launcher(MpiFlavour::HpeMpt).env, [("MPI_SHEPHERD", "true")]);
        for &flavour in FLAVOURS.iter().filter(|f| **f != MpiFlavour::HpeMpt) {
            assert!(launcher(flavour).env.is_empty(), "{flavour}");
        }
    }

    #[test]
    fn uneven_forms_take_each_hosts_count_from_the_hostfile() {
        for &flavour in FLAVOURS {
            let Some(uneven) = &launcher(flavour).uneven else {
                assert_eq!(flavour, MpiFlavour::CrayPals);
                continue;
            };
            assert!(!uneven.launch.contains(&"{ranks_per_node}"), "{flavour}");
            assert!(uneven.launch.contains(&"{nranks}"), "{flavour}");
        }
    }

    #[test]
    fn every_placeholder_of_every_launcher_is_known() {
        for &flavour in FLAVOURS {
            let uneven = launcher(flavour).uneven.as_ref().map(|u| u.launch);
            for word in launcher(flavour)
                .launch
                .iter()
                .chain(uneven.into_iter().flatten())
            {
                for part in split_word(word).unwrap() {
                    if let Part::Placeholder(name) = part {
                        assert!(PLACEHOLDERS.contains(&name), "{name}");
                    }
                }
            }
        }
    }

    #[test]
    fn words_split_into_literals_and_placeholders() {
        assert_eq!(
            split_word("ppr:{n}:node").unwrap(),
            vec![
                Part::Literal("ppr:"),
                Part::Placeholder("n"),
                Part::Literal(":node")
            ]
        );
        assert_eq!(split_word("{h}").unwrap(), vec![Part::Placeholder("h")]);
        assert!(split_word("a{b").is_err());
    }
}
