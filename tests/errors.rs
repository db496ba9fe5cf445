//! Errors as data: every `Code` the crate can give has a case here that produces it through
//! the binary, with `DASK_PBS_ERROR_CODES=1` so stderr names the code that fired. `case` is
//! an exhaustive match: a new code without a case does not compile.

use std::path::Path;

use dask_pbs::error::Code;

use crate::common::DaskPbs;
use crate::profiles;

/// A command that gives one code: its arguments (`{DIR}` stands for the case's own
/// directory, also the working directory), files written there first (name, text), extra
/// environment, a setup step for what text files cannot say, and a fragment of stderr,
/// word for word (`{DIR}` again).
struct Case {
    args: &'static [&'static str],
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
    setup: fn(&Path),
    /// As a user with no configuration (`DaskPbs::bare`).
    bare: bool,
    /// A shell line around the binary, which it runs as `"$@"` (empty: run it directly).
    shell: &'static str,
    expect: &'static str,
}

fn run(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        files: &[],
        env: &[],
        setup: |_| {},
        bare: false,
        shell: "",
        expect,
    }
}

fn with_files(
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    expect: &'static str,
) -> Case {
    Case {
        files,
        ..run(args, expect)
    }
}

fn with_setup(setup: fn(&Path), args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        setup,
        ..run(args, expect)
    }
}

/// A validation problem: the case of tests/profiles.rs's `CASES` (which checks every rule's
/// whole message) whose message holds `fragment`, run again here for its code.
fn validation(fragment: &'static str) -> Case {
    let found = profiles::CASES
        .iter()
        .find(|c| c.code == 2 && c.expect.contains(fragment))
        .unwrap_or_else(|| panic!("no case of profiles::CASES gives {fragment:?}"));
    let mut args = found.args.to_vec();
    let files: &'static [(&str, &str)] = if found.yaml.is_empty() {
        &[]
    } else {
        args.extend(["--profile-dir", "{DIR}"]);
        Box::leak(Box::new([("p.yaml", found.yaml)]))
    };
    Case {
        args: Box::leak(args.into_boxed_slice()),
        files,
        env: if found.homeless {
            &[("HOME", ""), ("XDG_CONFIG_HOME", "")]
        } else {
            &[]
        },
        bare: found.bare,
        ..run(&[], fragment)
    }
}

/// A regular file, so that a path under it can be neither read nor written, even as root.
const A_FILE: (&str, &str) = ("plain", "not a directory\n");

/// A dask-jobqueue configuration with a `pbs` section.
const JOBQUEUE: (&str, &str) = (
    "jq.yaml",
    "jobqueue:\n  pbs:\n    cores: 4\n    memory: 4GB\n",
);

/// With the cluster records and job directories of `files` (under `state/` and
/// `dask-pbs.ID/`), and a qstat that knows no job.
fn in_state(
    files: &'static [(&'static str, &'static str)],
    args: &'static [&'static str],
    expect: &'static str,
) -> Case {
    Case {
        env: &[
            ("XDG_STATE_HOME", "{DIR}/state"),
            ("DASK_PBS_QSTAT", "/bin/false"),
        ],
        ..with_files(files, args, expect)
    }
}

/// qstat of a server that has forgotten job 12.a, as OpenPBS says it.
const UNKNOWN_JOB: &str = "echo 'qstat: Unknown Job Id 12.a' >&2; exit 153";
/// qstat of job 12.a queued.
const QUEUED: &str = r#"echo '{"pbs_version": "23.06.06", "Jobs": {"12.a": {"job_state": "Q"}}}'"#;

/// A program `name` in the case's directory that runs `body` (a stand-in for a PBS command).
fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A qsub in the case's directory that prints `id` as the job id, as PBS does.
fn fake_qsub(dir: &Path, id: &str) {
    script(dir, "qsub", &format!("echo '{id}'"));
}

/// `check` of the profile file p.yaml in the case's directory.
const CHECK_P: &[&str] = &["check", "--profile", "{DIR}/p.yaml"];

/// The case that produces `code`; `None` only for `internal`, which no input reaches. No `_`
/// arm: a new code does not compile without its case.
fn case(code: Code) -> Option<Case> {
    Some(match code {
        // Validation problems: the case of tests/profiles.rs's CASES that gives each.
        Code::NulByte => validation("contains a NUL byte, which no shell word can hold"),
        Code::BlankItem => validation("holds an empty item, which means nothing"),
        Code::DescriptionNotOneLine => {
            validation("must be one line of text (no control characters)")
        }
        Code::TemplatesNotADirectory => {
            validation("relative to the profile file); give the profile's own template directory")
        }
        Code::NotASize => validation("is not a size: use bytes like"),
        Code::NotAMemorySize => validation("is not a memory size: use bytes like 40GB or 1TB"),
        Code::MemorySizeNoUnit => validation("has no unit, so it would be"),
        Code::NotAProjectDirective => validation("is not a project directive"),
        Code::NotAKeepValue => validation("is not a qsub -k value"),
        Code::NotAnInterpreterLine => validation("is not an interpreter line"),
        Code::QueueName => validation("queue name `"),
        Code::SubmitAsName => validation(": submit_as `"),
        Code::WalltimeRangeReversed => validation("walltime minimum"),
        Code::TierBound => validation("each tier gives exactly one of cores, nodes or gpus"),
        Code::TierUnits => validation("every tier of a queue counts in the same unit"),
        Code::TiersNotRising => validation("tiers go from the smallest job to the largest"),
        Code::UnknownMaxNodeType => validation("which is not in system.node_types"),
        Code::NodeTypeName => validation("node type name `"),
        Code::NotAUnitName => validation("is not a unit name"),
        Code::NoRates => validation("has no rates: give at least one"),
        Code::MemoryPerNodeNeedsCores => {
            validation("memory_per_node shares a node's memory among its cores")
        }
        Code::WholeNodesPerNodes => validation("whole_nodes counts every core or GPU of a node"),
        Code::NotAResourceName => validation("is not a PBS resource name"),
        Code::UnknownPriorityDefault => validation("is not one of priority.factors"),
        Code::UnknownPriority => {
            validation("is not a priority the site's charging rule (system.charging) knows")
        }
        Code::NotAPathRule => validation("is not a path rule"),
        Code::NotAJobName => validation("is not a PBS job name"),
        Code::PlaceholderAccount => validation("is a placeholder, not a project"),
        Code::NotAProjectName => validation("is not a project name"),
        Code::NotAFilesystemName => validation("is not a file system name"),
        Code::NotAPlacement => validation("is not a PBS placement"),
        Code::NotAChunkResource => validation("is not a PBS chunk resource"),
        Code::ResourceWithoutUnit => validation("has no unit, so PBS reads it as"),
        Code::ResourceSetByDaskPbs => {
            validation("is set by dask-pbs; use job.select or job.walltime")
        }
        Code::NotAQsubOption => validation("is not a qsub option"),
        Code::DirectiveRepeats => validation("repeats what dask-pbs writes itself; use"),
        Code::TorqueNodes => validation("is Torque's request form"),
        Code::JobArray => validation("makes a job array"),
        Code::JobWideBesideSelect => {
            validation("PBS Pro refuses job-wide ncpus, ngpus or mem beside select")
        }
        Code::JobWideOneNode => validation("job-wide resources that name ncpus, ngpus or mem"),
        Code::NoRequestOneNode => validation("none asks for no resources, so the job is one node"),
        Code::EmptyPath => validation("is empty; give a path or null"),
        Code::ShellCode => validation("holds shell code; only $NAME and ${NAME} are expanded"),
        Code::PlaceholderEnvironment => validation("is a placeholder, not an environment"),
        Code::RelativePath => validation("is a relative path, which the compute node resolves"),
        Code::EnvVarName => validation("`A-B` is not an environment variable name"),
        Code::CondaAndVenv => validation("and env.venv are set; pick one"),
        Code::NoEnvironment => {
            validation("is not set (nor env.venv): the job needs a Python environment")
        }
        Code::OptionAndValueInOneItem => validation("is one item, so Dask gets it as one word"),
        Code::PrivilegedPortArg => {
            validation("is a port below 1024, which only root may listen on")
        }
        Code::NotAWorkerResource => validation("is not a worker resource"),
        Code::NotAnInterfaceName => validation("is not a network interface name"),
        Code::EmptyLocalDirectory => {
            validation("is empty; give a directory, or null for Dask's default")
        }
        Code::SizeTooSmall => validation("too little for a worker"),
        Code::MemoryOverNode => validation("more than the node has: its memory"),
        Code::OverGpuMemory => validation("more than one GPU has"),
        Code::UnclosedPlaceholder => validation("has a `{` without `}`"),
        Code::UnknownPlaceholder => validation("has the unknown placeholder"),
        Code::NoNodeTypes => validation("this site names no node types"),
        Code::UnknownNodeType => validation("no node type `"),
        Code::SelectsNoNodeType => validation("selects no node type of this site"),
        Code::QueueWithoutGpus => validation("serves no GPU node type"),
        Code::NodeTypeNotServed => validation("serves node types"),
        Code::NodeTypeCount => validation("node type h100 has 2 node(s); got 4"),
        Code::OverJobMax => validation("a job may have at most 32 GPUs; you asked 40"),
        Code::OverJobMaxMemory => validation("of memory; you asked"),
        Code::OverJobMaxNodeType => validation("node(s) of node type"),
        Code::NoQueues => validation("this site takes no -q"),
        Code::UnknownQueue => validation("no queue `by-gpus` on this site"),
        Code::SelectNotAccepted => validation("accepts 1, 2, 4 or 8 GPUs; got 3"),
        Code::NotWholeNodes => validation("a request beyond one node is whole nodes of"),
        Code::GpusOverOneNode => validation("puts all GPUs on one node, which has"),
        Code::WalltimeOutOfRange => validation("allows walltimes from"),
        Code::RouteSize => validation("none of its destinations takes 2 nodes"),
        Code::RouteWalltime => validation("which does not take walltime"),
        Code::MemOverNode => validation("asks one node for"),
        Code::NotACount => validation("` is not a count"),
        Code::NgpusPerGpuChunk => validation("one chunk is one GPU, so job.select"),
        Code::NgpusOverNode => validation("is more than a node has (system.gpus_per_node 8)"),
        Code::NgpusDisagrees => validation("disagrees with the workers"),
        Code::NcpusOverNode => validation("is more than a node has (system.cpus_per_node 256)"),
        Code::MpiprocsPerGpuChunk => validation("each chunk (one GPU) runs one rank"),
        Code::MpiprocsPerAnywhereChunk => validation("rank(s), one a GPU; set mpiprocs"),
        Code::MpiprocsDisagrees => validation("disagrees with the layout"),
        Code::ScatterOnGpuQueue => validation("and scatter would spread them"),
        Code::AnywhereNeedsSelect => validation("which are select chunks: use job.request: select"),
        Code::AnywhereNeedsGpuWorkers => validation("each chunk running one GPU worker a GPU"),
        Code::AnywhereNeedsUnevenLauncher => validation("cannot start (no per-host rank counts)"),
        Code::ChargeTooLarge => validation("the charge is too large to compute exactly"),
        // Broken invariants (listed where the code is given): a serde_json value of a string
        // or of a parsed YAML entry that does not serialize, a parent profile that vanished
        // between `only_in` and `find`. No input reaches them.
        Code::Internal => return None,
        Code::InvalidProfile => run(
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
            "profile pbs-cpu is invalid (1 problem):",
        ),
        Code::ProfileFileMissing => run(
            &["check", "--profile", "{DIR}/nope.yaml"],
            "profile file {DIR}/nope.yaml does not exist",
        ),
        Code::ReadProfile => with_files(
            &[A_FILE],
            &["check", "--profile", "{DIR}/plain/x.yaml"],
            "cannot read {DIR}/plain/x.yaml: Not a directory",
        ),
        Code::ProfileNotUtf8 => with_setup(
            |dir| std::fs::write(dir.join("p.yaml"), b"description: \xff\n").unwrap(),
            CHECK_P,
            "p.yaml: the profile is not UTF-8 text (invalid byte at offset 13)",
        ),
        Code::NotAProfileName => run(
            &["check", "--profile", "a b"],
            "`a b` is not a profile name (letters, digits, _ . -) or a path to a .yaml file",
        ),
        Code::UnknownProfile => run(
            &["check", "--profile", "nosuch"],
            "no profile named `nosuch`; known profiles:",
        ),
        Code::ProfileFileName => with_files(
            &[("a b.yaml", "description: x\nextends: pbs-cpu\n")],
            &["check", "--profile", "{DIR}/a b.yaml"],
            "the profile's name `a b` (its file name without the extension) is not a name",
        ),
        Code::EmptyProfile => with_files(
            &[("p.yaml", "")],
            CHECK_P,
            "p.yaml: the profile is empty; a profile needs at least `description:`",
        ),
        Code::ExtendsTooLong => with_setup(
            |dir| {
                for i in 0..40 {
                    let text = format!("description: x\nextends: p{}\n", i + 1);
                    std::fs::write(dir.join(format!("p{i}.yaml")), text).unwrap();
                }
            },
            &["check", "--profile", "p0", "--profile-dir", "{DIR}"],
            "extends chain longer than 32 profiles",
        ),
        Code::ExtendsCycle => with_files(
            &[
                ("a.yaml", "description: a\nextends: b\n"),
                ("b.yaml", "description: b\nextends: a\n"),
            ],
            &["check", "--profile", "a", "--profile-dir", "{DIR}"],
            "extends cycle: a -> b -> a; remove one `extends`",
        ),
        Code::ExtendsPathCycle => with_files(
            &[("p.yaml", "description: x\nextends: p.yaml\n")],
            CHECK_P,
            "p.yaml:2:10: extends cycle: p -> p",
        ),
        Code::DefaultsNotAProfile => Case {
            env: &[("XDG_CONFIG_HOME", "{DIR}/cfg")],
            ..with_files(
                &[("cfg/dask-pbs/defaults.yaml", "description: x\n")],
                &["check", "--profile", "pbs-cpu"],
                "a defaults file sets values under every profile; `extends` and `description` belong in a profile",
            )
        },
        Code::SetSyntax => run(
            &["check", "--profile", "pbs-cpu", "--set", "foo"],
            "--set foo: expected KEY.PATH=VALUE, e.g. --set job.select=4",
        ),
        Code::SetNotAKeyPath => run(
            &["check", "--profile", "pbs-cpu", "--set", "job..select=1"],
            "--set job..select=1: `job..select` is not a key path",
        ),
        Code::SetMultiline => run(
            &["check", "--profile", "pbs-cpu", "--set", "job.select=1\n2"],
            "the value must be one line",
        ),
        Code::ProfileTooLarge => with_setup(
            |dir| std::fs::write(dir.join("p.yaml"), "# x\n".repeat(300_000)).unwrap(),
            CHECK_P,
            "p.yaml: the profile is 1200000 bytes; profiles are limited to 1048576 bytes (1 MiB)",
        ),
        Code::FlagNotYaml => run(
            &["check", "--profile", "pbs-cpu", "--set", "job.select=abc"],
            "--set job.select=abc: expected a whole number",
        ),
        Code::ProfileSyntax => with_files(
            &[("p.yaml", "description: x\njob: [\n")],
            CHECK_P,
            "p.yaml:2:6: expected a mapping here (key: value lines or {key: value})",
        ),
        Code::SetNoEntry => run(
            &[
                "check",
                "--profile",
                "pleiades",
                "-A",
                "s1",
                "--env",
                "/e",
                "--set",
                "system.queues.nope.walltime=1",
            ],
            "--set system.queues.nope.walltime=1: there is no queue nope to change one field of",
        ),
        Code::SetNotYaml => run(
            &[
                "check",
                "--profile",
                "pleiades",
                "-A",
                "s1",
                "--env",
                "/e",
                "--set",
                "system.queues.normal.walltime=[1, 2",
            ],
            "--set system.queues.normal.walltime=[1, 2: the value is not YAML",
        ),
        Code::SetFieldRejected => run(
            &[
                "check",
                "--profile",
                "pleiades",
                "-A",
                "s1",
                "--env",
                "/e",
                "--set",
                "system.node_types.bro.memroy=100GB",
            ],
            "unknown field `memroy`, expected one of",
        ),
        Code::OutputIsDirectory => run(
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "-o",
                "{DIR}",
            ],
            "{DIR} is a directory; give a file name",
        ),
        Code::OutputExists => with_files(
            &[A_FILE],
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "-o",
                "plain",
            ],
            "plain exists; pass --force to overwrite it",
        ),
        Code::WriteOutput => with_files(
            &[A_FILE],
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "-o",
                "{DIR}/plain/x",
            ],
            "cannot create a file in {DIR}/plain: Not a directory",
        ),
        Code::OutDirNotForOne => run(
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--out-dir",
                "d",
            ],
            "--out-dir is for `gen all`; for one artifact use -o FILE",
        ),
        Code::JoinNotForWorkers => run(
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--join",
                "{DIR}",
            ],
            "--join is for `gen workers` (the job of workers that join a running cluster), not `gen job`",
        ),
        Code::ArtifactNotRenderable => run(
            &[
                "gen",
                "conda",
                "--profile",
                "pbs-cpu",
                "--set",
                "env.venv=/e",
            ],
            "the conda artifact cannot be rendered: the profile sets no env.conda prefix to create",
        ),
        Code::OutDirNotEmpty => with_files(
            &[("out/x", "")],
            &[
                "gen",
                "all",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--out-dir",
                "out",
            ],
            "out is not empty; pass --force to write into it",
        ),
        Code::CreateDirectory => with_files(
            &[A_FILE],
            &[
                "gen",
                "all",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--out-dir",
                "{DIR}/plain/x",
            ],
            "cannot create directory {DIR}/plain/x: Not a directory",
        ),
        Code::DefaultsNotResolvable => run(
            &["profiles", "show", "defaults", "--resolved"],
            "`defaults` is dask-pbs's bottom layer, not a profile",
        ),
        Code::UnknownTemplate => run(
            &["templates", "show", "nosuch"],
            "no built-in template `nosuch`; templates: job.sh.j2",
        ),
        Code::VerifyNotADirectory => {
            with_files(&[A_FILE], &["verify", "plain"], "plain is not a directory")
        }
        Code::TemplateError => with_files(
            &[("t/job.sh.j2", "{{ x\n")],
            &[
                "gen",
                "job",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--templates",
                "{DIR}/t",
            ],
            "t/job.sh.j2:1: syntax error in `x`: unexpected end of input",
        ),
        Code::RapidsUnknownRelease => run(
            &["gen", "conda", "--profile", "sophia", "--rapids", "99.99"],
            "RAPIDS 99.99 is not a release dask-pbs knows; known releases: 24.02",
        ),
        Code::RapidsNotAPythonVersion => run(
            &[
                "gen",
                "conda",
                "--profile",
                "sophia",
                "--rapids",
                "25.12",
                "--python",
                "x",
            ],
            "Python `x` is not a version like 3.11",
        ),
        Code::RapidsPythonOutOfRange => run(
            &[
                "gen",
                "conda",
                "--profile",
                "sophia",
                "--rapids",
                "25.12",
                "--python",
                "3.2",
            ],
            "RAPIDS 25.12 supports Python 3.10 to 3.13; got 3.2",
        ),
        Code::RapidsNotACudaSpec => run(
            &[
                "gen",
                "conda",
                "--profile",
                "sophia",
                "--rapids",
                "25.12",
                "--cuda",
                "abc",
            ],
            "CUDA spec `abc` is not a conda version constraint like `>=12.0,<=12.8`",
        ),
        Code::RapidsNotACudaVersion => run(
            &[
                "gen",
                "conda",
                "--profile",
                "sophia",
                "--rapids",
                "25.12",
                "--cuda",
                ">=12..",
            ],
            "CUDA spec `>=12..`: `12..` is not a version like 12.8",
        ),
        Code::RapidsCudaOutOfRange => run(
            &[
                "gen",
                "conda",
                "--profile",
                "sophia",
                "--rapids",
                "25.12",
                "--cuda",
                ">=99",
            ],
            "RAPIDS 25.12 supports CUDA 12.2-12.9, 13.0; `>=99` names 99",
        ),
        Code::ImportNotYaml => with_files(
            &[("jq.yaml", "a: [\n")],
            &["import-jobqueue", "jq.yaml"],
            "jq.yaml: not YAML: ",
        ),
        Code::ImportNoSection => with_files(
            &[JOBQUEUE],
            &["import-jobqueue", "jq.yaml", "--section", "slurm"],
            "jq.yaml: no `jobqueue: slurm:` section (nor a top-level `slurm:`) in the file",
        ),
        Code::ImportMissing => with_files(
            &[("jq.yaml", "jobqueue:\n  pbs:\n    cores: 4\n")],
            &["import-jobqueue", "jq.yaml"],
            "jq.yaml: dask-jobqueue needs memory in the section (it refuses a job without them); set `memory`",
        ),
        Code::ImportBad => with_files(
            &[(
                "jq.yaml",
                "jobqueue:\n  pbs:\n    cores: 4\n    memory: 4GB\n    walltime: zz\n",
            )],
            &["import-jobqueue", "jq.yaml"],
            "jq.yaml: `walltime`: `zz` is not a PBS duration",
        ),
        Code::CannotRunPbs => Case {
            env: &[("DASK_PBS_QSUB", "{DIR}/nope")],
            ..run(
                &["submit", "--profile", "pbs-cpu", "-A", "x", "--env", "/e"],
                "cannot run {DIR}/nope: No such file or directory",
            )
        },
        Code::NoJobId => Case {
            env: &[("DASK_PBS_QSUB", "/bin/true")],
            ..run(
                &["submit", "--profile", "pbs-cpu", "-A", "x", "--env", "/e"],
                "/bin/true printed no job id for",
            )
        },
        Code::NotAJobId => Case {
            env: &[("DASK_PBS_QSUB", "{DIR}/qsub")],
            ..with_setup(
                |dir| fake_qsub(dir, ".x"),
                &["submit", "--profile", "pbs-cpu", "-A", "x", "--env", "/e"],
                "\".x\" is not a PBS job id (e.g. 1234.server)",
            )
        },
        Code::NoStateDir => Case {
            env: &[("HOME", ""), ("XDG_STATE_HOME", "")],
            ..run(
                &["status"],
                "neither XDG_STATE_HOME nor HOME is set: no place for the cluster records",
            )
        },
        Code::WriteRecord => Case {
            env: &[
                ("DASK_PBS_QSUB", "{DIR}/qsub"),
                ("XDG_STATE_HOME", "{DIR}/plain"),
            ],
            files: &[A_FILE],
            ..with_setup(
                |dir| fake_qsub(dir, "12.x"),
                &["submit", "--profile", "pbs-cpu", "-A", "x", "--env", "/e"],
                "cannot create directory {DIR}/plain/dask-pbs/clusters: Not a directory",
            )
        },
        Code::ReadRecord => Case {
            env: &[("XDG_STATE_HOME", "{DIR}")],
            ..with_setup(
                |dir| std::fs::create_dir_all(dir.join("dask-pbs/clusters/12.x.json")).unwrap(),
                &["status", "12.x"],
                "cannot read {DIR}/dask-pbs/clusters/12.x.json: Is a directory",
            )
        },
        Code::CorruptRecord => Case {
            env: &[("XDG_STATE_HOME", "{DIR}")],
            ..with_files(
                &[("dask-pbs/clusters/12.x.json", "{\n")],
                &["status", "12.x"],
                "dask-pbs/clusters/12.x.json:2:0: not a dask-pbs cluster record: EOF while parsing an object",
            )
        },
        Code::NoCluster => run(&["stop", "12.x"], "no cluster 12.x in"),
        Code::AmbiguousJobId => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
                ),
                (
                    "state/dask-pbs/clusters/12.b.json",
                    "{\"job_id\": \"12.b\", \"job_dir\": \"{DIR}/dask-pbs.12.b\", \"worker_jobs\": []}",
                ),
            ],
            &["status", "12"],
            "12 names several clusters: give the whole job id",
        ),
        Code::NameAllEnded => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": [], \"name\": \"nm\"}",
                ),
                (
                    "state/dask-pbs/clusters/12.b.json",
                    "{\"job_id\": \"12.b\", \"job_dir\": \"{DIR}/dask-pbs.12.b\", \"worker_jobs\": [], \"name\": \"nm\"}",
                ),
                ("dask-pbs.12.b/ended", "status=0\n"),
                ("dask-pbs.12.a/ended", "status=0\n"),
            ],
            &["status", "nm"],
            "every cluster named nm has ended (12.a, 12.b): give the job id",
        ),
        Code::NameSeveralLive => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": [], \"name\": \"nm\"}",
                ),
                (
                    "state/dask-pbs/clusters/12.b.json",
                    "{\"job_id\": \"12.b\", \"job_dir\": \"{DIR}/dask-pbs.12.b\", \"worker_jobs\": [], \"name\": \"nm\"}",
                ),
                ("dask-pbs.12.a/x", ""),
                ("dask-pbs.12.b/x", ""),
            ],
            &["status", "nm"],
            "2 clusters named nm have not ended (12.a, 12.b): give the job id",
        ),
        Code::ClusterEnded => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": [], \"workers_script\": \"{DIR}/w.sh\"}",
                ),
                ("dask-pbs.12.a/ended", "status=0\n"),
            ],
            &["scale", "12.a", "--add", "1"],
            "cluster 12.a has ended (no reason given (exit status 0)): nothing to add workers to",
        ),
        Code::MaxBelowMin => run(
            &["adapt", "12.a", "--min", "2", "--max", "1"],
            "--max 1 is below --min 2",
        ),
        Code::AdaptNoWorkersScript => in_state(
            &[(
                "state/dask-pbs/clusters/12.a.json",
                "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
            )],
            &["adapt", "12.a", "--min", "1", "--max", "2"],
            "cluster 12.a has no worker job script recorded (submit it with dask-pbs submit)",
        ),
        Code::ScaleNoWorkersScript => in_state(
            &[(
                "state/dask-pbs/clusters/12.a.json",
                "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
            )],
            &["scale", "12.a", "--add", "1"],
            "cluster 12.a has no worker job script recorded: pass --profile P (and its overrides)",
        ),
        Code::FewerWorkerJobs => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": [], \"workers_script\": \"{DIR}/w.sh\"}",
                ),
                ("dask-pbs.12.a/x", ""),
            ],
            &["scale", "12.a", "--remove", "1"],
            "cluster 12.a has 0 worker job(s) queued or running, fewer than 1",
        ),
        Code::JoinEmpty => run(
            &[
                "gen",
                "workers",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
                "--join",
                "",
            ],
            "--join needs a path: the head job's directory (dask-pbs.JOBID) or its scheduler.json",
        ),
        Code::QstatFailed => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
                ),
                ("dask-pbs.12.a/x", ""),
            ],
            &["status", "12.a"],
            "/bin/false could not tell the state of the cluster's jobs",
        ),
        Code::WaitEnded => in_state(
            &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
                ),
                (
                    "dask-pbs.12.a/ended",
                    "status=1\ncause=failed\nreason=no conda\n",
                ),
            ],
            &["wait", "12.a"],
            "the head job 12.a ended before its cluster was ready (",
        ),
        Code::WaitGone => Case {
            files: &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
                ),
                ("dask-pbs.12.a/x", ""),
            ],
            env: &[
                ("XDG_STATE_HOME", "{DIR}/state"),
                ("DASK_PBS_QSTAT", "{DIR}/qstat"),
            ],
            ..with_setup(
                |dir| script(dir, "qstat", UNKNOWN_JOB),
                &["wait", "12.a"],
                "PBS no longer runs the head job 12.a and it left no end mark",
            )
        },
        Code::WaitTimeout => Case {
            files: &[
                (
                    "state/dask-pbs/clusters/12.a.json",
                    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}",
                ),
                ("dask-pbs.12.a/x", ""),
            ],
            env: &[
                ("XDG_STATE_HOME", "{DIR}/state"),
                ("DASK_PBS_QSTAT", "{DIR}/qstat"),
            ],
            ..with_setup(
                |dir| script(dir, "qstat", QUEUED),
                &["wait", "12.a", "--timeout", "0.3"],
                "gave up after 0.3 s: the head job 12.a is queued (PBS state Q)",
            )
        },
        Code::VerifyDiffers => with_files(
            &[
                (
                    "v/p.yaml",
                    "description: x\nextends: pbs-cpu\njob: {account: x}\nenv: {venv: /e}\n",
                ),
                ("v/expected/p/job.sh", "a stale job\n"),
            ],
            &["verify", "v"],
            "verify: 6 of 6 artifact(s) differ from v/expected (run with --update to accept them)",
        ),
        Code::VerifyNoExpected => with_files(
            &[(
                "v/p.yaml",
                "description: x\nextends: pbs-cpu\njob: {account: x}\nenv: {venv: /e}\n",
            )],
            &["verify", "v"],
            "verify: v/expected does not exist yet, so there is nothing to compare the 6 artifact(s) with: run `dask-pbs verify v --update` once",
        ),
        Code::GpuOptionOnCpu => validation("is a GPU option and dask.worker is cpu"),
        Code::CpuOptionOnGpu => validation("is for CPU workers; GPU workers come one per GPU"),
        Code::WorkersPerNodeZero => validation("dask.workers_per_node must be at least 1"),
        Code::ZeroThreads => validation("is 0, which gives a worker no thread"),
        Code::PrivilegedPort => validation("is below 1024, a port only root may listen on"),
        Code::TimeoutZero => validation("must be at least 1 second"),
        Code::TlsWithUcx => validation("security: tls with protocol: ucx is refused"),
        Code::LauncherNoWords => validation("has no words; give the launcher command"),
        Code::LauncherProgram => validation("must be the launcher program"),
        Code::LocalRankVarName => validation("local-rank variable `"),
        Code::NotAProgram => validation("is not a program: give the launcher's name or path"),
        Code::NoLocalRankVars => validation("names no local_rank_vars, so the"),
        Code::MptMpiprocs => validation("is hpe-mpt, whose mpiexec places ranks"),
        Code::Missing => validation("is missing: set it in the profile or with --set"),
        Code::CudaWithoutGpus => validation("is 0 but dask.worker is cuda"),
        Code::NodeTypeConflict => validation("asks for other nodes than node type"),
        Code::AccountRequired => validation("is required on this site: pass --account PROJECT"),
        Code::FilesystemsRequired => validation("qsub refuses the job without -l filesystems"),
        Code::MemoryFractionOver => {
            validation("of the memory each worker sees, more than all of it")
        }
        Code::NotAHostName => validation("is not a host name"),
        Code::AccountVarName => validation(
            "is not an environment variable name (letters, digits and _, not starting with a digit)",
        ),
        Code::EmptyRun => validation("is empty: give the payload's command"),
        Code::ChargeUnknown => validation("asks that the job charge at most"),
        Code::ChargeOverMax => validation("allowed: ask for less"),
        Code::NotAProxyUrl => validation("is not a proxy URL; write it as http://host:port"),
        Code::RepeatsFlag => {
            validation("` repeats what dask-pbs writes itself (dask-pbs names each worker")
        }
        Code::RepeatsFlagUseKey => validation("(Dask would get it twice); use"),
        Code::WalltimeOverTier => validation("is the limit for"),
        Code::WorkingDirUnreadable => Case {
            shell: "mkdir gone && cd gone && rmdir ../gone && exec \"$@\"",
            ..run(
                SUBMIT,
                "cannot read the working directory: No such file or directory",
            )
        },
        Code::WorkingDirNotUtf8 => Case {
            shell: "d=$(printf '\\377') && mkdir \"$d\" && cd \"$d\" && exec \"$@\"",
            ..run(SUBMIT, "the working directory {DIR}/\u{FFFD} is not UTF-8")
        },
        Code::WriteStdout => Case {
            shell: "exec \"$@\" >/dev/full",
            ..run(
                &["profiles", "list"],
                "cannot write to stdout: No space left on device",
            )
        },
        Code::ReadTemplate => with_files(
            &[A_FILE],
            &[
                "render",
                "{DIR}/plain/t.j2",
                "--profile",
                "pbs-cpu",
                "-A",
                "x",
                "--env",
                "/e",
            ],
            "cannot read template {DIR}/plain/t.j2: Not a directory",
        ),
        Code::NoRequestDir => retiring(
            |dir| {
                worker_runs(dir);
                std::fs::create_dir(dir.join("dask-pbs.12.a")).unwrap();
            },
            &["scale", "12.a", "--remove", "1"],
            "{DIR}/dask-pbs.12.a/requests does not exist: the head job 12.a has not started its scheduler",
        ),
        Code::WriteRequest => Case {
            shell: AS_OWNER,
            ..retiring(
                |dir| {
                    worker_runs(dir);
                    read_only(&dir.join("dask-pbs.12.a/requests"));
                },
                &["scale", "12.a", "--remove", "1"],
                ".tmp: Permission denied",
            )
        },
        Code::RetireTimeout => retiring(
            |dir| {
                worker_runs(dir);
                std::fs::create_dir_all(dir.join("dask-pbs.12.a/requests")).unwrap();
            },
            &["scale", "12.a", "--remove", "1", "--timeout", "0.3"],
            "the head job 12.a did not answer the retire request within 0.3 s",
        ),
        Code::RetireRefused => retiring(
            |dir| {
                let requests = dir.join("dask-pbs.12.a/requests");
                std::fs::create_dir_all(&requests).unwrap();
                let qstat = format!("{RUNNING}\n{}", answer(&requests, "no worker of 13.a"));
                script(dir, "qstat", &qstat);
            },
            &["scale", "12.a", "--remove", "1"],
            "the scheduler could not retire the workers: no worker of 13.a",
        ),
        Code::RemoveJobDir => Case {
            shell: AS_OWNER,
            ..ended_cluster(
                |dir| {
                    script(dir, "qstat", UNKNOWN_JOB);
                    let tls = dir.join("dask-pbs.12.a/tls");
                    std::fs::create_dir_all(&tls).unwrap();
                    std::fs::write(tls.join("ca.pem"), "").unwrap();
                    read_only(&tls);
                },
                "cannot remove {DIR}/dask-pbs.12.a: Permission denied",
            )
        },
        Code::RecordGone => Case {
            env: &[
                ("XDG_STATE_HOME", "{DIR}/state"),
                ("DASK_PBS_QSTAT", "{DIR}/qstat"),
                ("DASK_PBS_QSUB", "{DIR}/qsub"),
            ],
            files: &[("state/dask-pbs/clusters/12.a.json", RECORD)],
            ..with_setup(
                |dir| {
                    worker_runs(dir);
                    // `clean` forgets the cluster while qsub runs.
                    let record = dir.join("state/dask-pbs/clusters/12.a.json");
                    script(
                        dir,
                        "qsub",
                        &format!("rm '{}'; echo 13.a", record.display()),
                    );
                },
                &["scale", "12.a", "--add", "1"],
                "the record of cluster 12.a is gone from {DIR}/state/dask-pbs/clusters (`dask-pbs clean` forgot it); worker job 13.a was submitted but is not recorded: `qdel 13.a` ends it",
            )
        },
        Code::RemoveRecord => Case {
            shell: AS_OWNER,
            files: &[("dask-pbs.12.a/ended", "status=0\n")],
            ..ended_cluster(
                |dir| {
                    script(dir, "qstat", UNKNOWN_JOB);
                    let records = dir.join("state/dask-pbs/clusters");
                    std::fs::create_dir_all(&records).unwrap();
                    let record = HEAD_ONLY.replace("{DIR}", dir.to_str().unwrap());
                    std::fs::write(records.join("12.a.json"), record).unwrap();
                    std::fs::write(records.join(".lock"), "").unwrap();
                    read_only(&records);
                },
                "cannot remove {DIR}/state/dask-pbs/clusters/12.a.json: Permission denied",
            )
        },
        Code::VerifyUnreadable => Case {
            shell: AS_OWNER,
            ..with_setup(
                |dir| {
                    use std::os::unix::fs::PermissionsExt;
                    let v = dir.join("v");
                    std::fs::create_dir(&v).unwrap();
                    std::fs::set_permissions(&v, std::fs::Permissions::from_mode(0o000)).unwrap();
                },
                &["verify", "v"],
                "cannot read v: IO error for operation on v: Permission denied",
            )
        },
        Code::QsubRefused => Case {
            env: &[("DASK_PBS_QSUB", "{DIR}/qsub")],
            ..with_setup(
                |dir| script(dir, "qsub", "echo 'qsub: Unknown queue' >&2; exit 170"),
                SUBMIT,
                ".dask-pbs.sh (exit 170): qsub: Unknown queue",
            )
        },
        Code::QdelFailed => Case {
            env: &[
                ("XDG_STATE_HOME", "{DIR}/state"),
                ("DASK_PBS_QDEL", "{DIR}/qdel"),
            ],
            files: &[
                ("state/dask-pbs/clusters/12.a.json", HEAD_ONLY),
                ("dask-pbs.12.a/x", ""),
            ],
            ..with_setup(
                |dir| script(dir, "qdel", &format!("echo '{NO_SERVER}' >&2; exit 1")),
                &["stop", "12.a"],
                "{DIR}/qdel failed: qdel: cannot connect to server pbs01 (errno=111)",
            )
        },
        Code::ImportNoHome => Case {
            env: &[("HOME", "")],
            ..run(&["import-jobqueue"], "no FILE given and HOME is not set")
        },
        Code::OverridesNeedProfile => in_state(
            &[
                ("state/dask-pbs/clusters/12.a.json", RECORD),
                ("dask-pbs.12.a/x", ""),
            ],
            &["scale", "12.a", "--add", "1", "--profile-dir", "{DIR}"],
            "--profile-dir needs --profile P",
        ),
    })
}

/// `submit` of a built-in profile, all set.
const SUBMIT: &[&str] = &["submit", "--profile", "pbs-cpu", "-A", "x", "--env", "/e"];

/// A shell line that runs the binary as the owner of the case's files but without root's
/// power over permissions (`unshare -U`), so that a read-only directory stays read-only.
const AS_OWNER: &str = r#"[ "$(id -u)" != 0 ] || set -- unshare -U "$@"; exec "$@""#;

/// Makes `dir` (created if need be) read-only.
fn read_only(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
}

/// The record of cluster 12.a, with a worker job script and one worker job, 13.a.
const RECORD: &str = "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": [\"13.a\"], \"workers_script\": \"{DIR}/w.sh\"}";

/// qdel's words when the PBS server does not answer.
const NO_SERVER: &str = "qdel: cannot connect to server pbs01 (errno=111)";

/// qstat of worker job 13.a running.
const RUNNING: &str = r#"echo '{"pbs_version": "23.06.06", "Jobs": {"13.a": {"job_state": "R"}}}'"#;

/// A qstat in the case's directory that says worker job 13.a runs.
fn worker_runs(dir: &Path) {
    script(dir, "qstat", RUNNING);
}

/// A shell line that starts, in the background, what the head job's control preload does
/// with a request in `requests`: answer it, here with `error`.
fn answer(requests: &Path, error: &str) -> String {
    format!(
        r#"(for _ in $(seq 100); do for f in '{}'/*.json; do [ -e "$f" ] && echo '{{"error": "{error}"}}' >"${{f%.json}}.done" && exit; done; sleep 0.1; done) >/dev/null 2>&1 &"#,
        requests.display()
    )
}

/// `scale` on cluster 12.a, with its qstat and head job directory made by `setup`.
fn retiring(setup: fn(&Path), args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        env: &[
            ("XDG_STATE_HOME", "{DIR}/state"),
            ("DASK_PBS_QSTAT", "{DIR}/qstat"),
        ],
        files: &[("state/dask-pbs/clusters/12.a.json", RECORD)],
        ..with_setup(setup, args, expect)
    }
}

/// `clean` of cluster 12.a, which ended well, with what `setup` makes (and a qstat that
/// says PBS has forgotten the head job).
fn ended_cluster(setup: fn(&Path), expect: &'static str) -> Case {
    Case {
        env: &[
            ("XDG_STATE_HOME", "{DIR}/state"),
            ("DASK_PBS_QSTAT", "{DIR}/qstat"),
        ],
        files: &[
            ("state/dask-pbs/clusters/12.a.json", HEAD_ONLY),
            ("dask-pbs.12.a/ended", "status=0\n"),
        ],
        ..with_setup(setup, &["clean"], expect)
    }
}

/// The record of cluster 12.a, no worker job added.
const HEAD_ONLY: &str =
    "{\"job_id\": \"12.a\", \"job_dir\": \"{DIR}/dask-pbs.12.a\", \"worker_jobs\": []}";

fn run_case(code: Code, case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    (case.setup)(dir.path());
    for (name, text) in case.files {
        let path = dir.path().join(name.replace("{DIR}", root));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text.replace("{DIR}", root)).unwrap();
    }
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{DIR}", root)).collect();
    let cli = if case.bare {
        DaskPbs::bare()
    } else {
        DaskPbs::new()
    };
    let mut cli = cli
        .env("DASK_PBS_ERROR_CODES", "1")
        .args(&args)
        .cwd(Path::new(root));
    for (key, value) in case.env {
        cli = cli.env(key, value.replace("{DIR}", root));
    }
    if !case.shell.is_empty() {
        cli = cli.through_shell(case.shell);
    }
    let out = cli.run();
    // What a case made read-only goes with the directory, also when not run as root.
    let _ = std::process::Command::new("chmod")
        .args(["-R", "u+rwx", root])
        .status();
    let tag = format!("[{}]", code.name());
    let expect = case.expect.replace("{DIR}", root);
    if out.code == code.exit_code() && tagged(&out.stderr, &tag, &expect) {
        Ok(())
    } else {
        Err(format!(
            "{tag} {args:?}: exit {} (want {}), want {expect:?} on a line tagged {tag} in stderr:\n{}",
            out.code,
            code.exit_code(),
            out.stderr
        ))
    }
}

/// Whether `expect` is in `stderr` and the line it starts on carries `tag`: a problem's code
/// is the one on its own line, not another problem's of the same report.
fn tagged(stderr: &str, tag: &str, expect: &str) -> bool {
    stderr.match_indices(expect).any(|(at, _)| {
        let start = stderr[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = stderr[at..].find('\n').map_or(stderr.len(), |i| at + i);
        stderr[start..end].contains(tag)
    })
}

#[test]
fn every_code_has_a_case_through_the_binary() {
    let failed: Vec<String> = Code::ALL
        .iter()
        .filter_map(|&code| match case(code) {
            Some(case) => run_case(code, &case).err(),
            None if code == Code::Internal => None,
            None => Some(format!("{code:?} has no case")),
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn code_names_are_unique_kebab_case() {
    let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
    for name in &names {
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Code::ALL.len(), "two codes share a name");
}

#[test]
fn codes_stay_hidden_unless_asked() {
    let out = DaskPbs::new().args(["check", "--profile", "nosuch"]).run();
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}

/// A walltime's own messages (`WalltimeError`) reach the user inside the field's parse error:
/// `flag-not-yaml` for a flag, `profile-syntax` (with file, line and column) for a profile.
#[test]
fn every_walltime_message_reaches_the_user_with_its_code() {
    let flag = |args, expect| (Code::FlagNotYaml, run(args, expect));
    let cases = [
        flag(
            &["check", "--profile", "pbs-cpu", "--walltime", "01:60:00"],
            "--walltime: `01:60:00` is not a PBS duration; write HH:MM:SS (e.g. 01:30:00), MM:SS or seconds: minutes and seconds must be below 60",
        ),
        flag(
            &[
                "check",
                "--profile",
                "pbs-cpu",
                "--walltime",
                "99999999:00:00",
            ],
            "--walltime: `99999999:00:00` is longer than any PBS queue allows",
        ),
        flag(
            &["check", "--profile", "pbs-cpu", "--walltime", "1:2:3:4"],
            "--walltime: `1:2:3:4` is not a PBS duration",
        ),
        (
            Code::ProfileSyntax,
            with_files(
                &[(
                    "p.yaml",
                    "extends: pbs-cpu\njob:\n  walltime: \"1:2:3:4\"\n",
                )],
                CHECK_P,
                "p.yaml:3:13: `1:2:3:4` is not a PBS duration",
            ),
        ),
    ];
    let failed: Vec<String> = cases
        .iter()
        .filter_map(|(code, case)| run_case(*code, case).err())
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
