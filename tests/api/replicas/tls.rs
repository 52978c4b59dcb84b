//! Replicas reaching a database that takes connections only over TLS, as managed PostgreSQL
//! services do: the URL's `sslmode=verify-full` with `sslrootcert` is honoured by the pool
//! and by the change feed, and a certificate nobody vouches for is refused.

use reqwest::StatusCode;

use super::{ids_of, long_poll};
use crate::helpers::*;
use crate::postgres::PrivateCluster;

/// Connections to `database` that the cluster sees encrypted, counted over its Unix socket.
async fn encrypted_connections(cluster: &PrivateCluster, database: &str) -> i64 {
    let (admin, connection) =
        tokio_postgres::connect(&cluster.url("postgres"), tokio_postgres::NoTls)
            .await
            .expect("connect over the Unix socket");
    tokio::spawn(connection);
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND s.ssl",
            &[&database],
        )
        .await
        .expect("count encrypted connections")
        .get(0)
}

#[tokio::test]
async fn replicas_speak_tls_to_a_database_that_demands_it() {
    let cluster = PrivateCluster::start_with_tls().await;
    let authority = cluster.authority();
    let url = cluster.tcp_url(
        "frontdesk",
        &format!("sslmode=verify-full&sslrootcert={}", authority.display()),
    );
    // The cluster turns plain TCP away, so whatever works below went over TLS.
    let plain = cluster.tcp_url("frontdesk", "sslmode=disable");
    let refused = frontdesk::store::PgStore::open(
        &plain,
        frontdesk::store::files::FileDir::at(&authority.with_file_name("plain-files")),
    )
    .await;
    assert!(refused.is_err(), "plain TCP must be turned away");

    let (a, b) = TestApp::spawn_replicas_on(&url, |_| {}).await;
    let user = a.user_token("u_tls");
    a.start_session(&user, Some("chat_tls")).await;
    let (_, agent) = b.agent("ann@example.com", "super_admin").await;
    let after = ids_of(&a.poll(&user, "chat_tls", None).await)
        .pop()
        .expect("the welcome message");
    // A reply through B wakes a poll held on A: B's commit and notice, and A's change feed
    // and re-read, all crossed TLS.
    let poll = long_poll(&a, &user, "chat_tls", &after);
    a.wait_until_held("u_tls", 1).await;
    b.agent_reply(&agent, "chat_tls", "over TLS").await;
    let (status, body) = within("the held poll wakes", poll)
        .await
        .expect("poll task");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["messages"][0]["message"], "over TLS", "{body}");
    let open = encrypted_connections(&cluster, "frontdesk").await;
    assert!(
        open >= 2,
        "each replica's feed and pool are encrypted: {open}"
    );
}

#[tokio::test]
async fn a_database_certificate_nobody_vouches_for_is_refused() {
    let cluster = PrivateCluster::start_with_tls().await;
    let files = cluster.authority().with_file_name("files");
    // `require` without `sslrootcert` trusts only the public authorities, and this cluster's
    // certificate comes from a private one.
    let untrusted = cluster.tcp_url("frontdesk", "sslmode=require");
    let err =
        frontdesk::store::PgStore::open(&untrusted, frontdesk::store::files::FileDir::at(&files))
            .await
            .err()
            .expect("an unverified certificate is refused");
    let text = match &err {
        frontdesk::error::Error::Internal(e) => e.chain().to_string(),
        other => other.to_string(),
    };
    assert!(text.contains("certificate"), "{text}");
    // A root file that is not there is named in the answer.
    let missing = cluster.tcp_url(
        "frontdesk",
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    );
    let err =
        frontdesk::store::PgStore::open(&missing, frontdesk::store::files::FileDir::at(&files))
            .await
            .err()
            .expect("a missing root file is refused");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}
