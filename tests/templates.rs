//! Users' own templates: shadowing a shared piece, errors in a user template, `render`.

use crate::common;

use crate::common::{DaskPbs, dask_pbs, ok};

#[test]
fn shadowing_only_the_readiness_piece_keeps_the_rest_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = ok(&["templates", "show", "_readiness.sh.j2"]);
    let mine = builtin.replace("sleep 0.1\n", "sleep 0.5  # our site: gentler polling\n");
    assert_ne!(builtin, mine);
    std::fs::write(dir.path().join("_readiness.sh.j2"), mine).unwrap();
    let d = dir.path().to_str().unwrap();

    let listed = ok(&["templates", "list", "--templates", d]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("_readiness.sh.j2") && l.contains("shadows the built-in")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("_cleanup.sh.j2") && l.ends_with("built-in")),
        "{listed}"
    );

    let job = ok(&["gen", "--profile", "sophia", "-A", "X", "--templates", d]);
    assert!(job.contains("sleep 0.5  # our site: gentler polling"));
    let plain = ok(&["gen", "--profile", "sophia", "-A", "X"]);
    // The regenerate line carries --templates (so it regenerates the same script).
    assert!(job.contains(&format!("--profile sophia --templates {d} --account X")));
    assert_eq!(
        job.replace("sleep 0.5  # our site: gentler polling", "sleep 0.1")
            .replace(&format!(" --templates {d}"), ""),
        plain,
        "everything else stays built-in"
    );
    common::assert_shell_clean("overridden.sh", &job);

    // The same through $DASK_PBS_TEMPLATE_PATH.
    let run = DaskPbs::new()
        .args(["gen", "--profile", "sophia", "-A", "X"])
        .env("DASK_PBS_TEMPLATE_PATH", d)
        .run();
    assert!(run.stdout.contains("gentler polling"));
}

#[test]
fn an_undefined_variable_in_a_user_template_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("_header.sh.j2"),
        "#!/bin/bash\n# fine\n# {{ profile.job.queeu }}\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let run = dask_pbs(&["gen", "--profile", "sophia", "-A", "X", "--templates", d]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let file = dir.path().join("_header.sh.j2");
    assert!(
        run.stderr
            .contains(&format!("template {}:3", file.display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("undefined"), "{}", run.stderr);
}

#[test]
fn a_syntax_error_in_a_user_template_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let tmpl = dir.path().join("mine.j2");
    std::fs::write(&tmpl, "line one\n{% if profile.job.select > 1 %}\nmany\n").unwrap();
    let run = dask_pbs(&[
        "render",
        tmpl.to_str().unwrap(),
        "--profile",
        "sophia",
        "-A",
        "X",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("mine.j2:"), "{}", run.stderr);
}

#[test]
fn render_gives_a_user_template_the_resolved_profile_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let tmpl = dir.path().join("epilogue.sh.j2");
    std::fs::write(
        &tmpl,
        "#!/bin/bash\necho {{ profile.job.queue | q }} {{ plan.expected_workers }} {{ profile.job.walltime }}\necho {{ (\"it's \" ~ profile.name) | q }}\n",
    )
    .unwrap();
    let out = ok(&[
        "render",
        tmpl.to_str().unwrap(),
        "--profile",
        "sophia",
        "-A",
        "X",
        "--select",
        "4",
    ]);
    assert_eq!(
        out,
        "#!/bin/bash\necho by-gpu 4 01:00:00\necho 'it'\\''s sophia'\n"
    );
}

#[test]
fn every_builtin_template_is_listed_and_shown() {
    let listed = ok(&["templates", "list"]);
    for name in [
        "job.sh.j2",
        "dask_start.sh.j2",
        "dask_start_worker.sh.j2",
        "conda_create.sh.j2",
        "interactive.j2",
        "dask_client.py.j2",
        "_header.sh.j2",
        "_environment.sh.j2",
        "_cluster.sh.j2",
        "_scheduler.sh.j2",
        "_readiness.sh.j2",
        "_cleanup.sh.j2",
        "_macros.j2",
        "_rank.sh.j2",
        "_watch.sh.j2",
        "_control.py.j2",
    ] {
        assert!(listed.contains(name), "{name}");
        assert!(!ok(&["templates", "show", name]).is_empty());
    }
    let run = dask_pbs(&["templates", "show", "nope.j2"]);
    assert_eq!(run.code, 2);
}

#[test]
fn the_context_is_printed_as_yaml() {
    let out = ok(&["templates", "context", "--profile", "sophia", "-A", "X"]);
    for key in [
        "profile:",
        "plan:",
        "expected_workers: 2",
        "mpi:",
        "launch:",
        "- \"{nranks}\"",
        "ppr:{ranks_per_node}:node",
        "worker:",
        "conda:",
        "directives:",
    ] {
        assert!(out.contains(key), "{key} missing:\n{out}");
    }
}

#[test]
fn the_launch_filter_fills_the_launchers_placeholders_with_the_templates_words() {
    let dir = tempfile::tempdir().unwrap();
    let tmpl = dir.path().join("launch.j2");
    let render = |text: &str, profile: &str| {
        std::fs::write(&tmpl, text).unwrap();
        dask_pbs(&[
            "render",
            tmpl.to_str().unwrap(),
            "--profile",
            profile,
            "-A",
            "X",
        ])
    };
    let fill = "{{ mpi.launch | launch(nranks='\"$n\"', ranks_per_node=plan.ranks_per_node, hostfile='\"$h dir\"') }}\n";
    let run = render(fill, "sophia");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "mpiexec -np \"$n\" --map-by ppr:2:node --bind-to none --hostfile \"$h dir\"\n"
    );
    let run = render(fill, "polaris");
    assert_eq!(
        run.stdout, "mpiexec -n \"$n\" --ppn 4 --hostfile \"$h dir\" --depth=8 --cpu-bind depth\n",
        "{}",
        run.stderr
    );
    // A placeholder the template does not fill is the template's error, not an empty word.
    let run = render(
        "{{ mpi.launch | launch(nranks='N', hostfile='H') }}\n",
        "sophia",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("needs `ranks_per_node=...`"),
        "{}",
        run.stderr
    );
    // And a value given for no placeholder is a typo.
    let run = render(
        "{{ mpi.launch | launch(nranks='N', ranks_per_node=1, hostfile='H', hostfiel='x') }}\n",
        "sophia",
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
}
