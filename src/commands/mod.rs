//! What each subcommand does. `run` is the one entry point: it returns the text for stdout
//! or an error; `main` prints and maps to the exit code.

mod gen_cmd;
mod import_jobqueue;
mod inspect;
mod submit;
mod verify;

use std::io::Write;

use crate::cli::{
    Cli, Command, Deferred, PlacesArgs, ProfileArgs, ProfilesCommand, TemplatesCommand,
};
use crate::config::Places;
use crate::error::Error;
use crate::profile::overrides::Overrides;
use crate::profile::{self, Inputs, Loaded};
use crate::render::Renderer;
use crate::render::artifact::Artifact;
use crate::render::context::Context;

/// The process environment, read through one function so tests and callers agree.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn run(cli: Cli) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let text = match cli.command {
        Command::Gen(args) => gen_cmd::gen_artifacts(&args)?,
        Command::Check(args) => inspect::check(&args)?,
        Command::Explain(args) => inspect::explain(&args)?,
        Command::Profiles(Deferred(ProfilesCommand::List(places))) => {
            inspect::profiles_list(&places)?
        }
        Command::Profiles(Deferred(ProfilesCommand::Show(args))) => inspect::profiles_show(&args)?,
        Command::Templates(Deferred(TemplatesCommand::List(places))) => {
            inspect::templates_list(&places)
        }
        Command::Templates(Deferred(TemplatesCommand::Show { name })) => {
            inspect::templates_show(&name)?
        }
        Command::Templates(Deferred(TemplatesCommand::Context(args))) => {
            inspect::templates_context(&args)?
        }
        Command::Render(args) => gen_cmd::render_user_template(&args)?,
        Command::Schema => inspect::schema()?,
        Command::Verify(args) => verify::verify(&args)?,
        Command::Submit(args) => submit::submit(&args)?,
        Command::ImportJobqueue(args) => import_jobqueue::import_jobqueue(&args)?,
        Command::Completions { shell } => {
            let mut buffer = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "dask-pbs",
                &mut buffer,
            );
            String::from_utf8_lossy(&buffer).into_owned()
        }
        Command::Man => {
            let mut buffer = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buffer)
                .map_err(|e| Error::failure(format!("cannot render the man page: {e}")))?;
            String::from_utf8_lossy(&buffer).into_owned()
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::failure(format!("cannot write to stdout: {e}")))?;
    out.flush()
        .map_err(|e| Error::failure(format!("cannot write to stdout: {e}")))
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
    /// Loads the profile of `args` for rendering `artifacts` (whose table says what they need
    /// of the profile).
    pub(crate) fn load(args: &ProfileArgs, artifacts: &[Artifact]) -> Result<Session, Error> {
        let places = places(&args.places);
        let overrides = args.overrides.to_overrides();
        let loaded = resolve_for(&places, &args.profile, &overrides, artifacts)?;
        let ctx = Context::new(loaded.profile.clone(), &overrides.to_args());
        Ok(Session {
            places,
            loaded,
            ctx,
        })
    }

    /// The renderer of the session's template directories.
    pub(crate) fn renderer(&self) -> Renderer {
        Renderer::new(&self.places.templates)
    }
}

/// Resolves the profile of a command's `--profile` and overrides, as for the job.
pub(crate) fn load(args: &ProfileArgs) -> Result<(Places, Loaded), Error> {
    let Session { places, loaded, .. } = Session::load(args, &[Artifact::Job])?;
    Ok((places, loaded))
}

/// Resolves `spec` for rendering `artifacts`: the one place that turns what the artifacts
/// need (the Artifact table) into what validation requires.
pub(crate) fn resolve_for(
    places: &Places,
    spec: &str,
    overrides: &Overrides,
    artifacts: &[Artifact],
) -> Result<Loaded, Error> {
    resolve(
        places,
        spec,
        overrides,
        Artifact::any_needs_account(artifacts),
    )
}

/// Resolves `spec` against the user's places, this process's environment and `overrides`;
/// `require_account` for a profile whose request reaches qsub.
pub(crate) fn resolve(
    places: &Places,
    spec: &str,
    overrides: &Overrides,
    require_account: bool,
) -> Result<Loaded, Error> {
    let inputs = Inputs {
        catalog: &places.catalog,
        user_defaults: places.user_defaults.clone(),
        env: &process_env,
        overrides,
        require_account,
    };
    profile::load(spec, &inputs)
}

pub(crate) fn context(args: &ProfileArgs, loaded: &Loaded) -> Context {
    Context::new(
        loaded.profile.clone(),
        &args.overrides.to_overrides().to_args(),
    )
}
