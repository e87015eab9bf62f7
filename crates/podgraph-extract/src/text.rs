//! Tokenisation and sentence splitting of a normalised transcript, done once per episode.
//!
//! Tokens and sentences carry absolute byte offsets into the episode text, so every later
//! stage can build evidence spans without searching the text again. The scanner looks at
//! each character once and keeps no backtracking state, so it runs in linear time.

use std::ops::Range;

use podgraph_core::model::NormalizedTranscript;

/// Abbreviations that keep their final period, compared in lowercase without it.
const ABBREVIATIONS: &[&str] = &[
    "dr", "mr", "mrs", "ms", "mx", "prof", "st", "jr", "sr", "mt", "inc", "corp", "ltd", "co",
    "vs", "gen", "gov", "sen", "rev", "capt", "lt", "sgt", "dept", "univ", "approx", "e.g", "i.e",
    "a.k.a",
];

/// What a token is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Letters, all lowercase (`podcast`).
    Lower,
    /// Starts with an uppercase letter and has lowercase letters (`Guido`, `McDonald`).
    Capitalized,
    /// Two or more letters, all uppercase (`NASA`, `U.S.`, `GPT-3`).
    AllCaps,
    /// One uppercase letter, with or without a period (`F.`, `X`).
    Initial,
    /// Starts lowercase and has an uppercase letter later (`iPhone`, `eBay`).
    Mixed,
    /// Digits without letters (`2024`, `2.0`).
    Number,
    /// Anything else: one punctuation or symbol character.
    Punct,
}

impl Shape {
    /// True for shapes that can start or continue a name.
    pub(crate) fn is_name_like(self) -> bool {
        matches!(
            self,
            Self::Capitalized | Self::AllCaps | Self::Initial | Self::Mixed
        )
    }

    /// True for tokens made of letters or digits.
    pub(crate) fn is_word(self) -> bool {
        !matches!(self, Self::Punct)
    }
}

/// One token of the episode text.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// First byte in the episode text.
    pub(crate) start: usize,
    /// One past the last byte.
    pub(crate) end: usize,
    /// What the token is made of.
    pub(crate) shape: Shape,
    /// Whether the token is the first word of a sentence or of a clause after `:` or an
    /// opening quote, where capitalisation says nothing about names.
    pub(crate) sentence_start: bool,
    /// Range of the lowercase form in [`Document::lower_arena`].
    lower: Range<usize>,
}

/// A sentence: a token range inside one segment.
#[derive(Clone, Debug)]
pub(crate) struct Sentence {
    /// Index of the segment in the transcript.
    pub(crate) segment: usize,
    /// Tokens of the sentence.
    pub(crate) tokens: Range<usize>,
    /// First byte in the episode text.
    pub(crate) start: usize,
    /// One past the last byte.
    pub(crate) end: usize,
}

/// The tokenised episode.
pub(crate) struct Document<'a> {
    /// The episode text every offset points into.
    pub(crate) text: &'a str,
    /// Tokens in text order.
    pub(crate) tokens: Vec<Token>,
    /// Sentences in text order.
    pub(crate) sentences: Vec<Sentence>,
    /// Token range of each segment, by segment index; empty for unreadable segments.
    pub(crate) segment_tokens: Vec<Range<usize>>,
    /// Whether capitalisation is informative: false for all-caps or all-lowercase text.
    pub(crate) cased: bool,
    lower_arena: String,
}

impl<'a> Document<'a> {
    /// Tokenises every segment of `transcript`. A segment whose span does not point into
    /// the text on character boundaries is skipped.
    pub(crate) fn new(transcript: &'a NormalizedTranscript) -> Self {
        let text = transcript.text.as_str();
        let mut document = Document {
            text,
            tokens: Vec::with_capacity(text.len() / 5),
            sentences: Vec::with_capacity(text.len() / 60),
            segment_tokens: Vec::with_capacity(transcript.segments.len()),
            cased: true,
            lower_arena: String::with_capacity(text.len()),
        };
        for (index, segment) in transcript.segments.iter().enumerate() {
            let first = document.tokens.len();
            if segment.span.slice(text).is_some() {
                document.tokenize(segment.span.start, segment.span.end);
                document.split_sentences(index, first);
            }
            document.segment_tokens.push(first..document.tokens.len());
        }
        document.cased = is_cased(&document.tokens);
        document
    }

    /// The token's text.
    pub(crate) fn surface(&self, token: &Token) -> &'a str {
        self.text.get(token.start..token.end).unwrap_or("")
    }

    /// The token's lowercase text, with typographic apostrophes folded to `'`.
    pub(crate) fn lower(&self, token: &Token) -> &str {
        self.lower_arena.get(token.lower.clone()).unwrap_or("")
    }

    /// The lowercase text of token `index`, or `""` past the end.
    pub(crate) fn lower_at(&self, index: usize) -> &str {
        self.tokens.get(index).map_or("", |token| self.lower(token))
    }

    /// The text between two byte offsets, or `""` when they are not valid.
    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn push_token(&mut self, start: usize, end: usize, shape: Shape) {
        let word = self.text.get(start..end).unwrap_or("");
        let lower_start = self.lower_arena.len();
        if word.is_ascii() {
            self.lower_arena.push_str(word);
            self.lower_arena[lower_start..].make_ascii_lowercase();
        } else {
            for c in word.chars() {
                if c == '\u{2019}' || c == '\u{2018}' {
                    self.lower_arena.push('\'');
                } else {
                    self.lower_arena.extend(c.to_lowercase());
                }
            }
        }
        let lower = lower_start..self.lower_arena.len();
        self.tokens.push(Token {
            start,
            end,
            shape,
            sentence_start: false,
            lower,
        });
    }

    /// Splits `text[start..end]` into word and punctuation tokens.
    fn tokenize(&mut self, start: usize, end: usize) {
        let Some(segment) = self.text.get(start..end) else {
            return;
        };
        let mut chars = segment.char_indices().peekable();
        while let Some((offset, c)) = chars.next() {
            if c.is_whitespace() {
                continue;
            }
            let token_start = start + offset;
            if !c.is_alphanumeric() {
                self.push_token(token_start, token_start + c.len_utf8(), Shape::Punct);
                continue;
            }
            // A word runs through letters and digits, and through one joiner (apostrophe,
            // hyphen, period, ampersand, plus) that has a letter or digit right after it.
            let mut token_end = token_start + c.len_utf8();
            let mut scanner = chars.clone();
            loop {
                match scanner.next() {
                    Some((_, next)) if next.is_alphanumeric() => {
                        token_end += next.len_utf8();
                        chars.next();
                    }
                    Some((_, joiner)) if is_joiner(joiner) => match scanner.peek() {
                        Some(&(_, after)) if after.is_alphanumeric() => {
                            token_end += joiner.len_utf8();
                            chars.next();
                        }
                        _ => break,
                    },
                    _ => break,
                }
            }
            let word = self.text.get(token_start..token_end).unwrap_or("");
            // Keep the period of an abbreviation, an initial or a dotted acronym.
            if let Some(&(_, '.')) = chars.peek()
                && keeps_period(word)
            {
                chars.next();
                token_end += 1;
            }
            let shape = shape_of(self.text.get(token_start..token_end).unwrap_or(""));
            self.push_token(token_start, token_end, shape);
        }
    }

    /// Splits the tokens from `first` on into sentences of segment `segment`.
    fn split_sentences(&mut self, segment: usize, first: usize) {
        let last = self.tokens.len();
        let mut sentence_first = first;
        let mut clause_start = true;
        let mut index = first;
        while index < last {
            let shape = self.tokens[index].shape;
            if shape.is_word() {
                if clause_start {
                    self.tokens[index].sentence_start = true;
                    clause_start = false;
                }
                index += 1;
                continue;
            }
            let punct = self.surface_at(index);
            if matches!(punct, "." | "!" | "?" | "\u{2026}") {
                // Closing quotes and brackets right after the terminator stay with it.
                let mut end = index + 1;
                while end < last && is_closing(self.surface_at(end)) {
                    end += 1;
                }
                self.push_sentence(segment, sentence_first, end);
                sentence_first = end;
                clause_start = true;
                index = end;
                continue;
            }
            if matches!(
                punct,
                ":" | "\"" | "\u{201c}" | "(" | "[" | "-" | "\u{2013}" | "\u{2014}"
            ) {
                clause_start = true;
            }
            index += 1;
        }
        if sentence_first < last {
            self.push_sentence(segment, sentence_first, last);
        }
    }

    /// The text of token `index`, or `""` past the end.
    pub(crate) fn surface_at(&self, index: usize) -> &'a str {
        self.tokens
            .get(index)
            .map_or("", |token| self.surface(token))
    }

    fn push_sentence(&mut self, segment: usize, first: usize, end: usize) {
        if !self.tokens[first..end].iter().any(|t| t.shape.is_word()) {
            return;
        }
        let start = self.tokens[first].start;
        let stop = self.tokens[end - 1].end;
        self.sentences.push(Sentence {
            segment,
            tokens: first..end,
            start,
            end: stop,
        });
    }
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '-' | '.' | '&' | '+' | '_')
}

fn is_closing(punct: &str) -> bool {
    matches!(punct, "\"" | "\u{201d}" | "\u{2019}" | "'" | ")" | "]")
}

/// Whether a word keeps a period that follows it: initials (`F.`), dotted acronyms
/// (`U.S.`) and known abbreviations (`Dr.`). The pronoun `I` ends sentences too often
/// ("so did I.") to count as an initial.
fn keeps_period(word: &str) -> bool {
    let mut chars = word.chars();
    if let (Some(first), None) = (chars.next(), chars.next()) {
        return first.is_uppercase() && first != 'I';
    }
    let dotted = word.len() >= 3
        && word
            .split('.')
            .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic));
    if dotted {
        return true;
    }
    ABBREVIATIONS
        .iter()
        .any(|abbreviation| word.eq_ignore_ascii_case(abbreviation))
}

fn shape_of(word: &str) -> Shape {
    let mut letters = 0usize;
    let mut upper = 0usize;
    let mut first_upper = None;
    for c in word.chars() {
        if c.is_alphabetic() {
            letters += 1;
            let is_upper = c.is_uppercase();
            if is_upper {
                upper += 1;
            }
            if first_upper.is_none() {
                first_upper = Some(is_upper);
            }
        }
    }
    match (letters, first_upper) {
        (0, _) => Shape::Number,
        (1, Some(true)) => Shape::Initial,
        (_, Some(true)) if upper == letters => Shape::AllCaps,
        (_, Some(true)) => Shape::Capitalized,
        (_, _) if upper > 0 => Shape::Mixed,
        _ => Shape::Lower,
    }
}

/// Whether the text uses capitalisation in the ordinary way. All-caps captions and
/// all-lowercase ASR output are not cased, and entity detection then relies on the name
/// lists alone.
fn is_cased(tokens: &[Token]) -> bool {
    let mut words = 0usize;
    let mut lower = 0usize;
    let mut caps = 0usize;
    let mut capitalized_inside = 0usize;
    for token in tokens {
        match token.shape {
            Shape::Lower => lower += 1,
            Shape::AllCaps => caps += 1,
            Shape::Capitalized | Shape::Mixed if !token.sentence_start => capitalized_inside += 1,
            _ => {}
        }
        if token.shape.is_word() && token.shape != Shape::Number {
            words += 1;
        }
    }
    if words < 20 {
        return true;
    }
    let all_caps = caps * 2 > words;
    let no_capitals = lower * 100 > words * 97 && capitalized_inside == 0;
    !(all_caps || no_capitals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use podgraph_core::ids::{EpisodeId, EpisodeKey, PodcastId, SegmentId};
    use podgraph_core::model::{Segment, TextSpan, TranscriptFormat};

    fn transcript(texts: &[&str]) -> NormalizedTranscript {
        let episode = EpisodeId::derive(
            PodcastId::from_feed_url("example.com/feed"),
            &EpisodeKey::Guid { guid: "1".into() },
        );
        let mut text = String::new();
        let mut segments = Vec::new();
        for (index, part) in texts.iter().enumerate() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let start = text.len();
            text.push_str(part);
            segments.push(Segment {
                id: SegmentId::derive(episode, index),
                episode_id: episode,
                index,
                start_ms: 0,
                end_ms: 0,
                speaker: None,
                text: (*part).to_owned(),
                span: TextSpan::new(start, text.len()),
                chapter: None,
            });
        }
        NormalizedTranscript {
            text,
            segments,
            speakers: Vec::new(),
            language: None,
            format: TranscriptFormat::Text,
        }
    }

    fn surfaces<'a>(document: &Document<'a>) -> Vec<&'a str> {
        document
            .tokens
            .iter()
            .map(|t| document.surface(t))
            .collect()
    }

    #[test]
    fn words_keep_joiners_and_abbreviation_periods() {
        let transcript =
            transcript(&["Dr. John F. Smith didn't use node.js at AT&T in the U.S. today."]);
        let document = Document::new(&transcript);
        assert_eq!(
            surfaces(&document),
            [
                "Dr.", "John", "F.", "Smith", "didn't", "use", "node.js", "at", "AT&T", "in",
                "the", "U.S.", "today", "."
            ]
        );
        assert_eq!(document.sentences.len(), 1);
    }

    #[test]
    fn shapes_are_classified() {
        assert_eq!(shape_of("Guido"), Shape::Capitalized);
        assert_eq!(shape_of("NASA"), Shape::AllCaps);
        assert_eq!(shape_of("U.S."), Shape::AllCaps);
        assert_eq!(shape_of("F."), Shape::Initial);
        assert_eq!(shape_of("iPhone"), Shape::Mixed);
        assert_eq!(shape_of("2024"), Shape::Number);
        assert_eq!(shape_of("podcast"), Shape::Lower);
        assert_eq!(shape_of("Éric"), Shape::Capitalized);
    }

    #[test]
    fn sentences_split_at_terminators_and_segments() {
        let transcript = transcript(&["Hello there. Is it \"done?\" Yes", "Next one!"]);
        let document = Document::new(&transcript);
        let sentences: Vec<&str> = document
            .sentences
            .iter()
            .map(|s| document.slice(s.start, s.end))
            .collect();
        assert_eq!(
            sentences,
            ["Hello there.", "Is it \"done?\"", "Yes", "Next one!"]
        );
        assert_eq!(document.sentences[3].segment, 1);
        assert_eq!(document.segment_tokens.len(), 2);
    }

    #[test]
    fn sentence_start_is_marked_after_colon() {
        let transcript = transcript(&["It asks: Why the Moon? Then stop."]);
        let document = Document::new(&transcript);
        let starts: Vec<&str> = document
            .tokens
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| document.surface(t))
            .collect();
        assert_eq!(starts, ["It", "Why", "Then"]);
    }

    #[test]
    fn lowercase_form_folds_typographic_apostrophe() {
        let transcript = transcript(&["Guido\u{2019}s ÉCOLE"]);
        let document = Document::new(&transcript);
        assert_eq!(document.lower(&document.tokens[0]), "guido's");
        assert_eq!(document.lower(&document.tokens[1]), "école");
    }

    #[test]
    fn invalid_segment_span_is_skipped() {
        let mut transcript = transcript(&["abc", "def"]);
        transcript.segments[0].span = TextSpan::new(1, 400);
        let document = Document::new(&transcript);
        assert!(document.segment_tokens[0].is_empty());
        assert_eq!(surfaces(&document), ["def"]);
    }

    #[test]
    fn all_caps_text_is_not_cased() {
        let shouting = "THIS IS A CAPTION IN CAPITALS ABOUT GUIDO VAN ROSSUM AND PYTHON ".repeat(3);
        let transcript = transcript(&[shouting.as_str()]);
        assert!(!Document::new(&transcript).cased);
    }
}
