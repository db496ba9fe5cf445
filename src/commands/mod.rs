//! What each subcommand does. `run` is the one entry point and, but for the long-running
//! `adapt` and `wait` (which report as they go), the only code that writes to stdout and
//! stderr: each command returns an `Outcome` (its output and its notes) or an error; `main`
//! prints the error and maps it to the exit code.

mod adapt;
mod charges;
mod cluster;
mod ended;
mod gen_cmd;
mod import_jobqueue;
mod inspect;
mod join;
mod pbs;
mod scale;
mod state;
mod submit;
mod verify;
mod wait;

use std::io::Write;

use crate::cli::{
    Cli, Command, Deferred, PlacesArgs, ProfileArgs, ProfilesCommand, TemplatesCommand,
};
use crate::config::{self, Places};
use crate::error::{Code, Error};
use crate::profile::{self, Inputs, Loaded, Needs};
use crate::render::Renderer;
use crate::render::artifact::Artifact;
use crate::render::context::Context;

/// The process environment, read through one function so tests and callers agree.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A note for the user on stderr: what a command did, or a warning about its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// "dask-pbs: wrote job.sh".
    Info(String),
    /// "dask-pbs: warning: ..." (the command still succeeds).
    Warning(String),
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Info(text) => write!(f, "dask-pbs: {text}"),
            Note::Warning(text) => write!(f, "dask-pbs: warning: {text}"),
        }
    }
}

/// What a command produced: the text for stdout, the notes for stderr and, for a command
/// whose output explains its own failure (`verify`'s diff), the error to end with.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub notes: Vec<Note>,
    pub error: Option<Error>,
}

impl Outcome {
    /// Output with no notes.
    pub fn text(stdout: impl Into<String>) -> Self {
        Outcome {
            stdout: stdout.into(),
            ..Outcome::default()
        }
    }

    /// Output, with the warnings of the profile it came from.
    pub fn of(stdout: impl Into<String>, loaded: &Loaded) -> Self {
        let mut outcome = Outcome::text(stdout);
        outcome.warn(loaded);
        outcome
    }

    /// Adds the warnings of a resolved profile.
    pub fn warn(&mut self, loaded: &Loaded) {
        self.notes
            .extend(loaded.notes.iter().cloned().map(Note::Warning));
    }
}

/// Runs one command and writes what it produced: notes on stderr, output on stdout.
pub fn run(cli: Cli) -> Result<(), Error> {
    let outcome = execute(cli)?;
    let mut err = std::io::stderr().lock();
    for note in &outcome.notes {
        // A closed stderr loses the notes, not the output.
        let _ = writeln!(err, "{note}");
    }
    let mut out = std::io::stdout().lock();
    out.write_all(outcome.stdout.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::new(Code::WriteStdout, format!("cannot write to stdout: {e}")))?;
    match outcome.error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn execute(cli: Cli) -> Result<Outcome, Error> {
    Ok(match cli.command {
        Command::Gen(args) => gen_cmd::gen_artifacts(&args)?,
        Command::Check(args) => inspect::check(&args)?,
        Command::Explain(args) => inspect::explain(&args)?,
        Command::Profiles(Deferred(ProfilesCommand::List(places))) => {
            Outcome::text(inspect::profiles_list(&places)?)
        }
        Command::Profiles(Deferred(ProfilesCommand::Show(args))) => inspect::profiles_show(&args)?,
        Command::Templates(Deferred(TemplatesCommand::List(places))) => {
            Outcome::text(inspect::templates_list(&places))
        }
        Command::Templates(Deferred(TemplatesCommand::Show { name })) => {
            Outcome::text(inspect::templates_show(&name)?)
        }
        Command::Templates(Deferred(TemplatesCommand::Context(args))) => {
            inspect::templates_context(&args)?
        }
        Command::Render(args) => gen_cmd::render_user_template(&args)?,
        Command::Schema => Outcome::text(inspect::schema()?),
        Command::Verify(args) => verify::verify(&args)?,
        Command::Submit(args) => submit::submit(&args)?,
        Command::Status(args) => cluster::status(&args)?,
        Command::Scale(args) => scale::scale(&args)?,
        Command::Stop(args) => cluster::stop(&args)?,
        Command::Clean(args) => cluster::clean(&args)?,
        Command::Adapt(args) => cluster::adapt(&args)?,
        Command::Wait(args) => wait::wait(&args)?,
        Command::ImportJobqueue(args) => import_jobqueue::import_jobqueue(&args)?,
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "dask-pbs",
                &mut buffer,
            );
            Outcome::text(String::from_utf8_lossy(&buffer))
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buffer)
                .map_err(|e| {
                    Error::new(Code::Internal, format!("cannot render the man page: {e}"))
                })?;
            Outcome::text(String::from_utf8_lossy(&buffer))
        }
    })
}

pub(crate) fn places(args: &PlacesArgs) -> Places {
    Places::new(&args.profile_dirs, &args.template_dirs, &process_env)
}

/// What every rendering command starts from: the user's places, the resolved profile and its
/// template context, loaded once.
pub(crate) struct Session {
    pub places: Places,
    pub loaded: Loaded,
    pub ctx: Context,
}

impl Session {
    /// Loads the profile of `args` for rendering `artifacts`: their table says what they need
    /// of the profile (the account, a Python environment), the one place this is decided.
    pub(crate) fn load(args: &ProfileArgs, artifacts: &[Artifact]) -> Result<Session, Error> {
        let (places, loaded) = load_for(args, Artifact::needs(artifacts))?;
        let ctx = context(args, &loaded);
        Ok(Session {
            places,
            loaded,
            ctx,
        })
    }

    /// The renderer of the session's template directories.
    pub(crate) fn renderer(&self) -> Renderer {
        Renderer::new(&self.places.templates.for_profile(&self.loaded.profile))
    }
}

/// Resolves the profile of a command's `--profile` and overrides, as for the job.
pub(crate) fn load(args: &ProfileArgs) -> Result<(Places, Loaded), Error> {
    load_for(args, Needs::ALL)
}

/// Like `load`, for a command that needs only what `needs` says of the profile.
pub(crate) fn load_for(args: &ProfileArgs, needs: Needs) -> Result<(Places, Loaded), Error> {
    let places = places(&args.places);
    let loaded = resolve(&places, &args.profile, &args.overrides, needs)?;
    Ok((places, loaded))
}

/// Resolves `spec` against the user's places, this process's environment and `overrides`,
/// requiring what `needs` says.
pub(crate) fn resolve(
    places: &Places,
    spec: &str,
    overrides: &crate::cli::OverrideArgs,
    needs: Needs,
) -> Result<Loaded, Error> {
    let (overrides, notes) = absolute_paths(overrides);
    let inputs = Inputs {
        catalog: &places.catalog,
        user_defaults: places.user_defaults.clone(),
        env: &process_env,
        overrides: &overrides,
        needs,
        defaults_file: config::config_dir(&process_env).map(|dir| dir.join("defaults.yaml")),
    };
    let mut loaded = profile::load(spec, &inputs)?;
    loaded.notes.splice(0..0, notes);
    Ok(loaded)
}

/// The overrides with `--env` and `--venv` read against the working directory, and the notes
/// that say so (the flags as given when the working directory cannot be read).
fn absolute_paths(overrides: &crate::cli::OverrideArgs) -> (crate::cli::OverrideArgs, Vec<String>) {
    match crate::output::working_dir() {
        Ok(cwd) => overrides.with_absolute_paths(&cwd),
        Err(_) => (overrides.clone(), Vec::new()),
    }
}

/// The context of `loaded`; its regenerate line carries every option that found the profile
/// and its templates (`--profile-dir`, `--templates`) and every override.
pub(crate) fn context(args: &ProfileArgs, loaded: &Loaded) -> Context {
    let mut regenerate = Vec::new();
    for dir in &args.places.profile_dirs {
        regenerate.extend(["--profile-dir".to_string(), dir.to_string()]);
    }
    for dir in &args.places.template_dirs {
        regenerate.extend(["--templates".to_string(), dir.to_string()]);
    }
    // The paths the job uses: the line must work from any directory.
    regenerate.extend(absolute_paths(&args.overrides).0.to_args());
    Context::new(
        loaded.profile.clone(),
        &profile_arg(args, loaded),
        &regenerate,
    )
}

/// The profile as the regenerate line names it: a file given by path as an absolute path (the
/// line must work from any directory), else its name.
fn profile_arg(args: &ProfileArgs, loaded: &Loaded) -> String {
    if !crate::profile::catalog::is_path(&args.profile) {
        return loaded.profile.name.clone();
    }
    let path = camino::Utf8Path::new(&args.profile);
    let path: camino::Utf8PathBuf = path
        .components()
        .filter(|c| *c != camino::Utf8Component::CurDir)
        .collect();
    match crate::output::working_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path).to_string(),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_say_who_speaks_and_warnings_say_so() {
        assert_eq!(
            Note::Info("wrote job.sh".into()).to_string(),
            "dask-pbs: wrote job.sh"
        );
        assert_eq!(
            Note::Warning("256 threads on 64 cores".into()).to_string(),
            "dask-pbs: warning: 256 threads on 64 cores"
        );
    }
}
