//! The MPI flavours of PBS sites, in one table: how each launcher is called and which
//! variable tells a rank its index on its node.

use crate::profile::types::MpiFlavour;

/// Every variable a launcher may set for the node-local rank, flavour's own first. The
/// worker wrapper tries them in this order, so a profile with the wrong flavour still works.
const ALL_LOCAL_RANK_VARS: &[&str] = &[
    "OMPI_COMM_WORLD_LOCAL_RANK",
    "PMI_LOCAL_RANK",
    "PALS_LOCAL_RANKID",
    "MPI_LOCALRANKID",
];

pub struct Launcher {
    pub flavour: MpiFlavour,
}

impl Launcher {
    pub fn new(flavour: MpiFlavour) -> Self {
        Launcher { flavour }
    }

    /// The local-rank variables in the order the wrapper should try them.
    pub fn local_rank_vars(&self) -> Vec<&'static str> {
        let own: &[&str] = match self.flavour {
            MpiFlavour::OpenMpi => &["OMPI_COMM_WORLD_LOCAL_RANK"],
            // MPICH's hydra sets MPI_LOCALRANKID; Cray MPICH under PALS sets PMI_LOCAL_RANK.
            MpiFlavour::Mpich => &["MPI_LOCALRANKID", "PMI_LOCAL_RANK"],
            MpiFlavour::CrayPals => &["PMI_LOCAL_RANK", "PALS_LOCAL_RANKID"],
        };
        let mut vars: Vec<&str> = own.to_vec();
        vars.extend(ALL_LOCAL_RANK_VARS.iter().filter(|v| !own.contains(v)));
        vars
    }

    /// OpenMPI counts slots per host line; the others take one host per line.
    pub fn hostfile_slots(&self) -> bool {
        self.flavour == MpiFlavour::OpenMpi
    }

    /// The launcher's shell words up to (not including) the program it starts. `nranks` and
    /// `hostfile` are shell expressions (variables of the job script), inserted as given.
    pub fn command(&self, ranks_per_node: u32, nranks: &str, hostfile: &str) -> String {
        match self.flavour {
            // --bind-to none: a Dask worker is a multi-threaded process, not one per core.
            MpiFlavour::OpenMpi => {
                format!(
                    "mpiexec -np {nranks} --map-by ppr:{ranks_per_node}:node --bind-to none --hostfile {hostfile}"
                )
            }
            MpiFlavour::Mpich => format!("mpiexec -n {nranks} -ppn {ranks_per_node} -f {hostfile}"),
            MpiFlavour::CrayPals => {
                format!("mpiexec -n {nranks} --ppn {ranks_per_node} --hostfile {hostfile}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flavour_has_its_own_syntax_and_rank_variable() {
        let ompi = Launcher::new(MpiFlavour::OpenMpi);
        assert_eq!(
            ompi.command(8, "\"$n\"", "\"$h\""),
            "mpiexec -np \"$n\" --map-by ppr:8:node --bind-to none --hostfile \"$h\""
        );
        assert_eq!(ompi.local_rank_vars()[0], "OMPI_COMM_WORLD_LOCAL_RANK");
        let pals = Launcher::new(MpiFlavour::CrayPals);
        assert_eq!(
            pals.command(4, "8", "h"),
            "mpiexec -n 8 --ppn 4 --hostfile h"
        );
        assert_eq!(pals.local_rank_vars()[0], "PMI_LOCAL_RANK");
        let hydra = Launcher::new(MpiFlavour::Mpich);
        assert_eq!(hydra.command(2, "4", "h"), "mpiexec -n 4 -ppn 2 -f h");
        assert_eq!(hydra.local_rank_vars().len(), 4);
    }
}
