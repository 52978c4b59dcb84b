//! What client-API answers look like: one `Serialize` struct per answer, field names as the
//! shipped mobile client reads them.

pub mod attachment;
pub mod availability;
pub mod ending;
pub mod erasure;
pub mod message;
pub mod page;
pub mod realtime;
pub mod session;

pub use attachment::AttachmentAnswer;
pub use availability::AvailabilityAnswer;
pub use ending::{EndAnswer, RatingAnswer, TranscriptAnswer};
pub use erasure::ErasureAnswer;
pub use message::{ClientMessage, MessagesAnswer, PollAnswer, SendAnswer};
pub use page::{EventsPage, MessagesPage, SessionsPage};
pub use realtime::{
    EndedEvent, Nothing, PushTokenAnswer, ReadAnswer, ReadEvent, StreamEvent, TypingEvent,
};
pub use session::{HistoryAnswer, PersonasAnswer, StartAnswer};
