//! Search as the person typing it means it: words that must all appear, `prefix*` words and
//! "quoted phrases". Any text is a valid query; what cannot match a word (punctuation alone,
//! emoji, a lone quote) is simply not a term. Engines turn [`Term`]s into their own syntax.

use crate::domain::{Channel, Timestamp};

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;

/// One thing every hit must contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// A word, or words that must stand together in this order.
    Phrase(String),
    /// Words in this order whose last one starts with the last given word.
    Prefix(String),
}

impl Term {
    pub fn text(&self) -> &str {
        match self {
            Term::Phrase(t) | Term::Prefix(t) => t,
        }
    }
}

/// The terms of `raw`: quoted runs are phrases (an unclosed quote runs to the end), other
/// runs split at whitespace; a run ending in `*` is a prefix. Runs with no letter or digit are
/// dropped, since no word of any text could match them.
pub fn parse_terms(raw: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            push_term(&mut terms, Term::Phrase(phrase));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            let term = match word.strip_suffix('*') {
                Some(stem) => Term::Prefix(stem.trim_end_matches('*').to_string()),
                None => Term::Phrase(word),
            };
            push_term(&mut terms, term);
        }
    }
    terms
}

fn push_term(terms: &mut Vec<Term>, term: Term) {
    if term.text().chars().any(char::is_alphanumeric) {
        terms.push(term);
    }
}

/// Which chats' hits a search keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// The hit's time, from (inclusive) and until (exclusive).
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// The chat's assigned agent.
    pub agent_id: Option<String>,
    pub status: Option<StatusFilter>,
    /// The chat's rating, 1..=5.
    pub rating: Option<i64>,
    pub channel: Option<Channel>,
    /// A label the chat carries.
    pub label_id: Option<String>,
}

/// Chat states as a searcher groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Active,
    /// Ended by the user or by an agent.
    Ended,
    Expired,
}

impl StatusFilter {
    pub fn parse(raw: &str) -> Option<StatusFilter> {
        match raw {
            "active" => Some(StatusFilter::Active),
            "ended" => Some(StatusFilter::Ended),
            "expired" => Some(StatusFilter::Expired),
            _ => None,
        }
    }
}

/// Where a hit was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HitSource {
    Message,
    Note,
    /// The customer's name or email.
    Customer,
}

/// Marks engines put around a matched word in a snippet: control characters, which
/// [`snippet_html`] turns into `<mark>` tags after escaping everything else.
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// `snippet` (text with [`MATCH_START`]/[`MATCH_END`] around matches) as HTML: everything
/// escaped, the matches in `<mark>`. Stray marks (the characters typed into the text itself)
/// never leave a tag open or close one that is not.
pub fn snippet_html(snippet: &str) -> String {
    let mut html = String::with_capacity(snippet.len() + 16);
    let mut open = false;
    for c in snippet.chars() {
        match c {
            MATCH_START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            MATCH_END if open => {
                html.push_str("</mark>");
                open = false;
            }
            MATCH_START | MATCH_END => {}
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(t: &str) -> Term {
        Term::Phrase(t.into())
    }

    #[test]
    fn words_prefixes_and_phrases() {
        assert_eq!(
            parse_terms(r#"refund  late* "parcel is late" "#),
            vec![
                phrase("refund"),
                Term::Prefix("late".into()),
                phrase("parcel is late")
            ]
        );
    }

    #[test]
    fn operators_and_punctuation_are_plain_text() {
        assert_eq!(
            parse_terms("AND NEAR( col:x"),
            vec![phrase("AND"), phrase("NEAR("), phrase("col:x")]
        );
        assert_eq!(parse_terms("refund**"), vec![Term::Prefix("refund".into())]);
    }

    #[test]
    fn text_with_no_word_gives_no_terms() {
        for raw in ["", "   ", "\"", "\"\"", "*", "()", "😀🔥", "-- ;"] {
            assert!(parse_terms(raw).is_empty(), "{raw:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end() {
        assert_eq!(
            parse_terms(r#"tax "late parcel"#),
            vec![phrase("tax"), phrase("late parcel")]
        );
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        let s = format!("a <b>{MATCH_START}refund{MATCH_END}</b> & 'x'");
        assert_eq!(
            snippet_html(&s),
            "a &lt;b&gt;<mark>refund</mark>&lt;/b&gt; &amp; &#39;x&#39;"
        );
    }

    #[test]
    fn stray_marks_never_unbalance_the_tags() {
        let s = format!("{MATCH_END}x{MATCH_START}y{MATCH_START}z");
        assert_eq!(snippet_html(&s), "x<mark>yz</mark>");
    }
}
