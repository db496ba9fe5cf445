//! Hostile and broken input: no injection, no panic, nothing lost.

use crate::common;

use std::path::Path;
use std::time::Duration;

use crate::common::{DaskPbs, Run, dask_pbs};

/// Runs as a user with no defaults file: the hostile profiles name their own environment (a
/// venv), which a defaults file's `env.conda` (a higher layer) would contradict.
fn bare(args: &[&str]) -> Run {
    DaskPbs::bare().args(args).run()
}

fn bare_ok(args: &[&str]) -> String {
    let run = bare(args);
    assert_eq!(run.code, 0, "dask-pbs failed: {}", run.stderr);
    run.stdout
}
use crate::e2e_support::{PbsJob, prerequisites};

/// How a string field may be handled.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Class {
    /// Read by qsub or checked against a list: hostile values are refused (exit 2).
    Checked,
    /// Free text that reaches a shell line shell-quoted: accepted, never executed.
    Quoted,
    /// The user's own shell code by design (`run`, `env.setup`): executed as one command,
    /// never able to add a `#PBS` line.
    Code,
}

/// Every string field of the profile model (and the string keys of maps), how to write a
/// value into it as YAML, and its class. `every_string_field_has_a_case` fails when a string
/// field is added to the model without a row here.
const FIELDS: &[(&str, &str, Class)] = &[
    ("description", "description: {V}", Class::Quoted),
    ("extends", "extends: {V}", Class::Checked),
    ("run", "run: {V}", Class::Code),
    (
        "system.login_host",
        "system: {login_host: {V}}",
        Class::Checked,
    ),
    (
        "system.gpu_memory",
        "system: {gpu_memory: {V}}",
        Class::Checked,
    ),
    (
        "system.memory_per_node",
        "system: {memory_per_node: {V}}",
        Class::Checked,
    ),
    ("system.keep", "system: {keep: {V}}", Class::Checked),
    ("templates", "templates: {V}", Class::Checked),
    (
        "system.account_directive",
        "system: {account_directive: {V}}",
        Class::Checked,
    ),
    (
        "system.node_types",
        "system: {node_types: {{V}: {cpus: 8, resources: {model: {V}}}}}\njob: {node_type: {V}}",
        Class::Checked,
    ),
    ("job.node_type", "job: {node_type: {V}}", Class::Checked),
    (
        "system.account_vars",
        "system: {account_vars: [{V}]}",
        // Names read from dask-pbs's own environment, never a shell line; refused unless
        // a variable name, which any length may be.
        Class::Quoted,
    ),
    ("system.shell", "system: {shell: {V}}", Class::Checked),
    (
        "system.launcher",
        "system: {launcher: {words: [{V}], local_rank_vars: [X]}}",
        Class::Quoted,
    ),
    (
        "system.launcher_args",
        "system: {launcher_args: [{V}]}",
        Class::Quoted,
    ),
    (
        "system.queues",
        "system: {queues: {{V}: {chunk: node, chunks: [1], walltime: [\"00:00:01\", \"01:00:00\"]}}}\njob: {queue: {V}}",
        Class::Checked,
    ),
    ("job.queue", "job: {queue: {V}}", Class::Checked),
    ("job.walltime", "job: {walltime: {V}}", Class::Checked),
    ("job.account", "job: {account: {V}}", Class::Checked),
    (
        "job.filesystems",
        "job: {filesystems: [{V}]}",
        Class::Checked,
    ),
    ("job.name", "job: {name: {V}}", Class::Checked),
    ("job.place", "job: {place: {V}}", Class::Checked),
    (
        "job.resources",
        "job: {resources: {mem: {V}}}",
        Class::Checked,
    ),
    (
        "job.resources key",
        "job: {resources: {{V}: 1}}",
        Class::Checked,
    ),
    ("job.directives", "job: {directives: [{V}]}", Class::Checked),
    ("env.module_use", "env: {module_use: [{V}]}", Class::Quoted),
    ("env.modules", "env: {modules: [{V}]}", Class::Quoted),
    ("env.conda", "env: {conda: {V}, venv: null}", Class::Quoted),
    ("env.venv", "env: {venv: {V}}", Class::Quoted),
    (
        "dask.resources",
        "dask: {resources: {IO: {V}}}",
        Class::Checked,
    ),
    (
        "dask.resources key",
        "dask: {resources: {{V}: 1}}",
        Class::Checked,
    ),
    ("env.vars", "env: {vars: {X: {V}}}", Class::Quoted),
    ("env.vars key", "env: {vars: {{V}: 1}}", Class::Checked),
    ("env.setup", "env: {setup: [{V}]}", Class::Code),
    ("env.prologue", "env: {prologue: [{V}]}", Class::Code),
    ("env.tmpdir", "env: {tmpdir: {V}}", Class::Quoted),
    ("env.proxy", "env: {proxy: {V}}", Class::Checked),
    ("rapids.version", "rapids: {version: {V}}", Class::Checked),
    ("rapids.python", "rapids: {python: {V}}", Class::Checked),
    ("rapids.cuda", "rapids: {cuda: {V}}", Class::Checked),
    (
        "rapids.channels",
        "rapids: {channels: [{V}]}",
        Class::Quoted,
    ),
    ("dask.interface", "dask: {interface: {V}}", Class::Checked),
    (
        "dask.device_memory_limit",
        "dask: {worker: cuda, workers_per_node: null, device_memory_limit: {V}}\nsystem: {gpus_per_node: 1}",
        Class::Checked,
    ),
    (
        "dask.rmm_pool_size",
        "dask: {worker: cuda, workers_per_node: null, rmm_pool_size: {V}}\nsystem: {gpus_per_node: 1}",
        Class::Checked,
    ),
    (
        "dask.memory_limit",
        "dask: {memory_limit: {V}}",
        Class::Checked,
    ),
    (
        "dask.local_directory",
        "dask: {local_directory: {V}}",
        Class::Quoted,
    ),
    (
        "dask.scheduler_args",
        "dask: {scheduler_args: [{V}]}",
        Class::Quoted,
    ),
    (
        "dask.worker_args",
        "dask: {worker_args: [{V}]}",
        Class::Quoted,
    ),
    (
        "dask.shutdown_margin",
        "dask: {shutdown_margin: {V}}",
        Class::Checked,
    ),
];

/// The hostile values; `{M}` is replaced by a marker file that must never be created.
fn payloads(marker: &Path) -> Vec<String> {
    let m = marker.display();
    // Those that are not refused anyway start with `/`: path fields refuse a relative path
    // before any quoting is needed, and the hostile text must reach the job.
    vec![
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("/x; touch {m}; rm -rf {m}.never"),
        format!("/a' ; touch {m} ; echo '"),
        format!("/a\" ; touch {m} ; echo \""),
        format!("/x\n#PBS -q evil\ntouch {m}"),
    ]
}

fn yaml_string(text: &str) -> String {
    // JSON strings are YAML double-quoted strings.
    serde_json::to_string(text).unwrap()
}

/// A profile on `pbs-cpu` with `value` in `field`.
fn hostile_profile(
    dir: &Path,
    template: &str,
    value: &str,
    venv: Option<&Path>,
) -> std::path::PathBuf {
    let venv = venv
        .map(|v| v.display().to_string())
        .unwrap_or_else(|| "/opt/venv".into());
    let mut text = format!(
        "description: hostile\nextends: pbs-cpu\n{}\n",
        template.replace("{V}", &yaml_string(value))
    );
    // Defaults for the rest, merged under what the template set.
    let base = format!(
        "description: base\nextends: pbs-cpu\nenv: {{conda: null, venv: {}}}\ndask: {{nthreads: 1, workers_per_node: 2, memory_limit: 1GB, startup_timeout: 30}}\n",
        yaml_string(&venv)
    );
    std::fs::write(dir.join("base.yaml"), base).unwrap();
    text = text.replace("extends: pbs-cpu", "extends: base.yaml");
    let path = dir.join("hostile.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn pbs_lines(script: &str) -> Vec<&str> {
    script.lines().filter(|l| l.starts_with("#PBS")).collect()
}

#[test]
fn every_string_field_has_a_case() {
    let schema: serde_json::Value = serde_json::from_str(&common::ok(&["schema"])).unwrap();
    let mut fields = Vec::new();
    for (key, value) in schema["properties"].as_object().unwrap() {
        if value.to_string().contains("\"string\"") {
            fields.push(key.clone());
        }
    }
    for (def, body) in schema["$defs"].as_object().unwrap() {
        let Some(section) = def.strip_suffix("Layer") else {
            continue;
        };
        for (key, value) in body["properties"].as_object().unwrap() {
            let v = value.to_string();
            if v.contains("\"string\"")
                || v.contains("Word")
                || v.contains("Walltime")
                || key == "queues"
            {
                fields.push(format!("{}.{key}", section.to_lowercase()));
            }
        }
    }
    let covered: Vec<&str> = FIELDS.iter().map(|(f, _, _)| *f).collect();
    for field in &fields {
        assert!(
            covered.contains(&field.as_str()),
            "string field {field} has no hostile-input case in FIELDS"
        );
    }
    assert!(fields.len() >= 30, "the schema walk found only {fields:?}");
}

#[test]
fn checked_fields_refuse_every_hostile_value() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("PWNED");
    for (field, template, class) in FIELDS {
        if *class != Class::Checked {
            continue;
        }
        for value in payloads(&marker)
            .iter()
            .chain([&"\0".to_string(), &"x".repeat(100_000)])
        {
            let profile = hostile_profile(dir.path(), template, value, None);
            let out = dir.path().join("job.sh");
            let run = bare(&[
                "gen",
                "--profile",
                profile.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            assert_eq!(
                run.code,
                2,
                "{field} accepted {:?}",
                &value[..value.len().min(80)]
            );
            assert!(!out.exists(), "{field}: a file was written");
            assert!(run.stderr.starts_with("error: "), "{field}: {}", run.stderr);
        }
    }
    assert!(!marker.exists());
}

#[test]
fn quoted_and_code_fields_never_add_directives_and_stay_shell_clean() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("PWNED");
    let base = hostile_profile(dir.path(), "run: null", "", None);
    let baseline = bare_ok(&["gen", "--profile", base.to_str().unwrap()]);
    for (field, template, class) in FIELDS {
        if *class == Class::Checked {
            continue;
        }
        for value in payloads(&marker).iter().chain([&"y".repeat(100_000)]) {
            let profile = hostile_profile(dir.path(), template, value, None);
            let run = bare(&["gen", "--profile", profile.to_str().unwrap()]);
            if run.code == 2 {
                // A clear refusal is fine too (e.g. a newline in a one-line description).
                assert!(run.stderr.starts_with("error: "), "{field}: {}", run.stderr);
                continue;
            }
            let shown = &value[..value.len().min(80)];
            assert_eq!(run.code, 0, "{field} {shown:?}: {}", run.stderr);
            assert_eq!(
                pbs_lines(&run.stdout),
                pbs_lines(&baseline),
                "{field} {shown:?} changed the #PBS header"
            );
            if value.len() < 1000 {
                // SC2016 ("expressions don't expand in single quotes") is the point here:
                // the hostile `$(…)` stays literal text.
                common::assert_shell_clean_except("hostile.sh", &run.stdout, &["SC2016"]);
            }
        }
        // NUL can be in no shell word: refused.
        let profile = hostile_profile(dir.path(), template, "a\0b", None);
        let run = bare(&["gen", "--profile", profile.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{field} accepted NUL");
    }
}

/// The quoted fields that reach the job script, run for real: the hostile text must not run.
#[test]
fn hostile_text_is_never_executed_by_the_job() {
    let Some(venv) = prerequisites() else { return };
    let reaching_the_job = [
        "description",
        "env.module_use",
        "env.modules",
        "env.conda",
        "env.venv",
        "env.vars",
        "env.tmpdir",
        "system.launcher_args",
        "dask.local_directory",
        "dask.scheduler_args",
        "dask.worker_args",
    ];
    let _serial = crate::e2e_support::serial();
    for (field, template, _) in FIELDS
        .iter()
        .filter(|(f, _, _)| reaching_the_job.contains(f))
    {
        let job = PbsJob::new("hostile");
        job.nodefile(1);
        let marker = job.path("PWNED");
        for value in payloads(&marker) {
            let profile = hostile_profile(&job.path("submit"), template, &value, Some(&venv));
            let run = DaskPbs::bare()
                .args([
                    "gen",
                    "--profile",
                    profile.to_str().unwrap(),
                    "--run",
                    "true",
                    "-o",
                    job.submit_dir().join("job.sh").to_str().unwrap(),
                    "--force",
                ])
                .run();
            if run.code == 2 {
                continue;
            }
            assert_eq!(run.code, 0, "{}", run.stderr);
            let done = job.run(&job.submit_dir().join("job.sh"), Duration::from_mins(1));
            assert!(!done.timed_out, "{field}: hung\n{}", done.output());
            assert!(
                !marker.exists(),
                "{field} {value:?}: the injected command ran\n{}",
                done.output()
            );
            assert!(
                done.leftovers.is_empty(),
                "{field}: left {:?}",
                done.leftovers
            );
            let _ = std::fs::remove_dir_all(job.job_dir());
        }
    }
}

/// A profile file whose name (its stem) is hostile: refused, since the name reaches the job
/// script. (Issue 25: `a"$(touch PWNED)".yaml` used to render, and run on the node.)
#[test]
fn a_profile_file_whose_name_is_not_a_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("PWNED");
    for value in payloads(&marker) {
        let stem = value.replace('/', "_");
        let profile = dir.path().join(format!("{stem}.yaml"));
        std::fs::write(&profile, "description: hostile name\nextends: pbs-cpu\n").unwrap();
        let out = dir.path().join("job.sh");
        let run = bare(&[
            "gen",
            "--profile",
            profile.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 2, "{stem:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a name") && run.stderr.contains("rename the file"),
            "{}",
            run.stderr
        );
        assert!(!out.exists(), "{stem:?}: a file was written");
    }
    assert!(!marker.exists());
}

/// Hostile directory names in every place a path reaches the scripts: the profile's path,
/// --templates, --profile-dir, -o/--out-dir and the --join directory. Rendered, they add no
/// directive and stay shell-clean; run for real, nothing in them runs.
#[test]
fn hostile_directories_never_run_in_the_job() {
    let Some(venv) = prerequisites() else { return };
    let _serial = crate::e2e_support::serial();
    let job = PbsJob::new("hostile-dirs");
    job.nodefile(1);
    let marker = job.path("PWNED");
    let baseline_profile = hostile_profile(&job.path("submit"), "run: null", "", Some(&venv));
    let baseline = bare_ok(&["gen", "--profile", baseline_profile.to_str().unwrap()]);
    for (i, value) in payloads(&marker).iter().enumerate() {
        let root = job
            .path(&format!("d{i}"))
            .join(value.trim_start_matches('/'));
        for sub in ["profiles", "templates", "head", "out"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let profile = hostile_profile(&root.join("profiles"), "run: null", "", Some(&venv));
        std::fs::write(
            root.join("head/ended"),
            "status=0\ncause=stop\nreason=test\n",
        )
        .unwrap();
        let script = root.join("out/job.sh");
        let dirs = |artifact: &str| {
            let mut args = vec![
                "gen".to_string(),
                artifact.to_string(),
                "--profile".into(),
                profile.display().to_string(),
                "--templates".into(),
                root.join("templates").display().to_string(),
                "--profile-dir".into(),
                root.join("profiles").display().to_string(),
            ];
            if artifact == "workers" {
                args.extend(["--join".into(), root.join("head").display().to_string()]);
            }
            args
        };
        let mut job_args = dirs("job");
        job_args.extend(["--run".into(), "true".into(), "-o".into()]);
        job_args.push(script.display().to_string());
        let run = DaskPbs::bare().args(&job_args).run();
        assert_eq!(run.code, 0, "{value:?}: {}", run.stderr);
        let text = std::fs::read_to_string(&script).unwrap();
        assert_eq!(pbs_lines(&text), pbs_lines(&baseline), "{value:?}");
        common::assert_shell_clean_except("hostile-dirs.sh", &text, &["SC2016"]);
        let mut all = dirs("all");
        all.extend([
            "--out-dir".into(),
            root.join("out/all").display().to_string(),
        ]);
        let run = DaskPbs::bare().args(&all).run();
        assert_eq!(run.code, 0, "{value:?}: {}", run.stderr);
        let workers = DaskPbs::bare().args(dirs("workers")).run();
        assert_eq!(workers.code, 0, "{value:?}: {}", workers.stderr);
        common::assert_shell_clean_except("hostile-workers.sh", &workers.stdout, &["SC2016"]);
        std::fs::write(root.join("out/workers.sh"), &workers.stdout).unwrap();
        for (name, limit) in [("job.sh", 60), ("workers.sh", 20)] {
            let done = job.run(&root.join("out").join(name), Duration::from_secs(limit));
            assert!(!done.timed_out, "{value:?} {name}: hung\n{}", done.output());
            assert!(!marker.exists(), "{value:?} {name}: ran\n{}", done.output());
            assert!(
                done.leftovers.is_empty(),
                "{name}: left {:?}",
                done.leftovers
            );
            let _ = std::fs::remove_dir_all(job.job_dir());
        }
    }
}

#[test]
fn code_fields_run_as_one_command_without_new_directives() {
    let dir = tempfile::tempdir().unwrap();
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "pbs-cpu",
        "--run",
        "echo one\n#PBS -q evil\necho two",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.lines().any(|l| l.starts_with("#PBS -q evil")));
    assert!(
        run.stdout
            .contains("bash -c $'echo one\\n#PBS -q evil\\necho two' &"),
        "the payload stays one quoted word on one line"
    );
    let _ = dir;
}

#[test]
fn the_corpus_of_broken_profiles_fails_with_its_message() {
    let corpus = common::repo_root().join("tests/bad_input");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus has {} cases", files.len());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let rel = format!("tests/bad_input/{name}");
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("job.sh");
        std::fs::write(&target, "previous").unwrap();
        let run = DaskPbs::bare()
            .cwd(&common::repo_root())
            .args([
                "gen",
                "--profile",
                &rel,
                "-A",
                "X",
                "-o",
                target.to_str().unwrap(),
                "--force",
            ])
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{name}");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "previous",
            "{name}: the existing file was touched"
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/bad_input");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| {
            insta::assert_snapshot!(name.trim_end_matches(".yaml").to_string(), run.stderr);
        });
    }
}

#[test]
fn huge_and_bomb_inputs_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.yaml");
    let mut text = String::from("description: huge\nenv:\n  setup:\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(
            "    - \"echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
        );
    }
    std::fs::write(&huge, &text).unwrap();
    let started = std::time::Instant::now();
    let run = dask_pbs(&["check", "--profile", huge.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("profiles are limited to 1048576 bytes"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // A billion-laughs bomb inside a key that takes a list.
    let bomb = dir.path().join("bomb.yaml");
    let mut text = String::from(
        "description: bomb\nextends: sophia\nrapids:\n  channels: &l0 [a, a, a, a, a, a, a, a, a, a]\n",
    );
    for i in 1..9 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        text.push_str(&format!("x{i}: &l{i} [{refs}]\n"));
    }
    std::fs::write(&bomb, &text).unwrap();
    let started = std::time::Instant::now();
    let run = dask_pbs(&["check", "--profile", bomb.to_str().unwrap(), "-A", "X"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn non_utf8_arguments_and_files_are_refused() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"/tmp/\xff\xfe");
    let run = DaskPbs::new()
        .args([
            std::ffi::OsStr::new("gen"),
            std::ffi::OsStr::new("--profile"),
            std::ffi::OsStr::new("sophia"),
            std::ffi::OsStr::new("-A"),
            std::ffi::OsStr::new("X"),
            std::ffi::OsStr::new("--env"),
            bad,
        ])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn output_never_follows_a_symlink_to_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let link = dir.path().join("job.sh");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "a link is an existing file: {}", run.stderr);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "-o",
        link.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "keep me",
        "the link's target was written"
    );
    assert!(
        !std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by the file"
    );
}

#[test]
fn a_failed_render_leaves_an_existing_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("job.sh");
    std::fs::write(&out, "previous").unwrap();
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "-n",
        "3",
        "-o",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
    let tmpl = dir.path().join("t");
    std::fs::create_dir(&tmpl).unwrap();
    std::fs::write(tmpl.join("_cleanup.sh.j2"), "{{ nope.nothing }}").unwrap();
    let run = dask_pbs(&[
        "gen",
        "--profile",
        "sophia",
        "-A",
        "X",
        "--templates",
        tmpl.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
}
