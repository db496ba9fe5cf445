//! Rules on the PBS request: the queue and its limits, and what the site requires.

use super::{Demands, Problems};
use crate::error::{Code, Error, Suggestion};
use crate::plan::{COUNTED, Plan, chunks_per_host, names_counts};
use crate::profile::layer::{DaskLayer, JobLayer, SystemLayer};
use crate::profile::model::Profile;
use crate::profile::types::{ChunkKind, Queue, RequestKind, Route, WorkerKind, WorkersPer};

pub(super) fn check(profile: &Profile, demands: &Demands, p: &mut Problems) {
    let k = JobLayer::KEYS;
    match (&profile.job.queue, profile.queue()) {
        (Some(name), None) => p.add(k.queue, unknown_queue(profile, name)),
        (_, Some(queue)) => queue_rules(profile, queue, p),
        // No queue named and none stated: nothing to hold the walltime and size against.
        (None, None) => p.note(format!(
            "job.queue is null and the site states no default queue (system.default_queue): walltime {} and the job's size are not checked against the server's limits",
            profile.job.walltime
        )),
    }
    let named_unknown = profile.job.queue.is_some() && profile.queue().is_none();
    if !named_unknown {
        // The layout these rules count with needs a known queue, or none named.
        let plan = Plan::new(profile);
        for (name, found) in chunk_problems(profile, &plan) {
            p.at_resource(found.code, profile, &name, found.message);
        }
        for (key, found) in chunk_kind_problems(profile) {
            p.add(key, found);
        }
    }
    site_rules(profile, demands, p);
}

/// The queue's (or the default queue's) chunk counts, walltimes and routing rows.
fn queue_rules(profile: &Profile, queue: &Queue, p: &mut Problems) {
    let k = JobLayer::KEYS;
    let select = select_problem(profile, queue);
    let walltime = walltime_problem(profile, queue);
    // The routes are only asked once the job fits the queue's own limits.
    let route = (select.is_none() && walltime.is_none())
        .then(|| route_problem(profile, queue))
        .flatten();
    for (key, found) in [(k.select, select), (k.walltime, walltime.or(route))] {
        if let Some(found) = found {
            p.add(key, found);
        }
    }
    if let Some(note) = &queue.note {
        p.note(format!("queue {}: {note}", profile.queue_name()));
    }
}

/// What a chunk kind asks of the request: all-on-one-node GPU chunks cannot be scattered;
/// chunks anywhere are `select` chunks of GPUs, one rank a GPU, through a launcher that
/// starts a different number of ranks on each host.
fn chunk_kind_problems(profile: &Profile) -> Vec<(&'static str, Error)> {
    let Some(queue) = profile.queue() else {
        return Vec::new();
    };
    let name = profile.queue_name();
    let scatter = profile
        .job
        .place
        .as_deref()
        .is_some_and(|p| p.split(':').any(|w| w == "scatter" || w == "vscatter"));
    match queue.chunk {
        ChunkKind::Gpu if scatter && profile.job.request == RequestKind::Select => {
            vec![(
                JobLayer::KEYS.place,
                Error::new(
                    Code::ScatterOnGpuQueue,
                    format!(
                        "`place={}`: {name} puts every chunk (one GPU each) on one node, and scatter would spread them; remove job.place, or use a queue whose chunk is gpus-anywhere",
                        profile.job.place.as_deref().unwrap_or_default()
                    ),
                ),
            )]
        }
        ChunkKind::GpusAnywhere => anywhere_problems(profile, name),
        _ => Vec::new(),
    }
}

fn anywhere_problems(profile: &Profile, name: &str) -> Vec<(&'static str, Error)> {
    let mut found = Vec::new();
    let need = |code: Code, what: &str| {
        Error::new(
            code,
            format!("{name} takes chunks of GPUs anywhere (gpus-anywhere), {what}"),
        )
    };
    if profile.job.request != RequestKind::Select {
        found.push((
            JobLayer::KEYS.request,
            need(
                Code::AnywhereNeedsSelect,
                "which are select chunks: use job.request: select",
            ),
        ));
    }
    if profile.dask.worker != WorkerKind::Cuda || profile.dask.workers_per != WorkersPer::Gpu {
        found.push((
            DaskLayer::KEYS.workers_per,
            need(
                Code::AnywhereNeedsGpuWorkers,
                "each chunk running one GPU worker a GPU: use dask.worker: cuda and dask.workers_per: gpu",
            ),
        ));
    }
    let system = &profile.system;
    let (uneven, launcher) = match &system.launcher {
        Some(_) => (
            false,
            (SystemLayer::KEYS.launcher, "system.launcher".to_string()),
        ),
        None => (
            crate::mpi::launcher(system.mpi).uneven.is_some(),
            (SystemLayer::KEYS.mpi, format!("system.mpi {}", system.mpi)),
        ),
    };
    if !uneven {
        found.push((
            launcher.0,
            need(
                Code::AnywhereNeedsUnevenLauncher,
                &format!(
                    "whose hosts may each run a different number of ranks, which {} cannot start (no per-host rank counts): use system.mpi openmpi, mpich, intel-mpi or hpe-mpt",
                    launcher.1
                ),
            ),
        ));
    }
    found
}

/// The rules that hold whichever queue takes the job.
fn site_rules(profile: &Profile, demands: &Demands, p: &mut Problems) {
    let k = JobLayer::KEYS;
    if let Some(found) = job_wide_problem(profile) {
        p.add(k.request, found);
    }
    for found in directive_problems(profile) {
        p.add(k.directives, found);
    }
    let account_needed = demands.needs.account && profile.system.account_required;
    if account_needed && profile.job.account.is_none() {
        // The site's own variables are read too (NCAR's PBS_ACCOUNT_DERECHO), then PBS's.
        let vars = &profile.system.account_vars;
        let site = if vars.is_empty() {
            String::new()
        } else {
            format!(" (or this site's {}, or PBS_ACCOUNT)", vars.join(", "))
        };
        p.plain(Code::AccountRequired,
            k.account,
            format!(
                "is required on this site: pass --account PROJECT, set DASK_PBS_ACCOUNT{site}, or put `job: {{account: PROJECT}}` in {}",
                demands.defaults_file_text()
            ),
        );
    }
    if profile.system.filesystems_required && profile.job.filesystems.is_empty() {
        p.plain(Code::FilesystemsRequired, k.filesystems, "is required on this site: list the filesystems the job uses, as the site's guide names them (e.g. `filesystems: [home, eagle]` at ALCF); qsub refuses the job without -l filesystems");
    }
}

/// A job-wide request that names its own counts, or no request, is one node's: it cannot
/// grow with `select`. One that leaves the counts to dask-pbs grows by whole nodes.
fn job_wide_problem(profile: &Profile) -> Option<Error> {
    let (request, select) = (profile.job.request, profile.job.select);
    match request {
        RequestKind::JobWide if select != 1 && names_counts(profile) => Some(Error::new(
            Code::JobWideOneNode,
            format!(
                "job-wide resources that name ncpus, ngpus or mem (job.resources) are for one node; got job.select {select}: use -n 1, leave them out so dask-pbs counts them from the node shape, or job.request: select"
            ),
        )),
        RequestKind::None if select != 1 => Some(Error::new(
            Code::NoRequestOneNode,
            format!(
                "none asks for no resources, so the job is one node; got job.select {select}: use -n 1, or job.request: job-wide or select"
            ),
        )),
        _ => None,
    }
}

fn unknown_queue(profile: &Profile, queue: &str) -> Error {
    let names: Vec<&str> = profile.system.queues.keys().map(String::as_str).collect();
    if names.is_empty() {
        return Error::new(
            Code::NoQueues,
            format!(
                "no queue `{}`: this site takes no -q (system.queues is empty); remove job.queue (--queue)",
                queue.escape_debug()
            ),
        );
    }
    let hint = Suggestion::for_name(queue, names.iter().copied())
        .map(|s| format!("{s} "))
        .unwrap_or_default();
    Error::new(
        Code::UnknownQueue,
        format!(
            "no queue `{}` on this site; {hint}queues: {}",
            queue.escape_debug(),
            names.join(", ")
        ),
    )
}

/// The chunk count must be one the queue takes, and a GPU-chunk queue's GPUs fit one node.
fn select_problem(profile: &Profile, queue: &Queue) -> Option<Error> {
    let (name, select) = (profile.queue_name(), profile.job.select);
    let unit = chunk_unit(queue.chunk);
    let gpus = profile.system.gpus_per_node;
    let (code, message) = if !queue.chunks.allows(select) {
        (
            Code::SelectNotAccepted,
            format!(
                "{name} accepts {} {unit}; got {select}",
                queue.chunks.describe()
            ),
        )
    } else if queue.chunk == ChunkKind::Gpu
        && profile.job.request == RequestKind::JobWide
        && select > gpus
        && !select.is_multiple_of(gpus.max(1))
    {
        (
            Code::NotWholeNodes,
            format!(
                "{name}: a request beyond one node is whole nodes of {gpus} GPUs; got {select}: use {} or {}",
                select / gpus.max(1) * gpus,
                select.div_ceil(gpus.max(1)) * gpus
            ),
        )
    } else if queue.chunk == ChunkKind::Gpu
        && profile.job.request != RequestKind::JobWide
        && select > gpus
    {
        (
            Code::GpusOverOneNode,
            format!("{name} puts all GPUs on one node, which has {gpus}; got {select}"),
        )
    } else {
        return None;
    };
    Some(Error::new(code, message))
}

/// What `job.select` counts on a queue of this chunk kind, for messages.
fn chunk_unit(chunk: ChunkKind) -> &'static str {
    match chunk {
        ChunkKind::Gpu => "GPUs",
        ChunkKind::Node => "nodes",
        ChunkKind::GpusAnywhere => "chunks",
    }
}

fn walltime_problem(profile: &Profile, queue: &Queue) -> Option<Error> {
    let [min, max] = queue.walltime;
    let walltime = profile.job.walltime;
    (walltime < min || walltime > max).then(|| {
        Error::new(
            Code::WalltimeOutOfRange,
            format!(
                "{} allows walltimes from {min} to {max}; got {walltime}",
                profile.queue_name()
            ),
        )
    })
}

/// A routing queue passes a job to the first destination whose rows it fits; a job that
/// fits the queue's envelope but no row is rejected by all of them (ALCF: "Job rejected by
/// all possible destinations", or the job vanishes). Names the row the chunk count selects.
fn route_problem(profile: &Profile, queue: &Queue) -> Option<Error> {
    if queue.routes.is_empty() {
        return None;
    }
    let (name, select, walltime) = (
        profile.queue_name(),
        profile.job.select,
        profile.job.walltime,
    );
    let unit = chunk_unit(queue.chunk);
    let by_count: Vec<_> = queue
        .routes
        .iter()
        .filter(|r| r.chunks.allows(select))
        .collect();
    if by_count
        .iter()
        .any(|r| (r.walltime[0]..=r.walltime[1]).contains(&walltime))
    {
        return None;
    }
    let describe = |rows: &[&Route]| -> String {
        let text: Vec<String> = rows.iter().map(|r| r.describe(unit)).collect();
        text.join(" or ")
    };
    Some(if by_count.is_empty() {
        let all: Vec<&Route> = queue.routes.iter().collect();
        Error::new(
            Code::RouteSize,
            format!(
                "{name} is a routing queue and none of its destinations takes {select} {unit}: {}; choose a size one of them takes",
                describe(&all)
            ),
        )
    } else {
        Error::new(
            Code::RouteWalltime,
            format!(
                "{name} is a routing queue and sends {select} {unit} to {}, which does not take walltime {walltime}; fit that row's limits (or choose a size another row takes)",
                describe(&by_count)
            ),
        )
    })
}

/// `ngpus`, `ncpus` and `mpiprocs` of the chunk must agree with the layout dask-pbs starts
/// and fit the node; each problem with the resource it is about.
fn chunk_problems(profile: &Profile, plan: &Plan) -> Vec<(String, Error)> {
    let mut found: Vec<(String, Error)> = memory_problem(profile)
        .map(|m| ("mem".to_string(), Error::new(Code::MemOverNode, m)))
        .into_iter()
        .collect();
    for (key, value) in &profile.job.resources {
        if !["ngpus", "ncpus", "mpiprocs"].contains(&key.as_str()) {
            continue;
        }
        let message = match value.parse::<u32>() {
            Ok(n) => chunk_count_problem(profile, plan, key, n),
            Err(_) => Some(Error::new(
                Code::NotACount,
                format!("`{key}={value}` is not a count"),
            )),
        };
        found.extend(message.map(|m| (key.clone(), m)));
    }
    found
}

/// A `mem=` that asks one node for more than it has: PBS would never start the job.
fn memory_problem(profile: &Profile) -> Option<String> {
    let node = profile.system.memory_per_node.as_deref()?;
    let wanted = crate::plan::requested_memory(profile)?;
    let has = crate::size::hardware_bytes(node).ok()?;
    (wanted > has).then(|| {
        format!(
            "`mem={}` asks one node for {wanted} bytes, more than it has (system.memory_per_node {node} is {has} bytes)",
            profile.job.resources["mem"]
        )
    })
}

/// Where a node's count comes from: the chosen node type's shape, or the site's.
fn node_shape(profile: &Profile, what: &str, count: u32) -> String {
    match &profile.job.node_type {
        Some(name) => format!("node type {name}: {what} {count}"),
        None => format!("system.{what}_per_node {count}"),
    }
}

fn chunk_count_problem(profile: &Profile, plan: &Plan, key: &str, n: u32) -> Option<Error> {
    let (select, system) = (profile.job.select, &profile.system);
    let queue = profile.queue_name();
    let chunks_per_node = match profile.job.request {
        RequestKind::Select => chunks_per_host(profile),
        _ => 1,
    };
    let per_chunk = plan.chunk_layout.as_ref().map_or(1, |l| l.ranks_per_chunk);
    let (code, message) = match (plan.chunk, key) {
        (ChunkKind::Gpu, "ngpus") if n != 1 => (
            Code::NgpusPerGpuChunk,
            format!(
                "`ngpus={n}`: on {queue} one chunk is one GPU, so job.select {select} already asks for {select} GPUs; remove ngpus or set it to 1"
            ),
        ),
        (_, "ngpus") if n > system.gpus_per_node => (
            Code::NgpusOverNode,
            format!(
                "`ngpus={n}` is more than a node has ({})",
                node_shape(profile, "gpus", system.gpus_per_node)
            ),
        ),
        (ChunkKind::Node, "ngpus") if plan.gpus_per_node > 0 && n != plan.gpus_per_node => (
            Code::NgpusDisagrees,
            format!(
                "`ngpus={n}` disagrees with the workers: dask-pbs starts one worker on each of the node's {0} GPUs; set ngpus={0} or remove it",
                plan.gpus_per_node
            ),
        ),
        (_, "ncpus") if n.saturating_mul(chunks_per_node) > system.cpus_per_node => (
            Code::NcpusOverNode,
            format!(
                "`ncpus={n}` is more than a node has ({})",
                node_shape(profile, "cpus", system.cpus_per_node)
            ),
        ),
        (ChunkKind::Gpu, "mpiprocs") if n != 1 => (
            Code::MpiprocsPerGpuChunk,
            format!(
                "`mpiprocs={n}`: on {queue} each chunk (one GPU) runs one rank; remove mpiprocs or set it to 1"
            ),
        ),
        (ChunkKind::GpusAnywhere, "mpiprocs") if n != per_chunk => (
            Code::MpiprocsPerAnywhereChunk,
            format!(
                "`mpiprocs={n}`: on {queue} each chunk runs {per_chunk} rank(s), one a GPU; set mpiprocs={per_chunk} or remove it"
            ),
        ),
        (ChunkKind::Node, "mpiprocs") if n != plan.ranks_per_node => (
            Code::MpiprocsDisagrees,
            format!(
                "`mpiprocs={n}` disagrees with the layout: dask-pbs starts {0} rank(s) per node; set mpiprocs={0} or remove it",
                plan.ranks_per_node
            ),
        ),
        _ => return None,
    };
    Some(Error::new(code, message))
}

/// The `#PBS` options dask-pbs writes itself, with the key (and flag) that sets each.
const OWN_OPTIONS: &[(&str, &str)] = &[
    ("-q", "job.queue (--queue)"),
    ("-N", "job.name (--name)"),
    ("select", "job.select (--select) and job.resources"),
    ("walltime", "job.walltime (--walltime)"),
    ("place", "job.place"),
    ("filesystems", "job.filesystems"),
];

/// The option the project directive is known by: `-A`, `-P`, or `group_list` of `-W`.
fn account_option_name(profile: &Profile) -> Option<&str> {
    let directive = profile.system.account_directive.as_deref()?;
    Some(
        directive
            .strip_prefix("-W ")
            .map_or(directive, |a| a.trim_end_matches('=')),
    )
}

/// Directives that repeat what dask-pbs renders: PBS would see two, and one would lose.
fn directive_problems(profile: &Profile) -> Vec<Error> {
    let mut found = Vec::new();
    for directive in &profile.job.directives {
        let (flag, value) = directive.split_once(' ').unwrap_or((directive, ""));
        let mut names: Vec<&str> = vec![flag];
        for letter in ["-l", "-W"] {
            if let Some(joined) = flag.strip_prefix(letter) {
                // `-l a=1,b=2` and `-la=1`: each resource (or attribute) is its own option.
                let list = if joined.is_empty() { value } else { joined };
                names.extend(
                    list.split(',')
                        .map(|r| r.split('=').next().unwrap_or("").trim()),
                );
            }
        }
        let account = account_option_name(profile).map(|name| (name, "job.account (--account)"));
        let keep = profile.system.keep.as_ref().map(|_| ("-k", "system.keep"));
        let keys = OWN_OPTIONS
            .iter()
            .copied()
            .chain(account)
            .chain(keep)
            .filter(|(option, _)| names.contains(option));
        for (_, key) in keys {
            found.push(Error::new(
                Code::DirectiveRepeats,
                format!("`{directive}` repeats what dask-pbs writes itself; use {key} instead"),
            ));
        }
        let select = profile.job.request == RequestKind::Select;
        found.extend(foreign_directive(directive, flag, &names, select));
        let job_wide = flag.starts_with("-l") && COUNTED.iter().any(|c| names.contains(c));
        if job_wide && profile.job.request == RequestKind::Select {
            found.push(Error::new(
                Code::JobWideBesideSelect,
                format!(
                    "`{directive}`: PBS Pro refuses job-wide ncpus, ngpus or mem beside select; put them in job.resources (each chunk), or use job.request: job-wide"
                ),
            ));
        }
    }
    found
}

/// Directives PBS Pro refuses beside what dask-pbs writes, or that would start more than one
/// cluster: Torque's `nodes=` with `select`, and job arrays.
fn foreign_directive(directive: &str, flag: &str, names: &[&str], select: bool) -> Option<Error> {
    if select && flag.starts_with("-l") && names.contains(&"nodes") {
        return Some(Error::new(
            Code::TorqueNodes,
            format!(
                "`{directive}` is Torque's request form, which PBS Pro refuses beside select; use job.select and job.resources (ncpus, mpiprocs)"
            ),
        ));
    }
    flag.starts_with("-J").then(|| {
        Error::new(
            Code::JobArray,
            format!(
                "`{directive}` makes a job array: each subjob would start a cluster of its own; submit one job per cluster"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::sophia;

    #[test]
    fn an_unknown_queue_names_the_closest_and_all() {
        let mut profile = sophia();
        profile.job.queue = Some("by-gpus".into());
        assert_eq!(
            unknown_queue(&profile, "by-gpus").message,
            "no queue `by-gpus` on this site; did you mean `by-gpu`? queues: by-gpu, by-node, bigmem"
        );
        profile.job.queue = Some("zzz".into());
        assert!(
            !unknown_queue(&profile, "zzz")
                .message
                .contains("did you mean")
        );
    }

    #[test]
    fn select_must_be_a_count_the_queue_takes_and_fit_the_node() {
        let mut profile = sophia();
        let queue = profile.queue().unwrap().clone();
        assert!(select_problem(&profile, &queue).is_none());
        profile.job.select = 3;
        assert!(
            select_problem(&profile, &queue)
                .unwrap()
                .message
                .contains("accepts 1, 2, 4 or 8 GPUs")
        );
        profile.job.select = 8;
        profile.system.gpus_per_node = 4;
        assert!(
            select_problem(&profile, &queue)
                .unwrap()
                .message
                .contains("puts all GPUs on one node, which has 4; got 8")
        );
    }

    #[test]
    fn walltime_within_the_queue_limits() {
        let mut profile = sophia();
        let queue = profile.queue().unwrap().clone();
        assert!(walltime_problem(&profile, &queue).is_none());
        profile.job.walltime = "00:04:59".parse().unwrap();
        assert!(walltime_problem(&profile, &queue).is_some());
        profile.job.walltime = "24:00:01".parse().unwrap();
        assert!(walltime_problem(&profile, &queue).is_some());
    }

    #[test]
    fn the_limits_themselves_are_allowed() {
        // The boundaries: 8 GPUs of an 8-GPU node, the queue's longest walltime, ngpus equal
        // to the node's GPUs on a node-chunk queue.
        let mut profile = sophia();
        let queue = profile.queue().unwrap().clone();
        profile.job.select = 8;
        assert!(select_problem(&profile, &queue).is_none());
        profile.job.walltime = "24:00:00".parse().unwrap();
        assert!(walltime_problem(&profile, &queue).is_none());
        profile.job.queue = Some("by-node".into());
        profile.job.select = 1;
        let plan = Plan::new(&profile);
        assert!(chunk_count_problem(&profile, &plan, "ngpus", 8).is_none());
        assert!(chunk_count_problem(&profile, &plan, "ngpus", 9).is_some());
    }

    #[test]
    fn a_job_wide_request_is_for_one_node() {
        let mut profile = sophia();
        profile.job.request = RequestKind::JobWide;
        profile.job.select = 1;
        assert!(job_wide_problem(&profile).is_none());
        profile.job.select = 2;
        profile.job.resources.shift_remove("ncpus");
        profile.job.resources.shift_remove("ngpus");
        profile.job.resources.shift_remove("mem");
        assert!(
            job_wide_problem(&profile).is_none(),
            "counted from the node shape"
        );
        profile.job.resources.insert("mem".into(), "1GB".into());
        assert_eq!(
            job_wide_problem(&profile).unwrap().code,
            Code::JobWideOneNode
        );
        profile.job.request = RequestKind::None;
        assert_eq!(
            job_wide_problem(&profile).unwrap().code,
            Code::NoRequestOneNode
        );
        profile.job.request = RequestKind::Select;
        assert!(job_wide_problem(&profile).is_none());
    }

    #[test]
    fn no_queue_means_no_queue_rule() {
        let mut profile = sophia();
        profile.job.queue = None;
        profile.job.walltime = "700:00:00".parse().unwrap();
        let layer = crate::profile::layer::Layer::default();
        let mut problems = Problems::new(&layer);
        check(
            &profile,
            &Demands {
                needs: super::super::Needs::NONE,
                defaults_file: None,
                workdir: None,
            },
            &mut problems,
        );
        assert!(problems.found.is_empty(), "{:?}", problems.found);
    }

    #[test]
    fn chunk_counts_agree_with_the_layout_and_fit_the_node() {
        let mut profile = sophia();
        let count = |profile: &Profile, key: &str, n: u32| {
            chunk_count_problem(profile, &Plan::new(profile), key, n)
        };
        assert!(count(&profile, "ngpus", 1).is_none());
        assert!(
            count(&profile, "ngpus", 4)
                .unwrap()
                .message
                .contains("already asks for 2 GPUs")
        );
        assert!(count(&profile, "mpiprocs", 2).is_some());
        assert!(count(&profile, "ncpus", 128).is_none());
        assert!(
            count(&profile, "ncpus", 129).is_some(),
            "2 chunks x 129 > 256"
        );
        profile.job.queue = Some("by-node".into());
        profile.job.select = 1;
        assert!(count(&profile, "ngpus", 8).is_none());
        assert!(
            count(&profile, "ngpus", 9)
                .unwrap()
                .message
                .contains("more than a node has")
        );
        assert!(
            count(&profile, "ngpus", 4)
                .unwrap()
                .message
                .contains("disagrees with the workers")
        );
        assert!(count(&profile, "mpiprocs", 8).is_none(), "one rank per GPU");
        assert!(
            count(&profile, "mpiprocs", 4)
                .unwrap()
                .message
                .contains("starts 8 rank(s) per node")
        );
        assert!(count(&profile, "ncpus", 257).is_some());
    }

    #[test]
    fn directives_that_repeat_the_request_name_the_key_to_use() {
        let mut profile = sophia();
        profile.job.directives = vec![
            "-l select=1:ngpus=4".into(),
            "-l job_priority=regular".into(),
            "-lwalltime=1:00:00".into(),
            "-l place=scatter,filesystems=home".into(),
            "-q debug".into(),
            "-A proj".into(),
            "-N x".into(),
            "-k oe".into(),
            "-r y".into(),
        ];
        let found = directive_problems(&profile);
        assert_eq!(found.len(), 8, "{found:#?}");
        assert!(
            found[0]
                .message
                .ends_with("use job.select (--select) and job.resources instead")
        );
        profile.system.keep = None;
        assert_eq!(directive_problems(&profile).len(), 7);
    }

    #[test]
    fn the_project_directive_rule_follows_the_sites_directive() {
        let mut profile = sophia();
        profile.job.directives = vec!["-P a00".into(), "-W group_list=s1".into(), "-A x".into()];
        profile.system.account_directive = Some("-P".into());
        let found = directive_problems(&profile);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.starts_with("`-P a00` repeats"));
        profile.system.account_directive = Some("-W group_list=".into());
        let found = directive_problems(&profile);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.starts_with("`-W group_list=s1` repeats"));
        profile.system.account_directive = None;
        assert!(directive_problems(&profile).is_empty());
    }
}
