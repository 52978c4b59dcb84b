//! Text bound for a spreadsheet cell. Spreadsheets run a cell that starts with `=`, `+`, `-`
//! or `@` (and, in some, a tab or carriage return) as a formula, so a customer who types
//! `=HYPERLINK(...)` could make an agent's spreadsheet fetch or run something (CSV injection).

use std::borrow::Cow;

/// `text` with a leading apostrophe when a spreadsheet would read it as a formula; spreadsheets
/// show the rest as plain text and hide the apostrophe. Everything else is left as it is.
pub fn formula_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV writer as RFC 4180 has it: CRLF line ends, quotes only where a field needs them.
pub fn rfc4180_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text() {
        assert_eq!(formula_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(formula_safe("@sum"), "'@sum");
        assert_eq!(formula_safe("+1"), "'+1");
        assert_eq!(formula_safe("-2"), "'-2");
        assert_eq!(formula_safe("\tx"), "'\tx");
        assert_eq!(formula_safe("Ann"), "Ann");
        assert_eq!(formula_safe("a=b"), "a=b");
        assert_eq!(formula_safe(""), "");
    }
}
