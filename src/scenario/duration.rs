//! Durations as people write them in scenario files: `"250ms"`, `"1.5s"`,
//! `"2m"`, `"800us"`. A bare number is refused: the unit is always said.

use serde::{de, Deserializer, Serializer};
use std::time::Duration;

/// Parses `"<number><unit>"` with unit one of `ns us ms s m h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` has no unit (write e.g. \"100ms\", \"1.5s\")"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("`{text}` does not start with a number"))?;
    let nanos_per_unit = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        other => return Err(format!("unknown unit `{other}` in `{text}` (use ns, us, ms, s, m, h)")),
    };
    let nanos = value * nanos_per_unit;
    if !nanos.is_finite() || nanos > u64::MAX as f64 {
        return Err(format!("`{text}` is too long"));
    }
    Ok(Duration::from_nanos(nanos.round() as u64))
}

/// Formats a duration the way scenario files write them (shortest exact unit).
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    for (unit, per) in
        [("h", 3_600_000_000_000u128), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
    {
        if nanos >= per && nanos.is_multiple_of(per) {
            return format!("{}{unit}", nanos / per);
        }
    }
    if nanos >= 1_000_000 {
        return format!("{}ms", nanos as f64 / 1e6);
    }
    format!("{nanos}ns")
}

struct DurationVisitor;

impl de::Visitor<'_> for DurationVisitor {
    type Value = Duration;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a duration string such as \"100ms\" or \"1.5s\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }
}

/// `#[serde(with = "dur")]` for `Duration` fields.
pub mod dur {
    use super::*;
    /// Writes a duration the way files do (`1.5s`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }
    /// Reads `"1.5s"`, `"300ms"`, ….
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_str(DurationVisitor)
    }
}

/// `#[serde(with = "dur_opt")]` for `Option<Duration>` fields.
pub mod dur_opt {
    use super::*;
    /// Writes a duration the way files do, or nothing.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }
    /// Reads a written duration.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        d.deserialize_str(DurationVisitor).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("800us"), Ok(Duration::from_micros(800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn refuses_missing_or_unknown_units() {
        assert!(parse_duration("100").unwrap_err().contains("no unit"));
        assert!(parse_duration("3 weeks").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for text in ["100ms", "2s", "1m", "1500us", "7ns"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
