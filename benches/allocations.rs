//! Heap allocations per verified request, counted by a wrapping global
//! allocator (not timed): `cargo bench --bench allocations`.

use std::{
    alloc::{GlobalAlloc, Layout, System as SystemAlloc},
    sync::atomic::{AtomicUsize, Ordering},
};

use actix_http::Request;
use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
use actix_web::{
    App, HttpResponse,
    dev::{Service, ServiceResponse},
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

/// `RUNS` requests with `authorization` to `app`; allocations per request.
fn requests<B>(
    system: &SystemRunner,
    app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    authorization: &str,
) -> f64 {
    per_run(|| {
        let req = test::TestRequest::get()
            .uri("/")
            .insert_header(("Authorization", authorization));
        let res = system.block_on(test::call_service(app, req.to_request()));
        assert!(res.status().is_success());
    })
}

// One function per path, never inlined, so that
// `valgrind --tool=callgrind` reports each path's instructions apart
// (BENCHMARKS.md).

#[inline(never)]
fn without_authentication<B>(
    system: &SystemRunner,
    app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    authorization: &str,
) -> f64 {
    requests(system, app, authorization)
}

#[inline(never)]
fn with_cache<B>(
    system: &SystemRunner,
    app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    authorization: &str,
) -> f64 {
    requests(system, app, authorization)
}

#[inline(never)]
fn without_cache<B>(
    system: &SystemRunner,
    app: &impl Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    authorization: &str,
) -> f64 {
    requests(system, app, authorization)
}

fn main() {
    let system = System::new();
    let app =
        |jwt: &JwtManager| {
            system.block_on(test::init_service(
                App::new().app_data(web::Data::new(jwt.clone())).route(
                    "/",
                    web::get()
                        .to(|id: JwtIdentity| async move {
                            HttpResponse::Ok().body(id.as_str().to_owned())
                        })
                        .wrap(JwtRequired::new()),
                ),
            ))
        };
    let cached = JwtManager::builder().secret(SECRET).build().unwrap();
    let uncached = JwtManager::builder()
        .secret(SECRET)
        .token_cache(0)
        .build()
        .unwrap();
    // One token for every path; the unauthenticated route gets it too.
    let token = cached.create_access_token("test").unwrap();
    let bearer = format!("Bearer {token}");

    // The same handler body everywhere, so that the differences are
    // authentication's.
    let public = system.block_on(test::init_service(App::new().route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().body("test".to_owned()) }),
    )));
    let no_auth = without_authentication(&system, &public, &bearer);
    println!("allocations per request, no authentication:        {no_auth:.1}");
    let on = with_cache(&system, &app(&cached), &bearer);
    println!(
        "allocations per request, JwtRequired (cache on):   {on:.1} (+{:.1})",
        on - no_auth
    );
    let off = without_cache(&system, &app(&uncached), &bearer);
    println!(
        "allocations per request, JwtRequired (cache off):  {off:.1} (+{:.1})",
        off - no_auth
    );
    for (label, jwt) in [("cache on", &cached), ("cache off", &uncached)] {
        let decode = per_run(|| {
            jwt.decode_token(&token).unwrap();
        });
        println!("allocations per decode_token ({label}):           {decode:.1}");
    }
}
