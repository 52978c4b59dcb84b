//! The systemd unit: `systemd-analyze verify` has nothing to say about it, and its security
//! review scores it as locked down.

use crate::support::*;

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let analyze = tool("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().unwrap();
    let unit = substitute(
        read(&repo_file("deploy/frontdesk.service")),
        "ExecStart=/usr/local/bin/frontdesk serve",
        &format!("ExecStart={BIN} serve"),
    );
    for setting in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StateDirectory=frontdesk",
        "LimitNOFILE=65536",
        "User=frontdesk",
    ] {
        assert!(unit.lines().any(|l| l == setting), "{setting} missing");
    }
    let path = dir.path().join("frontdesk.service");
    std::fs::write(&path, unit).unwrap();
    let file = path.to_str().unwrap();

    let verified = run(&analyze, &["verify", file]);
    assert!(verified.status.success(), "{}", text(&verified));
    // Unknown or misspelt keys are only warnings to verify: none is allowed.
    assert_eq!(text(&verified), "", "systemd-analyze verify has remarks");

    // The exposure score runs from 0 (locked down) to 10; 20 here means 2.0.
    let review = run(
        &analyze,
        &["security", "--offline=true", "--threshold=20", file],
    );
    assert!(
        review.status.success(),
        "exposure above 2.0:\n{}",
        text(&review)
    );
}
