//! OPML subscription lists: feeds at any depth, folders as categories, duplicates, broken
//! markup and the safety limits.

use podgraph_core::config::XmlLimits;
use podgraph_ingest::feed::{OpmlFeed, parse_opml};
use podgraph_ingest::{IngestError, Parsed};

const SUBSCRIPTIONS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My podcasts</title></head>
  <body>
    <outline type="rss" text="Top level" xmlUrl="https://top.example/feed" htmlUrl="https://top.example/"/>
    <outline text="Technology">
      <outline type="rss" text="Tech text" title="Tech title" xmlUrl=" https://tech.example/rss "/>
      <outline text="Deep">
        <outline text="No type" xmlUrl="https://deep.example/feed.xml"/>
      </outline>
      <outline type="rss" text="Tech repeated" xmlUrl="https://tech.example/rss"/>
    </outline>
    <outline type="rss" text="Broken, no URL"/>
    <outline type="link" text="A web page" url="https://page.example/"/>
    <outline type="rss" text="Tagged" category="/News/Daily" xmlUrl="https://news.example/daily?a=1&amp;b=2"/>
  </body>
</opml>
"#;

fn parse(text: &str) -> Parsed<Vec<OpmlFeed>> {
    parse_opml(text.as_bytes(), "subscriptions.opml", &XmlLimits::default())
        .unwrap_or_else(|error| panic!("OPML did not parse: {error}"))
}

fn codes(parsed: &Parsed<Vec<OpmlFeed>>) -> Vec<&'static str> {
    parsed.warnings.iter().map(|w| w.code).collect()
}

fn feed(
    url: &str,
    title: Option<&str>,
    html_url: Option<&str>,
    category: Option<&str>,
) -> OpmlFeed {
    OpmlFeed {
        url: url.to_owned(),
        title: title.map(str::to_owned),
        html_url: html_url.map(str::to_owned),
        category: category.map(str::to_owned),
    }
}

#[test]
fn subscriptions_at_any_depth() {
    let parsed = parse(SUBSCRIPTIONS);
    assert_eq!(
        parsed.value,
        [
            feed(
                "https://top.example/feed",
                Some("Top level"),
                Some("https://top.example/"),
                None
            ),
            feed(
                "https://tech.example/rss",
                Some("Tech title"),
                None,
                Some("Technology")
            ),
            feed(
                "https://deep.example/feed.xml",
                Some("No type"),
                None,
                Some("Deep")
            ),
            feed(
                "https://news.example/daily?a=1&b=2",
                Some("Tagged"),
                None,
                Some("/News/Daily")
            ),
        ]
    );
}

#[test]
fn subscription_problems_are_warnings() {
    let parsed = parse(SUBSCRIPTIONS);
    assert_eq!(codes(&parsed), ["duplicate-outline", "missing-url"]);
    let duplicate = &parsed.warnings[0];
    assert_eq!(duplicate.position.map(|p| p.line), Some(11));
    assert!(
        duplicate.message.contains("line 11") && duplicate.message.contains("line 7"),
        "{}",
        duplicate.message
    );
    assert_eq!(parsed.warnings[1].position.map(|p| p.line), Some(13));
}

#[test]
fn bare_ampersand_in_feed_url_is_kept() {
    let text =
        r#"<opml><body><outline xmlUrl="https://x.example/feed?id=1&format=rss"/></body></opml>"#;
    let parsed = parse(text);
    assert_eq!(parsed.value.len(), 1);
    assert_eq!(
        parsed.value[0].url,
        "https://x.example/feed?id=1&format=rss"
    );
    assert_eq!(parsed.value[0].title, None);
    assert_eq!(codes(&parsed), ["bare-ampersand"]);
}

#[test]
fn attribute_names_ignore_case() {
    let text = r#"<OPML><BODY><outline TEXT="Loud" XMLURL="https://loud.example/feed" HTMLURL="https://loud.example/"/></BODY></OPML>"#;
    let parsed = parse(text);
    assert_eq!(
        parsed.value,
        [feed(
            "https://loud.example/feed",
            Some("Loud"),
            Some("https://loud.example/"),
            None
        )]
    );
}

#[test]
fn missing_body_has_no_feeds() {
    let parsed = parse("<opml version=\"1.0\"><head/></opml>");
    assert!(parsed.value.is_empty());
    assert_eq!(codes(&parsed), ["missing-body"]);
}

#[test]
fn unclosed_outlines_recover() {
    let text = "<opml><body>\n<outline text=\"Folder\">\n<outline xmlUrl=\"https://a.example/feed\">\n<outline xmlUrl=\"https://b.example/feed\"/>\n</body></opml>";
    let parsed = parse(text);
    // The unclosed feed outline contains the next one, which is still found in the folder.
    assert_eq!(
        parsed.value,
        [
            feed("https://a.example/feed", None, None, Some("Folder")),
            feed("https://b.example/feed", None, None, Some("Folder")),
        ]
    );
    assert_eq!(codes(&parsed), ["unclosed-element", "unclosed-element"]);
    let lines: Vec<Option<u32>> = parsed
        .warnings
        .iter()
        .map(|w| w.position.map(|p| p.line))
        .collect();
    assert_eq!(lines, [Some(5), Some(5)]);
}

#[test]
fn feed_outline_is_not_a_folder() {
    let text = "<opml><body><outline text=\"F\"><outline text=\"Parent\" xmlUrl=\"https://a.example/1\"><outline xmlUrl=\"https://a.example/2\"/></outline></outline></body></opml>";
    let parsed = parse(text);
    let categories: Vec<Option<&str>> =
        parsed.value.iter().map(|f| f.category.as_deref()).collect();
    assert_eq!(categories, [Some("F"), Some("F")]);
    assert_eq!(codes(&parsed), Vec::<&str>::new());
}

#[test]
fn not_opml_is_wrong_kind() {
    for (text, found) in [
        ("<rss><channel/></rss>", "root element <rss>"),
        ("", "an empty document"),
        ("plain text", "no XML element"),
    ] {
        let error = parse_opml(text.as_bytes(), "list.opml", &XmlLimits::default()).err();
        assert!(
            matches!(&error, Some(IngestError::WrongKind { found: f, expected: "an OPML file", .. }) if f == found),
            "{text:?}: {error:?}"
        );
    }
}

#[test]
fn opml_size_and_depth_limits() {
    let limits = XmlLimits {
        max_document_bytes: 100,
        ..XmlLimits::default()
    };
    let error = parse_opml(SUBSCRIPTIONS.as_bytes(), "big.opml", &limits).err();
    assert!(
        matches!(
            &error,
            Some(IngestError::LimitExceeded {
                limit: "max_document_bytes",
                max: 100,
                ..
            })
        ),
        "{error:?}"
    );

    let deep = format!(
        "<opml><body>{}{}</body></opml>",
        "<outline text=\"f\">".repeat(200),
        "</outline>".repeat(200)
    );
    let error = parse_opml(deep.as_bytes(), "deep.opml", &XmlLimits::default()).err();
    assert!(
        matches!(
            &error,
            Some(IngestError::LimitExceeded {
                limit: "max_depth",
                max: 64,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn opml_item_limit() {
    let outlines: String = (0..5)
        .map(|n| format!("<outline xmlUrl=\"https://x.example/{n}\"/>"))
        .collect();
    let text = format!("<opml><body>{outlines}</body></opml>");
    let limits = XmlLimits {
        max_items: 2,
        ..XmlLimits::default()
    };
    let parsed = parse_opml(text.as_bytes(), "many.opml", &limits).expect("parses");
    assert_eq!(parsed.value.len(), 2);
    assert_eq!(codes(&parsed), ["max-items-exceeded"]);
}

#[test]
fn utf16_opml_with_bom() {
    let mut bytes = vec![0xFF, 0xFE];
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><opml><body><outline title=\"Ünïcode\" xmlUrl=\"https://u.example/f\"/></body></opml>";
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let parsed = parse_opml(&bytes, "wide.opml", &XmlLimits::default()).expect("parses");
    assert_eq!(parsed.value[0].title.as_deref(), Some("Ünïcode"));
}
