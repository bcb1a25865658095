//! The one event a rejected request emits: through `tracing` with the
//! `tracing` feature, else through `log`. Only plain facts come in (codes,
//! numbers, the route and verified claims), so nothing here can reach a
//! token, a secret, a CSRF value or a header.
//!
//! Levels: a server-side failure (5xx) is an error, with its cause. A
//! client-caused rejection (4xx) is a debug event: it is the normal answer to
//! an expired or missing token, any client can cause as many as it likes,
//! and the request's own log line or span (actix-web's `Logger`,
//! tracing-actix-web) already shows its status at the default level, as
//! tower-http keeps its failure events for 5xx. `actix_jwt_extended=debug`
//! turns the reasons on.

/// The target of every rejection event, whichever way it is emitted.
pub(crate) const TARGET: &str = "actix_jwt_extended";

/// What the request showed of itself, when known: a rejection rendered
/// outside a guard or an extractor (an error a handler returned) has no
/// request at hand, and an unverified token shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen<'a> {
    pub(crate) method: Option<&'a str>,
    /// The matched route pattern (`/users/{id}`), else the path; never the
    /// query string.
    pub(crate) route: Option<&'a str>,
    /// The `jti` and identity of a token whose signature held.
    pub(crate) jti: Option<&'a str>,
    pub(crate) sub: Option<&'a str>,
}

/// One rejection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rejected<'a> {
    /// [`JwtError::code`](crate::JwtError::code).
    pub(crate) reason: &'static str,
    /// The status sent.
    pub(crate) status: u16,
    /// A server-side failure, reported as an error with its cause.
    pub(crate) server_side: bool,
    /// What the client is not told (a store's error, the fix for a set-up
    /// mistake).
    pub(crate) cause: Option<&'a str>,
    pub(crate) seen: Seen<'a>,
}

/// Emits `event`: the one place that chooses between `tracing` and `log`.
pub(crate) fn rejected(event: &Rejected<'_>) {
    #[cfg(feature = "tracing")]
    {
        let Rejected {
            reason,
            status,
            cause,
            seen,
            ..
        } = *event;
        let Seen {
            method,
            route,
            jti,
            sub,
        } = seen;
        // The macros take a constant level.
        if event.server_side {
            tracing::error!(target: TARGET, reason, status, method, route, jti, sub, cause, "request rejected");
        } else {
            tracing::debug!(target: TARGET, reason, status, method, route, jti, sub, cause, "request rejected");
        }
    }
    #[cfg(not(feature = "tracing"))]
    {
        let level = if event.server_side {
            log::Level::Error
        } else {
            log::Level::Debug
        };
        log::log!(target: TARGET, level, "actix-jwt-extended: request rejected{}", Fields(event));
    }
}

/// ` reason=expired status=401 method="GET" route="/api/me" ...`: strings
/// quoted and escaped, so that none can forge a line or a field.
#[cfg(any(not(feature = "tracing"), test))]
struct Fields<'e, 'a>(&'e Rejected<'a>);

#[cfg(any(not(feature = "tracing"), test))]
impl std::fmt::Display for Fields<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Rejected {
            reason,
            status,
            cause,
            seen,
            ..
        } = *self.0;
        write!(f, " reason={reason} status={status}")?;
        for (name, value) in [
            ("method", seen.method),
            ("route", seen.route),
            ("jti", seen.jti),
            ("sub", seen.sub),
            ("cause", cause),
        ] {
            if let Some(value) = value {
                write!(f, " {name}={value:?}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_so_that_no_value_breaks_the_line() {
        let event = Rejected {
            reason: "revoked",
            status: 401,
            server_side: false,
            cause: None,
            seen: Seen {
                method: Some("GET"),
                route: Some("/users/{id}"),
                jti: Some("j-1"),
                sub: Some("eve\n reason=forged"),
            },
        };
        assert_eq!(
            Fields(&event).to_string(),
            r#" reason=revoked status=401 method="GET" route="/users/{id}" jti="j-1" sub="eve\n reason=forged""#
        );
    }
}
