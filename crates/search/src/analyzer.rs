//! Text analysis for Vietnamese and English: every text is NFC-normalised, then indexed
//! folded (no diacritics, đ→d) so "da nang" finds "Đà Nẵng", exact (diacritics kept) so exact
//! matches rank higher, and stemmed (English) so "schools" finds "school". The catch-all field
//! is also indexed with each pair of adjacent syllables joined ("Đắk Lắk" → `dak lak daklak`,
//! "Wi-Fi" → `wi fi wifi`): "daklak" and "wifi" find them, and a query's adjacent words can
//! rank datasets where they stand together (Vietnamese words are mostly two syllables).

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;

pub const FOLDED: &str = "cong_folded";
pub const FOLDED_JOINED: &str = "cong_folded_joined";
pub const EXACT: &str = "cong_exact";
pub const STEMMED: &str = "cong_en";

/// Longest token kept: longer ones are noise (URLs, hashes).
const MAX_TOKEN_LEN: usize = 60;

/// Folds đ/Đ to d/D, which Unicode does not decompose (so AsciiFoldingFilter alone would not
/// reliably), before the generic folding.
#[derive(Clone, Default)]
struct VietnameseFoldTokenizer(SimpleTokenizer);

struct FoldedStream<'a>(tantivy::tokenizer::SimpleTokenStream<'a>);

impl Tokenizer for VietnameseFoldTokenizer {
    type TokenStream<'a> = FoldedStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> FoldedStream<'a> {
        FoldedStream(self.0.token_stream(text))
    }
}

impl TokenStream for FoldedStream<'_> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let t = self.0.token_mut();
        if t.text.contains(['đ', 'Đ']) {
            t.text = t.text.replace('đ', "d").replace('Đ', "D");
        }
        true
    }
    fn token(&self) -> &Token {
        self.0.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

pub fn folded() -> TextAnalyzer {
    TextAnalyzer::builder(VietnameseFoldTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The folded analysis plus, after each token that follows another with only spaces, hyphens
/// or dots between them (no line break or punctuation), the two joined, at the second one's
/// position: phrases still see the plain syllables where they were.
#[derive(Clone)]
struct JoinedTokenizer(TextAnalyzer);

impl Default for JoinedTokenizer {
    fn default() -> Self {
        JoinedTokenizer(folded())
    }
}

/// Tokens computed ahead, handed out one by one.
pub struct ListedStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JoinedTokenizer {
    type TokenStream<'a> = ListedStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> ListedStream {
        let mut plain = vec![];
        let mut stream = self.0.token_stream(text);
        while stream.advance() {
            plain.push(stream.token().clone());
        }
        let mut tokens = Vec::with_capacity(plain.len() * 2);
        for (i, t) in plain.iter().enumerate() {
            tokens.push(t.clone());
            let Some(prev) = i.checked_sub(1).map(|j| &plain[j]) else {
                continue;
            };
            let between = text.get(prev.offset_to..t.offset_from).unwrap_or("\n");
            if between
                .chars()
                .all(|c| matches!(c, ' ' | '\t' | '-' | '.' | '\u{2013}'))
            {
                tokens.push(Token {
                    offset_from: prev.offset_from,
                    offset_to: t.offset_to,
                    position: t.position,
                    text: format!("{}{}", prev.text, t.text),
                    position_length: 1,
                });
            }
        }
        ListedStream { tokens, next: 0 }
    }
}

impl TokenStream for ListedStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }
    fn token_mut(&mut self) -> &mut Token {
        let i = self
            .next
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[i]
    }
}

/// The analysis of the catch-all field: folded, with adjacent syllables also joined.
pub fn folded_joined() -> TextAnalyzer {
    TextAnalyzer::builder(JoinedTokenizer::default()).build()
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .build()
}

pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(VietnameseFoldTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn register(index: &tantivy::Index) {
    let m = index.tokenizers();
    m.register(FOLDED, folded());
    m.register(FOLDED_JOINED, folded_joined());
    m.register(EXACT, exact());
    m.register(STEMMED, stemmed());
}

/// NFC, as every indexed text and every query must be.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The tokens `analyzer` makes of `text` (after NFC).
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let text = nfc(text);
    let mut stream = analyzer.token_stream(&text);
    let mut out = vec![];
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_vietnamese_diacritics() {
        assert_eq!(
            tokens(&mut folded(), "Thành phố Đà Nẵng"),
            ["thanh", "pho", "da", "nang"]
        );
        assert_eq!(tokens(&mut folded(), "ĐÀ NẴNG"), ["da", "nang"]);
        let nfd: String = "Đà Nẵng".nfd().collect();
        assert_eq!(tokens(&mut folded(), &nfd), ["da", "nang"]);
        assert_eq!(tokens(&mut exact(), "Đà Nẵng"), ["đà", "nẵng"]);
        assert_eq!(
            tokens(&mut stemmed(), "schools hospitals"),
            ["school", "hospit"]
        );
    }

    #[test]
    fn adjacent_syllables_are_also_joined() {
        assert_eq!(
            tokens(&mut folded_joined(), "Đắk Lắk, Wi-Fi; TP.HCM\nmới"),
            ["dak", "lak", "daklak", "wi", "fi", "wifi", "tp", "hcm", "tphcm", "moi"]
        );
        // Joined tokens stand at the second syllable's position; phrases see the syllables.
        let mut a = folded_joined();
        let mut s = a.token_stream("giao thông");
        let mut seen = vec![];
        while s.advance() {
            seen.push((s.token().text.clone(), s.token().position));
        }
        assert_eq!(
            seen,
            [
                ("giao".into(), 0),
                ("thong".into(), 1),
                ("giaothong".into(), 1)
            ]
        );
        assert!(tokens(&mut folded_joined(), "").is_empty());
    }
}
