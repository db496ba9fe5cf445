//! PBS durations: `walltime`, `shutdown_margin` and queue limits.
//!
//! PBS accepts `[[hours:]minutes:]seconds[.ms]` or a plain number of seconds (qsub.1B).
//! dask-pbs keeps whole seconds and always prints `HH:MM:SS`, the form every site's docs use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Walltime {
    seconds: u64,
}

/// Longest duration accepted: 100 years, far beyond any queue, small enough that
/// arithmetic on it can never overflow.
const MAX_SECONDS: u64 = 100 * 365 * 24 * 3600;

impl Walltime {
    pub fn from_seconds(seconds: u64) -> Self {
        Walltime {
            seconds: seconds.min(MAX_SECONDS),
        }
    }

    pub fn seconds(self) -> u64 {
        self.seconds
    }

    /// `self - other`, or `None` when `other` is not shorter.
    pub fn checked_sub(self, other: Walltime) -> Option<Walltime> {
        self.seconds
            .checked_sub(other.seconds)
            .filter(|s| *s > 0)
            .map(Walltime::from_seconds)
    }
}

impl fmt::Display for Walltime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        write!(f, "{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

/// Why a text is not a PBS duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalltimeError {
    /// Not `[[hours:]minutes:]seconds[.fraction]`.
    NotADuration(String),
    /// `01:60:00`: a field after the first is 60 or more.
    FieldOver59(String),
    /// Longer than `MAX_SECONDS`.
    TooLong(String),
}

impl fmt::Display for WalltimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not_a_duration = |f: &mut fmt::Formatter<'_>, text: &str| {
            write!(
                f,
                "`{}` is not a PBS duration; write HH:MM:SS (e.g. 01:30:00), MM:SS or seconds",
                text.escape_debug()
            )
        };
        match self {
            WalltimeError::NotADuration(text) => not_a_duration(f, text),
            WalltimeError::FieldOver59(text) => {
                not_a_duration(f, text)?;
                f.write_str(": minutes and seconds must be below 60")
            }
            WalltimeError::TooLong(text) => {
                write!(f, "`{text}` is longer than any PBS queue allows")
            }
        }
    }
}

impl std::error::Error for WalltimeError {}

impl FromStr for Walltime {
    type Err = WalltimeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let original = text;
        let bad = || WalltimeError::NotADuration(original.to_string());
        let text = text.trim();
        if text.is_empty() {
            return Err(bad());
        }
        // PBS allows fractional seconds; they cannot matter for a job's length.
        let whole = match text.split_once('.') {
            Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => {
                whole
            }
            Some(_) => return Err(bad()),
            None => text,
        };
        let parts: Vec<&str> = whole.split(':').collect();
        if parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || p.len() > 12 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let numbers: Vec<u64> = parts
            .iter()
            .map(|p| p.parse::<u64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        // With more than one field, minutes and seconds must be below 60, as PBS prints them.
        if numbers.len() > 1 && numbers[1..].iter().any(|n| *n >= 60) {
            return Err(WalltimeError::FieldOver59(original.to_string()));
        }
        let seconds = numbers
            .iter()
            .fold(0u64, |acc, n| acc.saturating_mul(60).saturating_add(*n));
        if seconds > MAX_SECONDS {
            return Err(WalltimeError::TooLong(text.to_string()));
        }
        Ok(Walltime { seconds })
    }
}

impl Serialize for Walltime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Walltime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML reads `3600` as a number and `01:00:00` as a string; accept both.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Walltime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a PBS duration such as \"01:30:00\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Walltime, E> {
                if v > MAX_SECONDS {
                    return Err(E::custom(format!(
                        "{v} seconds is longer than any PBS queue allows"
                    )));
                }
                Ok(Walltime::from_seconds(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Walltime, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a duration cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Walltime, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for Walltime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Walltime".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A PBS duration: HH:MM:SS, MM:SS or seconds",
            "type": ["string", "integer"],
            "pattern": "^[0-9]+(:[0-9]+){0,2}(\\.[0-9]+)?$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Walltime {
        s.parse().unwrap()
    }

    #[test]
    fn parses_every_pbs_form() {
        assert_eq!(w("01:00:00").seconds(), 3600);
        assert_eq!(w("1:30").seconds(), 90);
        assert_eq!(w("45").seconds(), 45);
        assert_eq!(w("00:05:00.5").seconds(), 300);
        assert_eq!(w("100:00:00").seconds(), 360_000);
    }

    #[test]
    fn prints_hh_mm_ss() {
        assert_eq!(w("90").to_string(), "00:01:30");
        assert_eq!(w("25:00:00").to_string(), "25:00:00");
        assert_eq!(w("100:00:00").to_string(), "100:00:00");
    }

    #[test]
    fn rejects_what_pbs_rejects() {
        for bad in [
            "",
            "abc",
            "1:2:3:4",
            "-5",
            "01:60:00",
            "1h",
            "::",
            "1.",
            "99999999999999999999",
        ] {
            assert!(
                bad.parse::<Walltime>().is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn compares_and_subtracts() {
        assert!(w("00:05:00") < w("01:00:00"));
        assert_eq!(
            w("01:00:00").checked_sub(w("00:05:00")),
            Some(w("00:55:00"))
        );
        assert_eq!(w("00:05:00").checked_sub(w("00:05:00")), None);
    }
}
