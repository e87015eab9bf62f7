//! Reading local files with the same size limit as HTTP bodies.

use std::io;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use podgraph_core::provider::{FetchResponse, FetchStatus, Validators};
use podgraph_core::{ErrorKind, ProviderError, ProviderResult};
use tokio::io::AsyncReadExt;

/// Operation name of local reads in errors.
pub(super) const OPERATION: &str = "fetch.read_file";

/// Reads a regular file of at most `max_bytes` bytes.
///
/// The size is checked from the metadata first, and at most `max_bytes + 1` bytes are
/// read, so a file that grows while it is read is still rejected. Local files carry no
/// validators, so the status is always [`FetchStatus::Fetched`].
pub(crate) async fn read_file(
    path: &Path,
    max_bytes: u64,
    started: Instant,
) -> ProviderResult<FetchResponse> {
    let display_path = path.display().to_string();

    let metadata = tokio::fs::metadata(path)
        .await
        .map_err(|error| io_error(&display_path, error))?;
    if !metadata.is_file() {
        let file_kind = if metadata.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(ProviderError::new(
            ErrorKind::InvalidInput,
            OPERATION,
            format!("{display_path}: is {file_kind}; expected a feed, transcript or chapters file"),
        ));
    }
    if metadata.len() > max_bytes {
        return Err(too_large(&display_path, metadata.len(), max_bytes));
    }

    let file = tokio::fs::File::open(path)
        .await
        .map_err(|error| io_error(&display_path, error))?;
    let capacity = usize::try_from(metadata.len()).unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut body)
        .await
        .map_err(|error| io_error(&display_path, error))?;
    let read = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if read > max_bytes {
        return Err(too_large(&display_path, read, max_bytes));
    }

    let elapsed = started.elapsed();
    tracing::debug!(
        target: "podgraph_ingest::fetch",
        path = %display_path,
        bytes = body.len(),
        elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "read local file"
    );
    Ok(FetchResponse {
        status: FetchStatus::Fetched,
        final_location: display_path,
        redirects: Vec::new(),
        body: Bytes::from(body),
        content_type: None,
        validators: Validators::default(),
        elapsed,
    })
}

fn too_large(display_path: &str, size: u64, max_bytes: u64) -> ProviderError {
    ProviderError::new(
        ErrorKind::LimitExceeded,
        OPERATION,
        format!(
            "{display_path}: file is at least {size} bytes, more than `fetch.max_body_bytes` \
             ({max_bytes} bytes); raise the limit if the file is trusted"
        ),
    )
}

fn io_error(display_path: &str, error: io::Error) -> ProviderError {
    let (kind, message) = match error.kind() {
        io::ErrorKind::NotFound => (
            ErrorKind::NotFound,
            format!("{display_path}: file not found"),
        ),
        io::ErrorKind::PermissionDenied => (
            ErrorKind::PermissionDenied,
            format!("{display_path}: permission denied when reading the file"),
        ),
        _ => (
            ErrorKind::Unavailable,
            format!("{display_path}: cannot read the file"),
        ),
    };
    ProviderError::new(kind, OPERATION, message).with_source(error)
}
