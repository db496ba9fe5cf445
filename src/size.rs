//! Memory sizes, read two ways.
//!
//! - Dask's options (`memory_limit`, `device_memory_limit`, `rmm_pool_size`) are read as
//!   `dask.utils.parse_bytes` reads them: `40GB` is 40·10⁹ bytes, `40 GiB` 40·2³⁰, `40gb`,
//!   `1e9` and a bare `5000` bytes; a number up to 1 is a fraction of the memory (as
//!   distributed and dask-cuda take it), and `auto` where Dask allows it.
//! - Hardware facts (`system.gpu_memory`, `system.memory_per_node`) are read as the vendor
//!   means them: an "A100 40GB" has 40 GiB and a "1 TB" node 1 TiB, so every unit is binary.
//!
//! The text the user wrote is what reaches the command line; these values only check it.

use std::fmt;

use crate::error::{Code, Error};

/// A Dask size option, parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Size {
    Bytes(u64),
    /// A fraction of the memory, `0 < f <= 1`.
    Fraction(f64),
    Auto,
}

/// Dask's unit table (`dask.utils.byte_sizes`): decimal kB..PB, binary KiB..PiB, each also
/// as its first letter(s) (`k`, `ki`), case-insensitive.
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("kb", 1_000),
    ("k", 1_000),
    ("mb", 1_000_000),
    ("m", 1_000_000),
    ("gb", 1_000_000_000),
    ("g", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("t", 1_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("p", 1_000_000_000_000_000),
    ("kib", 1 << 10),
    ("ki", 1 << 10),
    ("mib", 1 << 20),
    ("mi", 1 << 20),
    ("gib", 1 << 30),
    ("gi", 1 << 30),
    ("tib", 1 << 40),
    ("ti", 1 << 40),
    ("pib", 1 << 50),
    ("pi", 1 << 50),
];

/// The forms every size message names.
pub(crate) const FORMS: &str = "bytes like 40GB, 40 GiB or 4e10, or a fraction like 0.8";

/// A number and a unit, spaces ignored: `("40", "gb")`. `None` when there is no number.
fn split(text: &str) -> Option<(f64, String)> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let at = compact
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphabetic())
        .last()
        .map_or(compact.len(), |(i, _)| i);
    let (number, unit) = compact.split_at(at);
    // "1e9": the exponent's `e` is part of the number, not a unit.
    let number: f64 = number.parse().ok()?;
    Some((number, unit.to_ascii_lowercase()))
}

fn bytes(number: f64, multiplier: u64) -> Option<u64> {
    let value = number * multiplier as f64;
    (value.is_finite() && value >= 0.0 && value < u64::MAX as f64).then_some(value as u64)
}

impl Size {
    /// Reads a Dask size; `auto` only when `auto` is true.
    pub(crate) fn parse(text: &str, auto: bool) -> Result<Size, String> {
        let refuse = || {
            let also = if auto { ", or auto" } else { "" };
            format!("`{}` is not a size: use {FORMS}{also}", text.escape_debug())
        };
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("auto") {
            return if auto { Ok(Size::Auto) } else { Err(refuse()) };
        }
        let (number, unit) = split(trimmed).ok_or_else(refuse)?;
        if unit.is_empty() && number > 0.0 && number <= 1.0 {
            return Ok(Size::Fraction(number));
        }
        let multiplier = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(refuse)?;
        bytes(number, multiplier)
            .map(Size::Bytes)
            .ok_or_else(refuse)
    }
}

/// Reads a hardware fact: every unit binary (`40GB` = 40 GiB), no fraction, no `auto`.
pub(crate) fn hardware_bytes(text: &str) -> Result<u64, Error> {
    let refuse = || {
        Error::new(
            Code::NotAMemorySize,
            format!(
                "`{}` is not a memory size: use bytes like 40GB or 1TB (read as the vendor means them: 40 GiB, 1 TiB)",
                text.escape_debug()
            ),
        )
    };
    let (number, unit) = split(text.trim()).ok_or_else(refuse)?;
    if unit.is_empty() {
        // No node or GPU has a few hundred bytes: `256` meant 256GB.
        let t = text.trim();
        return Err(Error::new(
            Code::MemorySizeNoUnit,
            format!(
                "`{t}` has no unit, so it would be {t} bytes; write the unit, e.g. `{t}GB` (read as the vendor means it: {t} GiB)"
            ),
        ));
    }
    let power = match unit.trim_end_matches('b').trim_end_matches('i') {
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return Err(refuse()),
    };
    bytes(number, 1u64 << (10 * power))
        .filter(|b| *b > 0)
        .ok_or_else(refuse)
}

/// Bytes as Dask reads them back, rounded down to a whole MiB: `128GiB`, `3276MiB`.
pub(crate) struct Binary(pub u64);

impl fmt::Display for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const GIB: u64 = 1 << 30;
        const MIB: u64 = 1 << 20;
        if self.0 >= GIB && self.0.is_multiple_of(GIB) {
            write!(f, "{}GiB", self.0 / GIB)
        } else {
            write!(f, "{}MiB", self.0 / MIB)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dask_sizes_read_as_parse_bytes_does() {
        assert_eq!(Size::parse("40GB", false), Ok(Size::Bytes(40_000_000_000)));
        assert_eq!(Size::parse("40 GiB", false), Ok(Size::Bytes(40 << 30)));
        assert_eq!(Size::parse("40gb", false), Ok(Size::Bytes(40_000_000_000)));
        assert_eq!(Size::parse("1e9", false), Ok(Size::Bytes(1_000_000_000)));
        assert_eq!(Size::parse("5000", false), Ok(Size::Bytes(5000)));
        assert_eq!(Size::parse("5k", false), Ok(Size::Bytes(5000)));
        assert_eq!(Size::parse("1.5Mi", false), Ok(Size::Bytes(3 << 19)));
        assert_eq!(Size::parse("0", false), Ok(Size::Bytes(0)));
        assert_eq!(Size::parse("0.8", false), Ok(Size::Fraction(0.8)));
        assert_eq!(Size::parse("1", false), Ok(Size::Fraction(1.0)));
        assert_eq!(Size::parse("auto", true), Ok(Size::Auto));
    }

    #[test]
    fn anything_else_is_refused_with_the_forms() {
        for bad in ["lots", "banana", "", "GB", "-5GB", "40 GX", "1e400"] {
            let message = Size::parse(bad, true).unwrap_err();
            assert!(message.contains(FORMS), "{bad}: {message}");
        }
        assert!(
            Size::parse("auto", false)
                .unwrap_err()
                .contains("not a size")
        );
        assert!(Size::parse("x", true).unwrap_err().ends_with("or auto"));
    }

    #[test]
    fn hardware_units_are_binary() {
        assert_eq!(hardware_bytes("40GB").ok(), Some(40 << 30));
        assert_eq!(hardware_bytes("40 GiB").ok(), Some(40 << 30));
        assert_eq!(hardware_bytes("1TB").ok(), Some(1 << 40));
        assert_eq!(hardware_bytes("512G").ok(), Some(512 << 30));
        assert!(hardware_bytes("0.8").is_err());
        assert!(hardware_bytes("lots").is_err());
        assert!(hardware_bytes("auto").is_err());
        assert_eq!(
            hardware_bytes("256").unwrap_err().code,
            Code::MemorySizeNoUnit
        );
        assert_eq!(
            hardware_bytes("lots").unwrap_err().code,
            Code::NotAMemorySize
        );
    }

    #[test]
    fn fractions_are_of_the_total_and_bytes_are_bytes() {}

    #[test]
    fn binary_text_rounds_down_to_mib() {
        assert_eq!(Binary(128 << 30).to_string(), "128GiB");
        assert_eq!(Binary((1 << 30) + (1 << 20) + 5).to_string(), "1025MiB");
    }
}
