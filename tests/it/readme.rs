//! The README's "Try it" walk, pasted into bash as a newcomer would, against
//! the example it names and against the Flask-JWT-Extended reference app:
//! every answer must be the one the README shows under its command.

use std::process::Command;

use crate::common::{flask_reference, manager_with_secret, start_example};

/// The README's walk: the `sh` block after "## Try it" that calls `/login`.
fn walk() -> String {
    let readme = crate::common::readme();
    let section = readme
        .split_once("\n## Try it\n")
        .expect("the README has a \"Try it\" section")
        .1;
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split_once("\n```").map(|(code, _)| code))
        .find(|code| code.contains("/login"))
        .expect("\"Try it\" has a curl block that logs in")
        .to_owned()
}

/// The answers the README shows: each `# {...}` line, in order.
fn documented_answers(walk: &str) -> Vec<&str> {
    walk.lines()
        .filter_map(|line| line.strip_prefix("# "))
        .filter(|comment| comment.starts_with('{'))
        .collect()
}

/// Runs the walk in bash against `host_port` instead of `localhost:5000`.
fn run_walk(walk: &str, host_port: &str) -> String {
    let script = walk.replace("localhost:5000", host_port);
    let output = Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "the walk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn assert_walk_answers(host_port: &str, who: &str) {
    let walk = walk();
    let expected = documented_answers(&walk);
    assert!(expected.len() >= 7, "{expected:?}");
    let answers = run_walk(&walk, host_port);
    // Byte for byte, one answer per line, as curl prints them.
    assert_eq!(
        answers.lines().collect::<Vec<_>>(),
        expected,
        "{who} answered the README's walk differently"
    );
    assert!(answers.ends_with('\n'), "{answers:?}");
}

#[test]
fn the_readme_walk_gives_the_documented_answers_against_the_example() {
    // As `cargo run --example refresh_tokens` serves it: the secret
    // "super-secret", accepted with its warning.
    assert_walk_answers(
        &start_example(manager_with_secret("super-secret")),
        "the example",
    );
}

#[test]
fn the_readme_walk_gives_the_documented_answers_against_flask() {
    let Some(flask) = flask_reference() else {
        return;
    };
    assert_walk_answers(&flask, "Flask-JWT-Extended");
}

#[test]
fn the_quick_start_and_the_walk_name_the_same_routes() {
    let readme = crate::common::readme();
    let quick_start = readme
        .split_once("\n## Quick start\n")
        .unwrap()
        .1
        .split_once("\n## ")
        .unwrap()
        .0;
    for route in ["\"/login\"", "\"/refresh\"", "\"/protected\""] {
        assert!(
            quick_start.contains(route),
            "the Quick start serves {route}"
        );
    }
    let walk = walk();
    for path in [
        "localhost:5000/login",
        "localhost:5000/refresh",
        "localhost:5000/protected",
    ] {
        assert!(walk.contains(path), "the walk calls {path}");
    }
}
