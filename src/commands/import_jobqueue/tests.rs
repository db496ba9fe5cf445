use super::config::{default_processes, duplicate_keys, environment, parse_bytes, pbs_memory};
use super::*;

fn imported(yaml: &str) -> Imported {
    let config: Value = serde_saphyr::from_str(yaml).unwrap();
    import(&config, "pbs", None, &Origin::Defaults).unwrap()
}

fn error(yaml: &str) -> ImportError {
    let config: Value = serde_saphyr::from_str(yaml).unwrap();
    import(&config, "pbs", None, &Origin::Defaults)
        .err()
        .unwrap()
}

fn resources(out: &Imported) -> Vec<(String, String)> {
    let job = out.profile.job.as_ref().unwrap();
    job.resources
        .as_ref()
        .unwrap()
        .value
        .iter()
        .map(|(k, v)| (k.clone(), v.value.as_ref().unwrap().0.clone()))
        .collect()
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn memory_is_formatted_as_dask_jobqueue_asks_pbs_for_it() {
    assert_eq!(pbs_memory(2 << 30), "2048MB");
    assert_eq!(pbs_memory(109_000_000_000), "102GB");
    assert_eq!(pbs_memory(12_345_678), "12MB");
    assert_eq!(pbs_memory(1234), "1234B");
    assert_eq!(parse_bytes("109 GB"), Some(109_000_000_000));
    assert_eq!(parse_bytes("2GiB"), Some(2 << 30));
    assert_eq!(parse_bytes("lots"), None);
}

#[test]
fn without_a_resource_spec_the_request_is_built_from_cores_and_memory() {
    let out = imported("pbs:\n  cores: 24\n  memory: 2GiB\n  processes: 2\n");
    assert_eq!(
        resources(&out),
        [pair("ncpus", "24"), pair("mem", "2048MB")]
    );
    let dask = out.profile.dask.as_ref().unwrap();
    assert_eq!(
        dask.memory_limit.as_ref().unwrap().value.as_deref(),
        Some("1GiB")
    );
    assert_eq!(dask.nthreads.as_ref().unwrap().value, Some(12));
}

#[test]
fn processes_default_to_dask_s_split_of_the_cores() {
    assert_eq!(default_processes(4), 4);
    assert_eq!(default_processes(32), 8);
    assert_eq!(default_processes(36), 6);
    assert_eq!(default_processes(7), 7);
    let out = imported("pbs:\n  cores: 36\n  memory: 36GB\n");
    let dask = out.profile.dask.unwrap();
    assert_eq!(dask.workers_per_node.unwrap().value, Some(6));
    assert_eq!(dask.nthreads.unwrap().value, Some(6));
    assert_eq!(dask.memory_limit.unwrap().value.as_deref(), Some("6GB"));
}

#[test]
fn dask_jobqueue_defaults_apply_and_no_queue_means_no_queue() {
    let out = imported("pbs:\n  cores: 4\n  memory: 4GB\n  account: ''\n  local-directory: ''\n");
    let job = out.profile.job.unwrap();
    assert_eq!(job.name.unwrap().value, "dask-worker");
    assert_eq!(job.walltime.unwrap().value.to_string(), "00:30:00");
    assert_eq!(job.queue.unwrap().value, None);
    assert_eq!(job.account.unwrap().value, None, "empty is unset");
    assert!(out.unmapped.is_empty(), "{:?}", out.unmapped);
}

#[test]
fn cores_and_memory_are_required_as_dask_jobqueue_requires_them() {
    assert_eq!(
        error("pbs:\n  queue: q\n"),
        ImportError::Missing(vec!["cores", "memory"])
    );
    assert!(
        error("pbs:\n  cores: 4\n  memory: lots\n")
            .to_string()
            .contains("`memory`")
    );
}

#[test]
fn resource_specs_select_job_wide_and_other() {
    let out = imported("pbs:\n  cores: 8\n  memory: 8GB\n  resource-spec: select=2:ncpus=8\n");
    assert_eq!(
        out.profile
            .job
            .as_ref()
            .unwrap()
            .select
            .as_ref()
            .unwrap()
            .value,
        2
    );
    assert_eq!(resources(&out), [pair("ncpus", "8")]);
    let out = imported("pbs:\n  cores: 48\n  memory: 190GB\n  resource_spec: ncpus=48,mem=190GB\n");
    let job = out.profile.job.as_ref().unwrap();
    assert_eq!(job.request.as_ref().unwrap().value, RequestKind::JobWide);
    assert_eq!(resources(&out), [pair("ncpus", "48"), pair("mem", "190GB")]);
    let out = imported("pbs:\n  cores: 48\n  memory: 190GB\n  resource-spec: nodes=1:ppn=48\n");
    let job = out.profile.job.unwrap();
    assert_eq!(job.directives.unwrap().value, ["-l nodes=1:ppn=48"]);
    assert!(job.resources.unwrap().value.is_empty());
}

#[test]
fn a_skipped_select_line_leaves_no_request() {
    let out = imported(
        "pbs:\n  cores: 16\n  memory: 60GB\n  job-directives-skip: ['-l select']\n  job-extra-directives: ['-l nodes=1:ppn=16']\n",
    );
    let job = out.profile.job.unwrap();
    assert_eq!(job.request.unwrap().value, RequestKind::None);
    assert!(job.resources.unwrap().value.is_empty());
    assert_eq!(job.directives.unwrap().value, ["-l nodes=1:ppn=16"]);
}

#[test]
fn underscores_and_legacy_names_map_like_the_new_names() {
    let out = imported(
        "pbs:\n  cores: 2\n  memory: 2GB\n  worker_extra_args: ['--resources', 'x=1']\n  job_script_prologue: ['module load x']\n  project: P1\n  job-extra: ['-m n']\n",
    );
    assert!(out.unmapped.is_empty(), "{:?}", out.unmapped);
    let dask = out.profile.dask.unwrap();
    assert_eq!(dask.worker_args.unwrap().value, ["--resources", "x=1"]);
    assert_eq!(
        out.profile.env.unwrap().prologue.unwrap().value,
        ["module load x"]
    );
    let job = out.profile.job.unwrap();
    assert_eq!(job.account.unwrap().value.as_deref(), Some("P1"));
    assert_eq!(job.directives.unwrap().value, ["-m n"]);
    // The new name wins over the legacy one, as in dask-jobqueue.
    let out = imported("pbs:\n  cores: 2\n  memory: 2GB\n  project: old\n  account: new\n");
    let account = out.profile.job.unwrap().account.unwrap().value;
    assert_eq!(account.as_deref(), Some("new"));
    assert_eq!(
        out.warnings[0],
        "`project` is dask-jobqueue's old name for `account`: ignored: the new name is set"
    );
}

#[test]
fn lifetime_bash_shebang_and_the_default_worker_command_are_not_reported_twice() {
    let out = imported(
        "pbs:\n  cores: 2\n  memory: 2GB\n  shebang: '#!/bin/bash'\n  worker-command: distributed.cli.dask_worker\n  worker-extra-args: ['--lifetime', '55m', '--lifetime-stagger', '4m']\n",
    );
    let keys: Vec<&str> = out.unmapped.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["worker-extra-args (--lifetime 55m)"]);
    let args = out.profile.dask.unwrap().worker_args.unwrap().value;
    assert_eq!(args, ["--lifetime-stagger", "4m"]);
}

#[test]
fn the_environment_comes_from_python() {
    let conda = environment(Some("/glade/u/home/me/miniconda3/envs/dask/bin/python"));
    assert!(
        matches!(conda, Environment::Conda { ref prefix, .. } if prefix == "/glade/u/home/me/miniconda3/envs/dask")
    );
    let venv = environment(Some("/opt/venvs/dask/bin/python3"));
    assert!(matches!(venv, Environment::Venv { ref prefix, .. } if prefix == "/opt/venvs/dask"));
    assert!(matches!(
        environment(Some("python3")),
        Environment::Unknown(_)
    ));
    assert!(matches!(environment(None), Environment::Unknown(_)));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("plain/conda-meta")).unwrap();
    let python = format!("{}/plain/bin/python", dir.path().display());
    assert!(matches!(
        environment(Some(&python)),
        Environment::Conda { .. }
    ));
}

#[test]
fn a_missing_environment_is_a_warning_and_no_placeholder() {
    let out = imported("pbs:\n  cores: 2\n  memory: 2GB\n");
    assert!(
        out.warnings[0].contains("set env.conda or env.venv"),
        "{:?}",
        out.warnings
    );
    let env = out.profile.env.unwrap();
    assert_eq!(env.conda.unwrap().value, None);
    assert_eq!(env.venv.unwrap().value, None);
}

#[test]
fn a_short_walltime_gets_a_short_margin() {
    let out = imported("pbs:\n  cores: 2\n  memory: 2GB\n  walltime: '00:02:00'\n");
    let margin = out.profile.dask.unwrap().shutdown_margin.unwrap().value;
    assert_eq!(margin.to_string(), "00:00:30");
}

#[test]
fn duplicate_keys_are_found_with_their_lines() {
    let text =
        "jobqueue:\n  pbs:\n    queue: a\n    cores: 1\n    queue: b\n  slurm:\n    queue: c\n";
    assert_eq!(duplicate_keys(text), [("queue".to_string(), 3, 5)]);
}

#[test]
fn a_custom_section_and_extends() {
    let config: Value =
        serde_saphyr::from_str("jobqueue:\n  casper:\n    cores: 2\n    memory: 2GB\n").unwrap();
    assert_eq!(
        import(&config, "pbs", None, &Origin::Defaults).err(),
        Some(ImportError::NoSection("pbs".into()))
    );
    let out = import(&config, "casper", Some("casper"), &Origin::Defaults).unwrap();
    assert_eq!(
        out.profile.extends.unwrap().value.as_deref(),
        Some("casper")
    );
    assert!(out.profile.system.is_none(), "the site's own queues apply");
}

#[test]
fn the_imported_profile_parses_as_a_profile() {
    let out = imported(
        "jobqueue:\n  pbs:\n    queue: regular\n    cores: 8\n    memory: 8GB\n    processes: 2\n    resource-spec: select=2:ncpus=8\n",
    );
    let yaml = serde_saphyr::to_string(&out.profile).unwrap();
    let layer = crate::profile::parse::parse_layer(&yaml, &Origin::Defaults).unwrap();
    assert_eq!(layer.job.unwrap().select.unwrap().value, 2);
    assert_eq!(layer.dask.unwrap().nthreads.unwrap().value, Some(4));
    assert!(
        layer
            .system
            .unwrap()
            .queues
            .unwrap()
            .value
            .contains_key("regular")
    );
}

#[test]
fn a_placement_among_the_extra_directives_becomes_job_place() {
    let out = imported(
        "pbs:\n  cores: 4\n  memory: 8GiB\n  job-extra-directives: ['-l place=scatter', '-l job_priority=premium']\n",
    );
    let job = out.profile.job.as_ref().unwrap();
    assert_eq!(
        job.place.as_ref().unwrap().value.as_deref(),
        Some("scatter")
    );
    assert_eq!(
        job.directives.as_ref().unwrap().value,
        ["-l job_priority=premium"]
    );
    let written = split_written(&["-lplace=pack:excl".to_string()]);
    assert_eq!(written.place.as_deref(), Some("pack:excl"));
    assert!(written.directives.is_empty());
}

#[test]
fn filesystems_among_the_extra_directives_become_job_filesystems() {
    // ALCF's guides put `-l filesystems=home:eagle` among dask-jobqueue's extra directives;
    // dask-pbs writes that line itself and refuses a directive that repeats it.
    let out = imported(
        "pbs:\n  cores: 4\n  memory: 8GiB\n  job-extra-directives: ['-l filesystems=home:eagle']\n",
    );
    let job = out.profile.job.as_ref().unwrap();
    assert_eq!(job.filesystems.as_ref().unwrap().value, ["home", "eagle"]);
    assert!(job.directives.as_ref().unwrap().value.is_empty());
}

#[test]
fn a_prologue_ending_in_an_activation_names_the_environment() {
    let env = |yaml: &str| imported(yaml).profile.env.unwrap();
    let conda = env(
        "pbs:\n  cores: 2\n  memory: 2GB\n  job_script_prologue: ['module load conda', 'conda activate /home/me/envs/dask']\n",
    );
    assert_eq!(
        conda.conda.unwrap().value.as_deref(),
        Some("/home/me/envs/dask")
    );
    assert_eq!(conda.prologue.unwrap().value, ["module load conda"]);
    let venv = env(
        "pbs:\n  cores: 2\n  memory: 2GB\n  job_script_prologue: ['source /scratch/me/venv/bin/activate']\n",
    );
    assert_eq!(
        venv.venv.unwrap().value.as_deref(),
        Some("/scratch/me/venv")
    );
    assert!(venv.prologue.unwrap().value.is_empty());
    // Not the last line, a name rather than a path, or `python` set: the prologue stays.
    for yaml in [
        "pbs:\n  cores: 2\n  memory: 2GB\n  job_script_prologue: ['conda activate /e', 'export X=1']\n",
        "pbs:\n  cores: 2\n  memory: 2GB\n  job_script_prologue: ['conda activate dask']\n",
        "pbs:\n  cores: 2\n  memory: 2GB\n  python: /opt/v/bin/python\n  job_script_prologue: ['conda activate /e']\n",
    ] {
        let kept = env(yaml);
        assert!(kept.conda.unwrap().value.as_deref() != Some("/e"), "{yaml}");
        assert!(!kept.prologue.unwrap().value.is_empty(), "{yaml}");
    }
}
