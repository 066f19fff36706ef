//! Bare words (a `q` with no field, no quotes, no operators) as CKAN sends them to Solr: the
//! dismax parser, where each word is a clause over the query fields (`qf`, default
//! `name^4 title^4 tags^2 groups^2 text`, best field plus `tie` times the others) and only
//! `mm` of the words must match (default `2<-1 5<80%`: up to two words all, three to five all
//! but one, more 80%). "giao thong da nang" then finds datasets about traffic in Đà Nẵng even
//! if one word is missing, where requiring every word found nothing.
//!
//! With the default fields the clauses run on the catch-all `text`, which repeats the title
//! and the tags as `qf` weighs them (see `document.rs`): one field keeps plain words a term
//! conjunction tantivy can prune. Ranking adds, for words typed with diacritics, their exact
//! form, and for each pair of adjacent words, the two joined (`text` indexes adjacent
//! syllables joined: "giao thông" together outranks "giáo dục phổ thông").

use crate::build_query::{PlainWords, QueryBuilder, RankedWords, ADJACENT_BOOST, EXACT_BOOST, Q};
use crate::query::{Node, Value};
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, FuzzyTermQuery, Occur, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// CKAN's default `mm`.
pub const DEFAULT_MM: &str = "2<-1 5<80%";
/// CKAN's default `tie`.
pub const DEFAULT_TIE: f32 = 0.1;

/// The dismax parameters of a request (`mm`, `qf`, `tie`, `defType`), checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Dismax {
    pub mm: MinShouldMatch,
    /// The query fields and boosts; `None` for CKAN's default.
    pub qf: Option<Vec<(String, f32)>>,
    pub tie: f32,
    /// `defType=lucene` (or `standard`): bare words are all required, as in Lucene's parser
    /// with CKAN's `q.op` AND.
    pub all_required: bool,
}

impl Default for Dismax {
    fn default() -> Self {
        Dismax {
            mm: MinShouldMatch::parse(DEFAULT_MM).unwrap_or(MinShouldMatch(vec![])),
            qf: None,
            tie: DEFAULT_TIE,
            all_required: false,
        }
    }
}

impl Dismax {
    /// From the request's parameters; a malformed one is a query error naming it.
    pub fn from_params(
        mm: Option<&str>,
        qf: Option<&str>,
        tie: Option<&str>,
        def_type: Option<&str>,
    ) -> Result<Dismax, String> {
        let mut d = Dismax::default();
        if let Some(mm) = mm.filter(|s| !s.trim().is_empty()) {
            d.mm = MinShouldMatch::parse(mm)?;
        }
        if let Some(qf) = qf.filter(|s| !s.trim().is_empty()) {
            d.qf = Some(parse_qf(qf)?);
        }
        if let Some(tie) = tie.filter(|s| !s.trim().is_empty()) {
            d.tie = tie
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|t| (0.0..=1.0).contains(t))
                .ok_or_else(|| format!("invalid tie: {tie}"))?;
        }
        d.all_required = matches!(
            def_type.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
            Some("lucene" | "standard")
        );
        Ok(d)
    }

    /// How many of `n` words must match.
    pub fn required(&self, n: usize) -> usize {
        if self.all_required {
            n
        } else {
            self.mm.required(n)
        }
    }
}

/// Solr's minimum-should-match: conditions `N<spec` (when there are more than N clauses, spec
/// applies), or one spec alone. A spec is a count or a percentage, negative for "all but".
#[derive(Debug, Clone, PartialEq)]
pub struct MinShouldMatch(Vec<(usize, Spec)>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Spec {
    Count(i64),
    Percent(i64),
}

impl Spec {
    fn parse(s: &str) -> Option<Spec> {
        let s = s.trim();
        match s.strip_suffix('%') {
            Some(p) => p.trim().parse().ok().map(Spec::Percent),
            None => s.parse().ok().map(Spec::Count),
        }
    }

    fn apply(self, n: usize) -> usize {
        let n = n as i64;
        let k = match self {
            Spec::Count(c) if c < 0 => n + c,
            Spec::Count(c) => c,
            // Solr rounds the clauses a percentage names down.
            Spec::Percent(p) if p < 0 => n - n * -p / 100,
            Spec::Percent(p) => n * p / 100,
        };
        k.clamp(0, n) as usize
    }
}

impl MinShouldMatch {
    pub fn parse(s: &str) -> Result<MinShouldMatch, String> {
        let bad = || format!("invalid mm: {s}");
        let mut conditions = vec![];
        for part in s.split_whitespace() {
            match part.split_once('<') {
                Some((n, spec)) => conditions.push((
                    n.parse().map_err(|_| bad())?,
                    Spec::parse(spec).ok_or_else(bad)?,
                )),
                None if conditions.is_empty() && s.split_whitespace().count() == 1 => {
                    return Ok(MinShouldMatch(vec![(
                        0,
                        Spec::parse(part).ok_or_else(bad)?,
                    )]));
                }
                None => return Err(bad()),
            }
        }
        if conditions.is_empty() {
            return Err(bad());
        }
        conditions.sort_by_key(|(n, _)| *n);
        Ok(MinShouldMatch(conditions))
    }

    /// How many of `n` clauses must match (at least one when there are any).
    pub fn required(&self, n: usize) -> usize {
        let spec = self
            .0
            .iter()
            .rev()
            .find(|(above, _)| n > *above)
            .map(|(_, s)| *s);
        let k = spec.map_or(n, |s| s.apply(n));
        k.clamp(n.min(1), n)
    }
}

/// `name^4 title^4 tags^2 groups^2 text` → fields and boosts.
fn parse_qf(s: &str) -> Result<Vec<(String, f32)>, String> {
    s.split_whitespace()
        .map(|part| match part.split_once('^') {
            Some((f, b)) => b
                .parse::<f32>()
                .ok()
                .filter(|b| b.is_finite() && *b >= 0.0)
                .map(|b| (f.to_string(), b))
                .ok_or_else(|| format!("invalid boost in qf: {part}")),
            None => Ok((part.to_string(), 1.0)),
        })
        .collect()
}

/// The words of a bare-word query: a single unfielded word, or a conjunction of them (how
/// the parser reads `a b c`). `None` for any query with a field, a phrase, a wildcard or an
/// operator other than the implicit AND.
pub fn bare_words(node: &Node) -> Option<Vec<&str>> {
    fn word(n: &Node) -> Option<&str> {
        match n {
            Node::Match {
                field: None,
                value: Value::Word(w),
            } => Some(w.as_str()),
            _ => None,
        }
    }
    match node {
        Node::And(clauses) => clauses
            .iter()
            .map(|(must, n)| if *must { word(n) } else { None })
            .collect(),
        n => word(n).map(|w| vec![w]),
    }
}

/// Words at least this long that the index does not know are matched with one typo allowed.
const FUZZY_MIN_CHARS: usize = 4;

/// One bare word, analysed.
struct Word {
    folded: Vec<String>,
    exact: Vec<String>,
    stemmed: Vec<String>,
    /// Unknown to the index: matched within one edit.
    typo: bool,
}

impl Word {
    fn single(&self) -> Option<&str> {
        match self.folded.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    fn has_diacritics(&self) -> bool {
        self.exact != self.folded
    }
}

impl QueryBuilder<'_> {
    /// The query for `q`: bare words as dismax (see the module comment), anything else as the
    /// Lucene syntax says.
    pub fn build_q(&mut self, node: &Node) -> Result<Q, String> {
        match bare_words(node) {
            Some(words) => self.bare(&words),
            None => self.build(node),
        }
    }

    fn analyse_words(&mut self, words: &[&str]) -> Result<Vec<Word>, String> {
        let text = self.field("text")?;
        let mut out = vec![];
        for w in words {
            let (folded, exact, stemmed) = self.analyse(w);
            if folded.is_empty() {
                continue;
            }
            let typo = match (folded.as_slice(), &self.dictionary) {
                ([one], Some(index)) if one.chars().count() >= FUZZY_MIN_CHARS => {
                    let t = Term::from_field_text(text, one);
                    index.doc_freq(&t).map_err(|e| e.to_string())? == 0
                }
                _ => false,
            };
            out.push(Word {
                folded,
                exact,
                stemmed,
                typo,
            });
        }
        Ok(out)
    }

    fn bare(&mut self, words: &[&str]) -> Result<Q, String> {
        let words = self.analyse_words(words)?;
        if words.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let clauses = match self.dismax.qf.clone() {
            Some(qf) => words
                .iter()
                .map(|w| self.over_fields(w, &qf))
                .collect::<Result<Vec<_>, _>>()?,
            None => words
                .iter()
                .map(|w| self.on_text(w))
                .collect::<Result<Vec<_>, _>>()?,
        };
        let required = self.dismax.required(clauses.len());
        let core = combine(clauses, required);
        // Ranking only (the default fields): exact spellings and adjacent words together.
        if self.dismax.qf.is_some() {
            return Ok(core);
        }
        let ranking = self.ranking_terms(&words)?;
        if ranking.is_empty() {
            return Ok(core);
        }
        let mut all: Vec<(Occur, Q)> = vec![(Occur::Must, core)];
        for (t, boost) in ranking {
            let q: Q = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
            all.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        Ok(Box::new(BooleanQuery::new(all)))
    }

    /// A word on the catch-all: its folded form (a phrase, or the parts joined, when it has
    /// several: "Wi-Fi"), within one edit when the index does not know it, or its English stem.
    fn on_text(&mut self, w: &Word) -> Result<Q, String> {
        let text = self.field("text")?;
        let base: Q = match (w.single(), w.typo) {
            (Some(one), true) => Box::new(FuzzyTermQuery::new(
                Term::from_field_text(text, one),
                1,
                true,
            )),
            (Some(one), false) => Box::new(TermQuery::new(
                Term::from_field_text(text, one),
                IndexRecordOption::WithFreqs,
            )),
            (None, _) => {
                let phrase = QueryBuilder::terms_query(text, &w.folded).ok_or("an empty word")?;
                let joined: Q = Box::new(TermQuery::new(
                    Term::from_field_text(text, &w.folded.concat()),
                    IndexRecordOption::WithFreqs,
                ));
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, phrase),
                    (Occur::Should, joined),
                ]))
            }
        };
        if w.stemmed == w.folded {
            return Ok(base);
        }
        let Some(en) = QueryBuilder::terms_query(self.field("text_en")?, &w.stemmed) else {
            return Ok(base);
        };
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Should, base),
            (Occur::Should, Box::new(BoostQuery::new(en, 0.5))),
        ])))
    }

    /// A word over the request's `qf` fields: the best field plus `tie` times the others.
    fn over_fields(&mut self, w: &Word, qf: &[(String, f32)]) -> Result<Q, String> {
        let mut alts: Vec<Q> = vec![];
        for (field, boost) in qf {
            let (folded, exact) = match field.as_str() {
                "name" => ("name_text", "name_text_exact"),
                "title" => ("title", "title_exact"),
                "notes" => ("notes", "notes_exact"),
                "text" => ("text", "text_exact"),
                "res_name" => ("res_name", "res_name_exact"),
                "res_description" => ("res_description", "res_description_exact"),
                "author" => ("author", "author_exact"),
                "maintainer" => ("maintainer", "maintainer_exact"),
                // Exact-value fields match a word that is one of their values.
                "tags" | "groups" | "organization" | "res_format" | "license_id" => {
                    let f = self.field(field)?;
                    let raw = crate::analyzer::nfc(&w.exact.join(" "));
                    let q: Q = Box::new(TermQuery::new(
                        Term::from_field_text(f, &raw),
                        IndexRecordOption::Basic,
                    ));
                    alts.push(Box::new(BoostQuery::new(q, *boost)));
                    continue;
                }
                other => return Err(format!("undefined field {other} in qf")),
            };
            if let Some(q) = QueryBuilder::terms_query(self.field(folded)?, &w.folded) {
                alts.push(Box::new(BoostQuery::new(q, *boost)));
            }
            if w.has_diacritics() {
                if let Some(q) = QueryBuilder::terms_query(self.field(exact)?, &w.exact) {
                    alts.push(Box::new(BoostQuery::new(q, boost * EXACT_BOOST)));
                }
            }
        }
        Ok(Box::new(DisjunctionMaxQuery::with_tie_breaker(
            alts,
            self.dismax.tie,
        )))
    }

    /// The optional terms that rank a bare-word query on the default fields: each word typed
    /// with diacritics, exactly; each pair of adjacent one-syllable words, joined.
    fn ranking_terms(&mut self, words: &[Word]) -> Result<Vec<(Term, f32)>, String> {
        let (text, text_exact) = (self.field("text")?, self.field("text_exact")?);
        let mut out = vec![];
        for w in words {
            if let ([exact], true) = (w.exact.as_slice(), w.has_diacritics()) {
                out.push((Term::from_field_text(text_exact, exact), EXACT_BOOST));
            }
        }
        for pair in words.windows(2) {
            if let (Some(a), Some(b)) = (pair[0].single(), pair[1].single()) {
                out.push((
                    Term::from_field_text(text, &format!("{a}{b}")),
                    ADJACENT_BOOST,
                ));
            }
        }
        Ok(out)
    }

    /// A bare-word query whose words are each one folded term on `text` that the index
    /// knows (and, when English stemming changes it, its stem on `text_en`): the documents
    /// holding all of them (or `mm` of them) match it, which the engine counts by walking
    /// postings (see `conjunction`) or with bit sets (see `word_bits`). `None` for any other
    /// query.
    pub fn plain_words(&mut self, node: &Node) -> Option<PlainWords> {
        if self.dismax.qf.is_some() {
            return None;
        }
        let words = self.analyse_words(&bare_words(node)?).ok()?;
        if words.is_empty() {
            return None;
        }
        let at_least = self.dismax.required(words.len());
        let (text, text_en) = (self.field("text").ok()?, self.field("text_en").ok()?);
        let mut plain = vec![];
        for w in &words {
            let (Some(one), false) = (w.single(), w.typo) else {
                return None;
            };
            let stem = match w.stemmed.as_slice() {
                _ if w.stemmed == w.folded => None,
                [stem] => Some(Term::from_field_text(text_en, stem)),
                _ => return None,
            };
            plain.push((Term::from_field_text(text, one), stem));
        }
        let mut terms: Vec<Term> = plain.iter().map(|(t, _)| t.clone()).collect();
        let repeated = {
            let mut t = terms.clone();
            t.sort();
            t.dedup();
            t.len() < terms.len()
        };
        let optional = self.ranking_terms(&words).ok()?;
        let stemmed = plain.iter().any(|(_, stem)| stem.is_some());
        // A repeated word counts twice in the built query's score: no split ranking for it.
        let ranked = (!optional.is_empty() && !repeated && !stemmed).then(|| RankedWords {
            required: terms.clone(),
            optional: optional.clone(),
        });
        terms.sort();
        terms.dedup();
        Some(PlainWords {
            terms,
            words: plain,
            at_least,
            repeated,
            optional,
            ranked,
        })
    }
}

/// The clauses of the words, `required` of them needed.
fn combine(mut clauses: Vec<Q>, required: usize) -> Q {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    if required >= clauses.len() {
        return Box::new(BooleanQuery::new(
            clauses.into_iter().map(|q| (Occur::Must, q)).collect(),
        ));
    }
    Box::new(crate::at_least::AtLeast::new(clauses, required))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckan_default_mm() {
        let mm = MinShouldMatch::parse(DEFAULT_MM).expect("mm");
        let k: Vec<usize> = (0..=10).map(|n| mm.required(n)).collect();
        assert_eq!(k, [0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn other_mm_forms() {
        let r = |s: &str, n| MinShouldMatch::parse(s).expect(s).required(n);
        assert_eq!(r("1", 4), 1);
        assert_eq!(r("-1", 4), 3);
        assert_eq!(r("75%", 4), 3);
        assert_eq!(r("-25%", 4), 3);
        assert_eq!(r("100%", 4), 4);
        assert_eq!(r("3<90%", 3), 3);
        assert_eq!(r("3<90%", 10), 9);
        assert_eq!(r("0", 3), 1);
        for bad in ["", "abc", "2<", "<3", "2<x%", "1 2"] {
            assert!(MinShouldMatch::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params() {
        let d = Dismax::from_params(Some("100%"), Some("title^4 notes"), Some("0.3"), None)
            .expect("dismax");
        assert_eq!(d.required(5), 5);
        assert_eq!(
            d.qf,
            Some(vec![("title".into(), 4.0), ("notes".into(), 1.0)])
        );
        assert_eq!(d.tie, 0.3);
        assert!(Dismax::from_params(None, None, Some("2"), None).is_err());
        assert!(Dismax::from_params(None, Some("title^x"), None, None).is_err());
        let lucene = Dismax::from_params(None, None, None, Some("lucene")).expect("lucene");
        assert_eq!(lucene.required(6), 6);
        assert_eq!(Dismax::default().required(6), 4);
    }

    #[test]
    fn what_counts_as_bare_words() {
        let words = |q: &str| {
            crate::query::parse(q)
                .ok()
                .flatten()
                .and_then(|n| bare_words(&n).map(|w| w.join(" ")))
        };
        assert_eq!(
            words("giao thong da nang"),
            Some("giao thong da nang".into())
        );
        assert_eq!(words("Đà"), Some("Đà".into()));
        assert_eq!(words("title:x y"), None);
        assert_eq!(words("\"giao thong\""), None);
        assert_eq!(words("a OR b"), None);
        assert_eq!(words("a -b"), None);
    }
}
