//! Conformance cases for [`frontdesk::store::ChatStore`].

/// One `#[tokio::test]` per case, against the engine `$open` opens.
macro_rules! chats_suite {
    ($engine:ident, $open:path) => {
        mod $engine {
            #[tokio::test]
            async fn opens_empty() {
                let fresh = $open().await;
                let _ = &fresh.store;
            }
        }
    };
}
