//! "Did you mean `interval`?": the known name closest to a misspelt one.
//!
//! - `closest`      — the nearest candidate, if it is near enough to be meant
//! - `hint`         — the same as a message suffix, ` — did you mean `x`?`
//! - `improve_serde` — rewrites serde's "unknown field/variant `x`, expected
//!   one of …" into a suggestion when one candidate is close, and its
//!   "invalid type: string "2", expected usize" into words

use strsim::{damerau_levenshtein, jaro_winkler};

/// Jaro-Winkler similarity from which a candidate counts as meant even when
/// its edit distance is large (`aligned` → `aligning`: 3 edits, 0.87).
const MIN_JARO_WINKLER: f64 = 0.85;

/// Shorter words share prefixes by chance; Jaro-Winkler alone does not vouch
/// for them.
const MIN_LEN_FOR_JARO_WINKLER: usize = 4;

/// The candidate `word` most likely misspells, or `None` when none is close.
///
/// Case and `-`/`_` are ignored (`fixed-delay` → `fixed_delay`). A candidate
/// is close when it is within one edit per three characters of `word`
/// (Damerau-Levenshtein, at least one edit), or, for words of four or more
/// characters, when its Jaro-Winkler similarity is at least 0.85. The
/// nearest by edits wins, then the most similar, then the first listed.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = normalise(word);
    let len = word.chars().count();
    let max_edits = (len / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| {
            let other = normalise(candidate);
            (candidate, damerau_levenshtein(&word, &other), jaro_winkler(&word, &other))
        })
        .filter(|&(_, edits, similarity)| {
            edits <= max_edits || (len >= MIN_LEN_FOR_JARO_WINKLER && similarity >= MIN_JARO_WINKLER)
        })
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|(candidate, _, _)| candidate)
}

/// ` — did you mean `x`?` for the closest candidate, or `""` when none is close.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|best| format!(" — did you mean `{best}`?")).unwrap_or_default()
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown
/// variant …") as "unknown field `x` — did you mean `a`?" when a candidate is
/// close; any other message unchanged.
pub fn improve_serde(message: &str) -> String {
    if let Some(plain) = plain_type_error(message) {
        return plain;
    }
    let Some((head, expected)) = message.split_once(", expected ") else {
        return message.to_string();
    };
    let Some(word) = unknown_name(head) else {
        return message.to_string();
    };
    match closest(word, backticked(expected)) {
        Some(best) => format!("{head} — did you mean `{best}`?"),
        None => message.to_string(),
    }
}

/// The `x` of "unknown field `x`" or "unknown variant `x`".
fn unknown_name(head: &str) -> Option<&str> {
    let quoted = head.strip_prefix("unknown field `").or_else(|| head.strip_prefix("unknown variant `"))?;
    quoted.strip_suffix('`')
}

/// Every `name` written between backticks in `text`, in order.
pub(crate) fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// Lower case, `-` as `_`.
fn normalise(word: &str) -> String {
    word.to_lowercase().replace('-', "_")
}

/// serde's "invalid type: string \"2\", expected usize" (Rust's type
/// names) as "is the text "2", but it takes a whole number: write 2
/// without quotes"; `None` for any other message.
fn plain_type_error(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: ")?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let wanted = match expected {
        "usize" | "u8" | "u16" | "u32" | "u64" => "a whole number",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number (it may be negative)",
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" => "text in quotes",
        "a sequence" => "a list in brackets, e.g. [\"a\", \"b\"]",
        _ => return None,
    };
    let found = match found.strip_prefix("string ") {
        Some(text) => {
            let bare = text.trim_matches('"');
            let number = wanted.starts_with("a whole number") || wanted == "a number";
            let fits =
                (number && bare.parse::<f64>().is_ok()) || (wanted == "true or false" && bare.parse::<bool>().is_ok());
            let tip = if fits { format!(": write {bare} without quotes") } else { String::new() };
            return Some(format!("is the text {text}, but it takes {wanted}{tip}"));
        }
        None => found.replace("integer `", "the number `").replace("floating point `", "the number `"),
    };
    Some(format!("is {found}, but it takes {wanted}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 8] = [
        "protocol",
        "aligned_timeout",
        "interval",
        "timeout",
        "max_concurrent",
        "min_pause",
        "tolerable_failures",
        "retained",
    ];
    const PHASES: [&str; 12] = [
        "triggered",
        "barrier-received",
        "aligning",
        "snapshot-taken",
        "snapshot-durable",
        "acked",
        "metadata-writing",
        "completed",
        "notified",
        "pre-committed",
        "committed",
        "restoring",
    ];
    const ACTIONS: [&str; 9] =
        ["crash", "pause", "partition", "isolate", "link", "network", "disk", "bit_rot", "rescale"];

    #[test]
    fn misspelt_fields_find_the_field_meant() {
        assert_eq!(closest("intervl", FIELDS), Some("interval"));
        assert_eq!(closest("timout", FIELDS), Some("timeout"));
        assert_eq!(closest("max_concurent", FIELDS), Some("max_concurrent"));
        assert_eq!(closest("Retained", FIELDS), Some("retained"));
    }

    #[test]
    fn misspelt_values_find_the_value_meant() {
        assert_eq!(closest("crsh", ACTIONS), Some("crash"));
        assert_eq!(closest("aligned", PHASES), Some("aligning"));
        assert_eq!(closest("precommitted", PHASES), Some("pre-committed"));
        assert_eq!(
            closest("unalinged", ["aligned", "at_least_once", "unaligned", "aligned_timeout"]),
            Some("unaligned")
        );
        assert_eq!(closest("keyed_cout", ["source", "map", "keyed_count", "keyed_sum"]), Some("keyed_count"));
        assert_eq!(closest("fixed-delay", ["fixed_delay", "failure_rate", "none"]), Some("fixed_delay"));
    }

    #[test]
    fn wild_typos_get_no_suggestion() {
        assert_eq!(closest("banana", FIELDS), None);
        assert_eq!(closest("xyz", ACTIONS), None);
        assert_eq!(closest("explode", ACTIONS), None);
        assert_eq!(closest("speed", FIELDS), None);
        assert_eq!(closest("crash", std::iter::empty()), None);
    }

    #[test]
    fn hints_are_a_suffix_or_nothing() {
        assert_eq!(hint("evnts", ["events", "count", "out"]), " — did you mean `events`?");
        assert_eq!(hint("zzz", ["events", "count", "out"]), "");
    }

    /// `improve_serde(message) == want` for each pair.
    fn improves(cases: &[(&str, &str)]) {
        for (message, want) in cases {
            assert_eq!(improve_serde(message), *want, "{message}");
        }
    }

    #[test]
    fn serde_messages_gain_a_suggestion_and_lose_the_list() {
        improves(&[
            (
                "unknown field `intervl`, expected one of `protocol`, `interval`, `timeout`",
                "unknown field `intervl` — did you mean `interval`?",
            ),
            (
                "unknown variant `crsh`, expected one of `crash`, `pause`",
                "unknown variant `crsh` — did you mean `crash`?",
            ),
            (
                "unknown variant `fixed-delay`, expected `fixed_delay` or `none`",
                "unknown variant `fixed-delay` — did you mean `fixed_delay`?",
            ),
        ]);
    }

    #[test]
    fn type_errors_name_what_the_field_takes_in_words() {
        improves(&[
            (
                "invalid type: string \"2\", expected usize",
                "is the text \"2\", but it takes a whole number: write 2 without quotes",
            ),
            ("invalid type: integer `3`, expected a string", "is the number `3`, but it takes text in quotes"),
            ("invalid type: string \"yes\", expected a boolean", "is the text \"yes\", but it takes true or false"),
            (
                "invalid type: string \"true\", expected a boolean",
                "is the text \"true\", but it takes true or false: write true without quotes",
            ),
        ]);
    }

    #[test]
    fn serde_messages_without_a_close_candidate_stay_as_they_are() {
        for message in [
            "unknown field `banana`, expected one of `protocol`, `interval`",
            "missing field `kind`",
            "unknown field `x`, there are no fields",
        ] {
            assert_eq!(improve_serde(message), message);
        }
    }
}
