//! Heap allocations per verified request, counted by a wrapping global
//! allocator (not timed): `cargo bench -p actix-jwt-extended-tests --bench allocations`.

use std::{
    alloc::{GlobalAlloc, Layout, System as SystemAlloc},
    sync::atomic::{AtomicUsize, Ordering},
};

use actix_http::Request;
use actix_jwt_extended::{
    JwtIdentity, JwtManager, JwtRequired,
    config::{CookieConfig, TokenLocation},
};
use actix_web::{
    App, HttpResponse,
    dev::{Service, ServiceResponse},
    http::Method,
    rt::{System, SystemRunner},
    test, web,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { SystemAlloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { SystemAlloc.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";
const RUNS: usize = 1000;

fn per_run(mut f: impl FnMut()) -> f64 {
    f(); // warm up: caches and lazily built state
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..RUNS {
        f();
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / RUNS as f64
}

/// `RUNS` requests with `headers` to `app`; allocations per request.
fn requests<B>(
    system: &SystemRunner,
    app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    headers: &[(&str, &str)],
) -> f64 {
    per_run(|| {
        let mut req = test::TestRequest::get().uri("/");
        for header in headers {
            req = req.insert_header(*header);
        }
        let res = system.block_on(test::call_service(app, req.to_request()));
        assert!(res.status().is_success());
    })
}

// One function per path, never inlined, so that
// `valgrind --tool=callgrind --toggle-collect=<path>` counts each path's
// instructions alone (BENCHMARKS.md).
macro_rules! paths {
    ($($name:ident),*) => {$(
        #[inline(never)]
        fn $name<B>(
            system: &SystemRunner,
            app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
            headers: &[(&str, &str)],
        ) -> f64 {
            // A body of its own, so that the linker does not fold the paths
            // into one function.
            std::hint::black_box(stringify!($name));
            requests(system, app, headers)
        }
    )*};
}
paths!(
    without_authentication,
    header_cached,
    header_uncached,
    cookie_cached,
    cookie_uncached,
    handwritten,
    route_wrapped_cached
);

async fn hello(id: JwtIdentity) -> HttpResponse {
    HttpResponse::Ok().body(id.as_str().to_owned())
}

#[derive(serde::Deserialize)]
struct Sub {
    sub: String,
}

/// What a route written by hand with `jsonwebtoken` does (the load bench's
/// `/handwritten`): the `Bearer ` prefix, `decode`, `exp`, the subject.
async fn decode_by_hand(
    req: actix_web::HttpRequest,
    key: web::Data<(jsonwebtoken::DecodingKey, jsonwebtoken::Validation)>,
) -> HttpResponse {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match token.map(|token| jsonwebtoken::decode::<Sub>(token, &key.0, &key.1)) {
        Some(Ok(data)) => HttpResponse::Ok().body(data.claims.sub),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

fn main() {
    let system = System::new();
    // The guard on the resource, as on a scope: what the README writes.
    let app = |jwt: JwtManager| {
        system.block_on(test::init_service(
            App::new().app_data(web::Data::new(jwt)).service(
                web::resource("/")
                    .wrap(JwtRequired::new())
                    .route(web::get().to(hello)),
            ),
        ))
    };
    // The guard on the route: actix-web's `Route::wrap` adapts it with its
    // `Compat` middleware and boxes the route's service, which costs what
    // it costs whatever the middleware does.
    let route_wrapped = |jwt: JwtManager| {
        system.block_on(test::init_service(
            App::new()
                .app_data(web::Data::new(jwt))
                .route("/", web::get().to(hello).wrap(JwtRequired::new())),
        ))
    };
    let header = |cache| {
        JwtManager::builder()
            .secret(SECRET)
            .token_cache(cache)
            .build()
            .unwrap()
    };
    // CSRF is checked on GET too, so that every path sends the same request.
    let cookie = |cache| {
        JwtManager::builder()
            .secret(SECRET)
            .token_location([TokenLocation::Cookies])
            .cookies(CookieConfig::new().csrf_methods([Method::GET]))
            .token_cache(cache)
            .build()
            .unwrap()
    };
    let jwt = header(4096);
    let token = jwt.create_access_token("test").unwrap();
    let csrf = jwt.decode_token(&token).unwrap().claims()["csrf"]
        .as_str()
        .unwrap()
        .to_owned();
    // Every request carries the token in both places, and the CSRF header,
    // whatever the route reads: the differences are authentication's.
    let (bearer, cookies) = (
        format!("Bearer {token}"),
        format!("access_token_cookie={token}"),
    );
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Cookie", cookies.as_str()),
        ("X-CSRF-TOKEN", csrf.as_str()),
    ];

    // The same handler body everywhere.
    let public = system.block_on(test::init_service(App::new().route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().body("test".to_owned()) }),
    )));
    let no_auth = without_authentication(&system, &public, &headers);
    println!("allocations per request, no authentication:           {no_auth:.1}");
    let report = |label: &str, count: f64| {
        println!(
            "allocations per request, {label}: {count:.1} (+{:.1})",
            count - no_auth
        );
    };
    report(
        "JwtRequired (header, cache on)",
        header_cached(&system, &app(jwt.clone()), &headers),
    );
    report(
        "JwtRequired on the route (header, cache on)",
        route_wrapped_cached(&system, &route_wrapped(jwt.clone()), &headers),
    );
    report(
        "JwtRequired (header, cache off)",
        header_uncached(&system, &app(header(0)), &headers),
    );
    report(
        "JwtRequired (cookie + CSRF, cache on)",
        cookie_cached(&system, &app(cookie(4096)), &headers),
    );
    report(
        "JwtRequired (cookie + CSRF, cache off)",
        cookie_uncached(&system, &app(cookie(0)), &headers),
    );
    let by_hand = system.block_on(test::init_service(
        App::new()
            .app_data(web::Data::new((
                jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
                jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
            )))
            .route("/", web::get().to(decode_by_hand)),
    ));
    report(
        "by hand (jsonwebtoken::decode)",
        handwritten(&system, &by_hand, &headers),
    );
    for (label, cache) in [("cache on", 4096), ("cache off", 0)] {
        let jwt = header(cache);
        let decode = per_run(|| {
            jwt.decode_token(&token).unwrap();
        });
        println!("allocations per decode_token ({label}): {decode:.1}");
    }
}
