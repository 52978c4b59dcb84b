//! Use cases. The only callers of store, auth and realtime; the client API, the admin API and
//! the dashboard all call these functions, so the rules live here and nowhere else.

pub mod agents;
pub mod analytics;
pub mod assignment;
pub mod attachments;
pub mod audit;
pub mod auto_assign;
pub mod broadcast;
pub mod canned;
pub mod chat;
pub mod dashboard_auth;
pub mod email;
pub mod export;
pub mod hours;
pub mod labels;
pub mod live;
pub mod maintenance;
pub mod notes;
pub mod observe;
pub mod offline;
pub mod personas;
pub mod poll;
pub mod privacy;
pub mod push;
pub mod queue;
pub mod rate_limit;
pub mod ratings;
pub mod receipts;
pub mod replicas;
pub mod replies;
pub mod retention;
pub mod search;
pub mod setup;
pub mod stream;
pub mod transcript;
pub mod typing;
pub mod webhooks;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::{AgentTokens, FileLinks, LoginPolicy, LoginThrottle, UserTokenVerifier};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::ids::random_token;
use crate::error::{Error, Result};
use crate::metrics::{Metrics, WriterMetrics};
use crate::realtime::{EventBus, Hub};
use crate::store::Storage;
use crate::store::team::AGENT_TOKEN_SECRET;

pub use agents::AgentPrincipal;
pub use rate_limit::RateLimiter;

/// The window of `GUEST_STARTS_PER_ADDRESS_PER_HOUR`.
const GUEST_START_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// Everything a use case may touch; built once at start-up and shared by every request.
pub struct Services {
    pub settings: Settings,
    pub clock: Clock,
    pub store: Arc<dyn Storage>,
    pub hub: Arc<Hub>,
    pub bus: EventBus,
    /// Tells the other replicas (on PostgreSQL) what changed here.
    pub relay: replicas::Relay,
    pub user_tokens: UserTokenVerifier,
    pub agent_tokens: AgentTokens,
    pub login_throttle: LoginThrottle,
    pub message_limiter: RateLimiter,
    pub assign_queue: auto_assign::AssignQueue,
    /// Cancelled on shutdown: held polls and streams end at once.
    pub shutdown: CancellationToken,
    /// Messages per user over all their sessions (the per-session limit is `message_limiter`).
    pub user_message_limiter: RateLimiter,
    /// Guest sessions created per client address per hour.
    pub guest_start_limiter: RateLimiter,
    /// Signs and checks the links to attachments.
    pub file_links: FileLinks,
    /// Image decoding at once is bounded: a decoded photo takes tens of megabytes.
    pub image_jobs: tokio::sync::Semaphore,
    /// Upload bodies read at once; the rest wait with their bytes still in the network.
    pub upload_slots: tokio::sync::Semaphore,
    /// The webhook delivery worker's state.
    pub webhooks: webhooks::Dispatcher,
    /// Outgoing email; off without `SMTP_URL`.
    pub mail: email::Mailer,
    /// Mobile push; off without `FCM_SERVICE_ACCOUNT_FILE`.
    pub push: push::Pusher,
    /// The Prometheus series; requests are only measured while `/metrics` is on.
    pub metrics: Metrics,
}

/// Where `settings` put the data: the PostgreSQL database when `DATABASE_URL` is set, else
/// the SQLite file.
pub fn database_location(settings: &Settings) -> crate::store::Location {
    match &settings.database_url {
        Some(url) => crate::store::Location::Postgres {
            url: url.clone(),
            files: settings.files_dir.clone(),
        },
        None => crate::store::Location::Sqlite(settings.database_path.clone()),
    }
}

impl Services {
    /// Opens the database (creating and migrating it) and builds the services.
    pub async fn open(settings: Settings) -> Result<Arc<Services>> {
        let writer_metrics = WriterMetrics::default();
        let store =
            crate::store::open(&database_location(&settings), writer_metrics.clone()).await?;
        let secret = store
            .server_setting_or_init(AGENT_TOKEN_SECRET, random_token(32))
            .await?;
        let user_tokens = UserTokenVerifier::new(
            &settings.user_tokens,
            secret.as_bytes(),
            // Guest tokens always verify: the offline form makes guests even when
            // ALLOW_GUESTS is off (it is a contact form); live starts check the setting.
            true,
            settings.clock.clone(),
        )?;
        let agent_tokens = AgentTokens::new(
            secret.as_bytes(),
            settings.agent_token_ttl,
            settings.clock.clone(),
        );
        let file_links = FileLinks::new(secret.as_bytes(), settings.clock.clone());
        let message_limiter =
            RateLimiter::new(settings.rate_limit_window, settings.rate_limit_max_requests);
        Ok(Arc::new(Services {
            clock: settings.clock.clone(),
            store,
            hub: Arc::new(Hub::default()),
            bus: EventBus::default(),
            relay: replicas::Relay::default(),
            user_tokens,
            agent_tokens,
            login_throttle: LoginThrottle::new(LoginPolicy {
                failures_per_account: settings.login_failures_per_account,
                failures_per_address: settings.login_failures_per_address,
            }),
            message_limiter,
            assign_queue: auto_assign::AssignQueue::default(),
            shutdown: CancellationToken::new(),
            user_message_limiter: RateLimiter::new(
                settings.rate_limit_window,
                settings.user_message_limit(),
            ),
            guest_start_limiter: RateLimiter::new(
                GUEST_START_WINDOW,
                settings.guest_starts_per_address_per_hour,
            ),
            file_links,
            image_jobs: tokio::sync::Semaphore::new(attachments::IMAGE_JOBS_AT_ONCE),
            upload_slots: tokio::sync::Semaphore::new(attachments::UPLOADS_READ_AT_ONCE),
            webhooks: webhooks::Dispatcher::new(settings.webhook_allow_private)?,
            mail: email::Mailer::new(&settings)?,
            push: push::Pusher::new(&settings)?,
            metrics: Metrics::new(writer_metrics),
            settings,
        }))
    }

    /// Milliseconds of silence after which an active session expires.
    pub fn session_timeout_ms(&self) -> i64 {
        i64::try_from(self.settings.session_timeout.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A page request: 1-based page and a size already capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub limit: i64,
}

impl PageRequest {
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.limit)
    }
}

/// Page numbers for an answer.
#[derive(Clone, Copy, Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub current_page: i64,
    pub total_pages: i64,
    pub has_next: bool,
    pub has_previous: bool,
}

impl Pagination {
    pub fn new(request: PageRequest, total: i64) -> Self {
        let total_pages = if total == 0 {
            0
        } else {
            (total + request.limit - 1) / request.limit
        };
        Pagination {
            current_page: request.page,
            total_pages,
            has_next: request.page < total_pages,
            has_previous: request.page > 1,
        }
    }
}

/// Runs blocking CPU work (argon2) off the async runtime.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal_from("blocking task failed", e))
}
