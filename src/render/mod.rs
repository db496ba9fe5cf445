//! Rendering: one minijinja environment (strict, debug info, no auto-escape, trailing
//! newline kept) whose loader looks in the user's template directories before the built-ins.

pub mod artifact;
pub mod context;
pub mod security;

use camino::{Utf8Path, Utf8PathBuf};
use minijinja::value::Kwargs;
use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value, syntax::SyntaxConfig};

use crate::builtin;
use crate::error::{Code, Error};
use crate::mpi;
use crate::quote;
use artifact::Artifact;
use context::Context;

/// Where templates are looked up, first match first; the built-ins come last.
#[derive(Debug, Clone, Default)]
pub struct TemplateDirs {
    pub dirs: Vec<Utf8PathBuf>,
}

/// Where a template was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateOrigin {
    Builtin,
    File(Utf8PathBuf),
}

impl TemplateDirs {
    /// The user file that shadows `name`, if any.
    pub fn user_file(&self, name: &str) -> Option<Utf8PathBuf> {
        // Template names are plain file names; never let one climb out of its directory.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return None;
        }
        self.dirs.iter().map(|d| d.join(name)).find(|p| p.is_file())
    }

    /// The directories for rendering `profile`: its own template directory first, if any.
    pub fn for_profile(&self, profile: &crate::profile::model::Profile) -> TemplateDirs {
        let mut dirs: Vec<Utf8PathBuf> = profile.templates.iter().map(Utf8PathBuf::from).collect();
        dirs.extend(self.dirs.iter().cloned());
        TemplateDirs { dirs }
    }

    pub fn origin(&self, name: &str) -> Option<TemplateOrigin> {
        match self.user_file(name) {
            Some(path) => Some(TemplateOrigin::File(path)),
            None => builtin::template(name).map(|_| TemplateOrigin::Builtin),
        }
    }
}

/// Quotes a string for the shell; the `q` filter.
fn filter_q(value: Value) -> Result<String, minijinja::Error> {
    let text = match value.as_str() {
        Some(s) => s.to_string(),
        None if value.is_undefined() || value.is_none() => {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                "cannot shell-quote a missing value (none)",
            ));
        }
        None => value.to_string(),
    };
    quote::quote(&text)
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Quotes every item of a list and joins them: one shell command line; the `shell_join` filter.
fn filter_shell_join(value: Value) -> Result<String, minijinja::Error> {
    let items = value.try_iter().map_err(|_| {
        minijinja::Error::new(ErrorKind::InvalidOperation, "shell_join needs a list")
    })?;
    let words: Vec<String> = items
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .collect();
    quote::join(words.iter().map(String::as_str))
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// Makes text safe inside a `#` comment: control characters (a newline would end the
/// comment and start a command) are written as escapes.
fn filter_comment(value: Value) -> String {
    let text = value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string());
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Makes text safe inside a double-quoted shell string (a message): `\`, `"`, `$` and `` ` ``
/// are escaped, so nothing in it expands or runs; control characters are written as escapes
/// (a newline would start a line of its own); the `dq` filter.
fn filter_dq(value: Value) -> String {
    filter_comment(value)
        .chars()
        .map(|c| match c {
            '\\' | '"' | '$' | '`' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect()
}

/// A Python string literal holding the text (JSON's string syntax is Python's too); the `py`
/// filter.
fn filter_py(value: Value) -> Result<String, minijinja::Error> {
    let text = value
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string());
    serde_json::to_string(&text)
        .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// `error("message")` lets a template stop with a message of its own.
fn function_error(message: String) -> Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
}

/// Fills a launcher's words (see `mpi`): literal text is shell-quoted, each `{name}`
/// placeholder is replaced by the shell text the template gives as `name=...` (its own
/// variables, e.g. `nranks='"$dask_pbs_nranks"'`); a placeholder the template does not give
/// is an error. The `launch` filter.
fn filter_launch(words: Vec<String>, values: Kwargs) -> Result<String, minijinja::Error> {
    let invalid = |m: String| minijinja::Error::new(ErrorKind::InvalidOperation, m);
    let mut line = Vec::with_capacity(words.len());
    for word in &words {
        let mut text = String::new();
        for part in mpi::split_word(word).map_err(invalid)? {
            match part {
                mpi::Part::Literal(literal) => {
                    text.push_str(&quote::quote(literal).map_err(|e| invalid(e.to_string()))?);
                }
                mpi::Part::Placeholder(name) => {
                    let value: Value = values.get(name).map_err(|_| {
                        invalid(format!(
                            "launch word `{word}` needs `{name}=...` in the launch filter"
                        ))
                    })?;
                    text.push_str(&value.to_string());
                }
            }
        }
        line.push(text);
    }
    // A launcher need not use every placeholder (MPT takes no hostfile); any other argument
    // is a template mistake.
    for name in mpi::PLACEHOLDERS {
        let _: Result<Value, _> = values.get(name);
    }
    values.assert_all_used()?;
    Ok(line.join(" "))
}

fn environment(dirs: &TemplateDirs) -> Environment<'static> {
    let mut env = Environment::new();
    // Comments are `{## … ##}`: Jinja's own `{#` would swallow bash's `${#array[@]}`.
    let syntax = SyntaxConfig::builder()
        .comment_delimiters("{##", "##}")
        .keep_trailing_newline(true)
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build();
    env.set_syntax(syntax.expect("the built-in syntax configuration is valid"));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    // Nothing here is HTML: never escape, whatever the template's name.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("q", filter_q);
    env.add_filter("shell_join", filter_shell_join);
    env.add_filter("comment", filter_comment);
    env.add_filter("dq", filter_dq);
    env.add_filter("py", filter_py);
    env.add_filter("launch", filter_launch);
    env.add_function("error", function_error);
    let dirs = dirs.clone();
    env.set_loader(move |name| {
        if let Some(path) = dirs.user_file(name) {
            return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot read template {path}: {e}"),
                )
            });
        }
        Ok(builtin::template(name).map(str::to_string))
    });
    env
}

/// The template environment of one run, built once: every artifact and user template is
/// rendered through it.
pub struct Renderer {
    env: Environment<'static>,
    dirs: TemplateDirs,
}

impl Renderer {
    pub fn new(dirs: &TemplateDirs) -> Renderer {
        Renderer {
            env: environment(dirs),
            dirs: dirs.clone(),
        }
    }

    /// Renders `artifact` with `ctx`.
    pub fn render(&self, artifact: Artifact, ctx: &Context) -> Result<String, Error> {
        self.render_named(artifact.template(), ctx, artifact.name())
    }

    /// Renders `template` (a name the loader finds) with `ctx`; `artifact` is what the
    /// template sees as `artifact` and in `regenerate`.
    pub fn render_named(
        &self,
        template: &str,
        ctx: &Context,
        artifact: &str,
    ) -> Result<String, Error> {
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| template_error(&e, &self.dirs))?;
        let value = context_value(ctx, artifact)?;
        tmpl.render(value)
            .map_err(|e| template_error(&e, &self.dirs))
    }

    /// Renders a template file that is not in the environment (`dask-pbs render FILE`).
    pub fn render_file(&self, path: &Utf8Path, ctx: &Context) -> Result<String, Error> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| Error::io(Code::ReadTemplate, "read template", path, e))?;
        let value = context_value(ctx, "render")?;
        self.env
            .render_named_str(path.as_str(), &source, value)
            .map_err(|e| template_error(&e, &self.dirs))
    }
}

fn context_value(ctx: &Context, artifact: &str) -> Result<Value, Error> {
    let mut words = vec![
        "dask-pbs".to_string(),
        "gen".to_string(),
        artifact.to_string(),
    ];
    words.extend(ctx.regenerate_args.iter().cloned());
    let regenerate =
        quote::join(words.iter().map(String::as_str)).map_err(|e| Error::new(Code::Internal, e))?;
    Ok(
        minijinja::context! { artifact => artifact, regenerate => regenerate, ..Value::from(minijinja::value::Serde(ctx)) },
    )
}

/// A template error names the file, the line and what went wrong. A user template's error is
/// the user's to fix (exit 2); a built-in template's is a bug in dask-pbs (exit 1).
fn template_error(err: &minijinja::Error, dirs: &TemplateDirs) -> Error {
    let mut chain: Vec<&minijinja::Error> = vec![err];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        match s.downcast_ref::<minijinja::Error>() {
            Some(e) => chain.push(e),
            None => break,
        }
        source = std::error::Error::source(s);
    }
    // The innermost error with a position is the one in the template at fault.
    let at = chain
        .iter()
        .rev()
        .find(|e| e.name().is_some() && e.line().is_some())
        .copied()
        .unwrap_or(err);
    let name = at.name().unwrap_or("<template>");
    let line = at.line().map(|l| format!(":{l}")).unwrap_or_default();
    let detail = at
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| at.kind().to_string());
    let expression = match (at.template_source(), at.range()) {
        (Some(src), Some(range))
            if range.end <= src.len()
                && src.is_char_boundary(range.start)
                && src.is_char_boundary(range.end) =>
        {
            format!(" in `{}`", &src[range])
        }
        _ => String::new(),
    };
    let origin = dirs.origin(name);
    let location = match &origin {
        Some(TemplateOrigin::File(path)) => format!("{path}{line}"),
        _ => format!("{name}{line}"),
    };
    let message = format!("template {location}: {}{expression}: {detail}", at.kind());
    match origin {
        Some(TemplateOrigin::Builtin) => Error::new(
            Code::Internal,
            format!(
                "internal error in a built-in template (a dask-pbs bug, please report it): {message}"
            ),
        ),
        _ => Error::new(Code::TemplateError, message),
    }
}
