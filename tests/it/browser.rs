//! The `browser_app` example in real headless Chromium (Debian's `chromium`,
//! driven by `tests/browser/e2e.mjs` with playwright-core): login sets the
//! cookies, page script cannot read the token cookies, a protected POST needs
//! the CSRF header, refresh works, logout clears the cookies. `.ci/run`
//! installs Chromium and the script's dependencies; under `CI=true` a missing
//! browser fails this test instead of skipping it.

use crate::examples::browser_app;

use std::{path::Path, process::Command};

#[test]
fn browser_app_works_in_headless_chromium() {
    let root = &Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let script = root.join("tests/browser/e2e.mjs");
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
        return;
    }
    let addr = crate::common::start_with(
        browser_app::manager(crate::common::SECRET).unwrap(),
        browser_app::routes,
    );
    let screenshot = root.join("target/browser/logged-in.png");
    let output = Command::new("node")
        .arg(&script)
        .arg(format!("http://{addr}/"))
        .arg(&screenshot)
        .env("CHROMIUM_PATH", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PASS"), "{stdout}");
    assert!(
        std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 1000),
        "no screenshot at {screenshot:?}"
    );
}
