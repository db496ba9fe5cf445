//! POSIX shell quoting for every string that reaches a shell line.
//!
//! Words made only of characters no shell treats specially (in an argument position) stay
//! bare, so `rapids=25.06` reads as the guide writes it; everything else is single-quoted,
//! with `'` written as `'\''`. (shlex quotes `=` too, which would change the guide's
//! `conda create` line, hence this small function.)

/// A word that no shell can hold: it contains NUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NulInWord;

impl std::fmt::Display for NulInWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a NUL byte cannot appear in a shell word")
    }
}

impl std::error::Error for NulInWord {}

fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c)
}

/// Quotes `text` for a POSIX shell; leaves it bare when it needs no quotes.
///
/// NUL cannot be represented in a shell word at all; validation refuses it earlier, and
/// this returns an error rather than dropping it silently.
pub fn quote(text: &str) -> Result<String, NulInWord> {
    if text.contains('\0') {
        return Err(NulInWord);
    }
    if !text.is_empty() && text.chars().all(is_safe) {
        return Ok(text.to_string());
    }
    if text.chars().any(char::is_control) {
        // Bash's $'…' keeps a newline (or any control character) out of the script's own
        // lines, so no value can start a line of its own (a `#PBS` line, say).
        let mut out = String::from("$'");
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        return Ok(out);
    }
    Ok(format!("'{}'", text.replace('\'', "'\\''")))
}

/// Quotes each word and joins them with spaces: one shell command line.
pub fn join<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<String, NulInWord> {
    let quoted: Result<Vec<String>, NulInWord> = words.into_iter().map(quote).collect();
    Ok(quoted?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_safe_words_alone_and_quotes_the_rest() {
        assert_eq!(quote("40GB").unwrap(), "40GB");
        assert_eq!(quote("rapids=25.06").unwrap(), "rapids=25.06");
        assert_eq!(
            quote("cuda-version>=12.0,<=12.8").unwrap(),
            "'cuda-version>=12.0,<=12.8'"
        );
        assert_eq!(quote("").unwrap(), "''");
        assert_eq!(quote("it's").unwrap(), "'it'\\''s'");
        assert_eq!(quote("~/x").unwrap(), "'~/x'");
        assert!(quote("a\0b").is_err());
        assert_eq!(quote("a\n#PBS -q x").unwrap(), "$'a\\n#PBS -q x'");
        assert_eq!(quote("it's\t\\").unwrap(), "$'it\\'s\\t\\\\'");
    }
}
