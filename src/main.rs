use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches};
use dask_pbs::cli::Cli;

/// The colour of dask-pbs's own help and errors. Clap needs it before it parses, so `--color`
/// is read from the raw arguments here (and parsed again, for `--help`, by clap). NO_COLOR
/// (no-color.org) turns `auto` off. Artifacts are plain text whatever this says.
fn color_choice(args: &[String]) -> clap::ColorChoice {
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--color=")
            .map(str::to_string)
            .or_else(|| (a == "--color").then(|| args.get(i + 1).cloned()).flatten())
    });
    match value.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ if no_color() => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// NO_COLOR set and not empty (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let matches = Cli::command().color(color_choice(&args)).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let paint = cli
        .color
        .paints(std::io::stderr().is_terminal(), no_color());
    if let Err(err) = dask_pbs::commands::run(cli) {
        // Bold red, as clap colours its own `error:`.
        let prefix = if paint {
            "\x1b[1;31merror:\x1b[0m"
        } else {
            "error:"
        };
        // DASK_PBS_ERROR_CODES=1 names the case before the line (docs/troubleshooting.md).
        eprintln!("{}{prefix} {err}", dask_pbs::error::tag(err.code));
        std::process::exit(err.exit_code());
    }
}
