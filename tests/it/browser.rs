//! Examples in real headless Chromium (Debian's `chromium`, driven by the
//! scripts in `tests/browser/` with playwright-core):
//!
//! - `browser_app` (`e2e.mjs`): login sets the cookies, page script cannot
//!   read the token cookies, a protected POST needs the CSRF header, refresh
//!   works, logout clears the cookies;
//! - `websocket` (`websocket.mjs`): the page's socket opens with the token as
//!   a subprotocol and the `bearer` protocol selected, its messages come
//!   back with the identity, and sockets with a bad token or none never open.
//!
//! `.ci/run` installs Chromium and the scripts' dependencies; under `CI=true`
//! a missing browser fails these tests instead of skipping them.

use crate::examples::{browser_app, websocket};

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The repository root and Chromium's path, when both Chromium and the
/// scripts' dependencies are installed.
fn chromium() -> Option<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let installed = Path::new(&chromium).exists()
        && root
            .join("tests/browser/node_modules/playwright-core")
            .exists();
    if !installed {
        assert!(
            !crate::common::in_ci(),
            "CI=true but Chromium ({chromium}) or tests/browser/node_modules is missing: .ci/run installs them"
        );
        crate::common::skipped(
            "Chromium or tests/browser/node_modules missing (bash .ci/run installs them)",
        );
        return None;
    }
    Some((root, chromium))
}

/// Runs `tests/browser/<script>` with `args`; it must print `PASS`.
fn run_script(root: &Path, chromium: &str, script: &str, args: &[&std::ffi::OsStr]) {
    let output = Command::new("node")
        .arg(root.join("tests/browser").join(script))
        .args(args)
        .env("CHROMIUM_PATH", chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PASS"), "{stdout}");
}

#[test]
fn browser_app_works_in_headless_chromium() {
    let Some((root, chromium)) = chromium() else {
        return;
    };
    let addr = crate::common::start_with(
        browser_app::manager(crate::common::SECRET).unwrap(),
        browser_app::routes,
    );
    let screenshot = root.join("target/browser/logged-in.png");
    let url = format!("http://{addr}/");
    run_script(
        &root,
        &chromium,
        "e2e.mjs",
        &[url.as_ref(), screenshot.as_os_str()],
    );
    assert!(
        std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 1000),
        "no screenshot at {screenshot:?}"
    );
}

#[test]
fn a_websocket_with_the_token_as_a_subprotocol_opens_in_headless_chromium() {
    let Some((root, chromium)) = chromium() else {
        return;
    };
    let addr = crate::common::start_with(
        websocket::manager(crate::common::SECRET).unwrap(),
        websocket::routes,
    );
    let url = format!("http://{addr}/");
    run_script(&root, &chromium, "websocket.mjs", &[url.as_ref()]);
}
