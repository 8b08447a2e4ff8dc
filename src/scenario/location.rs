//! Where in a file a mistake is, and how to show it: the line, carets under
//! the offending text, rustc-style.
//!
//! ```text
//!    |
//! 12 | intervl = "100ms"
//!    | ^^^^^^^
//! ```

use std::ops::Range;

/// A place in a scenario file: its line and column, with the line's text and
/// how much of it to underline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters, of the first character underlined.
    pub column: usize,
    /// The whole line, without its line ending.
    pub source_line: String,
    /// Characters underlined, at least 1 (the caret after the line's last
    /// character when the span is empty at its end).
    pub width: usize,
}

impl Location {
    /// The location of byte span `span` of `text`. A span over several lines
    /// is underlined to the end of its first line.
    pub fn of_span(text: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(text, span.start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = floor_char_boundary(text, span.end.clamp(start, line_end));
        let source_line = text[line_start..line_end].trim_end_matches('\r');
        Location {
            line: text[..start].matches('\n').count() + 1,
            column: text[line_start..start].chars().count() + 1,
            source_line: source_line.to_string(),
            width: text[start..end].chars().count().max(1),
        }
    }

    /// The gutter, the line and the carets, one per line, without a trailing
    /// newline.
    pub fn render(&self) -> String {
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        // Tabs before the span stay tabs so the carets line up under them.
        let indent: String =
            self.source_line.chars().take(self.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let carets = "^".repeat(self.width);
        format!("{gutter} |\n{number} | {}\n{gutter} | {indent}{carets}", self.source_line)
    }
}

/// The largest char boundary of `text` at or below `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"demo\"\n[checkpoint]\nintervl = \"100ms\"\n";

    #[test]
    fn a_key_is_found_by_line_and_column() {
        let start = TEXT.find("intervl").unwrap();
        let at = Location::of_span(TEXT, start..start + 7);
        assert_eq!((at.line, at.column, at.width), (3, 1, 7));
        assert_eq!(at.source_line, "intervl = \"100ms\"");
    }

    #[test]
    fn carets_sit_under_the_span() {
        let start = TEXT.find("\"100ms\"").unwrap();
        let at = Location::of_span(TEXT, start..start + 7);
        assert_eq!(at.column, 11);
        let expected = "  |\n3 | intervl = \"100ms\"\n  |           ^^^^^^^";
        assert_eq!(at.render(), expected);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "description = \"née\" \nseeds = x\n";
        let start = text.find("x\n").unwrap();
        assert_eq!(Location::of_span(text, start..start + 1).column, 9);
        let start = text.find("\" ").unwrap();
        assert_eq!(Location::of_span(text, start..start + 1).column, 19);
    }

    #[test]
    fn a_span_over_lines_is_underlined_to_the_end_of_its_first() {
        let text = "operators = [\n  { id = \"a\" },\n]\n";
        let at = Location::of_span(text, 12..text.len() - 1);
        assert_eq!((at.line, at.column, at.width), (1, 13, 1));
    }

    #[test]
    fn an_empty_span_gets_one_caret_even_at_the_end() {
        let text = "[job\n";
        let at = Location::of_span(text, 4..4);
        assert_eq!((at.line, at.column, at.width), (1, 5, 1));
        assert!(at.render().ends_with("|     ^"), "{}", at.render());
        let at = Location::of_span("a = ", 4..4);
        assert_eq!((at.line, at.column, at.width), (1, 5, 1));
    }

    #[test]
    fn tabs_before_the_span_keep_the_carets_aligned() {
        let text = "\tkey = 1\n";
        let at = Location::of_span(text, 1..4);
        assert!(at.render().ends_with("| \t^^^"), "{:?}", at.render());
    }

    #[test]
    fn wide_line_numbers_widen_the_gutter() {
        let text = "\n".repeat(99) + "x = 1\n";
        let at = Location::of_span(&text, 99..100);
        assert_eq!(at.render(), "    |\n100 | x = 1\n    | ^");
    }
}
