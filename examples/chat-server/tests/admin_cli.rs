//! `chat-server admin grant|revoke|list` against the SQLite database of a running
//! server: the only way to make a site administrator.
#![allow(clippy::unwrap_used)]

mod ops;

use ops::{Server, run};
use reqwest::Method;

#[tokio::test]
async fn the_operator_grants_and_revokes_site_admins_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let s = Server::start(&["--data-dir", data]);
    let alice = s.register("alice").await;
    assert_eq!(
        s.call(Method::GET, "/admin/users", Some(&alice), None)
            .await
            .0,
        403
    );

    let out = run(&["--data-dir", data, "admin", "grant", "Alice"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Alice is now a site administrator"));
    let (status, users) = s
        .call(Method::GET, "/admin/users", Some(&alice), None)
        .await;
    assert_eq!(status, 200, "{users}");
    assert!(users[0]["admin_since"].is_string());
    let out = run(&["--data-dir", data, "admin", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "alice");

    let out = run(&["--data-dir", data, "admin", "grant", "nobody"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such user"),
        "{out:?}"
    );

    let out = run(&["--data-dir", data, "admin", "revoke", "alice"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        s.call(Method::GET, "/admin/users", Some(&alice), None)
            .await
            .0,
        403
    );
    let out = run(&["--data-dir", data, "admin", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "");
}
