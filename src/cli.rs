//! The command line (the contract docs/commands.md documents): clap
//! definitions only; each command's
//! work is in `commands`.

use camino::Utf8PathBuf;
use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

pub use crate::profile::overrides::OverrideArgs;
use crate::render::artifact::GenTarget;

#[derive(Debug, Parser)]
#[command(
    name = "dask-pbs",
    version,
    about = "Render PBS Pro job scripts that start Dask and RAPIDS clusters, right the first time",
    long_about = None,
    after_help = "Example:\n  dask-pbs gen conda --profile sophia --env ~/envs/rapids-25.06 | bash   # once: the environment\n  dask-pbs gen --profile sophia --account MyProject --env ~/envs/rapids-25.06 > job.sh && qsub job.sh"
)]
pub struct Cli {
    /// Colour in dask-pbs's own help and errors: auto (a terminal, unless NO_COLOR is set),
    /// always or never. Artifacts never contain colour.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// A subcommand's arguments (or its own subcommands), built only when that subcommand runs.
///
/// Clap builds every subcommand's arguments before it parses anything, and the profile and
/// override flags alone are some twenty arguments repeated in seven subcommands: most of what
/// a short `dask-pbs gen` spent before doing its work. Deferring them (clap's
/// `Command::defer`) builds just the one subcommand that is named; `--help`, completions and
/// the man page still see everything, since clap builds the rest when they ask.
#[derive(Debug, Clone)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_help(cmd, T::augment_args))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_help(cmd, T::augment_args_for_update))
    }
}

impl<T: Subcommand> Subcommand for Deferred<T> {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_help(cmd, T::augment_subcommands))
    }
    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_help(cmd, T::augment_subcommands_for_update))
    }
    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

/// `add` applied to `cmd`, keeping the help texts the subcommand already had. Clap applies a
/// variant's doc comment after its arguments; deferred, the arguments come last, and a
/// flattened struct's doc comment (e.g. `PlacesArgs`') would replace the subcommand's.
fn keeping_help(cmd: clap::Command, add: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let after_help = cmd.get_after_help().cloned();
    let after_long_help = cmd.get_after_long_help().cloned();
    let mut cmd = add(cmd);
    if let Some(text) = about {
        cmd = cmd.about(text);
    }
    if let Some(text) = long_about {
        cmd = cmd.long_about(text);
    }
    if let Some(text) = after_help {
        cmd = cmd.after_help(text);
    }
    if let Some(text) = after_long_help {
        cmd = cmd.after_long_help(text);
    }
    cmd
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether dask-pbs's own messages are coloured: `auto` only on a terminal, and not when
    /// NO_COLOR (no-color.org) is set.
    pub fn paints(self, terminal: bool, no_color: bool) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => terminal && !no_color,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render an artifact (default: the PBS job script) from a profile.
    #[command(
        after_help = "Examples:\n  dask-pbs gen --profile sophia --account MyProject --env ~/envs/rapids-25.06 > job.sh\n  dask-pbs gen conda --profile sophia --env ~/envs/rapids-25.06\n  dask-pbs gen all --profile polaris -A MyProject --env ~/envs/rapids-25.06 --out-dir cluster/"
    )]
    Gen(Deferred<GenArgs>),
    /// Validate a profile and print what the job would ask for.
    #[command(
        after_help = "Example:\n  dask-pbs check --profile sophia --account MyProject --env ~/envs/rapids-25.06 --select 4"
    )]
    Check(Deferred<ProfileArgs>),
    /// Print every resolved value and where it came from.
    #[command(after_help = "Example:\n  dask-pbs explain --profile sophia --account MyProject")]
    Explain(Deferred<ProfileArgs>),
    /// List and show profiles.
    #[command(subcommand)]
    Profiles(Deferred<ProfilesCommand>),
    /// List and show templates, and print the template context.
    #[command(subcommand)]
    Templates(Deferred<TemplatesCommand>),
    /// Turn a dask-jobqueue configuration's `pbs:` section into a dask-pbs profile.
    #[command(
        after_help = "Example:\n  dask-pbs import-jobqueue ~/.config/dask/jobqueue.yaml > ~/.config/dask-pbs/profiles/mysite.yaml"
    )]
    ImportJobqueue(Deferred<ImportArgs>),
    /// Render the job into the working directory and submit it with qsub.
    #[command(
        after_help = "Examples:\n  dask-pbs submit --profile sophia -A MyProject --env ~/envs/rapids-25.06 --run 'python analysis.py'\n  dask-pbs submit --profile sophia -A MyProject --env ~/envs/rapids-25.06 --dry-run"
    )]
    Submit(Deferred<SubmitArgs>),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  source <(dask-pbs completions bash)")]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  dask-pbs man > dask-pbs.1 && man ./dask-pbs.1")]
    Man,
    /// Check that every profile in DIR renders what DIR/expected/ holds (for CI).
    #[command(
        after_help = "Example:\n  dask-pbs verify site-profiles/            # exit 1 with a diff when anything changed\n  dask-pbs verify site-profiles/ --update   # accept the current output"
    )]
    Verify(Deferred<VerifyArgs>),
    /// Print the JSON Schema of the profile format, for editors.
    #[command(
        after_help = "Example:\n  dask-pbs schema > dask-pbs.schema.json\n  # then, first line of a profile:\n  # yaml-language-server: $schema=./dask-pbs.schema.json"
    )]
    Schema,
    /// Render a template file of your own with a profile's context.
    #[command(
        after_help = "Example:\n  dask-pbs render my_epilogue.sh.j2 --profile sophia -A MyProject --env ~/envs/rapids-25.06"
    )]
    Render(Deferred<RenderArgs>),
    /// Every recorded cluster (or one): PBS states, workers by job, scheduler and dashboard.
    #[command(after_help = "Example:\n  dask-pbs status\n  dask-pbs status 1234.server --json")]
    Status(Deferred<StatusArgs>),
    /// Add worker jobs to a cluster, or retire the workers of some and end those jobs.
    #[command(
        after_help = "Examples:\n  dask-pbs scale 1234.server --add 2\n  dask-pbs scale 1234.server --workers 16\n  dask-pbs scale 1234.server --add 1 --profile pbs-cpu -A MyProject --env ~/envs/dask --set 'dask.resources={IO: 1}'\n  dask-pbs scale 1234.server --remove 1"
    )]
    Scale(Deferred<ScaleArgs>),
    /// Shut a cluster down through its scheduler, then delete its worker jobs.
    #[command(after_help = "Example:\n  dask-pbs stop 1234.server")]
    Stop(Deferred<StopArgs>),
    /// Remove the job directories of ended clusters (a failed one keeps its logs/).
    #[command(after_help = "Example:\n  dask-pbs clean\n  dask-pbs clean --all")]
    Clean(Deferred<CleanArgs>),
    /// Follow the cluster's adaptive target with worker jobs, within [--min, --max].
    #[command(after_help = "Example:\n  dask-pbs adapt 1234.server --min 0 --max 4")]
    Adapt(Deferred<AdaptArgs>),
    /// Wait until a submitted cluster is ready (its expected workers are in), or has ended.
    #[command(
        after_help = "Example:\n  id=$(dask-pbs submit --profile pbs-cpu -A MyProject --env ~/envs/dask | head -n 1)\n  dask-pbs wait \"$id\" --timeout 600 && python analysis.py"
    )]
    Wait(Deferred<WaitArgs>),
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The head job's id, or its name when one recorded cluster that has not ended has it
    /// (all recorded clusters when absent).
    #[arg(value_name = "JOBID|NAME")]
    pub job_id: Option<String>,
    /// Print JSON, for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StopArgs {
    /// The head job's id, as `dask-pbs submit` printed it.
    #[arg(value_name = "JOBID")]
    pub job_id: String,
    /// Print the jobs that ended as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// Remove failed clusters' logs too.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(false)))]
pub struct ScaleArgs {
    /// The head job's id.
    #[arg(value_name = "JOBID")]
    pub job_id: String,
    /// Submit N worker jobs.
    #[arg(long, value_name = "N", group = "change")]
    pub add: Option<u32>,
    /// Retire the workers of N worker jobs (newest first) and end those jobs.
    #[arg(long, value_name = "N", group = "change")]
    pub remove: Option<u32>,
    /// Add or retire worker jobs until K of this profile's are queued or running.
    #[arg(long, value_name = "K", group = "change")]
    pub jobs: Option<u32>,
    /// Add or retire worker jobs of this profile until the cluster has at least N workers
    /// (the head job's own count; whole worker jobs).
    #[arg(long, value_name = "N", group = "change")]
    pub workers: Option<u32>,
    /// The worker jobs' profile (default: the head job's, as submitted).
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,
    /// Print what changed as JSON: the jobs added and removed, and this profile's worker jobs.
    #[arg(long)]
    pub json: bool,
    /// Give up after S seconds when the head job does not answer a retire request (--remove,
    /// or fewer jobs or workers than now); its worker jobs go on.
    #[arg(long, value_name = "S", default_value_t = 120.0, value_parser = seconds)]
    pub timeout: f64,
    #[command(flatten)]
    pub places: PlacesArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

#[derive(Debug, Clone, Args)]
pub struct AdaptArgs {
    /// The head job's id.
    #[arg(value_name = "JOBID")]
    pub job_id: String,
    /// The fewest worker jobs.
    #[arg(long, value_name = "A", default_value_t = 0)]
    pub min: u32,
    /// The most worker jobs.
    #[arg(long, value_name = "B")]
    pub max: u32,
    /// Seconds between two looks at the cluster's status.json.
    #[arg(long, value_name = "S", default_value_t = 10)]
    pub interval: u32,
    /// --min and --max count workers (whole worker jobs, beyond the head job's), not jobs.
    #[arg(long)]
    pub workers: bool,
    /// Stop once standard input reaches its end: a program that runs adapt (the Python
    /// package) holds its input open, so that adapt ends with it.
    #[arg(long)]
    pub stop_on_eof: bool,
}

/// The most seconds a `--timeout` takes (about 31 years): any more is a mistake, and a
/// `Duration` holds it.
const MAX_SECONDS: f64 = 1e9;

/// A duration in seconds (`0.5`, `120`): a number from 0 to `MAX_SECONDS`, not NaN.
fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=MAX_SECONDS).contains(&s) => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds from 0 to {MAX_SECONDS} (e.g. 120)"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// The head job's id.
    #[arg(value_name = "JOBID")]
    pub job_id: String,
    /// Give up after S seconds (the job goes on: `dask-pbs stop` ends it).
    #[arg(long, value_name = "S", value_parser = seconds)]
    pub timeout: Option<f64>,
    /// Print each change and the outcome as a line of JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

// Parsed once per run: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Every profile: name, origin (built-in / user file), description.
    #[command(after_help = "Example:\n  dask-pbs profiles list")]
    List(PlacesArgs),
    /// A profile's YAML, or with --resolved the fully merged result.
    ///
    /// `dask-pbs profiles show defaults` prints dask-pbs's own defaults: the bottom layer
    /// under every profile, which each profile's values replace.
    #[command(
        after_help = "Examples:\n  dask-pbs profiles show sophia\n  dask-pbs profiles show sophia --resolved -A MyProject\n  dask-pbs profiles show defaults   # the bottom layer under every profile"
    )]
    Show(ShowArgs),
}

// Parsed once per run: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Every template with its origin (built-in or a user file that shadows it).
    #[command(after_help = "Example:\n  dask-pbs templates list --templates ~/my-templates")]
    List(PlacesArgs),
    /// The built-in text of a template, to start a user template from.
    #[command(after_help = "Example:\n  dask-pbs templates show _readiness.sh.j2")]
    Show {
        /// Template name, e.g. job.sh.j2 or _readiness.sh.j2.
        name: String,
    },
    /// The template context of a profile, as YAML.
    #[command(after_help = "Example:\n  dask-pbs templates context --profile sophia -A MyProject")]
    Context(ProfileArgs),
}

/// Where profiles and templates are searched besides the built-ins.
#[derive(Debug, Clone, Args, Default)]
pub struct PlacesArgs {
    /// Directory searched for profiles by name, before $DASK_PBS_PROFILE_PATH, the config
    /// directory and the built-ins (repeatable).
    #[arg(long = "profile-dir", value_name = "DIR")]
    pub profile_dirs: Vec<Utf8PathBuf>,
    /// Directory of templates that shadow the built-in ones by name (repeatable).
    #[arg(long = "templates", value_name = "DIR")]
    pub template_dirs: Vec<Utf8PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// Profile name (looked up) or path to a .yaml file.
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: String,
    #[command(flatten)]
    pub places: PlacesArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// The artifact to render; `all` writes every one into --out-dir.
    #[arg(default_value = "job", value_name = "ARTIFACT")]
    pub artifact: GenTarget,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Write to FILE instead of stdout (refuses to overwrite without --force).
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<Utf8PathBuf>,
    /// Write every artifact under its default name into DIR (with `all`).
    #[arg(long, value_name = "DIR", required_if_eq("artifact", "all"))]
    pub out_dir: Option<Utf8PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
    /// With `workers`: the running cluster to join, as its head job's directory
    /// (dask-pbs.JOBID) or the scheduler.json in it.
    #[arg(long, value_name = "PATH")]
    pub join: Option<Utf8PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// Profile name or path; `defaults` for dask-pbs's own defaults (the bottom layer).
    #[arg(value_name = "NAME")]
    pub profile_name: String,
    /// Print the fully merged result (defaults, chain, defaults file, environment, flags).
    #[arg(long)]
    pub resolved: bool,
    #[command(flatten)]
    pub places: PlacesArgs,
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The template file to render.
    pub template: Utf8PathBuf,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<Utf8PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Directory of profiles (*.yaml) with an `expected/PROFILE/` folder of rendered artifacts.
    pub dir: Utf8PathBuf,
    /// Rewrite the expected files with the current output.
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub places: PlacesArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Print the qsub command instead of running it (writes nothing).
    #[arg(long)]
    pub dry_run: bool,
    /// Print the job id, its directory and files, and the cluster's certificates as JSON.
    #[arg(long, conflicts_with = "dry_run")]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The dask-jobqueue configuration (default ~/.config/dask/jobqueue.yaml).
    pub file: Option<Utf8PathBuf>,
    /// The section to import: `jobqueue.NAME` (dask-jobqueue's config_name).
    #[arg(long, value_name = "NAME", default_value = "pbs")]
    pub section: String,
    /// The site profile the import is for: the output extends it (its queues, MPI launcher,
    /// modules) instead of being a standalone profile.
    #[arg(long, value_name = "PROFILE")]
    pub extends: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn colour_follows_the_flag_then_the_terminal_and_no_color() {
        assert!(ColorWhen::Always.paints(false, true));
        assert!(!ColorWhen::Never.paints(true, false));
        assert!(ColorWhen::Auto.paints(true, false));
        assert!(!ColorWhen::Auto.paints(false, false));
        assert!(!ColorWhen::Auto.paints(true, true));
    }

    #[test]
    fn the_command_line_is_consistent() {
        // Builds every deferred subcommand, as --help, completions and the man page do.
        Cli::command().debug_assert();
    }

    #[test]
    fn deferred_subcommands_keep_their_own_help() {
        let mut cli = Cli::command();
        cli.build();
        let gen_cmd = cli.find_subcommand("gen").expect("gen");
        assert_eq!(
            gen_cmd.get_about().map(ToString::to_string).as_deref(),
            Some("Render an artifact (default: the PBS job script) from a profile")
        );
        let after = gen_cmd.get_after_help().map(ToString::to_string);
        assert!(
            after.is_some_and(|a| a.contains("dask-pbs gen --profile sophia")),
            "gen lost its examples"
        );
        assert!(gen_cmd.get_arguments().any(|a| a.get_id() == "account"));
        for sub in cli.get_subcommands() {
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            assert!(
                !about.starts_with("Where profiles and templates"),
                "{} shows PlacesArgs' doc comment as its own",
                sub.get_name()
            );
        }
    }
}
