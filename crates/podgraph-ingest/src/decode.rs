//! Decoding bytes to text with the precedence real documents need: a byte order mark,
//! then the charset the transport declared, then (for XML) the encoding declaration, then
//! UTF-8 with U+FFFD for stray bytes.
//!
//! Plain-text formats (transcripts) have no declaration, so for them a file that is not
//! valid UTF-8 and contains no valid multi-byte UTF-8 sequence is taken to be in the
//! legacy single-byte encoding windows-1252 (a superset of ISO-8859-1), and UTF-16
//! without a byte order mark is recognised by its pattern of zero bytes.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::diag::{Position, Warning};

/// Which rules apply after the byte order mark and the transport charset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// XML: the `<?xml encoding="..."?>` declaration is honoured; stray bytes are replaced.
    Xml,
    /// Plain text: legacy single-byte and BOM-less UTF-16 files are recognised.
    Plain,
}

/// Decoded text and how it was decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without a byte order mark.
    pub text: String,
    /// Name of the encoding used (`UTF-8`, `UTF-16LE`, `windows-1252`, ...).
    pub encoding: &'static str,
    /// Repairs made while decoding.
    pub warnings: Vec<Warning>,
}

/// Decodes `bytes`; `transport_charset` is the `charset` parameter of an HTTP
/// `Content-Type`, when there was one.
pub fn decode(bytes: &[u8], transport_charset: Option<&str>, kind: TextKind) -> Decoded {
    let mut warnings = Vec::new();

    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return finish(encoding, &bytes[bom_len..], warnings);
    }

    if let Some(label) = transport_charset.map(str::trim).filter(|l| !l.is_empty()) {
        match Encoding::for_label(label.as_bytes()) {
            Some(encoding) => return finish(encoding, bytes, warnings),
            None => warnings.push(Warning::general(
                "unknown-charset",
                format!("unknown transport charset {label:?} ignored"),
            )),
        }
    }

    if let Some(encoding) = sniff_utf16(bytes) {
        warnings.push(Warning::general(
            "utf16-without-bom",
            format!(
                "no byte order mark, but the zero bytes show {}",
                encoding.name()
            ),
        ));
        return finish(encoding, bytes, warnings);
    }

    match kind {
        TextKind::Xml => {
            if let Some(label) = xml_declared_encoding(bytes) {
                match Encoding::for_label(label.as_bytes()) {
                    // A UTF-16 declaration on bytes without a BOM or zero-byte pattern is
                    // wrong: the bytes read as ASCII, so the declaration is ignored.
                    Some(encoding) if encoding == UTF_16LE || encoding == UTF_16BE => {
                        warnings.push(Warning::general(
                            "declared-encoding-ignored",
                            format!("declared encoding {label:?} does not match the bytes; read as UTF-8"),
                        ));
                    }
                    Some(encoding) => return finish(encoding, bytes, warnings),
                    None => warnings.push(Warning::general(
                        "unknown-charset",
                        format!("unknown declared encoding {label:?}; read as UTF-8"),
                    )),
                }
            }
            finish(UTF_8, bytes, warnings)
        }
        TextKind::Plain => {
            if std::str::from_utf8(bytes).is_err() && !has_multibyte_utf8(bytes) {
                warnings.push(Warning::general(
                    "legacy-encoding",
                    "not valid UTF-8 and no multi-byte UTF-8 sequence found; decoded as windows-1252",
                ));
                return finish(WINDOWS_1252, bytes, warnings);
            }
            finish(UTF_8, bytes, warnings)
        }
    }
}

fn finish(encoding: &'static Encoding, bytes: &[u8], mut warnings: Vec<Warning>) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let text = text.into_owned();
    if had_errors {
        let first = text.find('\u{FFFD}').unwrap_or(0);
        warnings.push(Warning::at(
            Position::of_offset(&text, first),
            "invalid-bytes",
            format!(
                "bytes that are not valid {} were replaced with U+FFFD",
                encoding.name()
            ),
        ));
    }
    Decoded {
        text,
        encoding: encoding.name(),
        warnings,
    }
}

/// Recognises UTF-16 without a BOM: in ASCII-heavy text every other byte is zero.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_zero = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zero = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let mostly = |count: usize| count * 10 >= pairs * 7;
    let rarely = |count: usize| count * 10 <= pairs;
    if mostly(odd_zero) && rarely(even_zero) {
        Some(UTF_16LE)
    } else if mostly(even_zero) && rarely(odd_zero) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Whether the bytes contain at least one well-formed multi-byte UTF-8 sequence.
fn has_multibyte_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => return !valid.is_ascii(),
            Err(error) => {
                let valid = &rest[..error.valid_up_to()];
                if !valid.is_ascii() {
                    return true;
                }
                let skip = error
                    .error_len()
                    .unwrap_or(rest.len() - error.valid_up_to());
                rest = &rest[error.valid_up_to() + skip..];
            }
        }
    }
}

/// Reads `encoding="..."` from an XML declaration near the start of the document. The
/// declaration may follow whitespace or a comment, as in some real feeds.
fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(2048)];
    let start = memchr::memmem::find(head, b"<?xml")?;
    let end = start + memchr::memmem::find(&head[start..], b"?>")?;
    let declaration = std::str::from_utf8(&head[start..end]).ok()?;
    let at = declaration.find("encoding")?;
    let rest = declaration[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_is_stripped() {
        let decoded = decode(b"\xEF\xBB\xBFWEBVTT", None, TextKind::Plain);
        assert_eq!(decoded.text, "WEBVTT");
        assert_eq!(decoded.encoding, "UTF-8");
        assert!(decoded.warnings.is_empty());
    }

    #[test]
    fn utf16le_bom_wins_over_declaration() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a/>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let decoded = decode(&bytes, None, TextKind::Xml);
        assert_eq!(decoded.encoding, "UTF-16LE");
        assert!(decoded.text.ends_with("<a/>"));
    }

    #[test]
    fn transport_charset_wins_over_declaration() {
        let decoded = decode(
            b"<?xml version='1.0' encoding='utf-8'?><a>\xE9</a>",
            Some("iso-8859-1"),
            TextKind::Xml,
        );
        assert!(decoded.text.contains("<a>é</a>"));
    }

    #[test]
    fn declaration_after_whitespace_is_honoured() {
        let decoded = decode(
            b"\n  <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xE9</a>",
            None,
            TextKind::Xml,
        );
        assert_eq!(decoded.encoding, "windows-1252");
        assert!(decoded.text.contains('é'));
    }

    #[test]
    fn stray_bytes_in_utf8_xml_are_replaced_not_redecoded() {
        let mut bytes = "<a>é \u{20ac}</a>".as_bytes().to_vec();
        bytes.push(0xFF);
        let decoded = decode(&bytes, None, TextKind::Xml);
        assert!(decoded.text.starts_with("<a>é €</a>"));
        assert_eq!(decoded.warnings[0].code, "invalid-bytes");
    }

    #[test]
    fn plain_latin1_is_decoded_as_windows_1252() {
        let decoded = decode(b"00:01 caf\xE9 cr\xE8me", None, TextKind::Plain);
        assert_eq!(decoded.text, "00:01 café crème");
        assert_eq!(decoded.warnings[0].code, "legacy-encoding");
    }

    #[test]
    fn bomless_utf16_is_sniffed() {
        let bytes: Vec<u8> = "1\n00:00:01,000 --> 00:00:02,000\nhi\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let decoded = decode(&bytes, None, TextKind::Plain);
        assert_eq!(decoded.encoding, "UTF-16LE");
        assert!(decoded.text.starts_with("1\n00:00:01,000"));
    }
}
