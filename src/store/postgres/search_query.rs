//! Search terms as a `tsquery`. Nothing typed reaches PostgreSQL's query syntax: the terms'
//! words are first turned into lexemes by `frontdesk_words` (as the indexed text is), and the
//! query is written here from those lexemes, each one quoted, joined by the operators the
//! terms mean (`&` between terms, `<N>` between the words of one, `:*` on a prefix).

use crate::domain::search::Term;

/// One word of a term as the index holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lexeme {
    pub text: String,
    /// Where the parser put it in the term's text; positions of a phrase's words are as far
    /// apart as in any text holding the phrase.
    pub position: i16,
}

/// The words of one term, in position order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TermWords {
    pub prefix: bool,
    pub lexemes: Vec<Lexeme>,
}

impl TermWords {
    /// `term`, its lexemes still to be filled in.
    pub fn of(term: &Term) -> TermWords {
        TermWords {
            prefix: matches!(term, Term::Prefix(_)),
            lexemes: Vec::new(),
        }
    }

    /// The phrase: every lexeme at its distance from the one before. For a prefix the last
    /// word is a prefix, and so is a hyphenated word ending in it: the parser reads `e-ma`
    /// as `e-ma`, `e` and `ma`, and a text's `e-mail` as `e-mail`, `e` and `mail`. None when
    /// the term has no word the parser keeps (FTS5 judges such a term the same way: no term).
    fn tsquery(&self) -> Option<String> {
        let last = self.lexemes.last()?;
        let hyphenated_last = format!("-{}", last.text);
        let mut query = String::from("(");
        let mut previous: Option<i16> = None;
        for (i, lexeme) in self.lexemes.iter().enumerate() {
            if let Some(previous) = previous {
                query.push_str(&format!(" <{}> ", lexeme.position - previous));
            }
            query.push_str(&quoted(&lexeme.text));
            let is_last = i + 1 == self.lexemes.len();
            if self.prefix && (is_last || lexeme.text.ends_with(&hyphenated_last)) {
                query.push_str(":*");
            }
            previous = Some(lexeme.position);
        }
        query.push(')');
        Some(query)
    }
}

/// `lexeme` as a quoted `tsquery` operand: inside quotes only a backslash and a quote are
/// special, and both are escaped.
fn quoted(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
}

/// Every term at once (`&`); none when no term has a word, which matches nothing.
pub(super) fn tsquery(terms: &[TermWords]) -> Option<String> {
    let parts: Vec<String> = terms.iter().filter_map(TermWords::tsquery).collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(prefix: bool, words: &[(&str, i16)]) -> TermWords {
        TermWords {
            prefix,
            lexemes: words
                .iter()
                .map(|(text, position)| Lexeme {
                    text: text.to_string(),
                    position: *position,
                })
                .collect(),
        }
    }

    #[test]
    fn words_phrases_and_prefixes() {
        let terms = [
            term(false, &[("refund", 1)]),
            term(false, &[("parcel", 1), ("is", 2), ("late", 3)]),
            term(true, &[("late", 1), ("parc", 2)]),
        ];
        assert_eq!(
            tsquery(&terms).as_deref(),
            Some("('refund') & ('parcel' <1> 'is' <1> 'late') & ('late' <1> 'parc':*)")
        );
    }

    #[test]
    fn every_lexeme_is_quoted_and_escaped() {
        let terms = [term(false, &[("it's", 1), ("a\\b", 2), ("&|!<->:*", 3)])];
        assert_eq!(
            tsquery(&terms).as_deref(),
            Some(r"('it''s' <1> 'a\\b' <1> '&|!<->:*')")
        );
    }

    #[test]
    fn a_hyphenated_prefix_matches_the_hyphenated_word() {
        let terms = [term(true, &[("e-ma", 1), ("e", 2), ("ma", 3)])];
        assert_eq!(
            tsquery(&terms).as_deref(),
            Some("('e-ma':* <1> 'e' <1> 'ma':*)")
        );
    }

    #[test]
    fn terms_without_words_are_no_terms() {
        assert_eq!(tsquery(&[term(false, &[])]), None);
        assert_eq!(
            tsquery(&[term(true, &[]), term(false, &[("x", 1)])]).as_deref(),
            Some("('x')")
        );
    }
}
