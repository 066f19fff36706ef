//! Text analysis for Vietnamese and English: every text is NFC-normalised, then indexed
//! folded (no diacritics, đ→d) so "da nang" finds "Đà Nẵng", exact (diacritics kept) so exact
//! matches rank higher, and stemmed (English) so "schools" finds "school".

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;

pub const FOLDED: &str = "cong_folded";
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
}
