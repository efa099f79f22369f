//! The `payout-sandbox` binary's start and stop, run as a process over a SQLite file: a start
//! that fails stores no credentials it did not print.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// The binary over the SQLite file and secrets key file in `dir`, with no credentials or
/// settings from the environment the tests run in.
fn sandbox(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payout-sandbox"));
    command
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("sandbox.sqlite").display()))
        .arg("--secrets-key-file")
        .arg(dir.join("sandbox.key"))
        .arg("--assets")
        .arg(dir.join("no-dist"))
        .env("RUST_LOG", "warn");
    for (name, _) in std::env::vars() {
        if name.starts_with("PAYOUT_SANDBOX_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
}

/// The lines `command` prints up to `listening: …`; then it is stopped.
fn start_lines(command: &mut Command) -> Vec<String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("listening: ");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

/// Review: a first start whose port was taken stored the credentials it generated, then
/// stopped before printing them, and the next start said each key "was printed when this
/// database was created". Now a start binds its port before it makes any: the failed one
/// stores none, and the next one generates and prints both keys.
#[test]
fn a_first_start_whose_port_is_taken_stores_no_credentials() {
    let dir = support::temp_dir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let failed = sandbox(&dir).args(["--listen", &addr]).output().unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(
        failed.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&failed.stdout)
    );
    drop(taken);

    let lines = start_lines(sandbox(&dir).args(["--listen", "127.0.0.1:0"]));
    let text = lines.join("\n");
    for name in ["org_key: ", "api_key: "] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(name) && l.len() > name.len() + 8),
            "{name} in {text}"
        );
    }
    assert!(
        !text.contains("printed when this database was created"),
        "{text}"
    );
    support::remove_temp_dir(dir);
}
