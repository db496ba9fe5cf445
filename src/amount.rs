//! Exact non-negative amounts for the charging rules: a rate (`1.25` SU), a priority factor
//! (`0.7`), a charge. Read from decimal text, kept as a reduced fraction of integers, so that
//! `12 × max(1, 48/382 × 380/12) × 5 × 3` comes out as NCI's 716.23 and never as a float's
//! 716.2299999; rounded only when printed.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// `num / den`, reduced, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    num: u128,
    den: u128,
}

/// The largest amount a profile may write: far above any rate, factor or budget, small
/// enough that the products a charge takes never leave `u128`.
const MAX_WRITTEN: u128 = 1_000_000_000_000;
/// Decimal places a profile may write.
const MAX_PLACES: usize = 9;

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Amount {
    pub const ZERO: Amount = Amount { num: 0, den: 1 };
    pub const ONE: Amount = Amount { num: 1, den: 1 };

    /// `num / den` reduced; `None` when `den` is 0.
    pub fn ratio(num: u128, den: u128) -> Option<Amount> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Amount {
            num: num / g,
            den: den / g,
        })
    }

    pub fn from_int(n: u64) -> Amount {
        Amount {
            num: u128::from(n),
            den: 1,
        }
    }

    /// Decimal text: `2`, `1.25`, `0.7`. No sign, no exponent, at most 9 places.
    pub fn parse(text: &str) -> Result<Amount, String> {
        let refuse = || {
            format!(
                "`{}` is not an amount: write a plain decimal number like 2, 1.25 or 0.7",
                text.escape_debug()
            )
        };
        let t = text.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > MAX_PLACES {
            return Err(refuse());
        }
        let whole: u128 = whole.parse().map_err(|_| refuse())?;
        if whole > MAX_WRITTEN {
            return Err(format!(
                "`{}` is too large: at most {MAX_WRITTEN}",
                text.escape_debug()
            ));
        }
        let den = 10u128.pow(frac.len() as u32);
        let frac: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| refuse())?
        };
        Amount::ratio(whole * den + frac, den).ok_or_else(refuse)
    }

    /// `self × other`; `None` past `u128` (never for amounts a profile can write).
    pub fn checked_mul(self, other: Amount) -> Option<Amount> {
        // Cross-reduce first so the products stay small.
        let g1 = gcd(self.num, other.den).max(1);
        let g2 = gcd(other.num, self.den).max(1);
        let num = (self.num / g1).checked_mul(other.num / g2)?;
        let den = (self.den / g2).checked_mul(other.den / g1)?;
        Amount::ratio(num, den)
    }

    /// `self ÷ other`; `None` for 0 or past `u128`.
    pub fn checked_div(self, other: Amount) -> Option<Amount> {
        if other.num == 0 {
            return None;
        }
        self.checked_mul(Amount {
            num: other.den,
            den: other.num,
        })
    }

    /// `self + other`; `None` past `u128`.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        let g = gcd(self.den, other.den).max(1);
        let num = (self.num.checked_mul(other.den / g)?)
            .checked_add(other.num.checked_mul(self.den / g)?)?;
        Amount::ratio(num, (self.den / g).checked_mul(other.den)?)
    }

    /// `self × seconds / 3600`: a charge per hour over a duration.
    pub fn over_seconds(self, seconds: u64) -> Option<Amount> {
        self.checked_mul(Amount::ratio(u128::from(seconds), 3600)?)
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// Rounded half up to `places` decimals, as an integer count of `10^-places` units.
    fn rounded(self, places: u32) -> u128 {
        let scale = 10u128.pow(places);
        // Split before scaling, so a large whole part cannot overflow.
        let whole = self.num / self.den;
        let rest = self.num % self.den;
        let frac = (rest.saturating_mul(scale) + self.den / 2) / self.den;
        whole.saturating_mul(scale).saturating_add(frac)
    }

    /// Millionths, rounded: a rate for shell arithmetic, which has only integers.
    pub fn millionths(self) -> u128 {
        self.rounded(6)
    }

    /// Rounded to two decimals, trailing zeros dropped: `716.23`, `47.5`, `96`.
    pub fn text(self) -> String {
        self.text_places(2)
    }

    /// Rounded to `places` decimals, trailing zeros dropped.
    pub fn text_places(self, places: u32) -> String {
        let scaled = self.rounded(places);
        let scale = 10u128.pow(places);
        let (whole, frac) = (scaled / scale, scaled % scale);
        if frac == 0 {
            return whole.to_string();
        }
        let digits = format!("{frac:0width$}", width = places as usize);
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }

    /// The nearest float, for JSON readers; rounded to two decimals first, as printed.
    pub fn to_f64(self) -> f64 {
        self.rounded(2) as f64 / 100.0
    }
}

impl Ord for Amount {
    fn cmp(&self, other: &Self) -> Ordering {
        // Values are bounded by what a charge can reach; compare exactly where the cross
        // products fit, else through the floats (never equal-looking there).
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => (self.num as f64 / self.den as f64)
                .total_cmp(&(other.num as f64 / other.den as f64)),
        }
    }
}

impl PartialOrd for Amount {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Exact: `143.2460732984…` prints in full enough to rebuild it (`27360/191`); `text()` is
/// for people.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl std::str::FromStr for Amount {
    type Err = String;
    /// A decimal (`1.25`) or the exact form `Display` writes (`27360/191`).
    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            Some((num, den)) => {
                let bad = || format!("`{}` is not a fraction", text.escape_debug());
                let num: u128 = num.trim().parse().map_err(|_| bad())?;
                let den: u128 = den.trim().parse().map_err(|_| bad())?;
                Amount::ratio(num, den).ok_or_else(bad)
            }
            None => Amount::parse(text),
        }
    }
}

/// In profiles and JSON an amount is a number (`1.25`); the exact form of a computed one
/// travels as text (see `Exact`).
impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.den == 1 && u64::try_from(self.num).is_ok() {
            s.serialize_u64(self.num as u64)
        } else {
            s.serialize_f64(self.num as f64 / self.den as f64)
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a plain decimal number like 2, 1.25 or 0.7")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Amount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                Amount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                // The shortest text that reads back as `v` is what the user wrote (`0.7`).
                Amount::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(AmountVisitor)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A plain decimal number, no sign or exponent: 2, 1.25, 0.7",
            "type": "number",
            "minimum": 0
        })
    }
}

/// A computed amount kept exact in a record (`"27360/191"`), for `dask-pbs status` to
/// multiply again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact(pub Amount);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Exact).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    #[test]
    fn decimals_read_exactly() {
        assert_eq!(a("0.7"), Amount::ratio(7, 10).unwrap());
        assert_eq!(a("1.25"), Amount::ratio(5, 4).unwrap());
        assert_eq!(a("2"), Amount::from_int(2));
        assert_eq!(a("2.000"), Amount::from_int(2));
        for bad in ["", "-1", "1e3", "1.2.3", ".5", "x", "1.0000000001", "NaN"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Amount::parse("10000000000000")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn text_rounds_half_up_to_two_places_and_drops_zeros() {
        assert_eq!(a("716.2303").text(), "716.23");
        assert_eq!(a("0.005").text(), "0.01");
        assert_eq!(a("0.0049").text(), "0");
        assert_eq!(a("47.5").text(), "47.5");
        assert_eq!(a("96").text(), "96");
        assert_eq!(Amount::ratio(1, 3).unwrap().text_places(3), "0.333");
        assert_eq!(a("1.5").millionths(), 1_500_000);
    }

    #[test]
    fn arithmetic_is_exact_and_orders() {
        let third = Amount::ratio(1, 3).unwrap();
        assert_eq!(third.checked_mul(Amount::from_int(3)), Some(Amount::ONE));
        assert_eq!(Amount::ONE.checked_div(third), Some(Amount::from_int(3)));
        assert_eq!(Amount::ONE.checked_div(Amount::ZERO), None);
        assert_eq!(Amount::from_int(2).over_seconds(1800), Some(Amount::ONE));
        assert_eq!(
            third.checked_add(Amount::ratio(1, 6).unwrap()),
            Amount::ratio(1, 2)
        );
        assert!(a("0.7") < Amount::ONE && a("1.5") > Amount::ONE);
        assert_eq!(
            "27360/191".parse::<Amount>(),
            Ok(Amount::ratio(27360, 191).unwrap())
        );
        assert_eq!(Amount::ratio(27360, 191).unwrap().to_string(), "27360/191");
    }

    #[test]
    fn yaml_numbers_and_text_both_read() {
        let read = |y: &str| serde_saphyr::from_str::<Amount>(y);
        assert_eq!(read("0.7").unwrap(), a("0.7"));
        assert_eq!(read("3").unwrap(), Amount::from_int(3));
        assert_eq!(read("'1.25'").unwrap(), a("1.25"));
        assert!(read("-2").is_err());
        assert!(read("lots").is_err());
    }
}
