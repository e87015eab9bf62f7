//! Cue text cleanup: from caption markup to the plain text of a [`Cue`].
//!
//! WebVTT cue text follows the WebVTT cue text tokenizer: everything from `<` to the next
//! `>` (or to the end of the cue) is a tag and is removed, whatever its name. That covers
//! `<b> <i> <u> <c.class> <ruby> <rt> <lang>`, inline timestamps such as `<00:17.500>` and
//! unknown tags like `<font>`. Text inside `<ruby>`/`<rt>` is kept, so the result is the
//! concatenated text content of the cue. Voice tags `<v Name>` and `<v.class Name>` also
//! record where a speaker starts.
//!
//! SRT has no markup standard; players accept a handful of HTML-like tags. There only
//! known tag names are removed (`b i u s font v c lang ruby rt span em strong br`), so a
//! literal `a < b` survives, and ASS override blocks such as `{\an8}` are removed, with
//! `\N` a line break and `\h` a no-break space.
//!
//! In both, HTML character references are decoded with the HTML rules: `&amp;`, `&lt;`,
//! `&nbsp;`, `&lrm;`, `&#32;`, and legacy names without `;` such as `&amp`. Each line is
//! trimmed of spaces and tabs, empty lines are dropped, and lines are joined with `\n`.
//!
//! [`Cue`]: podgraph_core::model::Cue

use crate::transcript::lines::{is_space, trim_spaces_start};

/// The markup rules to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkupStyle {
    /// WebVTT cue text: every `<...>` is a tag.
    WebVtt,
    /// SRT: known HTML-like tags, ASS override blocks and `\N`, `\h` escapes.
    Srt,
}

/// The plain text of a cue and the voices that speak in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CueText {
    /// Plain text: tags removed, references decoded, lines trimmed and joined with `\n`.
    pub text: String,
    /// Voice tags with a name, in order.
    pub voices: Vec<VoiceStart>,
    /// Whether a `<` had no closing `>`, so the rest of the cue was read as a tag
    /// (WebVTT only).
    pub unterminated_tag: bool,
}

/// A voice tag `<v Name>`: the speaker of the text from `offset` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceStart {
    /// Byte offset into [`CueText::text`] where the voice's text begins.
    pub offset: usize,
    /// The voice name (the tag annotation) with whitespace collapsed.
    pub name: String,
}

/// Tag names that SRT players hide; any other `<...>` is kept as text.
const SRT_TAGS: &[&str] = &[
    "b", "i", "u", "s", "font", "v", "c", "lang", "ruby", "rt", "span", "em", "strong", "br",
];

/// Bytes that start markup or end a line in WebVTT cue text.
static WEBVTT_SPECIAL: [bool; 256] = byte_set(b"<&\n\r");

/// Bytes that start markup or end a line in SRT cue text.
static SRT_SPECIAL: [bool; 256] = byte_set(b"<&\n\r{\\");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut index = 0;
    while index < bytes.len() {
        set[bytes[index] as usize] = true;
        index += 1;
    }
    set
}

/// Cleans one cue's raw text, which may span lines ended by LF, CR or CRLF.
pub fn clean_cue_text(raw: &str, style: MarkupStyle) -> CueText {
    let mut cleaner = Cleaner {
        raw,
        style,
        out: TextBuilder::with_capacity(raw.len()),
        voices: Vec::new(),
        pending_voice: None,
        unterminated_tag: false,
    };
    cleaner.run();
    let text = cleaner.out.finish();
    if let Some(name) = cleaner.pending_voice {
        cleaner.voices.push(VoiceStart {
            offset: text.len(),
            name,
        });
    }
    CueText {
        text,
        voices: cleaner.voices,
        unterminated_tag: cleaner.unterminated_tag,
    }
}

struct Cleaner<'a> {
    raw: &'a str,
    style: MarkupStyle,
    out: TextBuilder,
    voices: Vec<VoiceStart>,
    /// A voice whose text has not started yet; its offset is known at the next text.
    pending_voice: Option<String>,
    unterminated_tag: bool,
}

impl Cleaner<'_> {
    fn emit(&mut self, text: &str) {
        if let Some(offset) = self.out.push(text) {
            if let Some(name) = self.pending_voice.take() {
                self.voices.push(VoiceStart { offset, name });
            }
        }
    }

    fn run(&mut self) {
        let bytes = self.raw.as_bytes();
        let special = match self.style {
            MarkupStyle::WebVtt => &WEBVTT_SPECIAL,
            MarkupStyle::Srt => &SRT_SPECIAL,
        };

        // Most WebVTT cue text has no CR, so a three-byte search finds every special byte.
        // Other text is scanned byte by byte against the table.
        let fast = self.style == MarkupStyle::WebVtt && memchr::memchr(b'\r', bytes).is_none();
        let next_special = |from: usize| -> Option<usize> {
            let rest = bytes.get(from..)?;
            let offset = if fast {
                memchr::memchr3(b'<', b'&', b'\n', rest)
            } else {
                rest.iter().position(|&byte| special[usize::from(byte)])
            };
            offset.map(|offset| from + offset)
        };

        let mut plain_start = 0;
        while let Some(position) = next_special(plain_start) {
            let Some(&byte) = bytes.get(position) else {
                break;
            };
            self.push_plain(plain_start, position);

            let next = match byte {
                b'\n' => {
                    self.out.line_break();
                    position + 1
                }
                b'\r' => {
                    self.out.line_break();
                    if bytes.get(position + 1) == Some(&b'\n') {
                        position + 2
                    } else {
                        position + 1
                    }
                }
                b'&' => self.reference(position),
                b'<' => match self.style {
                    MarkupStyle::WebVtt => self.webvtt_tag(position),
                    MarkupStyle::Srt => self.srt_tag(position),
                },
                b'{' => self.ass_override(position),
                _ => self.ass_escape(position),
            };
            plain_start = next;
        }
        self.push_plain(plain_start, bytes.len());
    }

    fn push_plain(&mut self, start: usize, end: usize) {
        if start < end {
            if let Some(text) = self.raw.get(start..end) {
                self.emit(text);
            }
        }
    }

    /// Decodes the character reference starting at `at` (an `&`) and returns where the
    /// text continues.
    fn reference(&mut self, at: usize) -> usize {
        let bytes = self.raw.as_bytes();
        let mut end = at + 1;
        while bytes
            .get(end)
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'#')
        {
            end += 1;
        }
        if bytes.get(end) == Some(&b';') {
            end += 1;
        }
        if let Some(reference) = self.raw.get(at..end) {
            let decoded = htmlize::unescape(reference);
            // `&#10;` and `&#13;` decode to line terminators, which end the line here too.
            for (index, piece) in decoded.split(['\n', '\r']).enumerate() {
                if index > 0 {
                    self.out.line_break();
                }
                self.emit(piece);
            }
        }
        end
    }

    /// Handles a WebVTT tag starting at `at` (a `<`) and returns where the text continues.
    fn webvtt_tag(&mut self, at: usize) -> usize {
        let bytes = self.raw.as_bytes();
        let content_start = at + 1;
        let (content_end, next) = match bytes
            .get(content_start..)
            .and_then(|rest| memchr::memchr(b'>', rest))
        {
            Some(offset) => (content_start + offset, content_start + offset + 1),
            None => {
                self.unterminated_tag = true;
                (bytes.len(), bytes.len())
            }
        };
        let content = self.raw.get(content_start..content_end).unwrap_or_default();
        self.start_tag(content);
        next
    }

    /// Handles an SRT tag starting at `at` (a `<`): a known tag closed on the same line is
    /// removed, anything else is kept as text.
    fn srt_tag(&mut self, at: usize) -> usize {
        let bytes = self.raw.as_bytes();
        let rest = bytes.get(at + 1..).unwrap_or_default();
        let line_end = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        let line = rest.get(..line_end).unwrap_or_default();

        let closing = line.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_len = line
            .get(name_start..)
            .unwrap_or_default()
            .iter()
            .take_while(|byte| byte.is_ascii_alphabetic())
            .count();
        let name = line
            .get(name_start..name_start + name_len)
            .unwrap_or_default();
        let after_name = line.get(name_start + name_len).copied();
        let known = SRT_TAGS
            .iter()
            .any(|tag| tag.as_bytes().eq_ignore_ascii_case(name));
        let delimited = matches!(after_name, Some(b'>' | b'.' | b'/') | Some(b' ' | b'\t'));

        match memchr::memchr(b'>', line) {
            Some(gt) if known && delimited => {
                let content = self.raw.get(at + 1..at + 1 + gt).unwrap_or_default();
                if !closing {
                    self.start_tag(content);
                }
                at + 1 + gt + 1
            }
            _ => {
                self.emit("<");
                at + 1
            }
        }
    }

    /// Acts on the content of a start tag (between `<` and `>`): records voices and turns
    /// `<br>` into a line break. Every other tag only disappears.
    fn start_tag(&mut self, content: &str) {
        let name_end = content
            .bytes()
            .position(|byte| byte == b'.' || byte.is_ascii_whitespace())
            .unwrap_or(content.len());
        let name = content.get(..name_end).unwrap_or_default();
        if name == "v" || (self.style == MarkupStyle::Srt && name.eq_ignore_ascii_case("v")) {
            let annotation_start = content
                .bytes()
                .position(|byte| byte.is_ascii_whitespace())
                .unwrap_or(content.len());
            let annotation = content.get(annotation_start..).unwrap_or_default();
            let name = collapse_whitespace(&htmlize::unescape(annotation));
            if !name.is_empty() {
                self.pending_voice = Some(name);
            }
        } else if name.eq_ignore_ascii_case("br") || name.eq_ignore_ascii_case("br/") {
            self.out.line_break();
        }
    }

    /// Removes an ASS override block `{\...}` on one line; a `{` that does not start
    /// one is text.
    fn ass_override(&mut self, at: usize) -> usize {
        let bytes = self.raw.as_bytes();
        if bytes.get(at + 1) == Some(&b'\\') {
            let rest = bytes.get(at..).unwrap_or_default();
            let line_end = memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
            if let Some(close) = memchr::memchr(b'}', rest.get(..line_end).unwrap_or_default()) {
                return at + close + 1;
            }
        }
        self.emit("{");
        at + 1
    }

    /// Handles the ASS escapes `\N`, `\n` (line break) and `\h` (no-break space); any other
    /// backslash is text.
    fn ass_escape(&mut self, at: usize) -> usize {
        match self.raw.as_bytes().get(at + 1) {
            Some(b'N' | b'n') => {
                self.out.line_break();
                at + 2
            }
            Some(b'h') => {
                self.emit("\u{A0}");
                at + 2
            }
            _ => {
                self.emit("\\");
                at + 1
            }
        }
    }
}

/// Collapses runs of ASCII whitespace to one space and trims the ends.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_ascii_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Builds plain text line by line: trims spaces and tabs at both ends of each line and
/// drops empty lines.
#[derive(Debug)]
struct TextBuilder {
    out: String,
    line_has_text: bool,
    pending_newline: bool,
}

impl TextBuilder {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            out: String::with_capacity(capacity),
            line_has_text: false,
            pending_newline: false,
        }
    }

    /// Appends text and returns the offset where it starts, or `None` when nothing was
    /// appended (only spaces at the start of a line).
    fn push(&mut self, text: &str) -> Option<usize> {
        let text = if self.line_has_text {
            text
        } else {
            trim_spaces_start(text)
        };
        if text.is_empty() {
            return None;
        }
        if self.pending_newline {
            self.out.push('\n');
            self.pending_newline = false;
        }
        let offset = self.out.len();
        self.out.push_str(text);
        self.line_has_text = true;
        Some(offset)
    }

    fn line_break(&mut self) {
        if self.line_has_text {
            self.trim_line_end();
            self.pending_newline = true;
            self.line_has_text = false;
        }
    }

    fn trim_line_end(&mut self) {
        let trimmed = self
            .out
            .as_bytes()
            .iter()
            .rposition(|&byte| !is_space(byte))
            .map_or(0, |last| last + 1);
        self.out.truncate(trimmed);
    }

    fn finish(mut self) -> String {
        self.trim_line_end();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vtt(raw: &str) -> String {
        clean_cue_text(raw, MarkupStyle::WebVtt).text
    }

    fn srt(raw: &str) -> String {
        clean_cue_text(raw, MarkupStyle::Srt).text
    }

    #[test]
    fn plain_text_is_trimmed_per_line() {
        assert_eq!(vtt(" Buenas, bienvenidas "), "Buenas, bienvenidas");
        assert_eq!(vtt("a  \r\n  b\rc\n\n d"), "a\nb\nc\nd");
        assert_eq!(vtt("   "), "");
    }

    #[test]
    fn webvtt_tags_are_removed() {
        assert_eq!(vtt("a<c.d e>b</c>c"), "abc");
        assert_eq!(vtt("<i>las mujeres</i>\n<i>algo</i>"), "las mujeres\nalgo");
        assert_eq!(
            vtt("this<00:05:04.199><c> will</c><c.colorE5E5E5><00:05:04.379><c> happen</c></c>"),
            "this will happen"
        );
        assert_eq!(vtt("<ruby>test<rt>test</rt></ruby>test"), "testtesttest");
        assert_eq!(vtt("<c></\nc>x"), "x");
        assert_eq!(vtt("<font color=\"red\">red</font>"), "red");
    }

    #[test]
    fn webvtt_unterminated_tag_swallows_the_rest() {
        let cleaned = clean_cue_text("&<c", MarkupStyle::WebVtt);
        assert_eq!(cleaned.text, "&");
        assert!(cleaned.unterminated_tag);
        assert!(!clean_cue_text("<b>x</b>", MarkupStyle::WebVtt).unterminated_tag);
    }

    #[test]
    fn voices_are_recorded() {
        let cleaned = clean_cue_text(
            "<v.loud Yuri  Bakulin>There you go.</v>",
            MarkupStyle::WebVtt,
        );
        assert_eq!(cleaned.text, "There you go.");
        assert_eq!(
            cleaned.voices,
            [VoiceStart {
                offset: 0,
                name: "Yuri Bakulin".into()
            }]
        );
        let two = clean_cue_text("<v Bob>Hi</v>\n<v Alice>Hello", MarkupStyle::WebVtt);
        assert_eq!(two.text, "Hi\nHello");
        assert_eq!(two.voices.len(), 2);
        assert_eq!(two.voices[1].offset, 3);
        assert!(
            clean_cue_text("<v>test", MarkupStyle::WebVtt)
                .voices
                .is_empty()
        );
    }

    #[test]
    fn references_are_decoded() {
        assert_eq!(vtt("Q&amp;A"), "Q&A");
        assert_eq!(vtt("2 &lt; 3"), "2 < 3");
        assert_eq!(vtt("a&lrm;b"), "a\u{200E}b");
        assert_eq!(vtt("&nbsp;"), "\u{A0}");
        assert_eq!(vtt("a&#32;x&#x41;"), "a xA");
        assert_eq!(vtt("&amp"), "&");
        assert_eq!(vtt("&notit;"), "\u{AC}it;");
        assert_eq!(vtt("&1;"), "&1;");
        assert_eq!(vtt("AT&T"), "AT&T");
        assert_eq!(vtt("a &#10; b&#13;&#10;c"), "a\nb\nc");
    }

    #[test]
    fn srt_removes_only_known_tags() {
        assert_eq!(srt("<b><i>bold</i></b>"), "bold");
        assert_eq!(srt("<font color=\"#0000FF\">blue</font>"), "blue");
        assert_eq!(srt("2 < 3 and 4 > 1"), "2 < 3 and 4 > 1");
        assert_eq!(srt("<wwww>kept</wwww>"), "<wwww>kept</wwww>");
        assert_eq!(srt("<B>upper</B>"), "upper");
    }

    #[test]
    fn srt_ass_overrides_and_escapes() {
        assert_eq!(srt("{\\an8}top"), "top");
        assert_eq!(srt("a{\\an6}b"), "ab");
        assert_eq!(srt("{normal text}"), "{normal text}");
        assert_eq!(srt("one\\Ntwo"), "one\ntwo");
        assert_eq!(srt("A\\hB"), "A\u{A0}B");
        assert_eq!(srt("\\TEST"), "\\TEST");
    }

    #[test]
    fn srt_voice_tags_give_speakers() {
        let cleaned = clean_cue_text("<v Sarah>In today's episode", MarkupStyle::Srt);
        assert_eq!(cleaned.text, "In today's episode");
        assert_eq!(cleaned.voices[0].name, "Sarah");
    }
}
