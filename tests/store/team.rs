//! Conformance cases for [`frontdesk::store::TeamStore`].

/// One `#[tokio::test]` per case, against the engine `$open` opens.
macro_rules! team_suite {
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
