//! Telling URLs from local paths.

use std::path::PathBuf;

use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use url::Url;

use super::redact::redact_url;

/// Target of a [`FetchRequest`](podgraph_core::provider::FetchRequest): a remote URL or a
/// local file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An `http` or `https` URL.
    Remote(Url),
    /// A local file, from a path or a `file://` URL.
    Local(PathBuf),
}

/// Parses a location.
///
/// A location that starts with a URL scheme (two or more letters, digits, `+`, `-` or `.`
/// before a `:`) is a URL, and only `http`, `https` and `file` are accepted. Anything else
/// is a local path, relative to the current directory unless absolute. A single letter
/// before the colon is a Windows drive (`C:\feeds\a.xml`), not a scheme. A relative path
/// whose first component contains a colon (`notes:2024.txt`) reads as a URL, so it must be
/// written as `./notes:2024.txt`.
pub(crate) fn parse_location(location: &str) -> ProviderResult<Target> {
    if location.trim().is_empty() {
        return Err(invalid(
            "empty location: expected a URL or a local path".to_owned(),
        ));
    }
    if !has_url_scheme(location) {
        return Ok(Target::Local(PathBuf::from(location)));
    }

    let url = Url::parse(location)
        .map_err(|error| invalid(format!("{}: invalid URL: {error}", redact_url(location))))?;
    match url.scheme() {
        "http" | "https" => Ok(Target::Remote(url)),
        "file" => url.to_file_path().map(Target::Local).map_err(|()| {
            invalid(format!(
                "{}: not a local file URL; a `file://` URL needs an absolute path and no host \
                 other than `localhost`",
                redact_url(location)
            ))
        }),
        other => Err(invalid(format!(
            "{}: unsupported URL scheme `{other}`; use an http, https or file URL or a local path",
            redact_url(location)
        ))),
    }
}

/// Returns `true` when `location` starts with `scheme:` as RFC 3986 defines a scheme.
/// One-letter schemes are ignored because they are Windows drive letters.
fn has_url_scheme(location: &str) -> bool {
    let Some((scheme, _)) = location.trim_start().split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let starts_with_letter = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic());
    starts_with_letter
        && scheme.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidInput, "fetch.get", message)
}
