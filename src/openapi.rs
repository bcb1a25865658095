//! The guards in an OpenAPI document (feature `utoipa`): the security
//! schemes of the manager's token locations, and the guarded operations
//! marked as needing them.
//!
//! [`JwtSecurity`] is built from the [`JwtManager`] and told where each guard
//! sits, in actix-web's own terms: a [`scope`](JwtSecurity::scope) (the path
//! and everything under it), a [`resource`](JwtSecurity::resource) (that path)
//! or a [`route`](JwtSecurity::route) (that path and method). Pass it the very
//! guard you wrap the service with, so the document says what the server
//! checks. [`apply`](JwtSecurity::apply) then writes the document:
//!
//! - the schemes, in `components.securitySchemes`, of the manager's token
//!   locations and of any other location a guard given here reads, for
//!   access and refresh tokens alike: the header as an HTTP
//!   bearer scheme with `bearerFormat: JWT` (or an API key in the configured
//!   header when it is not `Authorization: Bearer`), the access and refresh
//!   cookies and their CSRF headers as API keys, the query string parameter
//!   as an API key in the query, the WebSocket handshake's
//!   `Sec-WebSocket-Protocol` as an API key in that header (on `GET`
//!   operations);
//! - on every operation a guard covers, the security requirements that guard
//!   accepts: one requirement per location, any of which will do, and, for a
//!   cookie on a method that needs CSRF protection (`POST`, `PUT`, `PATCH`,
//!   `DELETE` by default), the cookie and the CSRF header together in one
//!   requirement. An optional guard (`JwtRequired::new().optional()`) adds the
//!   empty requirement `{}`: no token at all passes too.
//!
//! Operations no guard covers are left as they are. The requirements of a
//! guarded operation replace any it declared itself, since the guard is what
//! the server enforces.
//!
//! ```
//! use actix_jwt_extended::{openapi::JwtSecurity, JwtManager, JwtRequired, RefreshRequired};
//! use actix_web::{web, App, HttpResponse};
//! use serde_json::json;
//! use utoipa::OpenApi;
//!
//! #[utoipa::path(post, path = "/login", responses((status = 200, description = "A token pair")))]
//! async fn login() -> HttpResponse { HttpResponse::Ok().finish() }
//!
//! #[utoipa::path(get, path = "/api/me", responses((status = 200, description = "The caller")))]
//! async fn me() -> HttpResponse { HttpResponse::Ok().finish() }
//!
//! #[utoipa::path(post, path = "/refresh", responses((status = 200, description = "A new access token")))]
//! async fn refresh() -> HttpResponse { HttpResponse::Ok().finish() }
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(login, me, refresh))]
//! struct ApiDoc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::builder().secret(b"change-me-to-a-long-random-secret").build()?;
//! let (api, refresh_token) = (JwtRequired::new(), RefreshRequired::new());
//!
//! // At start-up: a path that matches no operation of the document (a typo,
//! // a handler left out of `paths(...)`) is an error here.
//! let mut doc = ApiDoc::openapi();
//! JwtSecurity::new(&jwt)
//!     .scope("/api", &api)
//!     .resource("/refresh", &refresh_token)
//!     .apply(&mut doc)?;
//!
//! let json = serde_json::to_value(&doc)?;
//! assert_eq!(json["paths"]["/api/me"]["get"]["security"], json!([{ "jwt_header": [] }]));
//! assert_eq!(json["paths"]["/login"]["post"].get("security"), None);
//! assert_eq!(
//!     json["components"]["securitySchemes"]["jwt_header"],
//!     json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT" }),
//! );
//!
//! let app = App::new()
//!     .app_data(web::Data::new(jwt))
//!     .app_data(web::Data::new(doc))
//!     .route("/login", web::post().to(login))
//!     .service(web::scope("/api").wrap(api).route("/me", web::get().to(me)))
//!     .service(web::resource("/refresh").wrap(refresh_token).route(web::post().to(refresh)))
//!     .route(
//!         "/openapi.json",
//!         web::get().to(|doc: web::Data<utoipa::openapi::OpenApi>| async move { web::Json(doc) }),
//!     );
//! # Ok(()) }
//! ```
//!
//! [`JwtSecurity`] is a [`utoipa::Modify`] too, for code that takes
//! modifiers; [`modify`](utoipa::Modify::modify) logs what `apply` would
//! return as an error.
//!
//! The scheme names are constants of [`JwtSecurity`] ([`HEADER`](JwtSecurity::HEADER),
//! [`ACCESS_COOKIE`](JwtSecurity::ACCESS_COOKIE), ...), for a hand-written
//! `#[utoipa::path(security(...))]` on an operation no `JwtSecurity` path covers.
//!
//! A token in a JSON body ([`TokenLocation::Json`]) has no OpenAPI security
//! scheme: describe the `access_token` key in the operation's request body.
//! A guard that reads only JSON bodies leaves its operations without
//! requirements, with a warning in the log. A CSRF value sent as a form field
//! ([`CookieConfig::csrf_check_form`](crate::cookies::CookieConfig::csrf_check_form))
//! is not described either: the document asks for the header. Freshness
//! and [`require`](JwtRequired::require) conditions are checks on the token,
//! not on where it is sent, so they change no requirement: say them in the
//! operation's description.

use std::fmt;

use actix_web::http::Method;
use utoipa::openapi::{
    Components, OpenApi, PathItem,
    path::Operation,
    security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    },
};

use crate::{
    authn::Requirement,
    claims::TokenKind,
    config::{CookieConfig, TokenLocation},
    guard::{JwtRequired, RefreshRequired},
    locations::LocationConfig,
    manager::JwtManager,
};

/// Writes the manager's security schemes into an OpenAPI document and marks
/// the operations behind each guard as needing them (see the
/// [module docs](self)).
///
/// A path is matched segment by segment against the document's paths; a
/// segment in braces (`{id}`, `{id:\d+}`) matches any segment, as in actix-web.
/// Where several paths cover one operation the most specific decides: a
/// longer path over a shorter one, a route over a resource over a scope,
/// and the later of two equal ones.
#[derive(Debug, Clone)]
#[must_use]
pub struct JwtSecurity {
    jwt: JwtManager,
    guarded: Vec<Guarded>,
}

/// What a guard asks for, as [`JwtSecurity`] describes it: made from a
/// [`JwtRequired`] or a [`RefreshRequired`], by value or by reference.
#[derive(Debug, Clone, Copy)]
pub struct SecuredBy(Requirement);

impl From<&JwtRequired> for SecuredBy {
    fn from(guard: &JwtRequired) -> Self {
        Self(guard.requirement())
    }
}

impl From<JwtRequired> for SecuredBy {
    fn from(guard: JwtRequired) -> Self {
        Self(guard.requirement())
    }
}

impl From<&RefreshRequired> for SecuredBy {
    fn from(guard: &RefreshRequired) -> Self {
        Self(guard.requirement())
    }
}

impl From<RefreshRequired> for SecuredBy {
    fn from(guard: RefreshRequired) -> Self {
        Self(guard.requirement())
    }
}

/// Paths given to [`JwtSecurity`] that match no operation of the document:
/// a typo, or a handler missing from the document. Everything else was
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedPaths {
    paths: Vec<String>,
}

impl UnmatchedPaths {
    /// The paths, as given.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }
}

impl fmt::Display for UnmatchedPaths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JwtSecurity: no operation of the OpenAPI document is at {}, so no security requirement was added there: check the path, and that its handlers are in the document",
            self.paths.join(", ")
        )
    }
}

impl std::error::Error for UnmatchedPaths {}

/// How a path given to [`JwtSecurity`] covers the document's operations.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cover {
    /// The path and every path under it.
    Scope,
    /// The path itself.
    Resource,
    /// The path itself, one method.
    Route(Method),
}

/// A path given to [`JwtSecurity`] and the guard behind it.
#[derive(Debug, Clone)]
struct Guarded {
    path: String,
    cover: Cover,
    requirement: Requirement,
}

impl Guarded {
    /// How specific the match is, when it matches `path` and `method`.
    fn matches(&self, path: &[&str], method: &str) -> Option<(usize, u8)> {
        let own = segments(&self.path);
        let fits = |count: bool| {
            count
                && own
                    .iter()
                    .zip(path)
                    .all(|(own, theirs)| own.starts_with('{') || own == theirs)
        };
        let rank = match &self.cover {
            Cover::Scope => fits(own.len() <= path.len()).then_some(0),
            Cover::Resource => fits(own.len() == path.len()).then_some(1),
            Cover::Route(own_method) => (fits(own.len() == path.len())
                && own_method.as_str().eq_ignore_ascii_case(method))
            .then_some(2),
        };
        rank.map(|rank| (own.len(), rank))
    }

    /// The requirements of the `method` operation at `path`, or `None`, with
    /// a warning, when the guard reads no location a scheme describes.
    fn security(
        &self,
        config: &LocationConfig,
        path: &str,
        method: &str,
    ) -> Option<Vec<SecurityRequirement>> {
        let security = requirements(config, &self.requirement, method);
        if security.is_none() {
            log::warn!(
                "JwtSecurity: the guard on {} reads tokens only from JSON bodies, which OpenAPI cannot describe as a security scheme: {method} {path} is left without security requirements",
                self.path
            );
        }
        security
    }
}

/// The non-empty segments of `path`: `/api/` and `/api` are alike.
fn segments(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .collect()
}

impl JwtSecurity {
    /// The scheme of the token header: HTTP bearer with `bearerFormat: JWT`
    /// for `Authorization: Bearer`, else an API key in the configured header.
    /// Serves access and refresh tokens alike.
    pub const HEADER: &'static str = "jwt_header";
    /// The access token cookie (`access_token_cookie`), an API key in a cookie.
    pub const ACCESS_COOKIE: &'static str = "jwt_access_cookie";
    /// The CSRF header sent with the access token cookie (`X-CSRF-TOKEN`).
    pub const ACCESS_CSRF: &'static str = "jwt_access_csrf";
    /// The refresh token cookie (`refresh_token_cookie`).
    pub const REFRESH_COOKIE: &'static str = "jwt_refresh_cookie";
    /// The CSRF header sent with the refresh token cookie (`X-CSRF-TOKEN`).
    pub const REFRESH_CSRF: &'static str = "jwt_refresh_csrf";
    /// The query string parameter (`jwt`), an API key in the query.
    pub const QUERY_STRING: &'static str = "jwt_query_string";
    /// The token after the marker protocol in a WebSocket handshake's
    /// `Sec-WebSocket-Protocol` header, an API key in that header; a
    /// requirement of `GET` operations only, as handshakes are `GET`s.
    pub const WEBSOCKET_PROTOCOL: &'static str = "jwt_websocket_protocol";

    /// Describes the guards of an app configured with `jwt`: its header,
    /// cookie, CSRF and query string names and its token locations. Covers
    /// no operation until told where the guards are.
    pub fn new(jwt: &JwtManager) -> Self {
        Self {
            jwt: jwt.clone(),
            guarded: Vec::new(),
        }
    }

    /// Every operation at `path` or under it is behind `guard`, as with
    /// `web::scope(path).wrap(guard)`; `"/"` covers the whole document, as
    /// `App::wrap(guard)` does.
    pub fn scope(self, path: impl Into<String>, guard: impl Into<SecuredBy>) -> Self {
        self.cover(path.into(), Cover::Scope, guard.into())
    }

    /// Every operation at exactly `path` is behind `guard`, as with
    /// `web::resource(path).wrap(guard)`.
    pub fn resource(self, path: impl Into<String>, guard: impl Into<SecuredBy>) -> Self {
        self.cover(path.into(), Cover::Resource, guard.into())
    }

    /// The `method` operation at exactly `path` is behind `guard`, as with
    /// `.route(path, web::method(method).to(handler).wrap(guard))`.
    pub fn route(
        self,
        path: impl Into<String>,
        method: Method,
        guard: impl Into<SecuredBy>,
    ) -> Self {
        self.cover(path.into(), Cover::Route(method), guard.into())
    }

    fn cover(mut self, path: String, cover: Cover, SecuredBy(requirement): SecuredBy) -> Self {
        self.guarded.push(Guarded {
            path,
            cover,
            requirement,
        });
        self
    }

    /// Writes the security schemes into `openapi`'s components and the
    /// security requirements into every operation a guard covers.
    ///
    /// # Errors
    ///
    /// [`UnmatchedPaths`] when a path given here covers no operation of the
    /// document; the rest is written all the same. Call it at start-up and
    /// refuse to start on an error, so that a renamed route cannot leave a
    /// guarded operation documented as public.
    pub fn apply(&self, openapi: &mut OpenApi) -> Result<(), UnmatchedPaths> {
        let config = self.jwt.locations();
        let components = openapi.components.get_or_insert_with(Components::new);
        for (name, scheme) in self.schemes(config) {
            components.add_security_scheme(name, scheme);
        }
        let mut matched = vec![false; self.guarded.len()];
        for (path, item) in openapi.paths.paths.iter_mut() {
            let path_segments = segments(path);
            for (method, operation) in operations(item) {
                if let Some(guarded) = self.covering(&path_segments, method, &mut matched) {
                    operation.security = guarded.security(config, path, method);
                }
            }
        }
        let paths: Vec<String> = self
            .guarded
            .iter()
            .zip(matched)
            .filter(|(_, matched)| !matched)
            .map(|(guarded, _)| match &guarded.cover {
                Cover::Route(method) => format!("{method} {}", guarded.path),
                Cover::Scope | Cover::Resource => guarded.path.clone(),
            })
            .collect();
        if paths.is_empty() {
            Ok(())
        } else {
            Err(UnmatchedPaths { paths })
        }
    }

    /// The most specific guard over the `method` operation at `path`; every
    /// guard that covers it is marked in `matched`.
    fn covering(&self, path: &[&str], method: &str, matched: &mut [bool]) -> Option<&Guarded> {
        let mut best = None;
        for (index, guarded) in self.guarded.iter().enumerate() {
            if let Some(specificity) = guarded.matches(path, method) {
                matched[index] = true;
                best = best.max(Some((specificity, index)));
            }
        }
        best.map(|(_, index)| &self.guarded[index])
    }

    /// The schemes of the manager's locations and of those the guards given
    /// here read, for both kinds of token.
    fn schemes(&self, config: &LocationConfig) -> Vec<(&'static str, SecurityScheme)> {
        let guards = self
            .guarded
            .iter()
            .filter_map(|guarded| guarded.requirement.locations);
        let mut schemes: Vec<(&'static str, SecurityScheme)> = Vec::new();
        for locations in std::iter::once(config.locations).chain(guards) {
            for location in locations.iter() {
                for kind in [TokenKind::Access, TokenKind::Refresh] {
                    for (name, scheme) in scheme(config, location, kind) {
                        if schemes.iter().all(|(known, _)| *known != name) {
                            schemes.push((name, scheme));
                        }
                    }
                }
            }
        }
        schemes
    }
}

/// Writes what [`apply`](JwtSecurity::apply) writes, and logs its error.
impl utoipa::Modify for JwtSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
        if let Err(unmatched) = self.apply(openapi) {
            log::error!("{unmatched}");
        }
    }
}

/// Every operation of `item`, with its method's name.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (&str, &mut Operation)> {
    let PathItem {
        get,
        put,
        post,
        delete,
        options,
        head,
        patch,
        trace,
        query,
        additional_operations,
        ..
    } = item;
    [
        ("GET", get),
        ("PUT", put),
        ("POST", post),
        ("DELETE", delete),
        ("OPTIONS", options),
        ("HEAD", head),
        ("PATCH", patch),
        ("TRACE", trace),
        ("QUERY", query),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
    .chain(
        additional_operations
            .iter_mut()
            .map(|(method, operation)| (method.as_str(), operation)),
    )
}

/// The requirements a guard accepts on a `method` operation, one per
/// location it reads (any of them will do), and `{}` when no token passes
/// too; `None` when no location it reads has a scheme.
fn requirements(
    config: &LocationConfig,
    requirement: &Requirement,
    method: &str,
) -> Option<Vec<SecurityRequirement>> {
    let kind = requirement.reads();
    let locations = requirement.locations.unwrap_or(config.locations);
    let mut alternatives: Vec<SecurityRequirement> = locations
        .iter()
        // Only a handshake, a `GET`, carries the WebSocket protocol header.
        .filter(|location| {
            *location != TokenLocation::WebSocketProtocol || method.eq_ignore_ascii_case("GET")
        })
        .filter_map(|location| {
            let mut names = scheme(config, location, kind)
                .into_iter()
                .map(|(name, _)| name);
            let first = SecurityRequirement::new(names.next()?, Vec::<String>::new());
            Some(match names.next() {
                Some(csrf) if needs_csrf(&config.cookies, method) => {
                    first.add(csrf, Vec::<String>::new())
                }
                _ => first,
            })
        })
        .collect();
    if alternatives.is_empty() {
        return None;
    }
    if requirement.optional {
        alternatives.push(SecurityRequirement::default());
    }
    Some(alternatives)
}

fn needs_csrf(cookies: &CookieConfig, method: &str) -> bool {
    cookies.csrf_protect
        && cookies
            .csrf_methods
            .iter()
            .any(|csrf_method| csrf_method.as_str().eq_ignore_ascii_case(method))
}

/// The schemes of one location for one kind of token: none for JSON bodies,
/// the cookie and then its CSRF header (when CSRF protection is on) for
/// cookies, one scheme otherwise.
fn scheme(
    config: &LocationConfig,
    location: TokenLocation,
    kind: TokenKind,
) -> Vec<(&'static str, SecurityScheme)> {
    match location {
        TokenLocation::Headers => vec![(JwtSecurity::HEADER, header_scheme(config))],
        TokenLocation::Cookies => cookie_schemes(&config.cookies, kind),
        TokenLocation::QueryString => {
            let (name, prefix) = config.query_string();
            let description = format!("A JWT in the query string: `?{name}={prefix}<JWT>`.");
            vec![(
                JwtSecurity::QUERY_STRING,
                SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                    name.to_owned(),
                    description,
                ))),
            )]
        }
        TokenLocation::WebSocketProtocol => {
            let marker = config.marker();
            let description = format!(
                "On a WebSocket handshake, the JWT after the `{marker}` protocol: `Sec-WebSocket-Protocol: {marker}, <JWT>` (a browser's `new WebSocket(url, [\"{marker}\", token])`)."
            );
            vec![(
                JwtSecurity::WEBSOCKET_PROTOCOL,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                    "Sec-WebSocket-Protocol".to_owned(),
                    description,
                ))),
            )]
        }
        TokenLocation::Json => Vec::new(),
    }
}

fn header_scheme(config: &LocationConfig) -> SecurityScheme {
    let (name, header_type) = config.header();
    if name.eq_ignore_ascii_case("authorization") && header_type == "Bearer" {
        return SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        );
    }
    let value = match header_type {
        "" => "<JWT>".to_owned(),
        header_type => format!("{header_type} <JWT>"),
    };
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        name.to_owned(),
        format!("A JWT in the `{name}` header: `{name}: {value}`."),
    )))
}

fn cookie_schemes(cookies: &CookieConfig, kind: TokenKind) -> Vec<(&'static str, SecurityScheme)> {
    let (cookie, csrf_header, _) = cookies.read_names(kind);
    let (csrf_cookie, what, cookie_scheme, csrf_scheme) = match kind {
        TokenKind::Access => (
            &cookies.access_csrf_cookie_name,
            "access",
            JwtSecurity::ACCESS_COOKIE,
            JwtSecurity::ACCESS_CSRF,
        ),
        TokenKind::Refresh => (
            &cookies.refresh_csrf_cookie_name,
            "refresh",
            JwtSecurity::REFRESH_COOKIE,
            JwtSecurity::REFRESH_CSRF,
        ),
    };
    let mut schemes = vec![(
        cookie_scheme,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            cookie.to_owned(),
            format!("The {what} token cookie."),
        ))),
    )];
    if cookies.csrf_protect {
        let methods: Vec<&str> = cookies.csrf_methods.iter().map(Method::as_str).collect();
        let source = if cookies.csrf_in_cookies {
            format!(", as the `{csrf_cookie}` cookie holds it")
        } else {
            String::new()
        };
        schemes.push((
            csrf_scheme,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                csrf_header.as_str().to_owned(),
                format!(
                    "The CSRF double submit value of the {what} token cookie (its `csrf` claim{source}), sent with the cookie on {}.",
                    methods.join(", ")
                ),
            ))),
        ));
    }
    schemes
}
