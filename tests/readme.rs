//! The README as a user reads it: short, in the order a new user needs it (what it is,
//! install, quick start, commands, where to go next), with the set-up commands CI runs, and
//! every page of `docs/` reachable from it through links that lead somewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common;
use crate::reference::slug;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn readme() -> String {
    read(&common::repo_root().join("README.md"))
}

/// The lines of `text` outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The contents of the fenced code blocks of `text`, in order.
fn code_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.starts_with("```")) {
            (None, true) => current = Some(String::new()),
            (Some(_), true) => blocks.extend(current.take()),
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_is_short_and_in_the_order_a_new_user_reads_it() {
    let readme = readme();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; it is for users and stays at most 300: move reference material to docs/"
    );
    let headings: Vec<&str> = prose(&readme)
        .into_iter()
        .filter(|l| l.starts_with("## "))
        .collect();
    assert_eq!(
        headings,
        [
            "## Install",
            "## Quick start",
            "## Commands",
            "## Where to go next"
        ],
        "README.md's sections"
    );
}

/// The README's two set-up commands, exactly as CI runs the second.
#[test]
fn the_readme_gives_the_set_up_commands_ci_runs() {
    let blocks = code_blocks(&readme());
    let set_up = "cargo run --release -- gen --profile sophia --account demo --env ~/envs/rapids-25.06\ntests/run.sh\n";
    assert!(
        blocks.iter().any(|b| b == set_up),
        "README.md has no code block with exactly the two set-up commands:\n{set_up}"
    );
    let ci = read(&common::repo_root().join(".ci/run"));
    assert!(
        ci.lines().any(|l| l.trim() == "exec tests/run.sh"),
        ".ci/run does not run the README's test command:\n{ci}"
    );
}

/// tests/wheel.sh runs the blocks after these markers verbatim.
#[test]
fn the_readme_install_blocks_that_tests_wheel_sh_runs_are_there() {
    let readme = readme();
    for (name, first_line) in [
        ("wheel", "pip install ./dask_pbs-*.whl"),
        (
            "static-copy",
            "install -D -m 0755 target/x86_64-unknown-linux-gnu/release/dask-pbs ~/bin/dask-pbs",
        ),
    ] {
        let marker = format!("<!-- tests/wheel.sh: {name} -->\n```\n{first_line}\n");
        assert!(
            readme.contains(&marker),
            "README.md lost the install block tests/wheel.sh runs: {marker}"
        );
    }
}

/// The README shows `check`'s output: it must be what `check` prints.
#[test]
fn the_readme_check_example_is_what_check_prints() {
    let readme = readme();
    let command = "$ dask-pbs check --profile sophia --account MyProj --env ~/envs/rapids-25.06\n";
    let shown = readme
        .split_once(command)
        .and_then(|(_, rest)| rest.lines().next())
        .expect("README.md shows `dask-pbs check` and its output");
    let printed = common::ok(&[
        "check",
        "--profile",
        "sophia",
        "--account",
        "MyProj",
        "--env",
        "/home/you/envs/rapids-25.06",
    ]);
    assert_eq!(printed.trim_end(), shown);
}

/// `[text](target)` links of `text` outside code: their targets.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose(text) {
        // Code spans may hold brackets that are no link.
        let plain: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    found
}

/// The anchors of the headings of a markdown file.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .into_iter()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

/// Every local link of README.md and of every page it leads to: the file must exist, and so
/// must the heading it names. Returns the pages reached.
fn follow_links() -> (BTreeSet<PathBuf>, Vec<String>) {
    let root = common::repo_root().canonicalize().unwrap();
    let mut reached = BTreeSet::new();
    let mut queue = vec![root.join("README.md")];
    let mut broken = Vec::new();
    while let Some(page) = queue.pop() {
        if !reached.insert(page.clone()) {
            continue;
        }
        let text = read(&page);
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            let shown = page.strip_prefix(&root).unwrap().display().to_string();
            if !target.is_file() {
                broken.push(format!("{shown}: ({link}) names no file"));
                continue;
            }
            if target.extension().is_some_and(|e| e == "md") {
                if !anchor.is_empty() && !anchors(&read(&target)).contains(anchor) {
                    broken.push(format!("{shown}: ({link}) names no heading of its page"));
                }
                queue.push(target.canonicalize().unwrap());
            }
        }
    }
    (reached, broken)
}

#[test]
fn every_docs_page_is_reached_from_the_readme_through_links_that_lead_somewhere() {
    let root = common::repo_root().canonicalize().unwrap();
    let (reached, broken) = follow_links();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    let mut unreached = Vec::new();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path().canonicalize().unwrap();
        if path.extension().is_some_and(|e| e == "md") && !reached.contains(&path) {
            unreached.push(path.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(
        unreached.is_empty(),
        "no link from README.md leads to {unreached:?}: a user would not find them"
    );
}

#[test]
fn links_are_read_outside_code() {
    let text = "see [a](docs/a.md#x) and `[b](c)`\n```\n[d](e)\n```\n[f](g)";
    assert_eq!(links(text), ["docs/a.md#x", "g"]);
    assert!(anchors("# Top\n## `system.queues.NAME`\n").contains("systemqueuesname"));
}
