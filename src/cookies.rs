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
//!     .secret(b"change-me")
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
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{
    Error, HttpMessage, HttpResponse, HttpResponseBuilder,
    body::MessageBody,
    cookie::{Cookie, SameSite, time::OffsetDateTime},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    http::{Method, header::HeaderName},
};
use futures_util::future::LocalBoxFuture;

use crate::{
    JwtError, JwtManager,
    extract::Verified,
    token::{DecodedToken, TokenKind},
};

/// Cookie and CSRF settings, with Flask-JWT-Extended's names and defaults except
/// where Flask's are unsafe: cookies are `Secure` and `SameSite=Lax` unless you
/// opt out (Flask: neither). Set with
/// [`JwtManagerBuilder::cookies`](crate::manager::JwtManagerBuilder::cookies).
#[derive(Debug, Clone)]
#[must_use]
pub struct CookieConfig {
    pub(crate) access_cookie_name: String,
    pub(crate) refresh_cookie_name: String,
    pub(crate) access_cookie_path: String,
    pub(crate) refresh_cookie_path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) session_cookie: bool,
    pub(crate) csrf_protect: bool,
    pub(crate) csrf_in_cookies: bool,
    pub(crate) csrf_methods: Vec<Method>,
    pub(crate) access_csrf_cookie_name: String,
    pub(crate) refresh_csrf_cookie_name: String,
    pub(crate) access_csrf_cookie_path: String,
    pub(crate) refresh_csrf_cookie_path: String,
    pub(crate) access_csrf_header_name: HeaderName,
    pub(crate) refresh_csrf_header_name: HeaderName,
    pub(crate) csrf_check_form: bool,
    pub(crate) access_csrf_field_name: String,
    pub(crate) refresh_csrf_field_name: String,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            access_cookie_name: "access_token_cookie".into(),
            refresh_cookie_name: "refresh_token_cookie".into(),
            access_cookie_path: "/".into(),
            refresh_cookie_path: "/".into(),
            domain: None,
            secure: true,
            same_site: Some(SameSite::Lax),
            session_cookie: true,
            csrf_protect: true,
            csrf_in_cookies: true,
            csrf_methods: vec![Method::POST, Method::PUT, Method::PATCH, Method::DELETE],
            access_csrf_cookie_name: "csrf_access_token".into(),
            refresh_csrf_cookie_name: "csrf_refresh_token".into(),
            access_csrf_cookie_path: "/".into(),
            refresh_csrf_cookie_path: "/".into(),
            access_csrf_header_name: HeaderName::from_static("x-csrf-token"),
            refresh_csrf_header_name: HeaderName::from_static("x-csrf-token"),
            csrf_check_form: false,
            access_csrf_field_name: "csrf_token".into(),
            refresh_csrf_field_name: "csrf_token".into(),
        }
    }
}

impl CookieConfig {
    /// Flask's settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names of the access and refresh token cookies (Flask's
    /// `JWT_ACCESS_COOKIE_NAME`, `JWT_REFRESH_COOKIE_NAME`). Defaults to
    /// `access_token_cookie` and `refresh_token_cookie`.
    pub fn cookie_names(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access_cookie_name = access.into();
        self.refresh_cookie_name = refresh.into();
        self
    }

    /// Paths of the access and refresh token cookies (Flask's
    /// `JWT_ACCESS_COOKIE_PATH`, `JWT_REFRESH_COOKIE_PATH`), e.g. `/api/` and
    /// `/token/refresh` so the refresh token travels only to the refresh route.
    /// Defaults to `/` for both.
    pub fn cookie_paths(mut self, access: impl Into<String>, refresh: impl Into<String>) -> Self {
        self.access_cookie_path = access.into();
        self.refresh_cookie_path = refresh.into();
        self
    }

    /// The cookies' `Domain` (Flask's `JWT_COOKIE_DOMAIN`). Defaults to none:
    /// the host that set them.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether cookies carry `Secure`, so browsers send them over HTTPS only
    /// (Flask's `JWT_COOKIE_SECURE`). Defaults to `true`, unlike Flask: turn it
    /// off only for plain-HTTP development.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The cookies' `SameSite` (Flask's `JWT_COOKIE_SAMESITE`); `None` leaves it
    /// out, as Flask does by default. Defaults to `Some(SameSite::Lax)`.
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.same_site = same_site;
        self
    }

    /// Session cookies (no `Max-Age`, gone when the browser closes) or cookies
    /// that live as long as their token (Flask's `JWT_SESSION_COOKIE`; Flask
    /// gives them a year). Defaults to `true`.
    pub fn session_cookie(mut self, session: bool) -> Self {
        self.session_cookie = session;
        self
    }

    /// CSRF double submit protection for tokens read from cookies (Flask's
    /// `JWT_COOKIE_CSRF_PROTECT`); new tokens carry a `csrf` claim only when it
    /// is on. Defaults to `true`.
    pub fn csrf_protect(mut self, protect: bool) -> Self {
        self.csrf_protect = protect;
        self
    }

    /// Whether the `set_*_cookies` helpers also set the readable CSRF cookies
    /// (Flask's `JWT_CSRF_IN_COOKIES`). Defaults to `true`.
    pub fn csrf_in_cookies(mut self, in_cookies: bool) -> Self {
        self.csrf_in_cookies = in_cookies;
        self
    }

    /// The methods that need the CSRF header (Flask's `JWT_CSRF_METHODS`).
    /// Defaults to `POST`, `PUT`, `PATCH`, `DELETE`.
    pub fn csrf_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.csrf_methods = methods.into_iter().collect();
        self
    }

    /// Names of the readable CSRF cookies (Flask's `JWT_ACCESS_CSRF_COOKIE_NAME`,
    /// `JWT_REFRESH_CSRF_COOKIE_NAME`). Defaults to `csrf_access_token` and
    /// `csrf_refresh_token`.
    pub fn csrf_cookie_names(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_cookie_name = access.into();
        self.refresh_csrf_cookie_name = refresh.into();
        self
    }

    /// Paths of the CSRF cookies (Flask's `JWT_ACCESS_CSRF_COOKIE_PATH`,
    /// `JWT_REFRESH_CSRF_COOKIE_PATH`). Defaults to `/` for both.
    pub fn csrf_cookie_paths(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_cookie_path = access.into();
        self.refresh_csrf_cookie_path = refresh.into();
        self
    }

    /// The request headers that carry the CSRF value (Flask's
    /// `JWT_ACCESS_CSRF_HEADER_NAME`, `JWT_REFRESH_CSRF_HEADER_NAME`); an invalid
    /// name is refused by `build()`. Defaults to `X-CSRF-TOKEN` for both.
    pub fn csrf_header_names(mut self, access: HeaderName, refresh: HeaderName) -> Self {
        self.access_csrf_header_name = access;
        self.refresh_csrf_header_name = refresh;
        self
    }

    /// Also accept the CSRF value from a form field of an
    /// `application/x-www-form-urlencoded` body (Flask's `JWT_CSRF_CHECK_FORM`).
    /// Defaults to `false`.
    pub fn csrf_check_form(mut self, check: bool) -> Self {
        self.csrf_check_form = check;
        self
    }

    /// Names of those form fields (Flask's `JWT_ACCESS_CSRF_FIELD_NAME`,
    /// `JWT_REFRESH_CSRF_FIELD_NAME`). Defaults to `csrf_token` for both.
    pub fn csrf_field_names(
        mut self,
        access: impl Into<String>,
        refresh: impl Into<String>,
    ) -> Self {
        self.access_csrf_field_name = access.into();
        self.refresh_csrf_field_name = refresh.into();
        self
    }

    /// The token cookie, CSRF header and CSRF form field for `kind`.
    pub(crate) fn for_kind(&self, kind: TokenKind) -> (&str, &HeaderName, &str) {
        match kind {
            TokenKind::Access => (
                &self.access_cookie_name,
                &self.access_csrf_header_name,
                &self.access_csrf_field_name,
            ),
            TokenKind::Refresh => (
                &self.refresh_cookie_name,
                &self.refresh_csrf_header_name,
                &self.refresh_csrf_field_name,
            ),
        }
    }

    /// The token cookie's and CSRF cookie's names and paths for `kind`.
    fn cookie_names_and_paths(&self, kind: TokenKind) -> (&str, &str, &str, &str) {
        match kind {
            TokenKind::Access => (
                &self.access_cookie_name,
                &self.access_csrf_cookie_name,
                &self.access_cookie_path,
                &self.access_csrf_cookie_path,
            ),
            TokenKind::Refresh => (
                &self.refresh_cookie_name,
                &self.refresh_csrf_cookie_name,
                &self.refresh_cookie_path,
                &self.refresh_csrf_cookie_path,
            ),
        }
    }

    fn cookie<'c>(
        &self,
        name: &'c str,
        value: &'c str,
        path: &'c str,
        http_only: bool,
    ) -> Cookie<'c> {
        let mut cookie = Cookie::build(name, value)
            .path(path)
            .secure(self.secure)
            .http_only(http_only)
            .finish();
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        if let Some(same_site) = self.same_site {
            cookie.set_same_site(same_site);
        }
        cookie
    }

    /// The token cookie and, when configured, its CSRF cookie, for `token`.
    fn token_cookies(
        &self,
        manager: &JwtManager,
        kind: TokenKind,
        token: &str,
    ) -> Result<Vec<Cookie<'static>>, JwtError> {
        let decoded = manager.decode_token(token)?;
        if decoded.kind() != kind {
            return Err(JwtError::Creation(
                format!(
                    "a {} token cannot go into the {kind} cookie",
                    decoded.kind()
                )
                .into(),
            ));
        }
        let max_age = (!self.session_cookie).then(|| match decoded.expires_at() {
            Some(exp) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO);
                (exp - now.as_secs() as i64).max(0)
            }
            // Flask's lifetime for cookies when tokens never expire: a year.
            None => 31_540_000,
        });
        let (name, csrf_name, path, csrf_path) = self.cookie_names_and_paths(kind);
        let mut cookies = vec![self.cookie(name, token, path, true).into_owned()];
        if self.csrf_protect && self.csrf_in_cookies {
            let csrf = decoded
                .claims()
                .get("csrf")
                .and_then(|csrf| csrf.as_str())
                .ok_or_else(|| {
                    JwtError::Creation("the token has no csrf claim for its CSRF cookie".into())
                })?;
            cookies.push(self.cookie(csrf_name, csrf, csrf_path, false).into_owned());
        }
        if let Some(max_age) = max_age {
            for cookie in &mut cookies {
                cookie.set_max_age(actix_web::cookie::time::Duration::seconds(max_age));
            }
        }
        Ok(cookies)
    }

    /// Cookies that clear the token cookie of `kind` and its CSRF cookie.
    fn removal_cookies(&self, kind: TokenKind) -> Vec<Cookie<'static>> {
        let (name, csrf_name, path, csrf_path) = self.cookie_names_and_paths(kind);
        let mut cookies = vec![self.cookie(name, "", path, true).into_owned()];
        if self.csrf_protect && self.csrf_in_cookies {
            cookies.push(self.cookie(csrf_name, "", csrf_path, false).into_owned());
        }
        for cookie in &mut cookies {
            // As Flask: an empty value that expired at the epoch.
            cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
        }
        cookies
    }
}

/// Setting and clearing token cookies on a response, for `HttpResponse` and
/// `HttpResponseBuilder` (Flask's `set_access_cookies`, `set_refresh_cookies`,
/// `unset_jwt_cookies`, `unset_access_cookies`, `unset_refresh_cookies`).
///
/// The `set_*` methods verify the token they are given (it must be of the
/// right kind and, with CSRF protection, carry a `csrf` claim) and set its
/// cookie, HttpOnly, and the readable CSRF cookie beside it.
pub trait JwtCookies {
    /// Sets the access token cookie and its CSRF cookie.
    fn set_access_cookies(&mut self, jwt: &JwtManager, token: &str) -> Result<&mut Self, JwtError>;

    /// Sets the refresh token cookie and its CSRF cookie.
    fn set_refresh_cookies(&mut self, jwt: &JwtManager, token: &str)
    -> Result<&mut Self, JwtError>;

    /// Clears the access token cookie and its CSRF cookie.
    fn unset_access_cookies(&mut self, jwt: &JwtManager) -> &mut Self;

    /// Clears the refresh token cookie and its CSRF cookie.
    fn unset_refresh_cookies(&mut self, jwt: &JwtManager) -> &mut Self;

    /// Clears every token and CSRF cookie (logout).
    fn unset_jwt_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        self.unset_access_cookies(jwt).unset_refresh_cookies(jwt)
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
) -> Result<(), JwtError> {
    for cookie in jwt.config().cookies.token_cookies(jwt, kind, token)? {
        response.add(cookie);
    }
    Ok(())
}

fn unset_cookies<R: AddCookie>(response: &mut R, jwt: &JwtManager, kind: TokenKind) {
    for cookie in jwt.config().cookies.removal_cookies(kind) {
        response.add(cookie);
    }
}

impl<R: AddCookie> JwtCookies for R {
    fn set_access_cookies(&mut self, jwt: &JwtManager, token: &str) -> Result<&mut Self, JwtError> {
        set_cookies(self, jwt, TokenKind::Access, token)?;
        Ok(self)
    }

    fn set_refresh_cookies(
        &mut self,
        jwt: &JwtManager,
        token: &str,
    ) -> Result<&mut Self, JwtError> {
        set_cookies(self, jwt, TokenKind::Refresh, token)?;
        Ok(self)
    }

    fn unset_access_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        unset_cookies(self, jwt, TokenKind::Access);
        self
    }

    fn unset_refresh_cookies(&mut self, jwt: &JwtManager) -> &mut Self {
        unset_cookies(self, jwt, TokenKind::Refresh);
        self
    }
}

/// Re-issues the access cookie when the access token a request used expires
/// within `window` (Flask's implicit refreshing with cookies: an
/// `after_request` hook). Wrap the `App` (or a scope) outside the guards; it
/// acts only on requests a guard or extractor verified.
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
    type Transform = ImplicitRefreshMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ImplicitRefreshMiddleware {
            service: Rc::new(service),
            window: self.window,
        }))
    }
}

/// The service built by [`ImplicitRefresh`].
pub struct ImplicitRefreshMiddleware<S> {
    service: Rc<S>,
    window: Duration,
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
            let token = response
                .request()
                .extensions()
                .get::<Verified>()
                .map(|Verified(token)| token.clone());
            // Flask's hook checks `type == "access"` (a missing type reads as
            // "access"), stricter than the guards' "anything but refresh".
            let access = |token: &Arc<DecodedToken>| {
                token
                    .claims()
                    .get("type")
                    .is_none_or(|kind| kind == "access")
            };
            let Some(token) = token.filter(access) else {
                return Ok(response);
            };
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            let expiring = token
                .expires_at()
                .is_some_and(|exp| ((now + window).as_secs_f64()) > exp as f64);
            if !expiring {
                return Ok(response);
            }
            let Ok(jwt) = JwtManager::from_app_data(response.request()).cloned() else {
                return Ok(response);
            };
            let refreshed = jwt.create_access_token(token.identity()).and_then(|fresh| {
                set_cookies(response.response_mut(), &jwt, TokenKind::Access, &fresh)
            });
            if let Err(error) = refreshed {
                log::error!("actix-jwt-extended: implicit refresh failed: {error:?}");
            }
            Ok(response)
        })
    }
}
