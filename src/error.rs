//! The one error type of dask-pbs and the exit code each kind maps to.
//!
//! Every error carries a `Code`: which of the crate's messages it is. The code fixes the exit
//! code: input the user can fix (exit 2: usage, profile, validation, template) or everything
//! else (exit 1: I/O, a command that failed). tests/errors.rs runs a case for every code.

use std::fmt;

/// Declares `Code` and `Code::ALL` together, so the list cannot miss a variant.
macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $name:ident = $kebab:literal,)+) => {
        /// Every user-facing error and validation problem dask-pbs can give, one variant per
        /// message (template). `DASK_PBS_ERROR_CODES=1` shows the name before each line.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[doc = $doc])+ $name,)+
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)+];

            /// The stable kebab-case name shown with `DASK_PBS_ERROR_CODES=1`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$name => $kebab,)+
                }
            }
        }
    };
}

codes! {
    /// A text value holds a NUL byte, which no shell word can hold.
    NulByte = "nul-byte",
    /// A list item is empty or blank (a module named "", an empty setup line).
    BlankItem = "blank-item",
    /// `description` holds a control character (a second line).
    DescriptionNotOneLine = "description-not-one-line",
    /// `templates` names no directory.
    TemplatesNotADirectory = "templates-not-a-directory",
    /// A Dask size (`dask.memory_limit`…) that does not parse.
    NotASize = "not-a-size",
    /// A hardware memory size (`system.memory_per_node`…) that does not parse.
    NotAMemorySize = "not-a-memory-size",
    /// A hardware memory size written without its unit (`256` meant as 256GB).
    MemorySizeNoUnit = "memory-size-no-unit",
    /// `system.account_directive` is neither a qsub option letter nor `-W attribute=`.
    NotAProjectDirective = "not-a-project-directive",
    /// `system.keep` is not letters of e, o, d, n (qsub -k).
    NotAKeepValue = "not-a-keep-value",
    /// `system.shell` is not bash's absolute path with at most one option.
    NotAnInterpreterLine = "not-an-interpreter-line",
    /// A queue's name holds characters PBS does not read in a queue name.
    QueueName = "queue-name",
    /// A queue's `submit_as` holds characters PBS does not read in a queue name.
    SubmitAsName = "submit-as-name",
    /// A queue's (or routing row's) walltime minimum is above its maximum.
    WalltimeRangeReversed = "walltime-range-reversed",
    /// A queue's tier gives not exactly one of cores, nodes or gpus.
    TierBound = "tier-bound",
    /// A queue's tiers count in different units.
    TierUnits = "tier-units",
    /// A queue's tiers do not rise from the smallest job to the largest.
    TiersNotRising = "tiers-not-rising",
    /// A queue's `max.node_types` names a node type the site does not have.
    UnknownMaxNodeType = "unknown-max-node-type",
    /// A node type's name holds characters PBS does not read.
    NodeTypeName = "node-type-name",
    /// A `system.charging` unit that is not one short line.
    NotAUnitName = "not-a-unit-name",
    /// `system.charging` has no rates.
    NoRates = "no-rates",
    /// A charging rate's `memory_per_node` on a rate that does not count cores.
    MemoryPerNodeNeedsCores = "memory-per-node-needs-cores",
    /// A charging rate's `whole_nodes` on a rate that counts nodes.
    WholeNodesPerNodes = "whole-nodes-per-nodes",
    /// `system.charging.priority.resource` is not a PBS resource name.
    NotAResourceName = "not-a-resource-name",
    /// `system.charging.priority.default` is not one of its factors.
    UnknownPriorityDefault = "unknown-priority-default",
    /// The job's priority resource names a priority the charging rule does not know.
    UnknownPriority = "unknown-priority",
    /// A `system.path_resources` rule that is not `/prefix/ -> resource=word`.
    NotAPathRule = "not-a-path-rule",
    /// `job.name` is not a PBS job name.
    NotAJobName = "not-a-job-name",
    /// `job.account` is a placeholder copied from a guide (`YOUR_PROJECT`).
    PlaceholderAccount = "placeholder-account",
    /// `job.account` holds characters PBS does not read in a project name.
    NotAProjectName = "not-a-project-name",
    /// A `job.filesystems` entry is not a file system name.
    NotAFilesystemName = "not-a-filesystem-name",
    /// `job.place` is not words of qsub's `-l place=`.
    NotAPlacement = "not-a-placement",
    /// A chunk resource (`job.resources`, a node type's) whose name or value PBS does not read.
    NotAChunkResource = "not-a-chunk-resource",
    /// A memory resource (`mem=250`) without its unit, which PBS reads as bytes.
    ResourceWithoutUnit = "resource-without-unit",
    /// `select` or `walltime` among the chunk resources: dask-pbs writes them.
    ResourceSetByDaskPbs = "resource-set-by-dask-pbs",
    /// A `job.directives` entry that is not a qsub option.
    NotAQsubOption = "not-a-qsub-option",
    /// A `job.directives` entry repeats an option dask-pbs writes itself.
    DirectiveRepeats = "directive-repeats",
    /// A Torque `-l nodes=` directive beside PBS Pro's select.
    TorqueNodes = "torque-nodes",
    /// A `-J` directive: a job array would start a cluster per subjob.
    JobArray = "job-array",
    /// Job-wide ncpus, ngpus or mem directives beside select chunks.
    JobWideBesideSelect = "job-wide-beside-select",
    /// `job.request: job-wide` naming its counts, with more than one node.
    JobWideOneNode = "job-wide-one-node",
    /// `job.request: none` with more than one node.
    NoRequestOneNode = "no-request-one-node",
    /// `env.conda`, `env.venv` or `env.tmpdir` is empty.
    EmptyPath = "empty-path",
    /// A path that holds shell code beyond `$NAME` and `${NAME}`.
    ShellCode = "shell-code",
    /// `env.conda` or `env.venv` is a placeholder copied from a guide (`/path/to/env`).
    PlaceholderEnvironment = "placeholder-environment",
    /// A relative path the compute node would resolve from another directory.
    RelativePath = "relative-path",
    /// An `env.vars` name that is not an environment variable name.
    EnvVarName = "env-var-name",
    /// Both `env.conda` and `env.venv` are set.
    CondaAndVenv = "conda-and-venv",
    /// Neither `env.conda` nor `env.venv`: the job has no Python environment.
    NoEnvironment = "no-environment",
    /// A `scheduler_args`/`worker_args` item holds an option and its value as one word.
    OptionAndValueInOneItem = "option-and-value-in-one-item",
    /// A worker port option in `worker_args` below 1024.
    PrivilegedPortArg = "privileged-port-arg",
    /// A `dask.resources` entry that is not `NAME: NUMBER`.
    NotAWorkerResource = "not-a-worker-resource",
    /// `dask.interface` is not a network interface name.
    NotAnInterfaceName = "not-an-interface-name",
    /// `dask.local_directory` is empty.
    EmptyLocalDirectory = "empty-local-directory",
    /// A worker memory size under a mebibyte (a number written without its unit).
    SizeTooSmall = "size-too-small",
    /// `dask.memory_limit` × workers per node is more than the node's memory.
    MemoryOverNode = "memory-over-node",
    /// A GPU memory size above one GPU's memory.
    OverGpuMemory = "over-gpu-memory",
    /// A launcher word with a `{` and no `}`.
    UnclosedPlaceholder = "unclosed-placeholder",
    /// A launcher word with a placeholder the job does not fill.
    UnknownPlaceholder = "unknown-placeholder",
    /// `job.node_type` on a site that has no node types.
    NoNodeTypes = "no-node-types",
    /// `job.node_type` names no node type of the site.
    UnknownNodeType = "unknown-node-type",
    /// A selecting resource (`gpu_type=a100`) that matches no node type.
    SelectsNoNodeType = "selects-no-node-type",
    /// GPU workers on a queue whose node types have no GPU.
    QueueWithoutGpus = "queue-without-gpus",
    /// The node type is not one the queue serves.
    NodeTypeNotServed = "node-type-not-served",
    /// More nodes of a type than the site has.
    NodeTypeCount = "node-type-count",
    /// A job over a queue's largest tier or its cores or GPUs cap.
    OverJobMax = "over-job-max",
    /// A job over a queue's memory cap.
    OverJobMaxMemory = "over-job-max-memory",
    /// A job over a queue's cap on nodes of its node type.
    OverJobMaxNodeType = "over-job-max-node-type",
    /// `job.queue` on a site that takes no -q.
    NoQueues = "no-queues",
    /// `job.queue` names no queue of the site.
    UnknownQueue = "unknown-queue",
    /// `job.select` is a count the queue does not take.
    SelectNotAccepted = "select-not-accepted",
    /// A job-wide GPU request beyond one node that is not whole nodes.
    NotWholeNodes = "not-whole-nodes",
    /// More GPUs than one node has on a queue that puts all GPUs on one node.
    GpusOverOneNode = "gpus-over-one-node",
    /// A walltime outside the queue's limits.
    WalltimeOutOfRange = "walltime-out-of-range",
    /// A size that no destination of a routing queue takes.
    RouteSize = "route-size",
    /// A walltime the routing queue's row for that size does not take.
    RouteWalltime = "route-walltime",
    /// `mem=` asks one node for more than it has.
    MemOverNode = "mem-over-node",
    /// `ngpus`, `ncpus` or `mpiprocs` that is not a count.
    NotACount = "not-a-count",
    /// `ngpus` other than 1 on a queue whose chunk is one GPU.
    NgpusPerGpuChunk = "ngpus-per-gpu-chunk",
    /// `ngpus` above the node's GPUs.
    NgpusOverNode = "ngpus-over-node",
    /// `ngpus` other than the node's GPUs, which dask-pbs starts a worker on each of.
    NgpusDisagrees = "ngpus-disagrees",
    /// `ncpus` (over the chunks on a node) above the node's CPUs.
    NcpusOverNode = "ncpus-over-node",
    /// `mpiprocs` other than 1 on a queue whose chunk is one GPU.
    MpiprocsPerGpuChunk = "mpiprocs-per-gpu-chunk",
    /// `mpiprocs` other than the ranks of a chunk of GPUs anywhere.
    MpiprocsPerAnywhereChunk = "mpiprocs-per-anywhere-chunk",
    /// `mpiprocs` other than the ranks dask-pbs starts per node.
    MpiprocsDisagrees = "mpiprocs-disagrees",
    /// `place=scatter` on a queue that puts every GPU chunk on one node.
    ScatterOnGpuQueue = "scatter-on-gpu-queue",
    /// A GPUs-anywhere queue without `job.request: select`.
    AnywhereNeedsSelect = "anywhere-needs-select",
    /// A GPUs-anywhere queue without one CUDA worker a GPU.
    AnywhereNeedsGpuWorkers = "anywhere-needs-gpu-workers",
    /// A GPUs-anywhere queue with a launcher that cannot start uneven ranks per host.
    AnywhereNeedsUnevenLauncher = "anywhere-needs-uneven-launcher",
    /// The charge overflows what dask-pbs computes exactly (rates and factors near the largest).
    ChargeTooLarge = "charge-too-large",
    /// An invariant of dask-pbs itself broke (no input reaches it): a bug to report.
    Internal = "internal",
    /// A profile failed validation; each problem below carries its own code.
    InvalidProfile = "invalid-profile",
    /// `--profile PATH.yaml` names a file that does not exist.
    ProfileFileMissing = "profile-file-missing",
    /// A profile or defaults file exists but cannot be read.
    ReadProfile = "read-profile",
    /// A profile file is not UTF-8 text.
    ProfileNotUtf8 = "profile-not-utf8",
    /// `--profile` or `extends` gives neither a name nor a path to a .yaml file.
    NotAProfileName = "not-a-profile-name",
    /// No profile of that name in the profile directories or built in.
    UnknownProfile = "unknown-profile",
    /// A profile file's stem (its name) is not a name.
    ProfileFileName = "profile-file-name",
    /// A profile file has no keys at all.
    EmptyProfile = "empty-profile",
    /// An `extends` chain longer than dask-pbs follows.
    ExtendsTooLong = "extends-too-long",
    /// `extends` by name comes back to a profile already in the chain.
    ExtendsCycle = "extends-cycle",
    /// `extends` by path comes back to a file already in the chain.
    ExtendsPathCycle = "extends-path-cycle",
    /// The user's defaults file sets `extends` or `description`.
    DefaultsNotAProfile = "defaults-not-a-profile",
    /// `--set` without `KEY.PATH=VALUE`.
    SetSyntax = "set-syntax",
    /// `--set` whose key is not dotted words.
    SetNotAKeyPath = "set-not-a-key-path",
    /// A `--set` value of more than one line.
    SetMultiline = "set-multiline",
    /// A profile file over 1 MiB.
    ProfileTooLarge = "profile-too-large",
    /// A flag's or environment variable's value does not parse as its field's type.
    FlagNotYaml = "flag-not-yaml",
    /// A profile file does not parse: YAML syntax, an unknown key, a wrong type.
    ProfileSyntax = "profile-syntax",
    /// `--set` on one field of a queue, node type or default queue that does not exist.
    SetNoEntry = "set-no-entry",
    /// A `--set` value on one field of an entry that is not YAML.
    SetNotYaml = "set-not-yaml",
    /// A `--set` on one field of an entry that the entry refuses (an unknown field, a wrong type).
    SetFieldRejected = "set-field-rejected",
    /// `-o PATH` names a directory.
    OutputIsDirectory = "output-is-directory",
    /// An output file exists and `--force` was not given.
    OutputExists = "output-exists",
    /// An output file cannot be created or written.
    WriteOutput = "write-output",
    /// `--out-dir` given for one artifact (it is for `gen all`).
    OutDirNotForOne = "out-dir-not-for-one",
    /// `--join` given to an artifact other than `gen workers`.
    JoinNotForWorkers = "join-not-for-workers",
    /// The profile lacks what one artifact needs (e.g. `gen conda` with no `env.conda`).
    ArtifactNotRenderable = "artifact-not-renderable",
    /// `gen all --out-dir` into a directory with files, without `--force`.
    OutDirNotEmpty = "out-dir-not-empty",
    /// An output directory cannot be created.
    CreateDirectory = "create-directory",
    /// `profiles show defaults --resolved`: the bottom layer is not a profile.
    DefaultsNotResolvable = "defaults-not-resolvable",
    /// `templates show NAME` of a template that is not built in.
    UnknownTemplate = "unknown-template",
    /// `verify DIR` of a path that is not a directory.
    VerifyNotADirectory = "verify-not-a-directory",
    /// A user's template fails to parse or render.
    TemplateError = "template-error",
    /// `rapids.version` is not a release dask-pbs knows.
    RapidsUnknownRelease = "rapids-unknown-release",
    /// `rapids.python` is not a version like 3.11.
    RapidsNotAPythonVersion = "rapids-not-a-python-version",
    /// The RAPIDS release does not support that Python.
    RapidsPythonOutOfRange = "rapids-python-out-of-range",
    /// `rapids.cuda` is not a conda version constraint.
    RapidsNotACudaSpec = "rapids-not-a-cuda-spec",
    /// A version in `rapids.cuda` is not a version like 12.8.
    RapidsNotACudaVersion = "rapids-not-a-cuda-version",
    /// `rapids.cuda` names a CUDA the RAPIDS release does not support.
    RapidsCudaOutOfRange = "rapids-cuda-out-of-range",
    /// `import-jobqueue`: the file is not YAML.
    ImportNotYaml = "import-not-yaml",
    /// `import-jobqueue`: no section of that name.
    ImportNoSection = "import-no-section",
    /// `import-jobqueue`: the section lacks keys dask-jobqueue needs.
    ImportMissing = "import-missing",
    /// `import-jobqueue`: a key dask-jobqueue needs has a value it cannot use.
    ImportBad = "import-bad",
    /// A PBS command (qsub, qstat, qdel) cannot be started.
    CannotRunPbs = "cannot-run-pbs",
    /// qsub exited 0 but printed no job id.
    NoJobId = "no-job-id",
    /// A job id that cannot name a cluster record (empty, a `/`, a leading `.`).
    NotAJobId = "not-a-job-id",
    /// Neither XDG_STATE_HOME nor HOME is set: no place for cluster records.
    NoStateDir = "no-state-dir",
    /// A cluster record (or its directory or lock) cannot be written.
    WriteRecord = "write-record",
    /// A cluster record exists but cannot be read.
    ReadRecord = "read-record",
    /// A cluster record is not JSON of a dask-pbs cluster.
    CorruptRecord = "corrupt-record",
    /// No recorded cluster has that job id (or name).
    NoCluster = "no-cluster",
    /// A job number that matches several recorded clusters.
    AmbiguousJobId = "ambiguous-job-id",
    /// Every cluster of that name has ended: the job id says which.
    NameAllEnded = "name-all-ended",
    /// Several clusters of that name have not ended: the job id says which.
    NameSeveralLive = "name-several-live",
    /// `scale --add` on a cluster that has ended.
    ClusterEnded = "cluster-ended",
    /// `adapt --max` below `--min`.
    MaxBelowMin = "max-below-min",
    /// `adapt` on a cluster recorded without a worker job script.
    AdaptNoWorkersScript = "adapt-no-workers-script",
    /// `scale --add` on a cluster recorded without a worker job script, and no `--profile`.
    ScaleNoWorkersScript = "scale-no-workers-script",
    /// `scale --remove N` with fewer than N worker jobs queued or running.
    FewerWorkerJobs = "fewer-worker-jobs",
    /// `--join` with an empty path.
    JoinEmpty = "join-empty",
    /// qstat could not tell the state of the cluster's jobs.
    QstatFailed = "qstat-failed",
    /// `wait`: the head job ended (before its cluster was ready, or after).
    WaitEnded = "wait-ended",
    /// `wait`: PBS no longer runs the head job and it left no end mark.
    WaitGone = "wait-gone",
    /// `wait --timeout`: the cluster was not ready in time.
    WaitTimeout = "wait-timeout",
    /// `verify`: rendered artifacts differ from those stored in DIR/expected.
    VerifyDiffers = "verify-differs",
    /// A GPU-worker option set with `dask.worker: cpu`.
    GpuOptionOnCpu = "gpu-option-on-cpu",
    /// `dask.workers_per_node` set for GPU workers.
    CpuOptionOnGpu = "cpu-option-on-gpu",
    /// `dask.workers_per_node` is 0.
    WorkersPerNodeZero = "workers-per-node-zero",
    /// `dask.nthreads` is 0.
    ZeroThreads = "zero-threads",
    /// A scheduler or dashboard port below 1024.
    PrivilegedPort = "privileged-port",
    /// A Dask timeout of 0 seconds.
    TimeoutZero = "timeout-zero",
    /// `dask.security: tls` with `protocol: ucx` (UCX has no TLS in Dask).
    TlsWithUcx = "tls-with-ucx",
    /// `system.launcher` is an empty list.
    LauncherNoWords = "launcher-no-words",
    /// The launcher's first word is not a program name or path.
    LauncherProgram = "launcher-program",
    /// A `local_rank_vars` entry is not a variable name.
    LocalRankVarName = "local-rank-var-name",
    /// An MPI launcher program that is not a name or path.
    NotAProgram = "not-a-program",
    /// Several ranks per node, and no variable tells them apart.
    NoLocalRankVars = "no-local-rank-vars",
    /// HPE MPT with a rank count PBS's node file does not give.
    MptMpiprocs = "mpt-mpiprocs",
    /// A required key is not set.
    Missing = "missing",
    /// CUDA workers on nodes of 0 GPUs.
    CudaWithoutGpus = "cuda-without-gpus",
    /// A resource that selects other nodes than `job.node_type`.
    NodeTypeConflict = "node-type-conflict",
    /// No account on a site that requires one.
    AccountRequired = "account-required",
    /// No `job.filesystems` on a site that requires them.
    FilesystemsRequired = "filesystems-required",
    /// Memory fractions of all workers on a node over 1.
    MemoryFractionOver = "memory-fraction-over",
    /// `system.login_host` is not a host name.
    NotAHostName = "not-a-host-name",
    /// A `system.account_vars` entry is not a variable name.
    AccountVarName = "account-var-name",
    /// An empty `run` payload.
    EmptyRun = "empty-run",
    /// `job.max_charge` on a profile whose charge cannot be computed.
    ChargeUnknown = "charge-unknown",
    /// The job can charge more than `job.max_charge`.
    ChargeOverMax = "charge-over-max",
    /// A proxy variable that is not http://host:port.
    NotAProxyUrl = "not-a-proxy-url",
    /// A `worker_args` flag that dask-pbs writes itself.
    RepeatsFlag = "repeats-flag",
    /// A `worker_args` flag that a profile key sets.
    RepeatsFlagUseKey = "repeats-flag-use-key",
    /// A walltime over the limit of the job's size tier.
    WalltimeOverTier = "walltime-over-tier",
    /// The working directory cannot be read (it was removed, or a parent is not searchable).
    WorkingDirUnreadable = "working-dir-unreadable",
    /// The working directory's path is not UTF-8.
    WorkingDirNotUtf8 = "working-dir-not-utf8",
    /// The output cannot be written to stdout (a full disk, a closed pipe).
    WriteStdout = "write-stdout",
    /// `render FILE`: the template file cannot be read.
    ReadTemplate = "read-template",
    /// `scale --remove`: the head job's `requests/` directory does not exist (its scheduler
    /// has not started).
    NoRequestDir = "no-request-dir",
    /// A request to the head job (retire) cannot be written into its `requests/` directory.
    WriteRequest = "write-request",
    /// `scale --remove`: the head job did not answer the retire request in time.
    RetireTimeout = "retire-timeout",
    /// `scale --remove`: the scheduler answered the retire request with an error.
    RetireRefused = "retire-refused",
    /// `clean`: a job directory (or a file in it) cannot be removed.
    RemoveJobDir = "remove-job-dir",
    /// A cluster record vanished while a command was changing it (`clean` beside `scale`).
    RecordGone = "record-gone",
    /// `clean`: a cluster record cannot be removed.
    RemoveRecord = "remove-record",
    /// `verify DIR`: the directory cannot be read.
    VerifyUnreadable = "verify-unreadable",
    /// `verify DIR` without `--update` before DIR/expected exists (a first run).
    VerifyNoExpected = "verify-no-expected",
    /// qsub refused a job script (exited non-zero).
    QsubRefused = "qsub-refused",
    /// qdel failed for a reason other than the job having ended.
    QdelFailed = "qdel-failed",
    /// `import-jobqueue` without FILE, and HOME is not set (or empty).
    ImportNoHome = "import-no-home",
    /// `scale` given overrides or `--profile-dir` without `--profile`.
    OverridesNeedProfile = "overrides-need-profile",
}

impl Code {
    /// 2 for input the user can fix (usage, profile, validation, template), 1 for a failure
    /// outside the input (I/O, a command that failed).
    #[allow(
        clippy::too_many_lines,
        reason = "one line per code: a list, not logic, and a `_` arm would let a new code through unclassified"
    )]
    pub fn exit_code(self) -> i32 {
        match self {
            Code::InvalidProfile
            | Code::NulByte
            | Code::BlankItem
            | Code::DescriptionNotOneLine
            | Code::TemplatesNotADirectory
            | Code::NotASize
            | Code::NotAMemorySize
            | Code::MemorySizeNoUnit
            | Code::NotAProjectDirective
            | Code::NotAKeepValue
            | Code::NotAnInterpreterLine
            | Code::QueueName
            | Code::SubmitAsName
            | Code::WalltimeRangeReversed
            | Code::TierBound
            | Code::TierUnits
            | Code::TiersNotRising
            | Code::UnknownMaxNodeType
            | Code::NodeTypeName
            | Code::NotAUnitName
            | Code::NoRates
            | Code::MemoryPerNodeNeedsCores
            | Code::WholeNodesPerNodes
            | Code::NotAResourceName
            | Code::UnknownPriorityDefault
            | Code::UnknownPriority
            | Code::NotAPathRule
            | Code::NotAJobName
            | Code::PlaceholderAccount
            | Code::NotAProjectName
            | Code::NotAFilesystemName
            | Code::NotAPlacement
            | Code::NotAChunkResource
            | Code::ResourceWithoutUnit
            | Code::ResourceSetByDaskPbs
            | Code::NotAQsubOption
            | Code::DirectiveRepeats
            | Code::TorqueNodes
            | Code::JobArray
            | Code::JobWideBesideSelect
            | Code::JobWideOneNode
            | Code::NoRequestOneNode
            | Code::EmptyPath
            | Code::ShellCode
            | Code::PlaceholderEnvironment
            | Code::RelativePath
            | Code::EnvVarName
            | Code::CondaAndVenv
            | Code::NoEnvironment
            | Code::OptionAndValueInOneItem
            | Code::PrivilegedPortArg
            | Code::NotAWorkerResource
            | Code::NotAnInterfaceName
            | Code::EmptyLocalDirectory
            | Code::SizeTooSmall
            | Code::MemoryOverNode
            | Code::OverGpuMemory
            | Code::UnclosedPlaceholder
            | Code::UnknownPlaceholder
            | Code::NoNodeTypes
            | Code::UnknownNodeType
            | Code::SelectsNoNodeType
            | Code::QueueWithoutGpus
            | Code::NodeTypeNotServed
            | Code::NodeTypeCount
            | Code::OverJobMax
            | Code::OverJobMaxMemory
            | Code::OverJobMaxNodeType
            | Code::NoQueues
            | Code::UnknownQueue
            | Code::SelectNotAccepted
            | Code::NotWholeNodes
            | Code::GpusOverOneNode
            | Code::WalltimeOutOfRange
            | Code::RouteSize
            | Code::RouteWalltime
            | Code::MemOverNode
            | Code::NotACount
            | Code::NgpusPerGpuChunk
            | Code::NgpusOverNode
            | Code::NgpusDisagrees
            | Code::NcpusOverNode
            | Code::MpiprocsPerGpuChunk
            | Code::MpiprocsPerAnywhereChunk
            | Code::MpiprocsDisagrees
            | Code::ScatterOnGpuQueue
            | Code::AnywhereNeedsSelect
            | Code::AnywhereNeedsGpuWorkers
            | Code::AnywhereNeedsUnevenLauncher
            | Code::ChargeTooLarge
            | Code::ProfileFileMissing
            | Code::ProfileNotUtf8
            | Code::NotAProfileName
            | Code::UnknownProfile
            | Code::ProfileFileName
            | Code::EmptyProfile
            | Code::ExtendsTooLong
            | Code::ExtendsCycle
            | Code::ExtendsPathCycle
            | Code::DefaultsNotAProfile
            | Code::SetSyntax
            | Code::SetNotAKeyPath
            | Code::SetMultiline
            | Code::ProfileTooLarge
            | Code::FlagNotYaml
            | Code::ProfileSyntax
            | Code::SetNoEntry
            | Code::SetNotYaml
            | Code::SetFieldRejected
            | Code::OutputIsDirectory
            | Code::OutputExists
            | Code::OutDirNotForOne
            | Code::JoinNotForWorkers
            | Code::ArtifactNotRenderable
            | Code::OutDirNotEmpty
            | Code::DefaultsNotResolvable
            | Code::UnknownTemplate
            | Code::VerifyNotADirectory
            | Code::TemplateError
            | Code::RapidsUnknownRelease
            | Code::RapidsNotAPythonVersion
            | Code::RapidsPythonOutOfRange
            | Code::RapidsNotACudaSpec
            | Code::RapidsNotACudaVersion
            | Code::RapidsCudaOutOfRange
            | Code::ImportNotYaml
            | Code::ImportNoSection
            | Code::ImportMissing
            | Code::ImportBad
            | Code::NotAJobId
            | Code::CorruptRecord
            | Code::NoCluster
            | Code::AmbiguousJobId
            | Code::NameAllEnded
            | Code::NameSeveralLive
            | Code::ClusterEnded
            | Code::MaxBelowMin
            | Code::AdaptNoWorkersScript
            | Code::ScaleNoWorkersScript
            | Code::FewerWorkerJobs
            | Code::JoinEmpty
            | Code::GpuOptionOnCpu
            | Code::CpuOptionOnGpu
            | Code::WorkersPerNodeZero
            | Code::ZeroThreads
            | Code::PrivilegedPort
            | Code::TimeoutZero
            | Code::TlsWithUcx
            | Code::LauncherNoWords
            | Code::LauncherProgram
            | Code::LocalRankVarName
            | Code::NotAProgram
            | Code::NoLocalRankVars
            | Code::MptMpiprocs
            | Code::Missing
            | Code::CudaWithoutGpus
            | Code::NodeTypeConflict
            | Code::AccountRequired
            | Code::FilesystemsRequired
            | Code::MemoryFractionOver
            | Code::NotAHostName
            | Code::AccountVarName
            | Code::EmptyRun
            | Code::ChargeUnknown
            | Code::ChargeOverMax
            | Code::NotAProxyUrl
            | Code::RepeatsFlag
            | Code::RepeatsFlagUseKey
            | Code::ImportNoHome
            | Code::OverridesNeedProfile
            | Code::WalltimeOverTier => 2,
            Code::Internal
            | Code::ReadProfile
            | Code::WriteOutput
            | Code::CreateDirectory
            | Code::CannotRunPbs
            | Code::NoJobId
            | Code::NoStateDir
            | Code::WriteRecord
            | Code::ReadRecord
            | Code::QstatFailed
            | Code::WaitEnded
            | Code::WaitGone
            | Code::WaitTimeout
            | Code::WorkingDirUnreadable
            | Code::WorkingDirNotUtf8
            | Code::WriteStdout
            | Code::ReadTemplate
            | Code::NoRequestDir
            | Code::WriteRequest
            | Code::RetireTimeout
            | Code::RetireRefused
            | Code::RemoveJobDir
            | Code::RecordGone
            | Code::RemoveRecord
            | Code::VerifyUnreadable
            | Code::VerifyNoExpected
            | Code::QsubRefused
            | Code::QdelFailed
            | Code::VerifyDiffers => 1,
        }
    }
}

/// An error: which case it is (`code`, which fixes the exit code) and the text for the user.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    /// The error `code`; `message` says what, where and how to fix it.
    pub fn new(code: Code, message: impl fmt::Display) -> Self {
        Error {
            code,
            message: message.to_string(),
        }
    }

    /// An I/O error on `path`, with what we were doing.
    pub fn io(code: Code, action: &str, path: impl fmt::Display, err: std::io::Error) -> Self {
        Error::new(code, format!("cannot {action} {path}: {err}"))
    }

    pub fn exit_code(&self) -> i32 {
        self.code.exit_code()
    }
}

/// Whether `DASK_PBS_ERROR_CODES` asks for each error line to carry its code's name.
pub fn show_codes() -> bool {
    std::env::var_os("DASK_PBS_ERROR_CODES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `[name] ` when codes are shown, else nothing.
pub fn tag(code: Code) -> String {
    if show_codes() {
        format!("[{}] ", code.name())
    } else {
        String::new()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A close known name for a mistyped one; shows as "did you mean `x`?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion(String);

impl Suggestion {
    /// The candidate closest to `input`, when one is close enough to be a likely typo.
    pub fn for_name<'a>(
        input: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<Self> {
        candidates
            .into_iter()
            .map(|c| (strsim::jaro_winkler(input, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| Suggestion(c.to_string()))
    }

    /// The suggested name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "did you mean `{}`?", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        let hint = Suggestion::for_name("selct", ["queue", "select", "account"]);
        assert_eq!(hint.as_ref().map(Suggestion::name), Some("select"));
        assert_eq!(hint.unwrap().to_string(), "did you mean `select`?");
        assert_eq!(Suggestion::for_name("zzz", ["queue", "select"]), None);
    }
}
