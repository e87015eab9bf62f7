//! The XML namespaces that feeds use, recognised by URI or, when a feed does not declare
//! them, by their customary prefix.

/// A namespace the feed readers distinguish. Everything else is [`Namespace::Other`], whose
/// elements never fill a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Namespace {
    /// No namespace: RSS 2.0 and RSS 0.91/0.92 elements, OPML.
    None,
    /// RSS 1.0 (`http://purl.org/rss/1.0/`), RSS 0.90 and the Userland RSS 2.0 namespace.
    Rss,
    /// Atom 1.0 (and the Atom 0.3 namespace).
    Atom,
    /// Apple Podcasts (`itunes:`).
    Itunes,
    /// Podcasting 2.0 (`podcast:`).
    Podcast,
    /// Podlove Simple Chapters (`psc:`).
    Psc,
    /// Media RSS (`media:`).
    Media,
    /// RSS 1.0 content module (`content:encoded`).
    Content,
    /// Dublin Core elements (`dc:`).
    Dc,
    /// The RDF syntax namespace of RSS 1.0 (`rdf:RDF`).
    Rdf,
    /// Google Play podcasts (`googleplay:`).
    GooglePlay,
    /// The `xml:` namespace (`xml:base`, `xml:lang`).
    Xml,
    /// Any other namespace.
    Other,
}

/// Known URIs without scheme, trailing `/` or `#`, lowercased, with their namespace.
const KNOWN_URIS: &[(&str, Namespace)] = &[
    ("purl.org/rss/1.0", Namespace::Rss),
    ("my.netscape.com/rdf/simple/0.9", Namespace::Rss),
    ("backend.userland.com/rss2", Namespace::Rss),
    ("backend.userland.com/rss", Namespace::Rss),
    ("www.w3.org/2005/atom", Namespace::Atom),
    ("purl.org/atom/ns", Namespace::Atom),
    ("www.itunes.com/dtds/podcast-1.0.dtd", Namespace::Itunes),
    ("podcastindex.org/namespace/1.0", Namespace::Podcast),
    (
        "github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
        Namespace::Podcast,
    ),
    ("podlove.org/simple-chapters", Namespace::Psc),
    ("search.yahoo.com/mrss", Namespace::Media),
    ("purl.org/rss/1.0/modules/content", Namespace::Content),
    ("purl.org/dc/elements/1.1", Namespace::Dc),
    ("www.w3.org/1999/02/22-rdf-syntax-ns", Namespace::Rdf),
    (
        "www.google.com/schemas/play-podcasts/1.0",
        Namespace::GooglePlay,
    ),
    ("www.w3.org/xml/1998/namespace", Namespace::Xml),
];

/// Customary prefixes, used when a feed writes a prefix without declaring it.
const KNOWN_PREFIXES: &[(&str, Namespace)] = &[
    ("itunes", Namespace::Itunes),
    ("podcast", Namespace::Podcast),
    ("psc", Namespace::Psc),
    ("media", Namespace::Media),
    ("content", Namespace::Content),
    ("dc", Namespace::Dc),
    ("atom", Namespace::Atom),
    ("atom10", Namespace::Atom),
    ("rdf", Namespace::Rdf),
    ("googleplay", Namespace::GooglePlay),
];

impl Namespace {
    /// Recognises a namespace URI. The scheme (`http`/`https`), letter case and a trailing
    /// `/` or `#` are ignored, because real feeds vary all three (the iTunes URI is often
    /// written in capitals, Atom sometimes with `https`).
    pub(crate) fn from_uri(uri: &str) -> Self {
        let uri = uri.trim();
        if uri.is_empty() {
            return Self::None;
        }
        let lower = uri.to_ascii_lowercase();
        let without_scheme = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"))
            .unwrap_or(&lower);
        let key = without_scheme.trim_end_matches(['/', '#']);
        KNOWN_URIS
            .iter()
            .find(|(known, _)| *known == key)
            .map_or(Self::Other, |(_, namespace)| *namespace)
    }

    /// Returns the namespace customarily bound to `prefix`, for undeclared prefixes.
    pub(crate) fn from_customary_prefix(prefix: &str) -> Self {
        KNOWN_PREFIXES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(prefix))
            .map_or(Self::Other, |(_, namespace)| *namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_podcasting_namespace_uris_are_recognised() {
        assert_eq!(
            Namespace::from_uri("https://podcastindex.org/namespace/1.0"),
            Namespace::Podcast
        );
        assert_eq!(
            Namespace::from_uri(
                "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
            ),
            Namespace::Podcast
        );
    }

    #[test]
    fn itunes_uri_is_case_insensitive() {
        assert_eq!(
            Namespace::from_uri("HTTP://WWW.ITUNES.COM/DTDS/PODCAST-1.0.DTD"),
            Namespace::Itunes
        );
        assert_eq!(
            Namespace::from_uri("http://www.itunes.com/DTDs/Podcast-1.0.dtd"),
            Namespace::Itunes
        );
    }

    #[test]
    fn scheme_and_trailing_slash_variants_match() {
        assert_eq!(
            Namespace::from_uri("https://www.w3.org/2005/Atom"),
            Namespace::Atom
        );
        assert_eq!(
            Namespace::from_uri("http://search.yahoo.com/mrss"),
            Namespace::Media
        );
        assert_eq!(
            Namespace::from_uri("http://example.com/ns"),
            Namespace::Other
        );
        assert_eq!(Namespace::from_uri(""), Namespace::None);
    }

    #[test]
    fn customary_prefixes_map_to_namespaces() {
        assert_eq!(
            Namespace::from_customary_prefix("itunes"),
            Namespace::Itunes
        );
        assert_eq!(
            Namespace::from_customary_prefix("podcast"),
            Namespace::Podcast
        );
        assert_eq!(Namespace::from_customary_prefix("foo"), Namespace::Other);
    }
}
