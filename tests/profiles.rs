//! Site rules and users' own profiles: every validation rule has a failing input with its
//! message checked; user profiles are found, explained and rendered.

use crate::common::{DaskPbs, dask_pbs, ok};

fn fails(args: &[&str], message: &str) {
    let run = dask_pbs(args);
    assert_eq!(run.code, 2, "expected exit 2 for {args:?}: {}", run.stderr);
    assert_eq!(run.stdout, "", "nothing on stdout on error");
    assert!(
        run.stderr.contains(message),
        "expected {message:?} in:\n{}",
        run.stderr
    );
}

/// One validation case: a command (with, when `yaml` is not empty, a profile file `p` in a
/// `--profile-dir`), the exit code and a fragment of stderr, word for word.
/// Cases run as a user whose defaults file names a Python environment (`DaskPbs::new`),
/// unless `bare`; `{HOME}` in `expect` stands for that user's home.
pub(crate) struct Case {
    pub(crate) args: &'static [&'static str],
    pub(crate) yaml: &'static str,
    pub(crate) code: i32,
    pub(crate) bare: bool,
    /// With no HOME or XDG_CONFIG_HOME: no config directory at all.
    pub(crate) homeless: bool,
    pub(crate) expect: &'static str,
}

const fn case(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        yaml: "",
        code: 2,
        bare: false,
        homeless: false,
        expect,
    }
}

const fn file(yaml: &'static str, args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        yaml,
        code: 2,
        bare: false,
        homeless: false,
        expect,
    }
}

/// A warning: exit 0, the note on stderr.
const fn warns(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        yaml: "",
        code: 0,
        bare: false,
        homeless: false,
        expect,
    }
}

/// A warning from a profile file: exit 0, the note on stderr.
const fn file_warns(
    yaml: &'static str,
    args: &'static [&'static str],
    expect: &'static str,
) -> Case {
    Case {
        args,
        yaml,
        code: 0,
        bare: false,
        homeless: false,
        expect,
    }
}

/// A site that takes no `-q` (issue 28): its limits are those of the server's default queue,
/// whose chunks are GPUs anywhere; two 1-GPU chunks on 4-GPU nodes.
macro_rules! uni {
    () => {
        "description: no -q, GPU chunks anywhere\nsystem:\n  gpus_per_node: 4\n  cpus_per_node: 32\n  memory_per_node: 256GB\n  queues: {}\n  default_queue:\n    chunk: gpus-anywhere\n    chunks: {min: 1, max: 16}\n    walltime: [\"00:01:00\", \"72:00:00\"]\n    tiers: [{gpus: 8, walltime: \"72:00:00\"}, {gpus: 16, walltime: \"24:00:00\"}]\njob: {queue: null, select: 2, resources: {ncpus: 4, ngpus: 1, mem: 32GB}}\nenv: {venv: /e}\n"
    };
}

/// As a user with no configuration.
const fn bare(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        yaml: "",
        code: 2,
        bare: true,
        homeless: false,
        expect,
    }
}

/// As a user with no home directory (so no defaults file to name).
const fn homeless(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        yaml: "",
        code: 2,
        bare: true,
        homeless: true,
        expect,
    }
}

/// Every validation rule, with an input that breaks it and the whole message it gives.
/// tests/errors.rs runs them again, by message, as the cases of the validation codes (its
/// exhaustive match is what proves every rule's code has a case here).
pub(crate) const CASES: &[Case] = &[
    // --- the request
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.account_directive=-Q x",
        ],
        "system.account_directive (from command-line flag --set system.account_directive=-Q x): `-Q x` is not a project directive: use a qsub option like -A or -P, `-W group_list=`, or null for none",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "job.request=job-wide",
            "-n",
            "2",
        ],
        "job.request (from command-line flag --set job.request=job-wide): job-wide resources that name ncpus, ngpus or mem (job.resources) are for one node; got job.select 2: use -n 1, leave them out so dask-pbs counts them from the node shape, or job.request: select",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "job.request=none",
            "-n",
            "2",
        ],
        "job.request (from command-line flag --set job.request=none): none asks for no resources, so the job is one node; got job.select 2: use -n 1, or job.request: job-wide or select",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi-gpu",
            "-A",
            "a00",
            "--env",
            "/e",
            "-n",
            "6",
        ],
        "job.select (from command-line flag --select): gpuvolta: a request beyond one node is whole nodes of 4 GPUs; got 6: use 4 or 8",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "job.directives=[-l ncpus=64]",
        ],
        "`-l ncpus=64`: PBS Pro refuses job-wide ncpus, ngpus or mem beside select; put them in job.resources (each chunk), or use job.request: job-wide",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "dask.local_directory=/s/$(id)",
        ],
        "`/s/$(id)` holds shell code; only $NAME and ${NAME} are expanded",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "dask.resources={IO: -1}",
        ],
        "dask.resources (from command-line flag --set dask.resources={IO: -1}): `IO: -1` is not a worker resource: names are identifiers and amounts non-negative numbers (e.g. `GPU: 1`)",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "X", "-q", "by-gpus"],
        "job.queue (from command-line flag --queue): no queue `by-gpus` on this site; did you mean `by-gpu`? queues: by-gpu, by-node, bigmem",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "X", "-n", "3"],
        "job.select (from command-line flag --select): by-gpu accepts 1, 2, 4 or 8 GPUs; got 3",
    ),
    case(
        &["check", "--profile", "sophia-node", "-A", "X", "-n", "9"],
        "by-node accepts 1 to 8 nodes; got 9",
    ),
    case(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "-q",
            "prod",
            "-n",
            "2",
        ],
        "prod accepts 10 to 496 nodes; got 2",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "-n",
            "8",
            "--set",
            "system.gpus_per_node=4",
        ],
        "job.select (from command-line flag --select): by-gpu puts all GPUs on one node, which has 4; got 8",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "X", "-t", "00:01:00"],
        "job.walltime (from command-line flag --walltime): by-gpu allows walltimes from 00:05:00 to 24:00:00; got 00:01:00",
    ),
    case(
        &["check", "--profile", "polaris", "-A", "X", "-t", "02:00:00"],
        "debug allows walltimes from 00:05:00 to 01:00:00; got 02:00:00",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "X", "-t", "1h"],
        "--walltime: `1h` is not a PBS duration",
    ),
    case(
        &["check", "--profile", "sophia"],
        "job.account is required on this site: pass --account PROJECT, set DASK_PBS_ACCOUNT, or put `job: {account: PROJECT}` in {HOME}/config/dask-pbs/defaults.yaml",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.filesystems=[]",
        ],
        "job.filesystems is required on this site: list the filesystems the job uses, as the site's guide names them (e.g. `filesystems: [home, eagle]` at ALCF); qsub refuses the job without -l filesystems",
    ),
    warns(
        &["check", "--profile", "sophia", "-A", "X", "-t", "00:05:00"],
        "dask-pbs: warning: dask.shutdown_margin 00:05:00 does not fit the walltime 00:05:00; using 00:00:30\n",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.resources={ngpus: 4}",
        ],
        "job.resources (from command-line flag --set job.resources={ngpus: 4}): `ngpus=4`: on by-gpu one chunk is one GPU, so job.select 2 already asks for 2 GPUs; remove ngpus or set it to 1",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia-node",
            "-A",
            "X",
            "--set",
            "job.resources={ngpus: 9}",
        ],
        "`ngpus=9` is more than a node has (system.gpus_per_node 8)",
    ),
    // With a node type chosen, its shape is the node's: the message names it.
    case(
        &[
            "check",
            "--profile",
            "pleiades",
            "-A",
            "s1",
            "--env",
            "/e",
            "--set",
            "job.resources.ncpus=999",
        ],
        "`ncpus=999` is more than a node has (node type cas_ait: cpus 40)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia-node",
            "-A",
            "X",
            "--set",
            "job.resources={ngpus: 4}",
        ],
        "`ngpus=4` disagrees with the workers: dask-pbs starts one worker on each of the node's 8 GPUs; set ngpus=8 or remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia-node",
            "-A",
            "X",
            "--set",
            "job.resources={ncpus: 512}",
        ],
        "`ncpus=512` is more than a node has (system.cpus_per_node 256)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.resources={mpiprocs: 2}",
        ],
        "`mpiprocs=2`: on by-gpu each chunk (one GPU) runs one rank; remove mpiprocs or set it to 1",
    ),
    case(
        &[
            "check",
            "--profile",
            "derecho",
            "-A",
            "X",
            "--set",
            "dask.workers_per=node",
        ],
        "`mpiprocs=4` disagrees with the layout: dask-pbs starts 1 rank(s) per node; set mpiprocs=1 or remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.resources={ngpus: four}",
        ],
        "`ngpus=four` is not a count",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[-l select=1:ngpus=4]",
        ],
        "job.directives (from command-line flag --set job.directives=[-l select=1:ngpus=4]): `-l select=1:ngpus=4` repeats what dask-pbs writes itself; use job.select (--select) and job.resources instead",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[-k oe]",
        ],
        "`-k oe` repeats what dask-pbs writes itself; use system.keep instead",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--name",
            "my job",
        ],
        "job.name (from command-line flag --name): `my job` is not a PBS job name: use 1-230 characters of A-Z a-z 0-9 _ . + -",
    ),
    // A bare number is read as seconds, as PBS reads it: 90 s is shorter than the start-up.
    warns(
        &["check", "--profile", "pbs-cpu", "--env", "/e", "-t", "90"],
        "dask-pbs: warning: job.walltime 00:01:30 (from command-line flag --walltime) is shorter than dask.startup_timeout (300 s): PBS reads `90` as 90 seconds and `1:30` as 1 minute 30; an hour and a half is `01:30:00`\n",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "YOUR_PROJECT"],
        "job.account (from command-line flag --account): `YOUR_PROJECT` is a placeholder, not a project: give the project your site charges (`-A PROJECT`, as in your site's `sbank`/`qstat -u` or allocation e-mail)",
    ),
    case(
        &["check", "--profile", "sophia", "-A", "a;b"],
        "job.account (from command-line flag --account): `a;b` is not a project name: use letters, digits and _.+-",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.filesystems=[home:eagle]",
        ],
        "`home:eagle` is not a file system name (letters, digits, _)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.place=everywhere",
        ],
        "job.place (from command-line flag --set job.place=everywhere): `everywhere` is not a PBS placement; use words of free, pack, scatter, vscatter, excl, shared, exclhost joined by `:`",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.resources={mem: 4 GB}",
        ],
        "`mem=4 GB` is not a PBS chunk resource; names are identifiers and values letters, digits and _.+-/ (NCI storage=gdata/a00+scratch/a00)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.resources={select: 4}",
        ],
        "`select` is set by dask-pbs; use job.select or job.walltime",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[l x]",
        ],
        "`l x` is not a qsub option: it must start with `-` and hold only letters, digits, spaces and _.,:=+@/-",
    ),
    // --- the site
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.login_host=a b",
        ],
        "system.login_host (from command-line flag --set system.login_host=a b): `a b` is not a host name",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.keep=x",
        ],
        "`x` is not a qsub -k value; use letters of e, o, d, n (ALCF requires doe)",
    ),
    file(
        "description: no queues\nsystem: {queues: {}}\njob: {queue: q}\n",
        &["check", "--profile", "p"],
        "p.yaml:3:14): no queue `q`: this site takes no -q (system.queues is empty); remove job.queue (--queue)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.queues={a b: {chunk: node, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"]}}",
        ],
        "queue name `a b` may only hold letters, digits and _.+-@",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.queues={q: {chunk: node, chunks: [1], walltime: [\"02:00:00\", \"01:00:00\"]}}",
        ],
        "queue q: walltime minimum 02:00:00 is above its maximum 01:00:00",
    ),
    file(
        "description: nothing else\n",
        &["check", "--profile", "p"],
        "system.queues is missing: set it in the profile or with --set system.queues=VALUE",
    ),
    case(
        &["check", "--profile", "pbs-cpu", "--env", "~/envs/`id`"],
        "env.conda (from command-line flag --env): `~/envs/`id`` holds shell code; only $NAME and ${NAME} are expanded (a leading ~/ too, on the node, when the job sets up its environment)",
    ),
    file(
        "description: x\nextends: pbs-cpu\ntemplates: nowhere\n",
        &["check", "--profile", "p", "--env", "/e"],
        "relative to the profile file); give the profile's own template directory, or null",
    ),
    // --- node types
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "a",
            "--env",
            "/e",
            "--node-type",
            "h100",
            "-n",
            "4",
        ],
        "job.select (from command-line flag --select): node type h100 has 2 node(s); got 4: ask for at most 2",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "a",
            "--env",
            "/e",
            "--set",
            "job.resources.gpu_type=a100",
        ],
        "job.resources (from command-line flag --set job.resources.gpu_type=a100): `gpu_type=a100` selects no node type of this site; choose one with --node-type NAME or --set job.resources.gpu_type=VALUE: a100_80gb (gpu_type=a100_80gb), a100_40gb (gpu_type=a100_40gb)",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "a",
            "--env",
            "/e",
            "--node-type",
            "h10",
        ],
        "job.node_type (from command-line flag --node-type): no node type `h10` on this site; did you mean `h100`? node types: a100_80gb",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--node-type",
            "big",
        ],
        "job.node_type (from command-line flag --node-type): `big`: this site names no node types (system.node_types); remove job.node_type (--node-type)",
    ),
    file(
        "description: two shapes\nextends: pbs-cpu\nsystem:\n  node_types:\n    cpu: {cpus: 8, resources: {model: c}}\n    gpu: {gpus: 2, cpus: 8, resources: {model: g}}\n  queues:\n    workq: null\n    batch: {chunk: node, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"], node_types: [cpu]}\njob: {queue: batch, resources: {ncpus: 8}}\n",
        &[
            "check",
            "--profile",
            "p",
            "--env",
            "/e",
            "--node-type",
            "gpu",
        ],
        "job.node_type (from command-line flag --node-type): queue batch serves node types cpu; got gpu: choose one of them or another queue",
    ),
    file(
        "description: two shapes\nextends: pbs-cpu\nsystem:\n  node_types:\n    cpu: {cpus: 8, resources: {model: c}}\n  queues:\n    workq: null\n    batch: {chunk: node, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"], node_types: [cpu]}\njob: {queue: batch, resources: {ncpus: 8}}\ndask: {worker: cuda, workers_per: gpu, workers_per_node: null, nthreads: null, memory_limit: null}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "batch serves no GPU node type (cpu), but dask.worker is cuda: choose a GPU queue, or CPU workers (a profile that extends this one with `dask: {worker: cpu, workers_per: node}` and no GPU option such as device_memory_limit)",
    ),
    file(
        "description: bad types\nextends: pbs-cpu\nsystem:\n  node_types:\n    a b: {cpus: 8}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "node type name `a b` may only hold letters, digits and _.+-",
    ),
    file(
        "description: bad types\nextends: pbs-cpu\nsystem:\n  node_types:\n    t: {cpus: 8, memory: lots, resources: {select: 2}}\n  queues:\n    workq: {chunk: node, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"], submit_as: \"a b\"}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "node type t: `lots` is not a memory size",
    ),
    file(
        "description: bad types\nextends: pbs-cpu\nsystem:\n  node_types:\n    t: {cpus: 8, resources: {select: 2}}\n  queues:\n    workq: {chunk: node, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"], submit_as: \"a b\"}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "queue workq: submit_as `a b` may only hold letters, digits and _.+-@",
    ),
    // --- the node and the workers
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.gpus_per_node=0",
        ],
        "system.gpus_per_node is 0 but dask.worker is cuda: use worker: cpu or give the GPU count",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.worker=cpu",
        ],
        "dask.device_memory_limit (from built-in profile sophia, line 52): is a GPU option and dask.worker is cpu: remove it (null), or use worker: cuda",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.workers_per_node=2",
        ],
        "dask.workers_per_node is for CPU workers; GPU workers come one per GPU (set it to null)",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.workers_per_node=0",
        ],
        "dask.workers_per_node must be at least 1",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.startup_timeout=0",
        ],
        "dask.startup_timeout (from command-line flag --set dask.startup_timeout=0): must be at least 1 second",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.interface=ib 0",
        ],
        "dask.interface (from command-line flag --set dask.interface=ib 0): `ib 0` is not a network interface name: use letters, digits and _.+-: (e.g. ib0)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.device_memory_limit=80",
        ],
        "dask.device_memory_limit (from command-line flag --set dask.device_memory_limit=80): `80` is 80 bytes, too little for a worker (Dask reads a number without a unit as bytes); give the unit, e.g. `80GB`, or a fraction like 0.8",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia-node",
            "-A",
            "X",
            "--set",
            "job.resources.mem=2tb",
        ],
        "job.resources (from command-line flag --set job.resources.mem=2tb): `mem=2tb` asks one node for 2199023255552 bytes, more than it has (system.memory_per_node 1TB is 1099511627776 bytes)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[-l nodes=2:ppn=64]",
        ],
        "`-l nodes=2:ppn=64` is Torque's request form, which PBS Pro refuses beside select; use job.select and job.resources (ncpus, mpiprocs)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[-J 1-10]",
        ],
        "`-J 1-10` makes a job array: each subjob would start a cluster of its own; submit one job per cluster",
    ),
    // --- security: UCX has no TLS
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.protocol=ucx",
        ],
        "security: tls with protocol: ucx is refused (UCX has no TLS in Dask): set dask.security: none (anyone who can reach the job's nodes can then use the cluster) or use dask.protocol: tcp",
    ),
    warns(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.protocol=ucx",
            "--set",
            "dask.security=none",
        ],
        "dask-pbs: warning: dask.protocol is ucx, which has no TLS (dask.security: none): anyone who can reach the job's nodes can connect to the cluster and run code as you\n",
    ),
    warns(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.workers_per_node=64",
            "--set",
            "dask.nthreads=4",
        ],
        "dask-pbs: warning: 64 workers per node × dask.nthreads 4 = 256 threads, more than the 64 CPUs the job holds on a node (system.cpus_per_node); the threads will share cores",
    ),
    warns(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.memory_limit=200GB",
        ],
        "dask-pbs: warning: dask.memory_limit 200GB × 2 workers per node is more than the node's host memory the job holds (274877906944 bytes); a worker may be killed before it spills",
    ),
    homeless(
        &["check", "--profile", "sophia"],
        "in your defaults file ($XDG_CONFIG_HOME/dask-pbs/defaults.yaml)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.directives=[-q debug, -A p, -N n, -l walltime=1:00:00]",
        ],
        "`-q debug` repeats what dask-pbs writes itself; use job.queue (--queue) instead\n  - job.directives (from command-line flag --set job.directives=[-q debug, -A p, -N n, -l walltime=1:00:00]): `-A p` repeats what dask-pbs writes itself; use job.account (--account) instead\n  - job.directives (from command-line flag --set job.directives=[-q debug, -A p, -N n, -l walltime=1:00:00]): `-N n` repeats what dask-pbs writes itself; use job.name (--name) instead\n  - job.directives (from command-line flag --set job.directives=[-q debug, -A p, -N n, -l walltime=1:00:00]): `-l walltime=1:00:00` repeats what dask-pbs writes itself; use job.walltime (--walltime) instead",
    ),
    // --- sizes, parsed as Dask does and held against the hardware
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.device_memory_limit=lots",
        ],
        "dask.device_memory_limit (from command-line flag --set dask.device_memory_limit=lots): `lots` is not a size: use bytes like 40GB, 40 GiB or 4e10, or a fraction like 0.8, or auto",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.rmm_pool_size=banana",
        ],
        "`banana` is not a size: use bytes like 40GB, 40 GiB or 4e10, or a fraction like 0.8\n",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.memory_limit=lots",
        ],
        "dask.memory_limit (from command-line flag --set dask.memory_limit=lots): `lots` is not a size",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.device_memory_limit=80GB",
        ],
        "dask.device_memory_limit (from command-line flag --set dask.device_memory_limit=80GB): `80GB` is 80000000000 bytes, more than one GPU has: system.gpu_memory `40GB` is 42949672960 bytes (read in binary units, as the vendor means them); use at most that, or a fraction like 0.9",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.rmm_pool_size=41GiB",
        ],
        "dask.rmm_pool_size (from command-line flag --set dask.rmm_pool_size=41GiB): `41GiB` is 44023414784 bytes, more than one GPU has",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.memory_per_node=lots",
        ],
        "system.memory_per_node (from command-line flag --set system.memory_per_node=lots): `lots` is not a memory size: use bytes like 40GB or 1TB (read as the vendor means them: 40 GiB, 1 TiB)",
    ),
    // A size without its unit: the worker's memory limit would have been 0 ("no limit").
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.memory_per_node=256",
        ],
        "system.memory_per_node (from command-line flag --set system.memory_per_node=256): `256` has no unit, so it would be 256 bytes; write the unit, e.g. `256GB` (read as the vendor means it: 256 GiB)",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "job.resources.mem=250",
        ],
        "`mem=250` has no unit, so PBS reads it as 250 bytes; write the unit, e.g. `mem=250gb`",
    ),
    // Host memory per worker × workers per node, against the node (issue 25 item 6): over
    // all of it is refused, on CPU and GPU profiles alike; over the job's part is a warning.
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.memory_limit=0.5",
        ],
        "dask.memory_limit (from command-line flag --set dask.memory_limit=0.5): `0.5` × 4 workers per node is 2.00 of the memory each worker sees, more than all of it; use at most 0.25 (1/4), or null for each worker's share",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "system.memory_per_node=256GB",
            "--set",
            "dask.memory_limit=100GB",
        ],
        "dask.memory_limit (from command-line flag --set dask.memory_limit=100GB): `100GB` × 4 workers per node is 400000000000 bytes, more than the node has: its memory `256GB` (system.memory_per_node, or its node type's memory) is 274877906944 bytes, read in binary units; use at most 64GiB per worker, or null for each worker's share",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.memory_limit=600GB",
        ],
        "`600GB` × 2 workers per node is 1200000000000 bytes, more than the node has: its memory `1TB` (system.memory_per_node, or its node type's memory) is 1099511627776 bytes, read in binary units; use at most 512GiB per worker",
    ),
    // Zero is Dask's "no limit": legitimate, and said.
    warns(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.memory_limit=0",
        ],
        "dask-pbs: warning: dask.memory_limit 0 turns the workers' memory limit off: no spilling, pausing or restart before the node runs out of memory\n",
    ),
    warns(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.device_memory_limit=0",
        ],
        "dask-pbs: warning: dask.device_memory_limit 0 turns spilling from GPU memory off\n",
    ),
    // --- options dask-pbs writes itself, repeated in dask.worker_args / scheduler_args
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[--nthreads, \"4\"]",
        ],
        "dask.worker_args (from command-line flag --set dask.worker_args=[--nthreads, \"4\"]): `--nthreads 4` repeats what dask-pbs writes itself (Dask would get it twice); use dask.nthreads instead\n",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[--memory-limit=4GB, --lifetime, 1h, --tls-cert, /c.pem]",
        ],
        "`--memory-limit=4GB` repeats what dask-pbs writes itself (Dask would get it twice); use dask.memory_limit instead\n  - dask.worker_args (from command-line flag --set dask.worker_args=[--memory-limit=4GB, --lifetime, 1h, --tls-cert, /c.pem]): `--lifetime 1h` repeats what dask-pbs writes itself (Dask would get it twice); use dask.shutdown_margin (a held cluster's CPU workers retire at walltime - shutdown_margin) instead\n  - dask.worker_args (from command-line flag --set dask.worker_args=[--memory-limit=4GB, --lifetime, 1h, --tls-cert, /c.pem]): `--tls-cert /c.pem` repeats what dask-pbs writes itself (Dask would get it twice); use dask.security (tls: the job's own certificates) instead",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[--name, me, --scheduler-file=/s.json]",
        ],
        "`--name me` repeats what dask-pbs writes itself (dask-pbs names each worker HOST-RANK, w<JOB>-HOST-RANK in a worker job: status, scale and adapt find workers by these names); remove it\n  - dask.worker_args (from command-line flag --set dask.worker_args=[--name, me, --scheduler-file=/s.json]): `--scheduler-file=/s.json` repeats what dask-pbs writes itself (dask-pbs passes the job directory's scheduler file); remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.scheduler_args=[--port, \"8786\", --dashboard-address, \":8787\"]",
        ],
        "`--port 8786` repeats what dask-pbs writes itself (dask-pbs takes a free port, so that two jobs on one node do not collide, and publishes it in the scheduler file); remove it\n  - dask.scheduler_args (from command-line flag --set dask.scheduler_args=[--port, \"8786\", --dashboard-address, \":8787\"]): `--dashboard-address :8787` repeats what dask-pbs writes itself (Dask would get it twice); use dask.dashboard_port (null: a free port) instead",
    ),
    // Written by no one else (sophia sets no dask.nthreads): legitimate, but the key is the place.
    warns(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.worker_args=[--nthreads, \"2\"]",
        ],
        "dask-pbs: warning: dask.worker_args `--nthreads 2`: dask-pbs has a key for this option; use dask.nthreads instead, so that check and explain see it\n",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[\"--death-timeout 60\"]",
        ],
        "dask.worker_args (from command-line flag --set dask.worker_args=[\"--death-timeout 60\"]): `--death-timeout 60` is one item, so Dask gets it as one word: write each word as an item of its own, e.g. [--death-timeout, 60]",
    ),
    // --- ports only root may listen on, zero and empty values that mean nothing
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[--worker-port, \"80\"]",
        ],
        "`--worker-port 80` is a port below 1024, which only root may listen on: use 1024-65535, or leave the option out for free ports",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.dashboard_port=80",
        ],
        "dask.dashboard_port (from command-line flag --set dask.dashboard_port=80): 80 is below 1024, a port only root may listen on: use one from 1024 to 65535, or null for a free one",
    ),
    case(
        &["check", "--profile", "pbs-cpu", "--set", "dask.nthreads=0"],
        "dask.nthreads (from command-line flag --set dask.nthreads=0): is 0, which gives a worker no thread to run tasks on: use at least 1, or null to let Dask divide the cores among the workers",
    ),
    case(
        &["check", "--profile", "pbs-cpu", "--run", ""],
        "run (from command-line flag --run): is empty: give the payload's command (e.g. --run 'python work.py'), or leave it out to hold the cluster until the walltime",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "env.modules=[gcc, \"\"]",
        ],
        "env.modules (from command-line flag --set env.modules=[gcc, \"\"]): holds an empty item, which means nothing; remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.worker_args=[\" \"]",
        ],
        "dask.worker_args (from command-line flag --set dask.worker_args=[\" \"]): holds an empty item, which means nothing; remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "rapids.channels=[rapidsai, \"\"]",
        ],
        "rapids.channels (from command-line flag --set rapids.channels=[rapidsai, \"\"]): holds an empty item, which means nothing; remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.local_directory=\"\"",
        ],
        "dask.local_directory (from command-line flag --set dask.local_directory=\"\"): is empty; give a directory, or null for Dask's default",
    ),
    // --- paths the compute node reads from another directory
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "dask.local_directory=~/dask-scratch",
        ],
        "dask.local_directory (from command-line flag --set dask.local_directory=~/dask-scratch): `~/dask-scratch` is a relative path, which the compute node resolves from another directory than this one; give an absolute path (variables such as $TMPDIR or ${PBS_JOBFS} are expanded on the node; a leading ~ is not: write $HOME)",
    ),
    case(
        &["check", "--profile", "pbs-cpu", "--set", "env.tmpdir=tmp"],
        "env.tmpdir (from command-line flag --set env.tmpdir=tmp): `tmp` is a relative path, which the compute node resolves from another directory than this one; give an absolute path (variables such as ${PBS_JOBFS}/tmp, and a leading ~/, are expanded on the node)",
    ),
    case(
        &["check", "--profile", "pbs-cpu", "--set", "env.venv=venv"],
        "env.venv (from command-line flag --set env.venv=venv): `venv` is a relative path, which the compute node resolves from another directory than this one; give an absolute path (`--venv PATH` on the command line is resolved against the current directory)",
    ),
    // In a profile file a relative path is refused: against what would it be resolved?
    Case {
        args: &["check", "--profile", "p"],
        yaml: "description: mine\nextends: pbs-cpu\nenv:\n  conda: envs/dask\n",
        code: 2,
        bare: true,
        homeless: false,
        expect: "p.yaml:4:10): `envs/dask` is a relative path, which the compute node resolves from another directory than this one; give an absolute path (`--env PATH` on the command line is resolved against the current directory)",
    },
    // A bare name is a conda environment's name: conda activates it, `gen conda` would not.
    warns(
        &["check", "--profile", "pbs-cpu", "--env", "rapids"],
        "dask-pbs: warning: env.conda `rapids` is not a path: conda activates the environment of that name from its envs directories on the node, while `dask-pbs gen conda` would create ./rapids instead; give the prefix's absolute path if you meant a directory\n",
    ),
    // --- the Python environment
    bare(
        &["check", "--profile", "sophia", "-A", "X"],
        "env.conda is not set (nor env.venv): the job needs a Python environment with Dask. Pass --env PREFIX, or put `env: {conda: PREFIX}` in {HOME}/config/dask-pbs/defaults.yaml; create one with `dask-pbs gen conda --profile sophia --env PREFIX`",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--env",
            "/path/to/env/rapids-25.06_sophia",
        ],
        "env.conda (from command-line flag --env): `/path/to/env/rapids-25.06_sophia` is a placeholder, not an environment: give the real prefix with --env PREFIX (`dask-pbs gen conda --env PREFIX` creates one)",
    ),
    // --- the environment and free text
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "env.conda=\"\"",
        ],
        "env.conda (from command-line flag --set env.conda=\"\"): is empty; give a path or null",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "env={conda: /opt/env, venv: /opt/venv}",
        ],
        "both env.conda (from command-line flag --set env={conda: /opt/env, venv: /opt/venv}) and env.venv are set; pick one and set the other to null",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "env.vars={A-B: 1}",
        ],
        "`A-B` is not an environment variable name",
    ),
    file(
        "description: \"two\\nlines\"\nextends: sophia\njob: {account: X}\n",
        &["check", "--profile", "p"],
        "p.yaml:1:14): must be one line of text (no control characters)",
    ),
    file(
        "description: a NUL\nextends: sophia\njob: {account: X}\nrun: \"a\\0b\"\n",
        &["check", "--profile", "p"],
        "p.yaml:4:6): contains a NUL byte, which no shell word can hold; remove it",
    ),
    // --- RAPIDS
    case(
        &["gen", "conda", "--profile", "sophia", "--rapids", "25.07"],
        "RAPIDS 25.07 is not a release dask-pbs knows; known releases: 24.02",
    ),
    case(
        &["gen", "conda", "--profile", "sophia", "--python", "3.9"],
        "RAPIDS 25.06 supports Python 3.10 to 3.13; got 3.9",
    ),
    case(
        &[
            "gen",
            "conda",
            "--profile",
            "sophia",
            "--rapids",
            "25.08",
            "--cuda",
            ">=11.8",
        ],
        "RAPIDS 25.08 supports CUDA 12.0-12.9; `>=11.8` names 11.8",
    ),
    // --- routing queues and queue notes (issue 18 items 1, 3, 4, 13)
    case(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "-q",
            "prod",
            "-n",
            "10",
            "-t",
            "06:00:00",
        ],
        "job.walltime (from command-line flag --walltime): prod is a routing queue and sends 10 nodes to small (10 to 24 nodes, 00:05:00 to 03:00:00), which does not take walltime 06:00:00; fit that row's limits (or choose a size another row takes)",
    ),
    case(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "-q",
            "prod",
            "-n",
            "30",
            "-t",
            "12:00:00",
        ],
        "prod is a routing queue and sends 30 nodes to medium (25 to 99 nodes, 00:05:00 to 06:00:00), which does not take walltime 12:00:00",
    ),
    file(
        "description: d\nextends: pbs-cpu\nsystem:\n  queues:\n    r:\n      chunk: node\n      chunks: {min: 1, max: 9}\n      walltime: [\"00:01:00\", \"02:00:00\"]\n      routes:\n        - {name: a, chunks: [1], walltime: [\"00:01:00\", \"01:00:00\"]}\n        - {name: b, chunks: [4], walltime: [\"03:00:00\", \"01:00:00\"]}\njob: {queue: r, select: 2}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "none of its destinations takes 2 nodes: a (1 nodes, 00:01:00 to 01:00:00) or b (4 nodes, 03:00:00 to 01:00:00); choose a size one of them takes",
    ),
    file(
        "description: d\nextends: pbs-cpu\nsystem:\n  queues:\n    r:\n      chunk: node\n      chunks: {min: 1, max: 9}\n      walltime: [\"00:01:00\", \"02:00:00\"]\n      routes:\n        - {name: b, chunks: [4], walltime: [\"03:00:00\", \"01:00:00\"]}\njob: {queue: r}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "queue b: walltime minimum 03:00:00 is above its maximum 01:00:00",
    ),
    warns(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "-q",
            "bigmem",
            "-n",
            "1",
        ],
        "dask-pbs: warning: queue bigmem: ALCF lists bigmem as unavailable until further notice",
    ),
    warns(
        &[
            "check",
            "--profile",
            "derecho",
            "-A",
            "X",
            "--env",
            "/e",
            "-q",
            "develop",
        ],
        "dask-pbs: warning: queue develop: unverified: NCAR's docs disagree",
    ),
    warns(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "--env",
            "/e",
            "-q",
            "preemptable",
        ],
        "add job.directives [\"-r y\"] to have PBS rerun the job",
    ),
    warns(
        &[
            "check",
            "--profile",
            "derecho",
            "-A",
            "X",
            "--env",
            "/e",
            "-q",
            "preempt",
        ],
        "dask-pbs: warning: queue preempt: preemptable: the job may be ended (SIGTERM, then SIGKILL 10 minutes later)",
    ),
    file(
        "description: d\nextends: pbs-cpu\nsystem:\n  account_vars: [PBS_ACCOUNT_X, 1BAD]\n",
        &["check", "--profile", "p", "--env", "/e"],
        "p.yaml:4:17): `1BAD` is not an environment variable name (letters, digits and _, not starting with a digit)",
    ),
    // --- launchers (issue 14 item 3) and the shell, proxy (issue 18 items 7, 8)
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher={words: []}",
        ],
        "system.launcher (from command-line flag --set system.launcher={words: []}): has no words; give the launcher command, e.g. [srun, -n, \"{nranks}\"]",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher={words: [srun, -n, \"{ranks}\"], local_rank_vars: [SLURM_LOCALID, 9X]}",
        ],
        "launcher word `{ranks}` has the unknown placeholder `ranks`; known: {nranks}, {ranks_per_node}, {hostfile}",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher={words: [srun], local_rank_vars: [9X]}",
        ],
        "local-rank variable `9X` is not an environment variable name",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher_args=[\"--bind={depth}\"]",
        ],
        "system.launcher_args (from command-line flag --set system.launcher_args=[\"--bind={depth}\"]): launcher word `--bind={depth}` has the unknown placeholder `depth`",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher_args=[\"--bind={depth\"]",
        ],
        "system.launcher_args (from command-line flag --set system.launcher_args=[\"--bind={depth\"]): launch word `--bind={depth` has a `{` without `}`",
    ),
    case(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "--env",
            "/e",
            "--set",
            "system.launcher={words: [mpiexec, -n, \"{nranks}\"]}",
        ],
        "system.launcher (from command-line flag --set system.launcher={words: [mpiexec, -n, \"{nranks}\"]}): names no local_rank_vars, so the 4 ranks on a node cannot tell themselves apart (each would take GPU 0 and the same name); name the launcher's local-rank variable, or use one rank per node (dask.workers_per: node)",
    ),
    case(
        &[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "--env",
            "/e",
            "--set",
            "system.mpi=hpe-mpt",
        ],
        "system.mpi is hpe-mpt, whose mpiexec places ranks from PBS's node file: set job.resources.mpiprocs to 4 (the ranks per node), or use one rank per node (dask.workers_per: node)",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "env.proxy=proxy:3128",
        ],
        "env.proxy (from command-line flag --set env.proxy=proxy:3128): `proxy:3128` is not a proxy URL; write it as http://host:port",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "system.shell=/bin/sh",
        ],
        "system.shell (from command-line flag --set system.shell=/bin/sh): `/bin/sh` is not an interpreter line: the scripts are bash: write bash's absolute path and at most one option, e.g. /bin/bash -l",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "env.tmpdir=/s/$(id)",
        ],
        "env.tmpdir (from command-line flag --set env.tmpdir=/s/$(id)): `/s/$(id)` holds shell code",
    ),
    case(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--env",
            "/e",
            "--set",
            "system.launcher={words: [\"{nranks}\"]}",
        ],
        "the first word `{nranks}` must be the launcher program (a name or path: letters, digits and /._+-)",
    ),
    // system.charging and job.max_charge (docs/costs.md).
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, rates: [] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "has no rates: give at least one, e.g. rates: [{per: nodes, rate: 1}]",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: '', rates: [{ per: nodes, rate: 1 }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "unit `` is not a unit name: one short line, like SU, core-hours or node-hours",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, rates: [{ per: nodes, rate: 1, memory_per_node: 192GB }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "rates[0]: memory_per_node shares a node's memory among its cores: it needs per: cores",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, rates: [{ per: cores, rate: 1, memory_per_node: 192 }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "rates[0]: memory_per_node: `192` has no unit",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, rates: [{ per: nodes, rate: 1, whole_nodes: true }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "rates[0]: whole_nodes counts every core or GPU of a node: it needs per: cores or per: gpus",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, priority: { resource: job_priority, default: normal, factors: { high: 2 } }, rates: [{ per: nodes, rate: 1 }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "priority.default `normal` is not one of priority.factors (high)",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, priority: { resource: 'job priority', default: high, factors: { high: 2 } }, rates: [{ per: nodes, rate: 1 }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "priority.resource `job priority` is not a PBS resource name",
    ),
    file(
        "description: t\nextends: polaris\nsystem:\n  charging: { unit: SU, source: \"a\\0b\", rates: [{ per: nodes, rate: 1 }] }\n",
        &["check", "--profile", "p", "-A", "a"],
        "source contains a NUL byte",
    ),
    // The job against the rule: a priority it does not know, a charge past exact arithmetic.
    case(
        &[
            "check",
            "--profile",
            "derecho",
            "-A",
            "a",
            "--env",
            "/e",
            "--set",
            "job.directives=[\"-l job_priority=urgent\"]",
        ],
        "job.directives (from command-line flag --set job.directives=[\"-l job_priority=urgent\"]): job_priority=urgent is not a priority the site's charging rule (system.charging) knows: use one of premium, regular, economy",
    ),
    file(
        "description: t\nextends: pbs-cpu\nsystem:\n  charging: {unit: SU, rates: [{per: nodes, rate: \"999999999999.999999999\", factor: \"999999999999.999999999\"}]}\n",
        &["check", "--profile", "p", "--env", "/e"],
        "p.yaml:4:13): the charge is too large to compute exactly",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--max-charge",
            "50",
        ],
        "job.max_charge (from command-line flag --max-charge): the job can charge up to 96 SU (held to its walltime 01:00:00, 96 SU an hour), more than the 50 allowed: ask for less walltime or fewer nodes, or raise the limit",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--max-charge",
            "10",
        ],
        "job.max_charge (from command-line flag --max-charge): asks that the job charge at most 10, but the profile has no system.charging (the site's rule, docs/costs.md) to compute it with",
    ),
    // --- issue 28: limits by job size, caps, chunks anywhere, path rules
    case(
        &[
            "check",
            "--profile",
            "gadi-gpu",
            "-A",
            "a00",
            "--env",
            "/e",
            "-n",
            "12",
            "-t",
            "48:00:00",
        ],
        "job.walltime (from command-line flag --walltime): gpuvolta: 24 h is the limit for 9–16 GPUs; you asked 48 h for 12 GPUs: shorten the walltime (-t) or ask for less",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--env",
            "/e",
            "-n",
            "20",
            "-t",
            "48:00:00",
        ],
        "normal: 24 h is the limit for 673–1440 cores; you asked 48 h for 960 cores",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi-gpu",
            "-A",
            "a00",
            "--env",
            "/e",
            "-n",
            "640",
        ],
        "job.select (from command-line flag --select): gpuvolta accepts 1 to 80 GPUs; got 640",
    ),
    file(
        "description: p\nextends: polaris\nsystem:\n  queues:\n    prod:\n      chunk: node\n      chunks: {min: 10, max: 496}\n      walltime: [\"00:05:00\", \"24:00:00\"]\n      routes:\n        - {name: small, chunks: {min: 10, max: 24}, walltime: [\"00:05:00\", \"03:00:00\"], tiers: [{nodes: 12, walltime: \"01:00:00\"}, {nodes: 24, walltime: \"03:00:00\"}]}\n",
        &[
            "check",
            "--profile",
            "p",
            "-A",
            "X",
            "-q",
            "prod",
            "-n",
            "12",
            "-t",
            "02:00:00",
        ],
        "prod → small: 1 h is the limit for up to 12 nodes; you asked 2 h for 12 nodes",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--node-type",
            "v100_8way",
            "-n",
            "5",
        ],
        "job.select (from command-line flag --select): casper: a job may have at most 32 GPUs; you asked 40",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--node-type",
            "a100_40gb",
            "-n",
            "3",
        ],
        "casper: a job may have at most 2 node(s) of node type a100_40gb; you asked 3",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--set",
            "system.queues.casper.max={memory: 100GB}",
        ],
        "casper: a job may have at most 100GB of memory; you asked 214748364800 bytes",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--set",
            "system.queues.casper.max={memory: lots}",
        ],
        "queue casper: max.memory: ",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--set",
            "system.queues.casper.max={node_types: {x100: 1}}",
        ],
        "queue casper: max.node_types names `x100`, which is not in system.node_types",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--set",
            "system.queues.normal.tiers=[{cores: 1, gpus: 1, walltime: 60}]",
        ],
        "queue normal: each tier gives exactly one of cores, nodes or gpus (its largest job) and a walltime",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--set",
            "system.queues.normal.tiers=[{cores: 96, walltime: 60}, {gpus: 8, walltime: 60}]",
        ],
        "queue normal: every tier of a queue counts in the same unit (cores, nodes or gpus)",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--set",
            "system.queues.normal.tiers=[{cores: 96, walltime: 60}, {cores: 48, walltime: 60}]",
        ],
        "queue normal: tiers go from the smallest job to the largest: each bound above the one before",
    ),
    case(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--set",
            "system.path_resources=[{prefix: g, resource: storage, word: x}]",
        ],
        "`g -> storage=x` is not a path rule: the prefix is an absolute directory ending in /",
    ),
    warns(
        &[
            "check",
            "--profile",
            "gadi",
            "-A",
            "a00",
            "--env",
            "/g/data/a00/envs/rapids",
        ],
        "dask-pbs: warning: job.resources.storage: added gdata/a00 for env.conda /g/data/a00/envs/rapids (system.path_resources)",
    ),
    file_warns(
        "description: p\nextends: gadi\nsystem:\n  path_resources: [{prefix: /tmp/, resource: storage, word: \"tmp/{dir}\"}]\n",
        &["check", "--profile", "p", "-A", "a00"],
        "for the working directory /tmp/",
    ),
    case(
        &[
            "check",
            "--profile",
            "pleiades",
            "-A",
            "s1",
            "--set",
            "system.launcher_program=mpi exec",
        ],
        "`mpi exec` is not a program: give the launcher's name or path (letters, digits and /._+-), e.g. mpiexec_mpt",
    ),
    warns(
        &[
            "check",
            "--profile",
            "pleiades-gpu",
            "-A",
            "s1",
            "--set",
            "dask.workers_per=node",
            "--set",
            "job.resources.mpiprocs=1",
        ],
        "dask-pbs: warning: job.resources.mpiprocs=1 (command line) replaces node type sky_gpu's mpiprocs=4",
    ),
    warns(
        &[
            "check",
            "--profile",
            "pleiades-gpu",
            "-A",
            "s1",
            "--set",
            "dask.workers_per=node",
            "--set",
            "job.resources.mpiprocs=null",
        ],
        "dask-pbs: warning: job.resources.mpiprocs=null (command line) removes node type sky_gpu's mpiprocs=4",
    ),
    case(
        &[
            "check",
            "--profile",
            "pleiades-gpu",
            "-A",
            "s1",
            "--set",
            "job.resources.mpiprocs=1",
        ],
        "job.resources (from command-line flag --set job.resources.mpiprocs=1): `mpiprocs=1` disagrees with the layout: dask-pbs starts 4 rank(s) per node",
    ),
    warns(
        &[
            "check",
            "--profile",
            "pbs-cpu",
            "--set",
            "job.queue=null",
            "-t",
            "700:00:00",
        ],
        "dask-pbs: warning: job.queue is null and the site states no default queue (system.default_queue): walltime 700:00:00 and the job's size are not checked against the server's limits",
    ),
    case(
        &[
            "check",
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "job.place=scatter",
        ],
        "job.place (from command-line flag --set job.place=scatter): `place=scatter`: by-gpu puts every chunk (one GPU each) on one node, and scatter would spread them; remove job.place, or use a queue whose chunk is gpus-anywhere",
    ),
    file(
        uni!(),
        &["check", "--profile", "p", "--set", "job.request=job-wide"],
        "job.request (from command-line flag --set job.request=job-wide): the default queue takes chunks of GPUs anywhere (gpus-anywhere), which are select chunks: use job.request: select",
    ),
    file(
        uni!(),
        &["check", "--profile", "p", "--set", "dask.workers_per=node"],
        "the default queue takes chunks of GPUs anywhere (gpus-anywhere), each chunk running one GPU worker a GPU: use dask.worker: cuda and dask.workers_per: gpu",
    ),
    file(
        uni!(),
        &["check", "--profile", "p", "--set", "system.mpi=cray-pals"],
        "system.mpi (from command-line flag --set system.mpi=cray-pals): the default queue takes chunks of GPUs anywhere (gpus-anywhere), whose hosts may each run a different number of ranks, which system.mpi cray-pals cannot start (no per-host rank counts): use system.mpi openmpi, mpich, intel-mpi or hpe-mpt",
    ),
    file(
        uni!(),
        &[
            "check",
            "--profile",
            "p",
            "--set",
            "job.resources.mpiprocs=2",
        ],
        "job.resources (from command-line flag --set job.resources.mpiprocs=2): `mpiprocs=2`: on the default queue each chunk runs 1 rank(s), one a GPU; set mpiprocs=1 or remove it",
    ),
    file(
        uni!(),
        &[
            "check",
            "--profile",
            "p",
            "--set",
            "system.mpi=hpe-mpt",
            "--set",
            "job.resources.ngpus=2",
        ],
        "system.mpi is hpe-mpt, whose mpiexec places ranks from PBS's node file: set job.resources.mpiprocs to 2 (the ranks per chunk)",
    ),
    file(
        uni!(),
        &["check", "--profile", "p", "-n", "12", "-t", "48:00:00"],
        "job.walltime (from command-line flag --walltime): the default queue: 24 h is the limit for 9–16 GPUs; you asked 48 h for 12 GPUs",
    ),
    file(
        uni!(),
        &["check", "--profile", "p", "-q", "gpu"],
        "job.queue (from command-line flag --queue): no queue `gpu`: this site takes no -q (system.queues is empty); remove job.queue (--queue)",
    ),
    case(
        &[
            "check",
            "--profile",
            "pleiades-gpu",
            "-A",
            "s1",
            "--set",
            "dask.workers_per=node",
        ],
        "job.resources (from node type sky_gpu, built-in profile pleiades-gpu, line 22): `mpiprocs=4` disagrees with the layout: dask-pbs starts 1 rank(s) per node; set mpiprocs=1 or remove it",
    ),
    case(
        &[
            "check",
            "--profile",
            "casper",
            "-A",
            "X",
            "--node-type",
            "a100_80gb",
            "--set",
            "job.resources.gpu_type=h100",
        ],
        "job.resources (from command-line flag --set job.resources.gpu_type=h100): `gpu_type=h100` asks for other nodes than node type a100_80gb (gpu_type=a100_80gb), which job.node_type names; choose one: --node-type, or leave gpu_type to the node type",
    ),
    bare(
        &["check", "--profile", "derecho", "--env", "/e"],
        "job.account is required on this site: pass --account PROJECT, set DASK_PBS_ACCOUNT (or this site's PBS_ACCOUNT_DERECHO, or PBS_ACCOUNT), or put",
    ),
];

/// Runs a case and checks its exit code, its message and that it wrote nothing.
fn run_case(case: &Case) {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = case.args.to_vec();
    let profile_dir = dir.path().to_str().unwrap().to_string();
    if !case.yaml.is_empty() {
        std::fs::write(dir.path().join("p.yaml"), case.yaml).unwrap();
        args.extend(["--profile-dir", &profile_dir]);
    }
    let cli = if case.bare {
        DaskPbs::bare()
    } else {
        DaskPbs::new()
    };
    let home = cli.home().to_str().unwrap().to_string();
    let cli = if case.homeless {
        cli.env("HOME", "").env("XDG_CONFIG_HOME", "")
    } else {
        cli
    };
    let run = cli.args(&args).cwd(dir.path()).run();
    let expect = case.expect.replace("{HOME}", &home);
    assert_eq!(
        run.code, case.code,
        "exit code of {args:?}:\n{}",
        run.stderr
    );
    if case.code != 0 {
        assert_eq!(run.stdout, "", "nothing on stdout on error: {args:?}");
    }
    assert!(
        run.stderr.contains(&expect),
        "expected {expect:?} from {args:?} in:\n{}",
        run.stderr
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n != "p.yaml")
        .collect();
    assert!(left.is_empty(), "{args:?} wrote {left:?}");
}

#[test]
fn every_rule_refuses_its_case_with_its_message() {
    for case in CASES {
        run_case(case);
    }
}

#[test]
fn rapids_versions_pick_their_channels_and_cuda() {
    let text = ok(&[
        "gen",
        "conda",
        "--profile",
        "sophia",
        "--rapids",
        "25.12",
        "--cuda",
        ">=12.2,<=12.9",
    ]);
    assert!(
        text.contains(
            "-c rapidsai -c conda-forge rapids=25.12 python=3.11 'cuda-version>=12.2,<=12.9'"
        ),
        "{text}"
    );
    let text = ok(&[
        "gen",
        "conda",
        "--profile",
        "sophia",
        "--rapids",
        "25.10",
        "--python",
        "3.12",
    ]);
    assert!(
        text.contains("-c nvidia rapids=25.10 python=3.12"),
        "{text}"
    );
}

#[test]
fn launcher_and_rank_variable_follow_the_mpi_flavour() {
    // Two nodes: the job launches its ranks through the site's launcher.
    let polaris = ok(&["gen", "--profile", "polaris", "-A", "X", "-n", "2"]);
    assert!(
        polaris
            .contains("mpiexec -n \"$dask_pbs_nranks\" --ppn 4 --hostfile \"$dask_pbs_hostfile\"")
    );
    assert!(polaris.contains(
        "for var in DASK_PBS_LOCAL_RANK PMI_LOCAL_RANK PALS_LOCAL_RANKID OMPI_COMM_WORLD_LOCAL_RANK MPI_LOCALRANKID MPT_LRANK; do"
    ));
    assert!(
        polaris.contains("#PBS -l place=scatter\n")
            && polaris.contains("module use /soft/modulefiles")
    );
    let mpich = ok(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "system.mpi=mpich",
        "--set",
        "dask.launch=mpi",
    ]);
    assert!(mpich.contains(
        "mpiexec -disable-auto-cleanup -n \"$dask_pbs_nranks\" -ppn 2 -f \"$dask_pbs_hostfile\""
    ));
    let derecho = ok(&["gen", "--profile", "derecho", "-A", "X", "-n", "2"]);
    assert!(
        derecho.contains("#PBS -l select=2:ncpus=64:mpiprocs=4:ngpus=4:gpu_type=a100:mem=400GB\n")
    );
    // Every NCAR job is "regular" unless it asks otherwise, and preempt sets its own.
    assert!(!derecho.contains("job_priority"), "{derecho}");
}

#[test]
fn a_user_profile_extending_polaris_is_found_explained_and_rendered() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mypolaris.yaml"),
        "description: my Polaris allocation\nextends: polaris\njob:\n  queue: preemptable\n  account: MyProj\n  select: 4\n",
    )
    .unwrap();
    let profile_dir = dir.path().to_str().unwrap();
    let listed = ok(&["profiles", "list", "--profile-dir", profile_dir]);
    assert!(
        listed.lines().any(|l| l.starts_with("mypolaris")
            && l.contains("user ")
            && l.contains("my Polaris allocation")),
        "{listed}"
    );

    let explained = ok(&[
        "explain",
        "--profile",
        "mypolaris",
        "--profile-dir",
        profile_dir,
    ]);
    let path = dir.path().join("mypolaris.yaml");
    assert!(
        explained
            .lines()
            .any(|l| l.starts_with("job.queue = \"preemptable\"")
                && l.ends_with(&format!("# {}:4:10", path.display()))),
        "{explained}"
    );
    assert!(
        explained
            .lines()
            .any(|l| l.starts_with("system.mpi = \"cray-pals\"")
                && l.contains("# built-in profile polaris, line")),
        "{explained}"
    );

    let job = ok(&[
        "gen",
        "--profile",
        "mypolaris",
        "--profile-dir",
        profile_dir,
    ]);
    assert!(
        job.contains("#PBS -q preemptable\n#PBS -A MyProj\n#PBS -l select=4:system=polaris\n"),
        "{job}"
    );
    // Also through the environment variable and the config directory.
    let run = DaskPbs::new()
        .args(["check", "--profile", "mypolaris"])
        .env("DASK_PBS_PROFILE_PATH", profile_dir)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_user_profile_can_shadow_and_extend_the_builtin_of_the_same_name() {
    let cli = DaskPbs::new();
    let profiles = cli.home().join("config/dask-pbs/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("sophia.yaml"),
        "description: site default plus my account\nextends: sophia\njob: {account: Mine}\n",
    )
    .unwrap();
    let run = cli.args(["gen", "--profile", "sophia"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("#PBS -A Mine\n#PBS -l select=2\n"));
}

#[test]
fn the_user_defaults_file_applies_under_every_profile() {
    let cli = DaskPbs::new();
    let config = cli.home().join("config/dask-pbs");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("defaults.yaml"),
        "job:\n  account: FromDefaults\nenv:\n  conda: /home/user/envs/dask\n",
    )
    .unwrap();
    let run = cli.args(["explain", "--profile", "polaris"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("job.account = \"FromDefaults\"")
                && l.contains("defaults.yaml:2:12")),
        "{}",
        run.stdout
    );
}

#[test]
fn extends_cycles_and_missing_parents_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "description: a\nextends: b\n").unwrap();
    std::fs::write(dir.path().join("b.yaml"), "description: b\nextends: a\n").unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "description: c\nextends: nowhere\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    fails(
        &["check", "--profile", "a", "--profile-dir", d],
        "extends cycle: a -> b -> a",
    );
    fails(
        &["check", "--profile", "c", "--profile-dir", d],
        "extends nowhere: no profile named `nowhere`",
    );
}

#[test]
fn schema_describes_every_section_and_key() {
    let text = ok(&["schema"]);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown top-level keys are errors"
    );
    let defs = &schema["$defs"];
    for (section, def, keys) in [
        (
            "system",
            "SystemLayer",
            &["gpus_per_node", "mpi", "gpu_order", "queues", "keep"][..],
        ),
        (
            "job",
            "JobLayer",
            &[
                "queue",
                "select",
                "walltime",
                "account",
                "resources",
                "directives",
            ][..],
        ),
        (
            "env",
            "EnvLayer",
            &["modules", "conda", "venv", "vars", "setup"][..],
        ),
        (
            "rapids",
            "RapidsLayer",
            &["version", "python", "cuda", "channels", "jupyter"][..],
        ),
        (
            "dask",
            "DaskLayer",
            &[
                "worker",
                "workers_per",
                "protocol",
                "startup_timeout",
                "shutdown_margin",
            ][..],
        ),
    ] {
        assert!(
            schema["properties"][section].to_string().contains(def),
            "{section}"
        );
        assert_eq!(
            defs[def]["additionalProperties"], false,
            "{def} refuses unknown keys"
        );
        for key in keys {
            assert!(
                defs[def]["properties"].get(key).is_some(),
                "{def}.{key} missing from the schema"
            );
        }
    }
    assert!(defs["MpiFlavour"].to_string().contains("cray-pals"));
}

#[test]
fn profiles_show_prints_the_yaml_or_the_resolved_result() {
    let raw = ok(&["profiles", "show", "sophia-node"]);
    assert!(raw.starts_with("# ALCF Sophia, by-node queue"), "{raw}");
    let resolved = ok(&["profiles", "show", "sophia-node", "--resolved", "-A", "P"]);
    for line in [
        "queue: by-node",
        "account: P",
        "workers_per: node",
        "mpi: openmpi",
        "device_memory_limit: 40GB",
    ] {
        assert!(resolved.contains(line), "{line} missing:\n{resolved}");
    }
}

#[test]
fn the_headline_job_activates_the_environment_given_and_refuses_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("job.sh");
    let run = DaskPbs::bare()
        .args(["gen", "--profile", "sophia", "--account", "demo", "-o"])
        .arg_path(&target)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--env PREFIX"), "{}", run.stderr);
    assert!(!target.exists(), "nothing is written on refusal");
    let run = DaskPbs::bare()
        .args(["gen", "--profile", "sophia", "--account", "demo"])
        .args(["--env", "/home/user/envs/rapids-25.06"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("conda activate /home/user/envs/rapids-25.06 || dask_pbs_setup_fail")
    );
    assert!(!run.stdout.contains("/path/to"));
    // The conda artifact and the interactive request need no environment.
    for artifact in ["conda", "interactive", "client"] {
        let run = DaskPbs::bare()
            .args(["gen", artifact, "--profile", "sophia", "-A", "demo"])
            .args(if artifact == "conda" {
                &["--env", "/home/user/envs/new"][..]
            } else {
                &[][..]
            })
            .run();
        assert_eq!(run.code, 0, "{artifact}: {}", run.stderr);
    }
}

#[test]
fn every_sophia_gpu_worker_gets_its_share_of_host_memory_unless_overridden() {
    let job = ok(&["gen", "--profile", "sophia", "-A", "demo"]);
    let worker = job
        .lines()
        .find(|l| l.trim_start().starts_with("exec dask cuda worker"))
        .expect("the worker line");
    // 1 TiB node, 2 of its 8 GPUs: 256 GiB held, 2 workers.
    assert!(worker.contains("--memory-limit 128GiB"), "{worker}");
    let node = ok(&["gen", "--profile", "sophia-node", "-A", "demo"]);
    assert!(node.contains("--memory-limit 128GiB"), "1 TiB / 8 workers");
    let set = ok(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "demo",
        "--set",
        "dask.memory_limit=100GB",
    ]);
    assert!(
        set.contains("--memory-limit 100GB "),
        "the user's value wins"
    );
    // Casper asks PBS for mem=200GB of the node: 4 workers share that, not the node's memory.
    let casper = ok(&["gen", "--profile", "casper", "-A", "demo"]);
    assert!(casper.contains("--memory-limit 50GiB "), "{casper}");
}

#[test]
fn a_payload_keeps_the_margin_and_warns_of_nothing() {
    let run = DaskPbs::new()
        .args(["check", "--profile", "sophia", "-A", "X", "-t", "00:05:00"])
        .args(["--run", "python x.py"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn cpu_workers_on_a_gpu_chunk_queue_count_one_node() {
    let args = [
        "--profile",
        "sophia",
        "-A",
        "X",
        "--set",
        "dask.worker=cpu",
        "--set",
        "dask.workers_per=node",
        "--set",
        "dask.workers_per_node=2",
        "--set",
        "dask.device_memory_limit=null",
        "-n",
        "2",
    ];
    let check = ok(&[&["check"][..], &args[..]].concat());
    assert!(
        check.starts_with("ok: 2 GPUs on 1 node of sophia/by-gpu for 01:00:00 → 2 dask workers"),
        "{check}"
    );
    let context = ok(&[&["templates", "context"][..], &args[..]].concat());
    assert!(context.contains("\n  nodes: 1\n"), "{context}");
    assert!(context.contains("\n  expected_workers: 2\n"), "{context}");
    let job = ok(&[&["gen"][..], &args[..]].concat());
    assert!(job.contains("this job's request is for one node"), "{job}");
    assert!(
        job.contains("dask_pbs_expected_workers=$((dask_pbs_nodes * 2))"),
        "{job}"
    );
}

#[test]
fn the_environment_is_one_choice_so_a_venv_profile_over_a_conda_one_needs_no_null() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("venvsite.yaml");
    std::fs::write(
        &profile,
        "description: a venv site\nextends: sophia\nenv:\n  venv: /opt/venvs/dask\n",
    )
    .unwrap();
    let profile = profile.to_str().unwrap();
    // The parent names a conda prefix; the child's venv replaces it, with no `conda: null`.
    let run = DaskPbs::bare()
        .args([
            "gen",
            "--profile",
            profile,
            "-A",
            "X",
            "--env",
            "/opt/conda/envs/x",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("conda activate /opt/conda/envs/x"));
    let run = DaskPbs::bare()
        .args(["gen", "--profile", profile, "-A", "X"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("source /opt/venvs/dask/bin/activate"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("conda activate"));
    // The harness's defaults file names a conda prefix: above the profile, it wins whole.
    let run = dask_pbs(&["gen", "--profile", profile, "-A", "X"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("conda activate /home/user/envs/rapids-25.06")
    );
    assert!(!run.stdout.contains("/opt/venvs/dask/bin/activate"));
}

#[test]
fn workers_share_the_memory_the_job_asks_pbs_for_not_the_node_s() {
    // sophia-node: 8 GPU workers on a 1 TB node; the job asks for 500gb of it.
    let job = ok(&[
        "gen",
        "--profile",
        "sophia-node",
        "-A",
        "X",
        "--set",
        "job.resources.mem=500gb",
    ]);
    assert!(job.contains("--memory-limit 64000MiB"), "{job}");
    let job = ok(&["gen", "--profile", "sophia-node", "-A", "X"]);
    assert!(job.contains("--memory-limit 128GiB"), "{job}");
}

#[test]
fn a_job_that_fits_a_row_of_a_routing_queue_passes() {
    for (n, t) in [("10", "03:00:00"), ("30", "06:00:00"), ("100", "24:00:00")] {
        let run = dask_pbs(&[
            "check",
            "--profile",
            "polaris",
            "-A",
            "X",
            "--env",
            "/e",
            "-q",
            "prod",
            "-n",
            n,
            "-t",
            t,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.starts_with(&format!("ok: {n} nodes")),
            "{}",
            run.stdout
        );
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    }
}

/// NCAR's PBS_ACCOUNT_DERECHO / PBS_ACCOUNT_CASPER supersede PBS_ACCOUNT on their own system
/// only; DASK_PBS_ACCOUNT and -A still come first.
#[test]
fn a_sites_own_account_variables_come_before_pbs_account() {
    let account = |profile: &str, env: &[(&str, &str)], extra: &[&str]| {
        let mut cli = DaskPbs::bare();
        for (k, v) in env {
            cli = cli.env(k, v);
        }
        let mut args = vec!["gen", "--profile", profile, "--env", "/x"];
        args.extend(extra);
        let run = cli.args(&args).run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
            .lines()
            .find(|l| l.starts_with("#PBS -A "))
            .unwrap_or_default()
            .to_string()
    };
    let both = [
        ("PBS_ACCOUNT", "zzz"),
        ("PBS_ACCOUNT_DERECHO", "abc"),
        ("PBS_ACCOUNT_CASPER", "cas"),
    ];
    assert_eq!(account("derecho", &both, &[]), "#PBS -A abc");
    assert_eq!(account("casper", &both, &[]), "#PBS -A cas");
    assert_eq!(account("polaris", &both, &[]), "#PBS -A zzz");
    assert_eq!(
        account("derecho", &[("PBS_ACCOUNT_DERECHO", "abc")], &[]),
        "#PBS -A abc"
    );
    let first = [("DASK_PBS_ACCOUNT", "dpa"), ("PBS_ACCOUNT_DERECHO", "abc")];
    assert_eq!(account("derecho", &first, &[]), "#PBS -A dpa");
    assert_eq!(account("derecho", &both, &["-A", "flag"]), "#PBS -A flag");
    let explain = DaskPbs::bare()
        .env("PBS_ACCOUNT_DERECHO", "abc")
        .args(["explain", "--profile", "derecho", "--env", "/x"])
        .run();
    assert!(
        explain
            .stdout
            .contains("system.account_vars = [\"PBS_ACCOUNT_DERECHO\"]"),
        "{}",
        explain.stdout
    );
    assert!(
        explain
            .stdout
            .contains("# environment variable PBS_ACCOUNT_DERECHO"),
        "{}",
        explain.stdout
    );
}

/// Issue 25.6: `--env` and `--venv` given relative on the command line are read against the
/// directory they were typed in, said so, and the job (and its regenerate line) uses the
/// absolute path; a bare `--env NAME` with no such directory stays a conda environment's name.
#[test]
fn relative_env_flags_are_resolved_against_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    let run = DaskPbs::bare()
        .cwd(&cwd)
        .args(["gen", "--profile", "pbs-cpu", "--env", "./envs/dask"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let absolute = format!("{}/envs/dask", cwd.display());
    assert!(
        run.stderr.contains(&format!(
            "dask-pbs: warning: --env ./envs/dask is a relative path: the job uses {absolute} (resolved against the current directory)\n"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains(&format!("conda activate {absolute} ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("--env {absolute}")),
        "the regenerate line: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("./envs/dask"), "{}", run.stdout);

    let run = DaskPbs::bare()
        .cwd(&cwd)
        .args(["check", "--profile", "pbs-cpu", "--venv", "venv"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "--venv venv is a relative path: the job uses {}/venv (resolved",
            cwd.display()
        )),
        "{}",
        run.stderr
    );
    // A directory of that name here: the user means it.
    std::fs::create_dir(cwd.join("rapids")).unwrap();
    let run = DaskPbs::bare()
        .cwd(&cwd)
        .args(["check", "--profile", "pbs-cpu", "--env", "rapids"])
        .run();
    assert!(
        run.stderr
            .contains(&format!("the job uses {}/rapids", cwd.display())),
        "{}",
        run.stderr
    );
}

/// The `--options` of a rendered command line: the first line of `text` holding `marker`,
/// with the lines it continues onto (`\`).
fn options_of(text: &str, marker: &str) -> Vec<String> {
    let mut line = String::new();
    for l in text.lines().skip_while(|l| !l.contains(marker)) {
        line.push_str(l.trim_end_matches('\\'));
        if !l.ends_with('\\') {
            break;
        }
    }
    line.split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap_or(w).to_string())
        .collect()
}

/// Issue 25.6, made structural: every option dask-pbs writes on the scheduler's and the
/// workers' command lines, read from what it renders for several kinds of profile, is
/// refused when `dask.scheduler_args` or `dask.worker_args` repeats it. (The scheduler's
/// own `--preload` is not one: Dask takes several.)
#[test]
fn every_option_dask_pbs_writes_is_refused_when_the_args_repeat_it() {
    let profiles: &[&[&str]] = &[
        &["--profile", "pbs-cpu", "-A", "X"],
        &[
            "--profile",
            "pbs-cpu",
            "-A",
            "X",
            "--set",
            "dask.security=none",
            "--set",
            "dask.interface=ib0",
            "--set",
            "dask.local_directory=/scratch/dask",
            "--set",
            "dask.resources={IO: 1}",
        ],
        &[
            "--profile",
            "sophia",
            "-A",
            "X",
            "--set",
            "dask.rmm_pool_size=30GB",
            "--set",
            "dask.nthreads=2",
        ],
    ];
    let mut checked = 0;
    for args in profiles {
        let render = |artifact: &str| {
            let mut all = vec!["gen", artifact];
            all.extend_from_slice(args);
            ok(&all)
        };
        let worker = options_of(&render("worker"), "exec dask");
        let scheduler = options_of(&render("job"), "dask scheduler --scheduler-file");
        assert!(
            worker.len() > 5 && scheduler.len() > 4,
            "{worker:?} {scheduler:?}"
        );
        for (key, flags) in [
            ("dask.worker_args", worker),
            ("dask.scheduler_args", scheduler),
        ] {
            for flag in flags.iter().filter(|f| *f != "--preload") {
                let set = format!("{key}=[{flag}, x]");
                let mut all = vec!["check"];
                all.extend_from_slice(args);
                all.extend(["--set", &set]);
                let run = dask_pbs(&all);
                assert_eq!(run.code, 2, "{all:?}: {}", run.stderr);
                assert!(
                    run.stderr
                        .contains(&format!("`{flag} x` repeats what dask-pbs writes itself")),
                    "{all:?}: {}",
                    run.stderr
                );
                checked += 1;
            }
        }
    }
    eprintln!("MEASURE: {checked} options dask-pbs writes, each refused when repeated");
}

/// `extends: NAME` looks NAME up in the profile directories; when NAME.yaml sits beside the
/// profile instead (a site's profiles kept together), the message says how to reach it.
#[test]
fn extends_by_the_name_of_a_file_beside_says_to_write_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("orca.yaml"),
        "description: o\nextends: pbs-cpu\n",
    )
    .unwrap();
    let cpu = dir.path().join("orca-cpu.yaml");
    std::fs::write(&cpu, "description: c\nextends: orca\n").unwrap();
    let check = || {
        DaskPbs::new()
            .args([
                "check",
                "--profile",
                cpu.to_str().unwrap(),
                "-A",
                "p1",
                "--env",
                "/e",
            ])
            .run()
    };
    let out = check();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "orca.yaml sits beside this profile: write `extends: ./orca.yaml`, or pass --profile-dir"
        ),
        "{}",
        out.stderr
    );
    std::fs::write(&cpu, "description: c\nextends: ./orca.yaml\n").unwrap();
    let fixed = check();
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
}
