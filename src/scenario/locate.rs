//! Maps a dotted field path (`job.operators[1].input`) or a TOML error to the
//! span of the file it is about, and so to a `Location` (line, column, text).

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::location::Location;
use super::suggest::{backticked, improve_serde};
use super::ScenarioError;

/// The field used when a TOML error cannot be tied to a key.
const UNKNOWN_FIELD: &str = "(toml)";

/// One step of a dotted field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step<'a> {
    /// A key of a table: `checkpoint`, `interval`.
    Key(&'a str),
    /// An element of an array (0-based): the `1` of `operators[1]`.
    Index(usize),
}

/// The 1-based line where `field` is written, if it is written at all (see
/// `span_of`).
#[cfg(test)]
fn line_of(text: &str, field: &str) -> Option<usize> {
    span_of(text, field, "").map(|span| Location::of_span(text, span).line)
}

/// The span of `text` an error about `field` should point at.
///
/// `field` is a dotted path such as `checkpoint.interval`, `faults[0].node` or
/// `job.operators[2]`. When it is written, the span is its value: within an
/// array, the element `message` names first in backticks (`` `cuont` is not
/// an operator id ``); else the whole value if it fits on one line; else its
/// key. A key that is absent falls back to the key (or element) of the
/// nearest enclosing table or element that is written; `None` when not even
/// the first step is.
pub fn span_of(text: &str, field: &str, message: &str) -> Option<Range<usize>> {
    let steps = parse_path(field)?;
    let root = document(text);
    let mut node = &root;
    let mut mark = None;
    for (depth, step) in steps.iter().enumerate() {
        let Some((key, value)) = child(node.get_ref(), *step) else {
            return mark;
        };
        if depth + 1 == steps.len() {
            return Some(value_span(text, value, message).unwrap_or(key));
        }
        (mark, node) = (Some(key), value);
    }
    mark
}

/// The span to blame within a written value: the array element `message`
/// names, else the value if it is on one line.
fn value_span(text: &str, value: &Spanned<DeValue<'_>>, message: &str) -> Option<Range<usize>> {
    if let Some(named) = backticked(message).next() {
        if let Some(span) = element_named(value, named) {
            return Some(span);
        }
    }
    let span = value.span();
    let one_line = text.get(span.clone()).is_some_and(|written| !written.contains('\n'));
    one_line.then_some(span)
}

/// The last string in `value` (an array, nested or not) equal to `name`.
fn element_named(value: &Spanned<DeValue<'_>>, name: &str) -> Option<Range<usize>> {
    let DeValue::Array(array) = value.get_ref() else {
        return None;
    };
    array.iter().rev().find_map(|element| match element.get_ref() {
        DeValue::String(s) if s == name => Some(element.span()),
        DeValue::Array(_) => element_named(element, name),
        _ => None,
    })
}

/// Turns a TOML/serde error into a `ScenarioError` with location and field.
///
/// The field is the dotted path of the key the error's span points at (an
/// unknown key, a badly typed value); for a missing field it is the enclosing
/// table's path plus the missing name. `(toml)` when no key can be found.
/// An unknown field or variant close to a known one gets "did you mean".
pub fn from_toml_error(err: &toml::de::Error, text: &str, file: &str) -> ScenarioError {
    let message = one_line(err.message());
    let span = err.span();
    let path = span.clone().and_then(|span| path_at(text, &span));
    let missing = missing_field(&message);
    let field = match (path.as_deref(), missing) {
        (Some(table), Some(name)) => join(table, name),
        (Some(path), None) if !path.is_empty() => path.to_string(),
        _ => UNKNOWN_FIELD.to_string(),
    };
    // A field missing from the document root is not written on any line.
    let at_root = path.as_deref() == Some("") && missing.is_some();
    let location = span.filter(|_| !at_root).map(|span| Location::of_span(text, span));
    ScenarioError { file: file.to_string(), location, field, message: improve_serde(&message) }
}

/// The document as one spanned table value; best effort when it is malformed.
fn document(text: &str) -> Spanned<DeValue<'_>> {
    let (table, _errors) = DeTable::parse_recoverable(text);
    let span = table.span();
    Spanned::new(span, DeValue::Table(table.into_inner()))
}

/// Splits `job.operators[1].input` into keys and indices; `None` if malformed.
fn parse_path(field: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for part in field.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() {
            return None;
        }
        steps.push(Step::Key(key));
        while let Some(after) = rest.strip_prefix('[') {
            let (index, tail) = after.split_once(']')?;
            steps.push(Step::Index(index.parse().ok()?));
            rest = tail;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(steps)
}

/// The child `step` names, with the span that marks where it is written: the
/// key for a table entry, the element itself for an array element.
fn child<'v, 'i>(node: &'v DeValue<'i>, step: Step<'_>) -> Option<(Range<usize>, &'v Spanned<DeValue<'i>>)> {
    match (node, step) {
        (DeValue::Table(table), Step::Key(name)) => {
            table.iter().find(|(key, _)| key.get_ref() == name).map(|(key, value)| (key.span(), value))
        }
        (DeValue::Array(array), Step::Index(index)) => array.get(index).map(|element| (element.span(), element)),
        _ => None,
    }
}

/// A key or value of the document, with the dotted path that reaches it.
struct Place {
    path: String,
    key: Option<Range<usize>>,
    value: Range<usize>,
}

/// Every key and value under `node`, depth first, `path` being `node`'s path.
fn places(node: &Spanned<DeValue<'_>>, path: &str, out: &mut Vec<Place>) {
    match node.get_ref() {
        DeValue::Table(table) => {
            for (key, value) in table.iter() {
                let path = join(path, key.get_ref());
                out.push(Place { path: path.clone(), key: Some(key.span()), value: value.span() });
                places(value, &path, out);
            }
        }
        DeValue::Array(array) => {
            for (index, element) in array.iter().enumerate() {
                let path = format!("{path}[{index}]");
                out.push(Place { path: path.clone(), key: None, value: element.span() });
                places(element, &path, out);
            }
        }
        _ => {}
    }
}

/// The path of the key or value at `span`: a key written exactly there, else
/// the deepest value spanning exactly that, else an earlier key with the same
/// text (a duplicate key is not in the tree), else the tightest value around.
/// `Some("")` is the document root.
fn path_at(text: &str, span: &Range<usize>) -> Option<String> {
    let root = document(text);
    let mut all = Vec::new();
    places(&root, "", &mut all);
    let found = all
        .iter()
        .find(|p| p.key.as_ref() == Some(span))
        .or_else(|| all.iter().filter(|p| &p.value == span).max_by_key(|p| p.path.len()))
        .or_else(|| earlier_same_key(&all, text, span))
        .or_else(|| tightest_around(&all, span));
    match found {
        Some(place) => Some(place.path.clone()),
        None if root.span() == *span => Some(String::new()),
        None => None,
    }
}

/// The smallest non-empty value that contains `span`, the deepest on a tie.
/// Its key must come before `span`: in a malformed document a table after a
/// broken header can be recovered with a value starting at that header.
fn tightest_around<'p>(all: &'p [Place], span: &Range<usize>) -> Option<&'p Place> {
    all.iter()
        .filter(|p| p.value.start < p.value.end)
        .filter(|p| p.value.start <= span.start && span.end <= p.value.end)
        .filter(|p| p.key.as_ref().is_none_or(|key| key.start <= span.start))
        .min_by_key(|p| (p.value.end - p.value.start, usize::MAX - p.path.len()))
}

/// The last key written before `span` with the same text as `span`.
fn earlier_same_key<'p>(all: &'p [Place], text: &str, span: &Range<usize>) -> Option<&'p Place> {
    let name = text.get(span.clone()).filter(|name| !name.is_empty())?;
    all.iter()
        .filter_map(|p| p.key.as_ref().map(|key| (p, key)))
        .filter(|(_, key)| key.start < span.start && text.get(key.start..key.end) == Some(name))
        .max_by_key(|(_, key)| key.start)
        .map(|(place, _)| place)
}

/// `parent.name`, or `name` at the root.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The name in serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next().filter(|name| !name.is_empty())
}

/// The message on one line: trimmed lines joined with "; ".
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"name = "demo"
seeds = 4
[cluster]
workers = 3
[job]
operators = [
  { id = "events", kind = "source" },
  { id = "count",
    kind = "keyed_count", input = ["events"] },
  { id = "out", kind = "sink", input = ["count"] },
]
[[faults]]
at = "1s"
action = "crash"
node = "worker-1"
[[faults]]
at = "2s"
action = "partition"
between = [["coordinator"], ["worker-2"]]
"#;

    #[test]
    fn top_level_keys_and_table_headers() {
        assert_eq!(line_of(TEXT, "name"), Some(1));
        assert_eq!(line_of(TEXT, "seeds"), Some(2));
        assert_eq!(line_of(TEXT, "cluster"), Some(3));
        assert_eq!(line_of(TEXT, "cluster.workers"), Some(4));
    }

    #[test]
    fn inline_operators_spanning_lines() {
        assert_eq!(line_of(TEXT, "job.operators"), Some(6));
        assert_eq!(line_of(TEXT, "job.operators[0]"), Some(7));
        assert_eq!(line_of(TEXT, "job.operators[1]"), Some(8));
        assert_eq!(line_of(TEXT, "job.operators[1].input"), Some(9));
        assert_eq!(line_of(TEXT, "job.operators[2].input"), Some(10));
    }

    #[test]
    fn arrays_of_tables_count_headers() {
        assert_eq!(line_of(TEXT, "faults[0]"), Some(12));
        assert_eq!(line_of(TEXT, "faults[0].node"), Some(15));
        assert_eq!(line_of(TEXT, "faults[1]"), Some(16));
        assert_eq!(line_of(TEXT, "faults[1].between"), Some(19));
    }

    #[test]
    fn absent_keys_fall_back_to_their_parent() {
        assert_eq!(line_of(TEXT, "cluster.slots_per_worker"), Some(3));
        assert_eq!(line_of(TEXT, "job.operators[1].partition"), Some(8));
        assert_eq!(line_of(TEXT, "faults[1].heal_after"), Some(16));
        assert_eq!(line_of(TEXT, "job.operators[7]"), Some(6));
        assert_eq!(line_of(TEXT, "checkpoint.interval"), None);
    }

    #[test]
    fn errors_point_at_the_value_or_the_array_element_they_name() {
        let at = |field, message| span_of(TEXT, field, message).map(|span| &TEXT[span]);
        assert_eq!(at("faults[0].node", "names `worker-9`"), Some("\"worker-1\""));
        assert_eq!(at("job.operators[1].input", "lists 1 input"), Some("[\"events\"]"));
        assert_eq!(at("job.operators[1].input", "`events` is not an operator id"), Some("\"events\""));
        assert_eq!(at("faults[1].between", "has `worker-2` in both groups"), Some("\"worker-2\""));
    }

    #[test]
    fn values_over_several_lines_and_absent_keys_point_at_a_key() {
        let at = |field| span_of(TEXT, field, "").map(|span| &TEXT[span]);
        assert_eq!(at("job.operators"), Some("operators"));
        assert_eq!(at("cluster.slots_per_worker"), Some("cluster"));
        assert!(at("job.operators[1]").is_some_and(|element| element.starts_with("{ id = \"count\",\n")));
    }

    #[test]
    fn dotted_keys_point_at_their_own_line() {
        let text = "name = \"demo\"\ncluster.workers = 2\ncluster.slots_per_worker = 1\n";
        assert_eq!(line_of(text, "cluster.workers"), Some(2));
        assert_eq!(line_of(text, "cluster.slots_per_worker"), Some(3));
    }

    #[test]
    fn malformed_paths_have_no_line() {
        assert_eq!(line_of(TEXT, ""), None);
        assert_eq!(line_of(TEXT, "job..operators"), None);
        assert_eq!(line_of(TEXT, "job.operators[x]"), None);
        assert_eq!(line_of(TEXT, "job.operators[1"), None);
    }

    #[test]
    fn path_parsing_splits_keys_and_indices() {
        let steps = parse_path("faults[0].between[1]");
        let expected = [Step::Key("faults"), Step::Index(0), Step::Key("between"), Step::Index(1)];
        assert_eq!(steps.as_deref(), Some(&expected[..]));
    }

    #[test]
    fn messages_become_one_line() {
        assert_eq!(one_line("  first\n\n  second  \n"), "first; second");
        assert_eq!(missing_field("missing field `kind`"), Some("kind"));
        assert_eq!(missing_field("unknown field `kind`"), None);
    }

    #[test]
    fn syntax_errors_keep_their_line() {
        let text = "name = \"demo\"\n[network]\nloss = \n";
        let err = super::super::parse(text, "x.toml", &super::super::catalogue::JobOnly).unwrap_err();
        assert_eq!((err.line(), err.column()), (Some(3), Some(8)));
        assert!(!err.message.contains('\n'), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_name_the_key_already_written() {
        let text = "name = \"demo\"\n[cluster]\nworkers = 1\nworkers = 2\n";
        let err = super::super::parse(text, "x.toml", &super::super::catalogue::JobOnly).unwrap_err();
        assert_eq!((err.field.as_str(), err.line()), ("cluster.workers", Some(4)));
    }

    #[test]
    fn a_broken_header_is_not_blamed_on_the_next_table() {
        let text = "name = \"demo\"\n[job\nparallelism = 2\n[checkpoint]\ninterval = \"1s\"\n";
        let err = super::super::parse(text, "x.toml", &super::super::catalogue::JobOnly).unwrap_err();
        assert_eq!((err.field.as_str(), err.line(), err.column()), ("(toml)", Some(2), Some(5)));
    }

    #[test]
    fn unlocatable_syntax_errors_use_the_toml_field() {
        let err =
            super::super::parse("name = \"demo\"\n[job\n", "x.toml", &super::super::catalogue::JobOnly).unwrap_err();
        assert_eq!((err.field.as_str(), err.line(), err.column()), ("(toml)", Some(2), Some(5)));
        assert_eq!(err.message, "unclosed table, expected `]`");
        assert_eq!(err.render(), "x.toml:2:5: (toml): unclosed table, expected `]`\n  |\n2 | [job\n  |     ^");
    }
}
