//! Every value a built-in template renders goes through the quoting filter that is right for
//! where it stands (issue 25.1): in a shell word `q`, `shell_join` or `launch`; inside a
//! double-quoted string `dq` (or `q` inside a `$(…)` there); in a `#` comment `comment`; in a
//! Python template `py` (or `comment` in a `#` comment). Only values whose type leaves no room
//! for a quote, a `$` or a newline (numbers, enums, fixed words) go bare, each listed in TYPED
//! with why. A new `{{ … }}` that is neither fails here, naming the template and the line.

use dask_pbs::builtin;

/// Expressions that render typed values, exactly as the templates write them.
const TYPED: &[(&str, &str)] = &[
    ("plan.nodes", "a number"),
    ("plan.ranks_per_node", "a number"),
    ("plan.workers_per_rank", "a number"),
    ("plan.workers_per_node", "a number"),
    ("plan.expected_workers", "a number"),
    ("plan.gpus_per_node", "a number"),
    ("plan.hold_seconds", "a number"),
    ("plan.walltime_seconds", "a number"),
    (
        "charge.per_hour",
        "a number: an exact amount printed with two decimals at most",
    ),
    ("charge.per_hour_millionths", "a number"),
    ("profile.dask.startup_timeout", "a number"),
    ("security.valid_seconds", "a number"),
    ("join_timeout", "a number the template sets"),
    ("loop.index", "a number"),
    ("profile.job.walltime", "a Walltime: HH:MM:SS, validated"),
    (
        "profile.dask.shutdown_margin",
        "a Walltime: HH:MM:SS, validated",
    ),
    ("profile.system.mpi", "an enum (MpiFlavour)"),
    ("flavour", "an enum (MpiFlavour)"),
    ("security.certificates", "an enum (Certificates)"),
    (
        "profile.rapids.version",
        "checked against the RAPIDS support table",
    ),
    (
        "profile.rapids.python",
        "checked against the RAPIDS support table",
    ),
    (
        "profile.system.shell",
        "validated: a path and flags of [A-Za-z0-9/._+-]",
    ),
    (
        "directive",
        "a #PBS line's text, validated: no newline, no comment",
    ),
    (
        "worker.program | join(\" \")",
        "fixed words: dask [cuda] worker",
    ),
    ("worker.default_gpus | join(\",\")", "numbers"),
    ("flag", "fixed --tls-* option names"),
    ("name", "fixed variable names (security.rs, context.rs)"),
    ("var.name", "fixed variable names (security.rs)"),
    ("key", "env.vars keys, validated as variable names"),
    ("mpi.local_rank_var", "a fixed variable name (mpi.rs)"),
    ("tool.name", "the crate's name"),
    ("tool.version", "the crate's version"),
    ("env_key", "env.conda or env.venv, set by the template"),
    (
        "env_word",
        "shell-quoted (`| q`) by the template's `set`, or \"$env_path\"",
    ),
    (
        "activate_word",
        "shell-quoted (`| q`) by the template's `set`, or a fixed word",
    ),
    ("pad", "spaces: a macro argument"),
    ("reports", "fixed redirections the template sets"),
    ("fail", "a function name: a macro argument"),
    ("\"|\" if not loop.first", "a fixed character"),
    (
        "\"conda\" if profile.env.conda else \"the venv\" if profile.env.venv else \"the environment\"",
        "fixed words",
    ),
];

/// Where in a script an expression stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Word,
    DoubleQuoted,
    SingleQuoted,
    Comment,
    Heredoc,
    Python,
    PythonComment,
}

#[test]
fn every_rendered_value_is_quoted_for_where_it_stands() {
    let mut wrong = Vec::new();
    for (name, text) in builtin::TEMPLATES {
        for (line, expression, place) in expressions(text, name.ends_with(".py.j2")) {
            if !allowed(&expression, place) {
                wrong.push(format!(
                    "{name}:{line}: `{{{{ {expression} }}}}` in {place:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "values rendered without the filter their place needs (q, shell_join, launch for a \
         shell word; dq in double quotes; comment in a comment; py in Python) or a TYPED entry:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scanner_sees_each_place() {
    let text = "a {{ x | q }} \"b {{ y }} $(c {{ z | q }})\" 'd {{ w }}' # e {{ v }}\n\
                cat <<'EOF'\n{{ u }}\nEOF\n";
    let found: Vec<(String, Place)> = expressions(text, false)
        .into_iter()
        .map(|(_, e, p)| (e, p))
        .collect();
    let want = [
        ("x | q", Place::Word),
        ("y", Place::DoubleQuoted),
        ("z | q", Place::Word),
        ("w", Place::SingleQuoted),
        ("v", Place::Comment),
        ("u", Place::Heredoc),
    ];
    let want: Vec<(String, Place)> = want.iter().map(|(e, p)| (e.to_string(), *p)).collect();
    assert_eq!(found, want);
    assert!(!allowed("y", Place::DoubleQuoted));
    assert!(allowed("y | dq", Place::DoubleQuoted));
    assert!(!allowed("y | q", Place::DoubleQuoted));
    assert!(!allowed("profile.name | comment", Place::Word));
}

fn allowed(expression: &str, place: Place) -> bool {
    if TYPED.iter().any(|(typed, _)| *typed == expression) {
        return true;
    }
    // A macro call renders template text, which is checked where the macro is written.
    if expression.starts_with("header(") || expression.starts_with("load_modules(") {
        return true;
    }
    let last = last_filter(expression);
    let ok: &[&str] = match place {
        Place::Word => &["q", "shell_join", "launch"],
        Place::DoubleQuoted => &["dq"],
        Place::Comment => &["comment", "dq", "q"],
        Place::Python => &["py"],
        Place::PythonComment => &["comment", "py"],
        Place::SingleQuoted | Place::Heredoc => &[],
    };
    last.is_some_and(|f| ok.contains(&f))
}

/// The name of the last filter of an expression (`a | join(", ") | dq` → `dq`).
fn last_filter(expression: &str) -> Option<&str> {
    let mut depth = 0;
    let mut quote = None;
    let mut last = None;
    for (i, c) in expression.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, '|') if depth == 0 => last = Some(i),
            _ => {} // inside a quoted string, or any other character
        }
    }
    let rest = expression[last? + 1..].trim();
    Some(rest.split('(').next().unwrap_or(rest).trim())
}

/// Every `{{ … }}` of a template with its line and place. `{% … %}` tags and `{## … ##}`
/// comments print nothing and are passed over; the shell's quoting is followed across lines.
fn expressions(text: &str, python: bool) -> Vec<(usize, String, Place)> {
    let mut scanner = Scanner {
        line_start: true,
        ..Scanner::default()
    };
    let mut found = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            let end = after
                .find("}}")
                .expect("an unclosed {{ in a built-in template");
            let expression = after[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
            let place = if python {
                scanner.python_place()
            } else {
                scanner.place()
            };
            found.push((line, expression.to_string(), place));
            rest = &after[end + 2..];
            continue;
        }
        if let Some(tag) = ["{%", "{##"].iter().find(|t| rest.starts_with(**t)) {
            let close = if *tag == "{%" { "%}" } else { "##}" };
            let end = rest.find(close).expect("an unclosed tag") + close.len();
            line += rest[..end].matches('\n').count();
            rest = &rest[end..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        if c == '\n' {
            line += 1;
        }
        scanner.feed(c, &rest[c.len_utf8()..]);
        rest = &rest[c.len_utf8()..];
    }
    found
}

/// The shell's quoting, as far as the templates use it.
#[derive(Default)]
struct Scanner {
    /// Open quotes and `$(`: '\'', '"', '(' (with its depth of plain parentheses).
    stack: Vec<(char, u32)>,
    comment: bool,
    escaped: bool,
    /// The delimiter of a here-document whose body starts at the next line, or is being read.
    heredoc: Option<(String, bool)>,
    line_start: bool,
    previous: char,
    current_line: String,
}

impl Scanner {
    fn place(&self) -> Place {
        if matches!(self.heredoc, Some((_, true))) {
            Place::Heredoc
        } else if self.comment {
            Place::Comment
        } else {
            match self.stack.last() {
                Some(('\'', _)) => Place::SingleQuoted,
                Some(('"', _)) => Place::DoubleQuoted,
                _ => Place::Word,
            }
        }
    }

    fn python_place(&self) -> Place {
        if self.current_line.trim_start().starts_with('#') {
            Place::PythonComment
        } else {
            Place::Python
        }
    }

    fn feed(&mut self, c: char, rest: &str) {
        if c == '\n' {
            self.end_line();
            return;
        }
        self.current_line.push(c);
        if matches!(self.heredoc, Some((_, true))) || self.comment {
            return;
        }
        if self.escaped {
            self.escaped = false;
            self.previous = c;
            return;
        }
        let top = self.stack.last().map(|(q, _)| *q);
        match (top, c) {
            (Some('\''), '\'') | (Some('"'), '"') => {
                self.stack.pop();
            }
            (Some('\''), _) => {}
            (_, '\\') => self.escaped = true,
            (_, '$') if rest.starts_with('(') => {}
            (_, '(') if self.previous == '$' => self.stack.push(('(', 0)),
            (Some('('), '(') => {
                if let Some(top) = self.stack.last_mut() {
                    top.1 += 1;
                }
            }
            (Some('('), ')') => match self.stack.last_mut() {
                Some((_, depth)) if *depth > 0 => *depth -= 1,
                _ => {
                    self.stack.pop();
                }
            },
            (Some('"'), _) => {}
            (_, '"') => self.stack.push(('"', 0)),
            (_, '\'') => self.stack.push(('\'', 0)),
            (_, '#') if self.previous.is_whitespace() || self.line_start => self.comment = true,
            (_, '<') if rest.starts_with("<'") || rest.starts_with("<-") => {
                let word: String = rest[1..]
                    .trim_start_matches(['-', '\''])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                self.heredoc = Some((word, false));
            }
            _ => {}
        }
        self.line_start = false;
        self.previous = c;
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.current_line);
        self.comment = false;
        self.line_start = true;
        self.previous = '\n';
        self.heredoc = match self.heredoc.take() {
            Some((word, false)) => Some((word, true)),
            Some((word, true)) if line.trim() == word => None,
            other => other,
        };
    }
}
