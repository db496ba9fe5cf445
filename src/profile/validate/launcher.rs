//! Rules on how the workers are launched: a profile's own launcher and extra launcher words
//! fill only the placeholders the job knows, and ranks on one node can tell themselves apart.

use super::Problems;
use super::words::{is_directive_word, text_problem};
use crate::error::{Code, Error};
use crate::mpi::{self, Part};
use crate::plan::Plan;
use crate::profile::layer::SystemKeys;
use crate::profile::model::Profile;
use crate::profile::types::{MpiFlavour, RequestKind};

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let k = crate::profile::layer::SystemLayer::KEYS;
    let system = &profile.system;
    if let Some(custom) = &system.launcher {
        if custom.words.is_empty() {
            p.at(
                Code::LauncherNoWords,
                k.launcher,
                "has no words; give the launcher command, e.g. [srun, -n, \"{nranks}\"]",
            );
        }
        if let Some(program) = custom.words.first()
            && !is_program(program)
        {
            p.at(Code::LauncherProgram,
                k.launcher,
                format!(
                    "the first word `{}` must be the launcher program (a name or path: letters, digits and /._+-)",
                    program.escape_debug()
                ),
            );
        }
        for found in custom.words.iter().filter_map(|w| word_problem(w)) {
            p.add(k.launcher, found);
        }
        for var in &custom.local_rank_vars {
            if !super::system::is_variable_name(var) {
                p.at(
                    Code::LocalRankVarName,
                    k.launcher,
                    format!(
                        "local-rank variable `{}` is not an environment variable name",
                        var.escape_debug()
                    ),
                );
            }
        }
    }
    for found in system.launcher_args.iter().filter_map(|w| word_problem(w)) {
        p.add(k.launcher_args, found);
    }
    if let Some(program) = &system.launcher_program
        && !(is_program(program) && is_directive_word(program, "/"))
    {
        p.at(Code::NotAProgram,
            k.launcher_program,
            format!(
                "`{}` is not a program: give the launcher's name or path (letters, digits and /._+-), e.g. mpiexec_mpt",
                program.escape_debug()
            ),
        );
    }
    if profile
        .job
        .queue
        .as_ref()
        .is_none_or(|q| system.queues.contains_key(q))
    {
        layout_rules(profile, &k, p);
    }
}

/// What the layout needs of the launcher: a way to tell ranks of one node apart, and (MPT)
/// PBS's node file listing each node once per rank.
fn layout_rules(profile: &Profile, k: &SystemKeys, p: &mut Problems) {
    let plan = Plan::new(profile);
    let many = plan.ranks_per_node > 1;
    if let Some(custom) = &profile.system.launcher
        && custom.local_rank_vars.is_empty()
        && many
    {
        p.at(Code::NoLocalRankVars,
            k.launcher,
            format!(
                "names no local_rank_vars, so the {} ranks on a node cannot tell themselves apart (each would take GPU 0 and the same name); name the launcher's local-rank variable, or use one rank per node (dask.workers_per: node)",
                plan.ranks_per_node
            ),
        );
    }
    let mpt = profile.system.mpi == MpiFlavour::HpeMpt && profile.system.launcher.is_none();
    // MPT places the ranks of each chunk from its mpiprocs: a node's, or (chunks anywhere)
    // a chunk's.
    let (ranks, of) = match &plan.chunk_layout {
        Some(layout) => (layout.ranks_per_chunk, "the ranks per chunk"),
        None => (plan.ranks_per_node, "the ranks per node"),
    };
    if mpt && ranks > 1 && profile.job.request == RequestKind::Select {
        let mpiprocs = profile.job.resources.get("mpiprocs").map(String::as_str);
        if mpiprocs != Some(ranks.to_string().as_str()) {
            p.plain(Code::MptMpiprocs,
                k.mpi,
                format!(
                    "is hpe-mpt, whose mpiexec places ranks from PBS's node file: set job.resources.mpiprocs to {ranks} ({of}), or use one rank per node (dask.workers_per: node)"
                ),
            );
        }
    }
}

/// `srun`, `/opt/pbs/bin/mpiexec`: a word the shell runs as a command, nothing it expands.
fn is_program(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._+-".contains(c))
}

/// A launcher word whose placeholders the job cannot fill.
fn word_problem(word: &str) -> Option<Error> {
    if let Some(found) = text_problem(word) {
        return Some(found);
    }
    let parts = match mpi::split_word(word) {
        Ok(parts) => parts,
        Err(message) => return Some(Error::new(Code::UnclosedPlaceholder, message)),
    };
    parts.into_iter().find_map(|part| match part {
        Part::Placeholder(name) if !mpi::PLACEHOLDERS.contains(&name) => {
            let known: Vec<String> = mpi::PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect();
            Some(Error::new(
                Code::UnknownPlaceholder,
                format!(
                    "launcher word `{}` has the unknown placeholder `{}`; known: {}",
                    word.escape_debug(),
                    name.escape_debug(),
                    known.join(", ")
                ),
            ))
        }
        _ => None,
    })
}
