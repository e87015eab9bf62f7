//! Extractors whose rejections are problem details naming the invalid field.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::error::{ApiError, FieldError};

/// A JSON request body. A malformed body is a 400 problem naming the field. A body
/// without `Content-Type: application/json` is a 415, and one over the size limit a 413.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Json<T>(pub(crate) T);

/// Query parameters. An invalid or missing one is a 400 problem naming it and, through
/// [`QueryRules`], the values it accepts.
#[derive(Debug)]
pub(crate) struct Query<T>(pub(crate) T);

/// The values each query parameter of a parameter struct accepts, for the messages of
/// parameters that do not parse.
pub(crate) trait QueryRules {
    /// Returns the accepted values of `field`, as `expected ...`, when the struct has that
    /// field and they are known.
    fn expectation(field: &str) -> Option<String>;
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned + QueryRules,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_error::<T>(&rejection)),
        }
    }
}

/// Turns a query rejection into a validation problem naming the parameter and, when
/// known, its accepted values in place of the parser's message.
fn query_error<T: QueryRules>(rejection: &QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    let missing = detail
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    let (field, message) = match missing {
        Some(name) => {
            let message = match T::expectation(&name) {
                Some(expected) => format!("missing; {expected}"),
                None => "missing; give a value".to_owned(),
            };
            (name, message)
        }
        None => {
            let (field, message) = split_path(detail, "query");
            let message = T::expectation(&field).unwrap_or(message);
            (field, message)
        }
    };
    ApiError::Validation(vec![FieldError { field, message }])
}

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub(crate) T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => {
                let text = error.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text);
                let (field, message) = split_path(detail, "body");
                Self::Validation(vec![FieldError { field, message }])
            }
            JsonRejection::JsonSyntaxError(error) => Self::Validation(vec![FieldError {
                field: "body".to_owned(),
                message: format!("the body is not valid JSON: {}", error.body_text()),
            }]),
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType(
                "the body must be JSON with `Content-Type: application/json`".to_owned(),
            ),
            other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Self::PayloadTooLarge(
                    "the request body is larger than the configured limit (api.body_limit_bytes)"
                        .to_owned(),
                )
            }
            other => Self::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::Validation(vec![FieldError {
            field: "path".to_owned(),
            message: rejection.body_text(),
        }])
    }
}

/// Splits `field: message` as written by `serde_path_to_error`; a message without a
/// path (`.`) names `fallback`.
fn split_path(detail: &str, fallback: &str) -> (String, String) {
    match detail.split_once(": ") {
        Some((path, message))
            if !path.is_empty() && path != "." && !path.contains(' ') && path.len() <= 100 =>
        {
            (path.to_owned(), message.to_owned())
        }
        _ => (fallback.to_owned(), detail.to_owned()),
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::split_path;

    #[test]
    fn split_path_names_the_field() {
        assert_eq!(
            split_path("limit: invalid digit found in string", "query"),
            (
                "limit".to_owned(),
                "invalid digit found in string".to_owned()
            )
        );
        assert_eq!(
            split_path("missing field `q`", "query"),
            ("query".to_owned(), "missing field `q`".to_owned())
        );
    }
}
