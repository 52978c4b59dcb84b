//! [`ChangeFeed`] on PostgreSQL's LISTEN/NOTIFY. Announcing is one `pg_notify` on a pooled
//! connection. Listening holds one connection of its own (outside the pool) and reconnects
//! with a growing pause after losing it, then reports [`Notice::Resumed`] so the listener
//! re-reads what it watches: a notice sent while nobody listened is simply not heard.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::tls::Tls;
use super::{PgStore, db};
use crate::error::{Error, Result};
use crate::store::feed::{ChangeFeed, Notice};

/// The channel every replica of one database listens on.
const CHANNEL: &str = "frontdesk_changes";

/// Notices a slow listener may have waiting before the feed stops reading (the listener
/// then re-reads everything anyway once it catches up on a `Resumed`).
const BACKLOG: usize = 4096;

const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(5);

#[async_trait]
impl ChangeFeed for PgStore {
    async fn announce(&self, payload: &str) -> Result<()> {
        let client = self.client().await?;
        db::exec(&client, "SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await?;
        Ok(())
    }

    fn listen(&self) -> mpsc::Receiver<Notice> {
        let (tx, rx) = mpsc::channel(BACKLOG);
        let (config, tls) = (self.config().clone(), self.tls().clone());
        tokio::spawn(async move {
            let mut pause = FIRST_RETRY;
            let mut first = true;
            while !tx.is_closed() {
                match listen_once(&config, &tls, &tx, first).await {
                    // The listener went away: nobody to tell.
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64, "lost the change feed; reconnecting");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(LONGEST_RETRY);
                    }
                }
                first = false;
            }
        });
        rx
    }
}

/// One connection's life: LISTEN, report `Resumed` unless it is the first, then pass every
/// notification on until the connection fails (`Err`) or the listener is gone (`Ok`).
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: &Tls,
    tx: &mpsc::Sender<Notice>,
    first: bool,
) -> Result<()> {
    let (client, (driver, mut messages)) = match tls {
        Tls::Plain => {
            let (client, connection) = config.connect(NoTls).await?;
            (client, drive(connection))
        }
        Tls::Verified(tls) => {
            let (client, connection) = config.connect(tls.clone()).await?;
            (client, drive(connection))
        }
    };
    let outcome = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        if !first && tx.send(Notice::Resumed).await.is_err() {
            return Ok(());
        }
        while let Some(message) = messages.recv().await {
            if let AsyncMessage::Notification(n) = message?
                && n.channel() == CHANNEL
                && tx
                    .send(Notice::Payload(n.payload().to_string()))
                    .await
                    .is_err()
            {
                return Ok(());
            }
        }
        Err(Error::internal(
            "the server closed the change feed's connection",
        ))
    }
    .await;
    driver.abort();
    outcome
}

/// Polls `connection` on a task of its own (it only makes progress while polled) and hands
/// its messages over.
fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
) -> (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedReceiver<std::result::Result<AsyncMessage, tokio_postgres::Error>>,
)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (messages_tx, messages) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            if messages_tx.send(message).is_err() {
                return;
            }
        }
    });
    (driver, messages)
}
