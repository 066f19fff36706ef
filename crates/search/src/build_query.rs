//! From the parsed CKAN/Solr syntax tree to tantivy queries over the index schema, with
//! Vietnamese-aware text matching and exact-diacritic boosts.

use crate::analyzer::{self, nfc};
use crate::query::{Node, Value};
use crate::schema::{Fields, DATE_FIELDS, NUMBER_FIELDS, STRING_FIELDS};
use catalogue::dict::parse_ckan_time;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, ExistsQuery, Occur,
    PhraseQuery, Query, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// How a field is matched.
enum Kind {
    /// Full text: (folded field, exact field, stemmed field?) and their boosts.
    Text(&'static [(&'static str, &'static str, f32)]),
    Str(&'static str),
    Date(&'static str),
    Number(&'static str),
    Extra(String),
}

/// Default search fields for bare words, CKAN's `name^4 title^4 tags^2 groups^2 text`, each
/// twice: folded, and exact with a higher boost so "Đà Nẵng" ranks exact matches first.
const DEFAULT: &[(&str, &str, f32)] = &[
    ("name_text", "name_text_exact", 4.0),
    ("title", "title_exact", 4.0),
    ("text", "text_exact", 1.0),
];

/// How much more an exact (diacritics kept) match of a word weighs than its folded score.
pub const EXACT_BOOST: f32 = 1.5;
/// How much two adjacent query words found together (joined, see `analyzer`) add, relative
/// to one word's score.
pub const ADJACENT_BOOST: f32 = 2.0;

/// A query of plain words (see `QueryBuilder::plain_words`).
pub struct PlainWords {
    /// The folded terms, each once.
    pub terms: Vec<Term>,
    /// Each word in order: its folded term on `text`, and its English stem on `text_en`
    /// when stemming changes it (matched too, scored at half).
    pub words: Vec<(Term, Option<Term>)>,
    /// How many of the words a match holds (all of them, or CKAN's `mm` of them).
    pub at_least: usize,
    /// Whether a word is given twice (it then counts twice).
    pub repeated: bool,
    /// The terms that only rank: exact spellings, adjacent words joined (with boosts).
    pub optional: Vec<(Term, f32)>,
    /// How the query scores, when a word was typed with diacritics (and none is repeated or
    /// stemmed).
    pub ranked: Option<RankedWords>,
}

/// A plain-word query with ranking clauses, as its score is made: the sum of each folded
/// term's score on `text` (all required) and of the optional terms' scores times their boosts:
/// each word typed with diacritics on `text_exact` (`EXACT_BOOST`), each pair of adjacent
/// words joined on `text` (`ADJACENT_BOOST`).
pub struct RankedWords {
    /// Folded terms on `text` (all of them, or `mm` of them, required).
    pub required: Vec<Term>,
    /// Terms that add their score times their boost when present.
    pub optional: Vec<(Term, f32)>,
}

fn text_kind(field: &str) -> Option<Kind> {
    const TITLE: &[(&str, &str, f32)] = &[("title", "title_exact", 1.0)];
    const NOTES: &[(&str, &str, f32)] = &[("notes", "notes_exact", 1.0)];
    const TEXT: &[(&str, &str, f32)] = &[("text", "text_exact", 1.0)];
    const RES_NAME: &[(&str, &str, f32)] = &[("res_name", "res_name_exact", 1.0)];
    const RES_DESC: &[(&str, &str, f32)] = &[("res_description", "res_description_exact", 1.0)];
    const AUTHOR: &[(&str, &str, f32)] = &[("author", "author_exact", 1.0)];
    const MAINTAINER: &[(&str, &str, f32)] = &[("maintainer", "maintainer_exact", 1.0)];
    Some(Kind::Text(match field {
        "title" => TITLE,
        "notes" => NOTES,
        "text" => TEXT,
        "res_name" => RES_NAME,
        "res_description" => RES_DESC,
        "author" => AUTHOR,
        "maintainer" => MAINTAINER,
        _ => return None,
    }))
}

fn kind_of(field: Option<&str>) -> Result<Kind, String> {
    let Some(field) = field else {
        return Ok(Kind::Text(DEFAULT));
    };
    let field = match field {
        "dataset_type" => "type",
        "urls" | "url" => "res_url",
        f => f,
    };
    if let Some(k) = text_kind(field) {
        return Ok(k);
    }
    if let Some(s) = STRING_FIELDS.iter().find(|s| **s == field) {
        return Ok(Kind::Str(s));
    }
    if let Some(d) = DATE_FIELDS.iter().find(|s| **s == field) {
        return Ok(Kind::Date(d));
    }
    if let Some(n) = NUMBER_FIELDS.iter().find(|s| **s == field) {
        return Ok(Kind::Number(n));
    }
    if let Some(key) = field.strip_prefix("extras_").filter(|k| !k.is_empty()) {
        return Ok(Kind::Extra(key.to_string()));
    }
    Err(format!("undefined field {field}"))
}

pub struct QueryBuilder<'a> {
    pub fields: &'a Fields,
    pub(crate) folded: TextAnalyzer,
    pub(crate) exact: TextAnalyzer,
    pub(crate) stemmed: TextAnalyzer,
    /// How bare words match (see `dismax`).
    pub(crate) dismax: crate::dismax::Dismax,
    /// The index, to tell words it does not know (typos) from the others.
    pub(crate) dictionary: Option<tantivy::Searcher>,
}

pub(crate) type Q = Box<dyn Query>;

impl<'a> QueryBuilder<'a> {
    pub fn new(fields: &'a Fields) -> Self {
        QueryBuilder {
            fields,
            folded: analyzer::folded(),
            exact: analyzer::exact(),
            stemmed: analyzer::stemmed(),
            dismax: Default::default(),
            dictionary: None,
        }
    }

    /// With a request's dismax parameters and the index's dictionary.
    pub fn with(mut self, dismax: crate::dismax::Dismax, dictionary: tantivy::Searcher) -> Self {
        self.dismax = dismax;
        self.dictionary = Some(dictionary);
        self
    }

    pub(crate) fn field(&self, name: &str) -> Result<Field, String> {
        self.fields
            .get(name)
            .ok_or_else(|| format!("undefined field {name}"))
    }

    pub fn build(&mut self, node: &Node) -> Result<Q, String> {
        Ok(match node {
            Node::All => Box::new(AllQuery),
            Node::Or(alts) => {
                let qs = alts
                    .iter()
                    .map(|n| self.build(n).map(|q| (Occur::Should, q)))
                    .collect::<Result<Vec<_>, _>>()?;
                Box::new(BooleanQuery::new(qs))
            }
            Node::And(clauses) => {
                let mut qs = vec![];
                for (must, n) in clauses {
                    qs.push((
                        if *must { Occur::Must } else { Occur::MustNot },
                        self.build(n)?,
                    ));
                }
                // A query of only negations means "everything but".
                if qs.iter().all(|(o, _)| *o == Occur::MustNot) {
                    qs.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(qs))
            }
            Node::Match { field, value } => self.matching(kind_of(field.as_deref())?, value)?,
        })
    }

    fn matching(&mut self, kind: Kind, value: &Value) -> Result<Q, String> {
        // `[* TO *]` means "has a value", as `field:*` does (tantivy's RangeQuery needs a bound).
        let value = match value {
            Value::Range {
                lo: None, hi: None, ..
            } => &Value::Any,
            v => v,
        };
        match kind {
            Kind::Text(fields) => self.text(fields, value),
            Kind::Str(name) => match value {
                // Solr's `field:*`: datasets with a value in the field (tags:* → tagged ones).
                Value::Any => Ok(Box::new(ExistsQuery::new(name.to_string(), false))),
                _ => self.string(self.field(name)?, value, Term::from_field_text),
            },
            Kind::Extra(key) => {
                let f = self.fields.extras;
                let path = key.clone();
                let make = move |field: Field, s: &str| {
                    let mut t = Term::from_field_json_path(field, &path, false);
                    t.append_type_and_str(s);
                    t
                };
                match value {
                    Value::Any => Ok(Box::new(ExistsQuery::new(format!("extras.{key}"), false))),
                    Value::Prefix(_) => Err("wildcards are not supported on extras".into()),
                    _ => self.string(f, value, make),
                }
            }
            Kind::Date(name) => self.date(self.field(name)?, name, value),
            Kind::Number(name) => self.number(self.field(name)?, name, value),
        }
    }

    /// Tokens of `s` under each analysis.
    pub(crate) fn analyse(&mut self, s: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
        (
            analyzer::tokens(&mut self.folded, s),
            analyzer::tokens(&mut self.exact, s),
            analyzer::tokens(&mut self.stemmed, s),
        )
    }

    pub(crate) fn terms_query(field: Field, tokens: &[String]) -> Option<Q> {
        match tokens {
            [] => None,
            [one] => Some(Box::new(TermQuery::new(
                Term::from_field_text(field, one),
                IndexRecordOption::WithFreqs,
            ))),
            many => Some(Box::new(PhraseQuery::new(
                many.iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect(),
            ))),
        }
    }

    fn text(&mut self, fields: &[(&str, &str, f32)], value: &Value) -> Result<Q, String> {
        let text = match value {
            Value::Word(w) | Value::Phrase(w) => w.clone(),
            Value::Any => return Ok(Box::new(AllQuery)),
            Value::Prefix(p) => {
                let folded = analyzer::tokens(&mut self.folded, p);
                let Some(last) = folded.last() else {
                    return Ok(Box::new(EmptyQuery));
                };
                let mut alts: Vec<Q> = vec![];
                for (f, _, boost) in fields {
                    let re = format!("{}.*", regex_escape(last));
                    let q =
                        RegexQuery::from_pattern(&re, self.field(f)?).map_err(|e| e.to_string())?;
                    alts.push(Box::new(BoostQuery::new(Box::new(q), *boost)));
                }
                return Ok(Box::new(DisjunctionMaxQuery::new(alts)));
            }
            Value::Range { .. } => return Err("ranges are not supported on text fields".into()),
        };
        let (folded, exact, stemmed) = self.analyse(&text);
        if folded.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        // Exact (diacritics kept) matches rank higher; a query typed without diacritics has
        // nothing to rank that way, and skipping those clauses halves its work.
        let has_diacritics = exact != folded;
        if fields.iter().any(|(f, _, _)| *f == "text") {
            return self.catch_all(&folded, &exact, &stemmed, has_diacritics);
        }
        let mut alts: Vec<Q> = vec![];
        for (f, fx, boost) in fields {
            if let Some(q) = Self::terms_query(self.field(f)?, &folded) {
                alts.push(Box::new(BoostQuery::new(q, *boost)));
            }
            if !has_diacritics {
                continue;
            }
            if let Some(q) = Self::terms_query(self.field(fx)?, &exact) {
                alts.push(Box::new(BoostQuery::new(q, boost * EXACT_BOOST)));
            }
        }
        // English stemming on the catch-all text: "schools" finds "school".
        if fields.iter().any(|(f, _, _)| *f == "text") {
            if let Some(q) = Self::terms_query(self.field("text_en")?, &stemmed) {
                alts.push(Box::new(BoostQuery::new(q, 0.5)));
            }
        }
        Ok(Box::new(DisjunctionMaxQuery::new(alts)))
    }

    /// Words on the catch-all `text` field (and the default fields): `text` holds every
    /// searchable field, with the title and tags repeated as CKAN's `qf` weights them, so it
    /// alone decides what matches and how well. Plain words become a conjunction of terms on
    /// one field, which tantivy answers with block-max pruning; only words typed with
    /// diacritics add a clause, ranking exact matches higher.
    fn catch_all(
        &mut self,
        folded: &[String],
        exact: &[String],
        stemmed: &[String],
        has_diacritics: bool,
    ) -> Result<Q, String> {
        let text = self.field("text")?;
        let Some(mut required) = Self::terms_query(text, folded) else {
            return Ok(Box::new(EmptyQuery));
        };
        // English stemming: "schools" finds "school" (when the stem differs at all).
        if stemmed != folded {
            if let Some(en) = Self::terms_query(self.field("text_en")?, stemmed) {
                required = Box::new(BooleanQuery::new(vec![
                    (Occur::Should, required),
                    (Occur::Should, Box::new(BoostQuery::new(en, 0.5))),
                ]));
            }
        }
        // Exact matches rank higher through `text_exact` alone: it repeats the title as
        // `text` does, so an exact title outranks exact notes, and one optional term costs
        // a seek per match where a choice between fields cost a union.
        let rank = match has_diacritics {
            true => Self::terms_query(self.field("text_exact")?, exact),
            false => None,
        };
        let Some(rank) = rank else {
            return Ok(required);
        };
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Must, required),
            (Occur::Should, Box::new(BoostQuery::new(rank, EXACT_BOOST))),
        ])))
    }

    fn string(
        &self,
        field: Field,
        value: &Value,
        term: impl Fn(Field, &str) -> Term,
    ) -> Result<Q, String> {
        Ok(match value {
            Value::Word(w) | Value::Phrase(w) => Box::new(TermQuery::new(
                term(field, &nfc(w)),
                IndexRecordOption::Basic,
            )),
            Value::Prefix(p) => Box::new(
                RegexQuery::from_pattern(&format!("{}.*", regex_escape(&nfc(p))), field)
                    .map_err(|e| e.to_string())?,
            ),
            Value::Any => Box::new(AllQuery),
            Value::Range {
                lo,
                hi,
                lo_inclusive,
                hi_inclusive,
            } => {
                let b = |v: &Option<String>, inc: bool| match v {
                    None => Bound::Unbounded,
                    Some(s) if inc => Bound::Included(term(field, s)),
                    Some(s) => Bound::Excluded(term(field, s)),
                };
                Box::new(RangeQuery::new(b(lo, *lo_inclusive), b(hi, *hi_inclusive)))
            }
        })
    }

    fn date(&self, field: Field, name: &str, value: &Value) -> Result<Q, String> {
        ordered(name, value, |s| {
            parse_ckan_time(s)
                .map(|t| Term::from_field_date(field, crate::document::date_time(t)))
                .ok_or_else(|| format!("invalid date for {name}: {s}"))
        })
    }

    fn number(&self, field: Field, name: &str, value: &Value) -> Result<Q, String> {
        ordered(name, value, |s| {
            s.trim()
                .parse::<u64>()
                .map(|n| Term::from_field_u64(field, n))
                .map_err(|_| format!("invalid number for {name}: {s}"))
        })
    }
}

/// A value or a range on an ordered field (dates, numbers). A single value is the closed range
/// [v, v]: dates are indexed to the second, so only the fast field compares microseconds.
fn ordered(
    name: &str,
    value: &Value,
    term: impl Fn(&str) -> Result<Term, String>,
) -> Result<Q, String> {
    let bound = |v: &Option<String>, inclusive: bool| -> Result<Bound<Term>, String> {
        Ok(match v {
            None => Bound::Unbounded,
            Some(s) if inclusive => Bound::Included(term(s)?),
            Some(s) => Bound::Excluded(term(s)?),
        })
    };
    match value {
        Value::Any => Ok(Box::new(ExistsQuery::new(name.to_string(), false))),
        Value::Word(w) | Value::Phrase(w) => Ok(Box::new(RangeQuery::new(
            Bound::Included(term(w)?),
            Bound::Included(term(w)?),
        ))),
        Value::Range {
            lo,
            hi,
            lo_inclusive,
            hi_inclusive,
        } => Ok(Box::new(RangeQuery::new(
            bound(lo, *lo_inclusive)?,
            bound(hi, *hi_inclusive)?,
        ))),
        Value::Prefix(_) => Err(format!("wildcards are not supported on {name}")),
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
