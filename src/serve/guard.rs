//! The guard in front of every route: token, role and rate, in that order.

use super::Shared;
use super::auth::{self, Access};
use super::errors::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// Token, role and rate, in that order: a caller without the right is refused before it costs
/// a bucket, and a refused request changes nothing.
pub async fn guard(
    State((shared, needs)): State<(Shared, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let caller = if shared.tokens.is_empty() {
        // No tokens: a loopback listener only (checked at start-up); callers are told apart by
        // their address for the rate limit.
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string())
    } else if needs == Access::Public {
        "public".to_string()
    } else {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(presented) = auth::bearer(header) else {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a bearer token is needed: Authorization: Bearer TOKEN",
            )
            .into_response();
        };
        match shared.tokens.check(presented) {
            None => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the token is not one of the configured tokens",
                )
                .into_response();
            }
            Some((_, grants)) if grants < needs => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "a {} token can't do this: it needs an {} token",
                        grants.as_str(),
                        needs.as_str()
                    ),
                )
                .into_response();
            }
            Some((index, _)) => format!("token#{index}"),
        }
    };
    if needs != Access::Public
        && let Err(wait) = shared.limiter.check(&caller)
    {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: try again in {wait} s"),
        )
        .retry_after(wait)
        .into_response();
    }
    next.run(request).await
}
