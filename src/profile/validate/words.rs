//! What a word PBS reads, an identifier and a shell-quoted text may hold.

use crate::error::{Code, Error};

/// The longest value PBS (not the shell) reads from a `#PBS` line, in bytes: longer than any
/// host, queue or project name PBS knows.
pub(super) const MAX_WORD: usize = 255;

/// Letters, digits, `_.+-` and the characters of `extra`; 1 to `MAX_WORD` of them.
pub(super) fn is_directive_word(text: &str, extra: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_WORD
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c) || extra.contains(c))
}

/// A C identifier of at most `MAX_WORD` characters (environment variables, PBS resources).
pub(super) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= MAX_WORD
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Free text that ends up shell-quoted may hold anything but NUL, which no shell word can
/// hold. The problem with `text`, if any.
pub(super) fn text_problem(text: &str) -> Option<Error> {
    text.contains('\0').then(|| {
        Error::new(
            Code::NulByte,
            "contains a NUL byte, which no shell word can hold; remove it",
        )
    })
}

/// An empty (or blank) item of a list means nothing: a module named "", an empty shell line,
/// an empty word for Dask. The problem with `text`, if any.
pub(super) fn blank_problem(text: &str) -> Option<Error> {
    text.trim().is_empty().then(|| {
        Error::new(
            Code::BlankItem,
            "holds an empty item, which means nothing; remove it",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_words_hold_only_what_pbs_reads() {
        assert!(is_directive_word("by-gpu", ""));
        assert!(is_directive_word("workq@server", "@"));
        assert!(!is_directive_word("workq@server", ""));
        assert!(!is_directive_word("", ""));
        assert!(!is_directive_word("a b", ""));
        assert!(!is_directive_word(&"a".repeat(MAX_WORD + 1), ""));
    }

    #[test]
    fn identifiers_start_with_a_letter_or_underscore() {
        assert!(is_identifier("OMP_NUM_THREADS"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn only_nul_is_refused_in_free_text() {
        assert!(text_problem("any $(thing) 'at' all\n").is_none());
        assert!(text_problem("a\0b").is_some());
        assert!(blank_problem(" ").is_some() && blank_problem("x").is_none());
    }
}
