//! Metrics of the HTTP API, recorded by its middleware.

use std::time::Duration;

use metrics::{Label, SharedString};

use crate::catalogue::{HTTP_REQUEST_DURATION, HTTP_REQUESTS, label};
use crate::guard::CardinalityGuard;

/// Records `podgraph_http_requests_total` and `podgraph_http_request_duration_seconds`.
///
/// Pass the route template that matched (`/api/v1/episodes/{id}`), never the request
/// path, and a fixed value such as `unmatched` for requests that matched no route. The
/// routes still pass through a [`CardinalityGuard`] in case a caller gets this wrong.
#[derive(Debug)]
pub struct HttpMetrics {
    routes: CardinalityGuard,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new(Self::DEFAULT_ROUTE_LIMIT)
    }
}

impl HttpMetrics {
    /// The number of routes with their own series unless configured otherwise.
    pub const DEFAULT_ROUTE_LIMIT: usize = 100;

    /// Creates a recorder that gives at most `route_limit` routes their own series.
    pub fn new(route_limit: usize) -> Self {
        Self {
            routes: CardinalityGuard::new(label::ROUTE, route_limit),
        }
    }

    /// Records one served request.
    ///
    /// Methods other than the nine of RFC 9110 and PATCH are reported as `OTHER`, and
    /// status codes outside 100 to 599 as `other`.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let route = self.routes.admit(route);
        let status: SharedString = if (100..=599).contains(&status) {
            SharedString::from_owned(status.to_string())
        } else {
            SharedString::const_str("other")
        };
        HTTP_REQUESTS
            .counter(vec![
                Label::new(label::METHOD, method_label(method)),
                Label::new(label::ROUTE, route.clone()),
                Label::new(label::STATUS, status),
            ])
            .increment(1);
        HTTP_REQUEST_DURATION
            .histogram(vec![Label::new(label::ROUTE, route)])
            .record(elapsed.as_secs_f64());
    }
}

fn method_label(method: &str) -> &'static str {
    const METHODS: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    METHODS
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(method))
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_normalised() {
        assert_eq!(method_label("get"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("PROPFIND"), "OTHER");
    }
}
