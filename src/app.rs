//! Composition root: build the services and the router, run the server until shutdown.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::auth::jwks;
use crate::config::Settings;
use crate::error::Result;
use crate::service::{self, Services};

/// A built application: its services (tests reach in for the clock and maintenance) and router.
pub struct App {
    pub services: Arc<Services>,
    http: crate::http::HttpService,
}

/// Opens the database and builds everything; nothing is listening yet.
pub async fn build(settings: Settings) -> Result<App> {
    let services = Services::open(settings).await?;
    let http = crate::http::service(services.clone());
    Ok(App { services, http })
}

/// Serves on `listener` until `shutdown` completes. Held long-polls and streams are released
/// at once when shutdown begins; writes already queued are committed before this returns.
pub async fn run(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let App { services, http } = app;
    start_background(&services).await?;
    let token = services.shutdown.clone();
    let signal = async move {
        shutdown.await;
        token.cancel();
    };
    let options = crate::http::server::Options::from_settings(&services.settings.connections);
    tracing::info!(
        max_connections = options.caps.total,
        reserved_for_light_addresses = options.caps.reserved,
        max_connections_per_address = options.caps.per_address,
        header_read_timeout_seconds = options.timeouts.header_read.as_secs(),
        keep_alive_timeout_seconds = options.timeouts.keep_alive.as_secs(),
        "connection limits"
    );
    crate::http::server::serve(listener, http, options, signal).await;
    services.shutdown.cancel();
    Ok(())
}

async fn start_background(services: &Arc<Services>) -> Result<()> {
    // Before the first request is served: which events the outbox records follows this start's
    // settings (email, push) and the endpoints, or a message written in between would be
    // recorded without the email or push it asks for.
    service::webhooks::refresh(services).await?;
    service::maintenance::spawn(services.clone());
    service::replicas::spawn(services.clone());
    service::retention::spawn(services.clone());
    service::webhooks::delivery::spawn(services.clone());
    service::email::worker::spawn(services.clone());
    service::push::worker::spawn(services.clone());
    service::auto_assign::spawn_worker(services.clone());
    if let (Some(url), Some(keys)) = (
        &services.settings.user_tokens.jwks_url,
        services.user_tokens.jwks_keys(),
    ) {
        let verifier = services.clone();
        jwks::spawn_refresher(
            url.clone(),
            services.settings.user_tokens.jwks_refresh,
            keys,
            move || verifier.user_tokens.clear_cache(),
            services.shutdown.clone(),
        );
    }
    if services.user_tokens.is_unconfigured() && !services.settings.allow_guests {
        tracing::warn!(
            "no user-token verification is configured (JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWKS_FILE or \
             JWKS_URL): the client API will refuse every token"
        );
    }
    crate::auth::password::warm_up();
    if let Some(token) = service::setup::pending_token(services).await? {
        let base = services
            .settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", services.settings.bind_addr));
        tracing::warn!(
            "no agent exists yet: create the first super admin at {}/admin/setup?token={token}",
            base.trim_end_matches('/')
        );
    }
    Ok(())
}
