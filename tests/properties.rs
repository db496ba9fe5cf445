//! Property tests: no input panics; shell quoting round-trips through real bash; rendering
//! is deterministic. `fuzz_parse_and_render` is the long run (ignored by default):
//! `DASK_PBS_FUZZ_SECONDS=300 cargo test --release --test properties -- --ignored --nocapture`.

use std::io::Write;
use std::process::{Command, Stdio};

use dask_pbs::profile::catalog::Catalog;
use dask_pbs::profile::origin::Origin;
use dask_pbs::profile::overrides::OverrideArgs;
use dask_pbs::profile::parse::parse_layer;
use dask_pbs::profile::{Inputs, load};
use dask_pbs::quote::quote;
use dask_pbs::render::artifact::Artifact;
use dask_pbs::render::context::Context;
use dask_pbs::render::{Renderer, TemplateDirs};
use dask_pbs::walltime::Walltime;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

fn no_env(_: &str) -> Option<String> {
    None
}

/// Loads and renders every artifact; `Err` is a clean refusal, never a panic.
fn render_all(profile: &str, overrides: &OverrideArgs) -> Result<Vec<String>, String> {
    let catalog = Catalog::default();
    let inputs = Inputs {
        catalog: &catalog,
        user_defaults: None,
        env: &no_env,
        overrides,
        needs: dask_pbs::profile::Needs::ALL,
        defaults_file: None,
    };
    let loaded = load(profile, &inputs).map_err(|e| e.message)?;
    let ctx = Context::new(loaded.profile, profile, &overrides.to_args());
    let renderer = Renderer::new(&TemplateDirs::default());
    Artifact::ALL
        .iter()
        .filter(|a| a.unmet(&ctx.profile).is_none())
        .map(|a| renderer.render(*a, &ctx).map_err(|e| e.message))
        .collect()
}

fn overrides_strategy() -> impl Strategy<Value = (String, OverrideArgs)> {
    (
        prop::sample::select(
            dask_pbs::builtin::PROFILES
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>(),
        ),
        prop::option::of(".{0,12}"),
        prop::option::of(0u32..20),
        prop::option::of(prop_oneof![Just("00:30:00".to_string()), "[0-9:]{1,9}"]),
        prop::option::of(".{0,20}"),
        prop::option::of(".{0,30}"),
        prop::collection::vec("(job|dask|env|rapids)\\.[a-z_]{2,12}=.{0,12}", 0..3),
    )
        .prop_map(|(profile, account, select, walltime, name, run, sets)| {
            (
                profile.to_string(),
                OverrideArgs {
                    account: account.or(Some("P".into())),
                    select,
                    walltime,
                    name,
                    run,
                    sets,
                    // Built-in profiles name no environment; the job needs one.
                    env: Some("/home/user/envs/rapids-25.06".into()),
                    ..OverrideArgs::default()
                },
            )
        })
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn parsing_any_text_never_panics(text in ".{0,400}") {
        let _ = parse_layer(&text, &Origin::File("p.yaml".into()));
    }

    #[test]
    fn parsing_yaml_shaped_text_never_panics(text in "((description|extends|job|dask|env|system|rapids|run|  queue|  select|  walltime|  modules|- |&a |\\*a |\\[|\\]|\\{|\\}|: |, |null|[0-9:.]{1,8}|[a-z]{1,6}|\n)){0,60}") {
        let _ = parse_layer(&text, &Origin::File("p.yaml".into()));
    }

    #[test]
    fn walltime_never_panics_and_round_trips(text in "[0-9:.a-z-]{0,20}") {
        if let Ok(w) = text.parse::<Walltime>() {
            prop_assert_eq!(w.to_string().parse::<Walltime>().unwrap(), w);
        }
    }

    #[test]
    fn rendering_never_panics_and_is_deterministic((profile, overrides) in overrides_strategy()) {
        let first = render_all(&profile, &overrides);
        let second = render_all(&profile, &overrides);
        prop_assert_eq!(first, second);
    }
}

/// Quoting round-trips through the real shell: `printf %s QUOTED` prints the original.
#[test]
fn quoting_round_trips_through_bash() {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    let strategy = prop::collection::vec("[^\\x00]{0,40}", 1..40);
    runner
        .run(&strategy, |words| {
            let mut script = String::new();
            for w in &words {
                script.push_str(&format!("printf '%s\\0' {}\n", quote(w).unwrap()));
            }
            let mut child = Command::new("bash")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(script.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let printed: Vec<String> = out
                .stdout
                .split(|b| *b == 0)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            prop_assert_eq!(&printed[..words.len()], &words[..]);
            Ok(())
        })
        .unwrap();
}

/// The fuzz campaign: random text and random overrides for a fixed time; counts executions.
#[test]
#[ignore = "a long fuzz campaign, run by hand: DASK_PBS_FUZZ_SECONDS=300 cargo test --release -- --ignored"]
fn fuzz_parse_and_render() {
    let seconds: u64 = std::env::var("DASK_PBS_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut runner = TestRunner::new(Config {
        cases: u32::MAX,
        failure_persistence: None,
        ..Config::default()
    });
    let (mut parsed, mut rendered, mut refused) = (0u64, 0u64, 0u64);
    let texts = "((description|extends|job|dask|env|system|rapids|run|  queue|  select|  walltime|  modules|- |&a |\\*a |\\[|\\]|\\{|\\}|: |, |null|[0-9:.]{1,8}|[a-z]{1,6}|\n)){0,80}|.{0,300}";
    while std::time::Instant::now() < deadline {
        let text = texts.new_tree(&mut runner).unwrap().current();
        let _ = parse_layer(&text, &Origin::File("fuzz.yaml".into()));
        parsed += 1;
        let (profile, overrides) = overrides_strategy()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        match render_all(&profile, &overrides) {
            Ok(_) => rendered += 1,
            Err(_) => refused += 1,
        }
    }
    println!(
        "fuzz: {seconds} s, {parsed} texts parsed, {} override sets ({rendered} rendered, {refused} refused), 0 panics",
        rendered + refused
    );
}
