//! Heap allocations per verified request, counted by a wrapping global
//! allocator (not timed): `cargo bench --bench allocations`.

use std::{
    alloc::{GlobalAlloc, Layout, System as SystemAlloc},
    sync::atomic::{AtomicUsize, Ordering},
};

use actix_jwt_extended::{JwtIdentity, JwtManager, JwtRequired};
use actix_web::{App, HttpResponse, rt::System, test, web};

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

fn main() {
    let system = System::new();
    // The same handler body and the same request headers everywhere, so
    // that the differences are authentication's.
    let public = system.block_on(test::init_service(App::new().route(
        "/",
        web::get().to(|| async { HttpResponse::Ok().body("test".to_owned()) }),
    )));
    let bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";
    let no_auth = per_run(|| {
        let req = test::TestRequest::get()
            .uri("/")
            .insert_header(("Authorization", bearer));
        system.block_on(test::call_service(&public, req.to_request()));
    });
    println!("allocations per request, no authentication:        {no_auth:.1}");
    for (label, cache) in [("cache on", 4096), ("cache off", 0)] {
        let jwt = JwtManager::builder()
            .secret(SECRET)
            .token_cache(cache)
            .build()
            .unwrap();
        let token = format!("Bearer {}", jwt.create_access_token("test").unwrap());
        let decode_token = token[7..].to_owned();
        let app =
            system.block_on(test::init_service(
                App::new().app_data(web::Data::new(jwt.clone())).route(
                    "/",
                    web::get()
                        .to(|id: JwtIdentity| async move {
                            HttpResponse::Ok().body(id.as_str().to_owned())
                        })
                        .wrap(JwtRequired::new()),
                ),
            ));
        let request = per_run(|| {
            let req = test::TestRequest::get()
                .uri("/")
                .insert_header(("Authorization", token.as_str()));
            let res = system.block_on(test::call_service(&app, req.to_request()));
            assert!(res.status().is_success());
        });
        let decode = per_run(|| {
            jwt.decode_token(&decode_token).unwrap();
        });
        println!(
            "allocations per request, JwtRequired ({label}):   {request:.1} (+{:.1})",
            request - no_auth
        );
        println!("allocations per decode_token ({label}):           {decode:.1}");
    }
}
