//! What `/metrics` shows: the figures that live elsewhere (chats, agents, held polls, the
//! outbox) are read now, then every series is rendered. The bearer token is compared in
//! constant time.

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Services, queue};
use crate::error::{Error, Result};
use crate::realtime::HoldKind;

/// The series in Prometheus' text format, for a caller presenting `presented` as its bearer
/// token. `Error::NotFound` when metrics are off, `Error::Unauthenticated` for a missing or
/// wrong token.
pub async fn scrape(ctx: &Services, presented: Option<&str>) -> Result<String> {
    let Some(expected) = &ctx.settings.metrics_token else {
        return Err(Error::NotFound("metrics are off"));
    };
    if !token_matches(expected.expose_secret(), presented) {
        return Err(Error::Unauthenticated(
            "send the metrics token as Authorization: Bearer <METRICS_TOKEN>",
        ));
    }
    refresh(ctx).await?;
    Ok(ctx.metrics.render())
}

/// Compares digests, so neither the content nor the length of the token leaks through timing.
fn token_matches(expected: &str, presented: Option<&str>) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    let expected = Sha256::digest(expected.as_bytes());
    let presented = Sha256::digest(presented.as_bytes());
    bool::from(expected.ct_eq(&presented))
}

/// Sets the gauges whose figures live in the store and the hub.
async fn refresh(ctx: &Services) -> Result<()> {
    let metrics = &ctx.metrics;
    let live = queue::live_counts(ctx).await?;
    metrics.active_chats.set(gauge(live.active));
    metrics.waiting_chats.set(gauge(live.waiting));
    metrics.agents_online.set(gauge(live.agents_online));
    metrics.held_polls.set(gauge(ctx.hub.held(HoldKind::Poll)));
    metrics
        .open_streams
        .set(gauge(ctx.hub.held(HoldKind::Stream)));
    // Plain WebSockets; Socket.IO sockets add to this series once they are counted in the hub.
    metrics
        .open_sockets
        .set(gauge(ctx.hub.held(HoldKind::Socket)));
    let backlog = ctx.store.outbox_backlog().await?;
    metrics
        .outbox_backlog
        .set(i64::try_from(backlog).unwrap_or(i64::MAX));
    Ok(())
}

fn gauge(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let token = "scrape-token-0123456789";
        assert!(token_matches(token, Some(token)));
        for wrong in [
            None,
            Some(""),
            Some("scrape-token-012345678"),
            Some("scrape-token-01234567890"),
            Some("SCRAPE-TOKEN-0123456789"),
        ] {
            assert!(!token_matches(token, wrong), "{wrong:?}");
        }
    }
}
