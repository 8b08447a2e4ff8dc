//! Counts in words, for every message a person reads: `1 worker`,
//! `2 workers`, never `1 workers`.

/// `n` and the noun in the form `n` takes: `count(1, "key", "keys")` is
/// `1 key`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A size in bytes as people read it: `1.5 GiB`, `512 MiB`.
pub fn size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_takes_the_singular_every_other_count_the_plural() {
        assert_eq!(count(1u64, "worker", "workers"), "1 worker");
        assert_eq!(count(0u64, "worker", "workers"), "0 workers");
        assert_eq!(count(2u32, "recovery", "recoveries"), "2 recoveries");
    }
}
