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

/// Resolves the profile of a command's `--profile` and overrides.
pub(crate) fn load(args: &ProfileArgs) -> Result<(Places, Loaded), Error> {
    load_for(args, true)
}

/// Like `load`; `require_account` is false for artifacts that never reach qsub.
pub(crate) fn load_for(
    args: &ProfileArgs,
    require_account: bool,
) -> Result<(Places, Loaded), Error> {
    let places = places(&args.places);
    let loaded = resolve(
        &places,
        &args.profile,
        &args.overrides.to_overrides(),
        require_account,
    )?;
    for note in &loaded.notes {
        eprintln!("dask-pbs: warning: {note}");
    }
    Ok((places, loaded))
}

/// Resolves `spec` against the user's places, this process's environment and `overrides`.
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
