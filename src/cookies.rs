//! Tokens in cookies, with CSRF double submit protection (Flask's "JWT
//! Locations" chapter): cookie settings, the `set_*_cookies` /
//! `unset_*_cookies` helpers for responses, and [`ImplicitRefresh`].
//!
//! ```
//! use actix_jwt_extended::{JwtManager, cookies::JwtCookies, config::TokenLocation};
//! use actix_web::{web, HttpResponse};
//!
//! async fn login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
//!     Ok(HttpResponse::Ok()
//!         .set_access_cookies(&jwt, &jwt.create_access_token("alice")?)?
//!         .set_refresh_cookies(&jwt, &jwt.create_refresh_token("alice")?)?
//!         .json(serde_json::json!({ "msg": "login successful" })))
//! }
//!
//! let jwt = JwtManager::builder()
//!     .secret(b"change-me-to-a-long-random-secret")
//!     .token_location([TokenLocation::Headers, TokenLocation::Cookies])
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! For a state-changing request (`POST`, `PUT`, `PATCH`, `DELETE` by default) a
//! token read from a cookie is accepted only with an `X-CSRF-TOKEN` header equal
//! to its `csrf` claim; page script reads that value from the non-HttpOnly
//! `csrf_access_token` cookie. Tokens from headers need no CSRF check.

use std::{
    future::{Ready, ready},
    rc::Rc,
    time::Duration,
};

use actix_web::{
    Error, HttpResponse, HttpResponseBuilder,
    body::MessageBody,
    cookie::{Cookie, time::OffsetDateTime},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
};
use futures_util::future::LocalBoxFuture;

pub use crate::config::CookieConfig;
use crate::{
    JwtError,
    authn::JwtRequestExt,
    claims::{self, TokenKind},
    config::{TokenLocation, invalid_domain, is_cookie_domain},
    error::Handout,
    manager::{JwtManager, TokenPair},
};

/// Options for the cookies of one response (the `domain=` and `max_age=`
/// arguments of Flask's `set_access_cookies` and friends), overriding the
/// configured ones:
///
/// ```
/// use actix_jwt_extended::{JwtManager, cookies::{CookieOptions, JwtCookies}};
/// use actix_web::{web, HttpResponse};
///
/// async fn login(jwt: web::Data<JwtManager>) -> actix_web::Result<HttpResponse> {
///     // "Remember me": persistent cookies for this login only.
///     let remember = CookieOptions::new().max_age(std::time::Duration::from_secs(7 * 86_400));
///     Ok(HttpResponse::Ok()
///         .set_refresh_cookies_with(&jwt, &jwt.create_refresh_token("alice")?, &remember)?
///         .finish())
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct CookieOptions {
    domain: Option<String>,
    max_age: Option<Duration>,
}

impl CookieOptions {
    /// No overrides: the configured domain and lifetime.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cookies' `Domain` for this response (Flask's `domain=`): a host
    /// name, optionally with a leading dot; anything else is a
    /// `JwtError::Creation` when the cookies are written. Defaults to
    /// [`CookieConfig::domain`].
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The cookies' `Max-Age` and `Expires` for this response (Flask's
    /// `max_age=`), which makes them persistent even where session cookies
    /// are configured; ignored when clearing cookies. Defaults to the
    /// configured lifetime ([`CookieConfig::session_cookie`]).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }
}

/// A cookie with the configured `Secure` and `SameSite` and the `Domain` of
/// `options`, else the configured one.
fn cookie<'c>(
    config: &CookieConfig,
    options: &CookieOptions,
    name: &'c str,
    value: &'c str,
    path: &'c str,
    http_only: bool,
) -> Result<Cookie<'c>, JwtError> {
    let mut cookie = Cookie::build(name, value)
        .path(path)
        .secure(config.secure)
        .http_only(http_only)
        .finish();
    if let Some(domain) = options.domain.as_ref().or(config.domain.as_ref()) {
        if !is_cookie_domain(domain) {
            return Err(JwtError::Creation(
                invalid_domain(domain).to_string().into(),
            ));
        }
        // As Werkzeug writes it: user agents ignore a leading dot anyway.
        cookie.set_domain(domain.trim_start_matches('.').to_owned());
    }
    if let Some(same_site) = config.same_site {
        cookie.set_same_site(same_site);
    }
    Ok(cookie)
}

/// The token cookie and, when configured, its CSRF cookie, for `token`.
fn token_cookies(
    manager: &JwtManager,
    kind: TokenKind,
    token: &str,
    options: &CookieOptions,
) -> Result<Vec<Cookie<'static>>, JwtError> {
    let config = &manager.locations().cookies;
    let decoded = manager.read_own_token(token)?;
    if decoded.kind() != kind {
        return Err(JwtError::Creation(
            format!("{} tokens cannot go into the {kind} cookie", decoded.kind()).into(),
        ));
    }
    let max_age = match options.max_age {
        Some(max_age) => Some(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)),
        None => (!config.session_cookie).then(|| match decoded.expires_at() {
            Some(exp) => exp.saturating_sub(manager.clock().now_secs()).max(0),
            // Flask's lifetime for cookies when tokens never expire: a year.
            None => 31_540_000,
        }),
    };
    let (name, csrf_name, path, csrf_path) = config.write_names(kind);
    let mut cookies = vec![cookie(config, options, name, token, path, true)?.into_owned()];
    if config.csrf_protect && config.csrf_in_cookies {
        // Only a value we (or Flask-JWT-Extended) mint, a lower-case UUID, goes
        // into `Set-Cookie`: anything else could add attributes to it.
        let csrf = decoded
            .claims()
            .get(claims::CSRF)
            .and_then(|csrf| csrf.as_str())
            .filter(|csrf| {
                uuid::Uuid::try_parse(csrf).is_ok_and(|uuid| {
                    *csrf
                        == uuid
                            .hyphenated()
                            .encode_lower(&mut uuid::Uuid::encode_buffer())
                })
            })
            .ok_or_else(|| {
                JwtError::Creation("the token has no valid csrf claim for its CSRF cookie".into())
            })?;
        cookies.push(cookie(config, options, csrf_name, csrf, csrf_path, false)?.into_owned());
    }
    if let Some(max_age) = max_age {
        // Both, as Flask (Werkzeug) sends them: `Expires` for old clients.
        let expires =
            OffsetDateTime::from_unix_timestamp(manager.clock().now_secs().saturating_add(max_age))
                .ok()
                .filter(|expires| expires.year() <= 9999)
                .ok_or_else(|| {
                    JwtError::Creation("cookie max_age reaches past the year 9999".into())
                })?;
        for cookie in &mut cookies {
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(max_age));
            cookie.set_expires(expires);
        }
    }
    Ok(cookies)
}

/// Cookies that clear the token cookie of `kind` and its CSRF cookie.
fn removal_cookies(
    config: &CookieConfig,
    kind: TokenKind,
    options: &CookieOptions,
) -> Result<Vec<Cookie<'static>>, JwtError> {
    let (name, csrf_name, path, csrf_path) = config.write_names(kind);
    let mut cookies = vec![cookie(config, options, name, "", path, true)?.into_owned()];
    if config.csrf_protect && config.csrf_in_cookies {
        cookies.push(cookie(config, options, csrf_name, "", csrf_path, false)?.into_owned());
    }
    for cookie in &mut cookies {
        // As Flask: an empty value that expired at the epoch.
        cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    }
    Ok(cookies)
}

/// Setting and clearing token cookies on a response, for `HttpResponse` and
/// `HttpResponseBuilder` (Flask's `set_access_cookies`, `set_refresh_cookies`,
/// `unset_jwt_cookies`, `unset_access_cookies`, `unset_refresh_cookies`).
///
/// The `set_*` methods verify the token they are given (it must be of the
/// right kind and, with CSRF protection, carry a `csrf` claim) and set its
/// cookie, HttpOnly, and the readable CSRF cookie beside it. With an
/// [asynchronous decode key loader](crate::manager::JwtManagerBuilder::decode_key_loader_async),
/// which they cannot wait for, they check everything but the signature: the
/// token is verified when it comes back.
pub trait JwtCookies {
    /// Sets the access token cookie and its CSRF cookie.
    fn set_access_cookies(&mut self, jwt: &JwtManager, token: &str) -> Result<&mut Self, JwtError> {
        self.set_access_cookies_with(jwt, token, &CookieOptions::new())
    }

    /// Sets the refresh token cookie and its CSRF cookie.
    fn set_refresh_cookies(
        &mut self,
        jwt: &JwtManager,
        token: &str,
    ) -> Result<&mut Self, JwtError> {
        self.set_refresh_cookies_with(jwt, token, &CookieOptions::new())
    }

    /// Sets both cookies of a [`TokenPair`] (a login with
    /// [`create_token_pair`](JwtManager::create_token_pair), a rotation).
    fn set_pair_cookies(
        &mut self,
        jwt: &JwtManager,
        pair: &TokenPair,
    ) -> Result<&mut Self, JwtError> {
        self.set_access_cookies(jwt, &pair.access_token)?
            .set_refresh_cookies(jwt, &pair.refresh_token)
    }

    /// Clears the access token cookie and its CSRF cookie.
    fn unset_access_cookies(&mut self, jwt: &JwtManager) -> &mut Self;

    /// Clears the refresh token cookie and its CSRF cookie.
    fn unset_refresh_cookies(&mut self, jwt: &JwtManager) -> &mut Self;

    /// Clears every token and CSRF cookie (logout).
    fn unset_jwt_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        self.unset_access_cookies(jwt).unset_refresh_cookies(jwt)
    }

    /// [`set_access_cookies`](Self::set_access_cookies) with this
    /// response's `Domain` and lifetime.
    fn set_access_cookies_with(
        &mut self,
        jwt: &JwtManager,
        token: &str,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError>;

    /// [`set_refresh_cookies`](Self::set_refresh_cookies) with this
    /// response's `Domain` and lifetime.
    fn set_refresh_cookies_with(
        &mut self,
        jwt: &JwtManager,
        token: &str,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError>;

    /// [`unset_access_cookies`](Self::unset_access_cookies) for cookies set
    /// with another `Domain` (Flask's `domain=`).
    fn unset_access_cookies_with(
        &mut self,
        jwt: &JwtManager,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError>;

    /// [`unset_refresh_cookies`](Self::unset_refresh_cookies) for cookies set
    /// with another `Domain` (Flask's `domain=`).
    fn unset_refresh_cookies_with(
        &mut self,
        jwt: &JwtManager,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError>;

    /// [`unset_jwt_cookies`](Self::unset_jwt_cookies) for cookies set with
    /// another `Domain` (Flask's `domain=`).
    fn unset_jwt_cookies_with(
        &mut self,
        jwt: &JwtManager,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError> {
        self.unset_access_cookies_with(jwt, options)?
            .unset_refresh_cookies_with(jwt, options)
    }
}

/// Where cookies go: the one method each response type needs.
trait AddCookie {
    fn add(&mut self, cookie: Cookie<'static>);
}

impl AddCookie for HttpResponseBuilder {
    fn add(&mut self, cookie: Cookie<'static>) {
        self.cookie(cookie);
    }
}

impl<B> AddCookie for HttpResponse<B> {
    fn add(&mut self, cookie: Cookie<'static>) {
        // Names and values come from configuration and tokens (base64url,
        // UUIDs), which always make a valid header value.
        if let Err(error) = self.add_cookie(&cookie) {
            log::error!(
                "actix-jwt-extended: could not set cookie {}: {error}",
                cookie.name()
            );
        }
    }
}

fn set_cookies<R: AddCookie>(
    response: &mut R,
    jwt: &JwtManager,
    kind: TokenKind,
    token: &str,
    options: &CookieOptions,
) -> Result<(), JwtError> {
    let cookies = token_cookies(jwt, kind, token, options).map_err(|error| match error {
        // decode_token handed its own errors out already.
        JwtError::Creation(_) => jwt.renderer().hand_out(error),
        other => other,
    })?;
    for cookie in cookies {
        response.add(cookie);
    }
    Ok(())
}

fn unset_cookies<R: AddCookie>(
    response: &mut R,
    jwt: &JwtManager,
    kind: TokenKind,
    options: &CookieOptions,
) -> Result<(), JwtError> {
    let cookies = removal_cookies(&jwt.locations().cookies, kind, options)
        .map_err(|error| jwt.renderer().hand_out(error))?;
    for cookie in cookies {
        response.add(cookie);
    }
    Ok(())
}

impl<R: AddCookie> JwtCookies for R {
    fn unset_access_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        // The configured domain was checked at build.
        let _ = unset_cookies(self, jwt, TokenKind::Access, &CookieOptions::new());
        self
    }

    fn unset_refresh_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        let _ = unset_cookies(self, jwt, TokenKind::Refresh, &CookieOptions::new());
        self
    }

    fn set_access_cookies_with(
        &mut self,
        jwt: &JwtManager,
        token: &str,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError> {
        set_cookies(self, jwt, TokenKind::Access, token, options)?;
        Ok(self)
    }

    fn set_refresh_cookies_with(
        &mut self,
        jwt: &JwtManager,
        token: &str,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError> {
        set_cookies(self, jwt, TokenKind::Refresh, token, options)?;
        Ok(self)
    }

    fn unset_access_cookies_with(
        &mut self,
        jwt: &JwtManager,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError> {
        unset_cookies(self, jwt, TokenKind::Access, options)?;
        Ok(self)
    }

    fn unset_refresh_cookies_with(
        &mut self,
        jwt: &JwtManager,
        options: &CookieOptions,
    ) -> Result<&mut Self, JwtError> {
        unset_cookies(self, jwt, TokenKind::Refresh, options)?;
        Ok(self)
    }
}

/// Re-issues the access cookie when the access token a request used expires
/// within `window` (Flask's implicit refreshing with cookies: an
/// `after_request` hook). Wrap the `App` (or a scope) outside the guards; it
/// acts only on requests a guard or extractor verified.
///
/// It stays inside the browser's session, unlike Flask's hook:
/// - only a token read from the access cookie is refreshed: a token sent in a
///   header, the query string or a JSON body never becomes a cookie (a
///   `?jwt=` link cannot log a browser into somebody else's account);
/// - the new token belongs to the same session as the old one
///   ([`TokenBuilder::in_session_of`](crate::token::TokenBuilder::in_session_of)),
///   so ending the session or reuse detection revokes it too;
/// - a response whose handler set or cleared a token cookie (login, logout,
///   a fresh login) is left as the handler made it.
///
/// ```
/// use actix_jwt_extended::cookies::ImplicitRefresh;
/// use actix_web::App;
/// use std::time::Duration;
///
/// let app = App::new().wrap(ImplicitRefresh::new(Duration::from_secs(30 * 60)));
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct ImplicitRefresh {
    window: Duration,
}

impl ImplicitRefresh {
    /// Refreshes access tokens that expire within `window`.
    pub fn new(window: Duration) -> Self {
        Self { window }
    }
}

impl<S, B> Transform<S, ServiceRequest> for ImplicitRefresh
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = service::ImplicitRefreshMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(service::ImplicitRefreshMiddleware {
            service: Rc::new(service),
            window: self.window,
        }))
    }
}

/// Sets a new access cookie on `response` when the request's access cookie
/// expires within `window` and the handler left the token cookies alone.
fn refresh_cookie<B>(response: &mut ServiceResponse<B>, window: Duration) -> Result<(), JwtError> {
    let Some(token) = response.request().verified_token() else {
        return Ok(());
    };
    // Flask's hook refreshes access tokens only (`type == "access"`).
    if token.location() != Some(TokenLocation::Cookies) || token.kind() != TokenKind::Access {
        return Ok(());
    }
    let Ok(jwt) = JwtManager::from_app_data(response.request()).cloned() else {
        return Ok(());
    };
    let expiring = token
        .expires_at()
        .is_some_and(|exp| jwt.clock().now().saturating_add(window).as_secs_f64() > exp as f64);
    if !expiring || sets_token_cookies(response.response(), &jwt.locations().cookies) {
        return Ok(());
    }
    let fresh = jwt
        .access_token_builder(token.identity())
        .in_session_of(&token)
        .encode()?;
    set_cookies(
        response.response_mut(),
        &jwt,
        TokenKind::Access,
        &fresh,
        &CookieOptions::new(),
    )
}

/// Whether the handler set or cleared a token or CSRF cookie.
fn sets_token_cookies<B>(response: &HttpResponse<B>, config: &CookieConfig) -> bool {
    let (access, access_csrf, ..) = config.write_names(TokenKind::Access);
    let (refresh, refresh_csrf, ..) = config.write_names(TokenKind::Refresh);
    response
        .cookies()
        .any(|cookie| [access, access_csrf, refresh, refresh_csrf].contains(&cookie.name()))
}

/// The middleware service, named only through [`crate::dev`].
pub(crate) mod service {
    use super::*;

    /// The service built by [`ImplicitRefresh`].
    pub struct ImplicitRefreshMiddleware<S> {
        pub(super) service: Rc<S>,
        pub(super) window: Duration,
    }

    impl<S, B> Service<ServiceRequest> for ImplicitRefreshMiddleware<S>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
        B: MessageBody + 'static,
    {
        type Response = ServiceResponse<B>;
        type Error = Error;
        type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

        forward_ready!(service);

        fn call(&self, req: ServiceRequest) -> Self::Future {
            let response = self.service.call(req);
            let window = self.window;
            Box::pin(async move {
                let mut response = response.await?;
                if let Err(error) = refresh_cookie(&mut response, window) {
                    log::error!("actix-jwt-extended: implicit refresh failed: {error:?}");
                }
                Ok(response)
            })
        }
    }
}
