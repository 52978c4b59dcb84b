//! Raw sums behind analytics and reports. Averages are computed from sums so that a range's
//! average is never an average of daily averages; definitions are in docs/metrics.md.

use super::Timestamp;

/// Raw sums for one UTC day (or, summed, for a range); averages are computed from these so
/// that a range's average is never an average of daily averages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayTotals {
    pub date: String,
    pub sessions: i64,
    /// Sessions (created that day) that have ended, and their summed durations in ms.
    pub ended: i64,
    pub duration_ms_sum: i64,
    /// Ended sessions that were resolved: ended by the user or an agent (not expired) after
    /// at least one agent reply.
    pub resolved: i64,
    /// Sessions (created that day) with a first response, and the summed response times.
    pub answered: i64,
    pub first_response_ms_sum: i64,
    /// User and agent messages sent that day.
    pub messages: i64,
    /// Ratings submitted that day: how many, their sum, and how many were 4 or 5.
    pub ratings: i64,
    pub rating_sum: i64,
    pub ratings_good: i64,
}

impl DayTotals {
    pub fn add(&mut self, other: &DayTotals) {
        self.sessions += other.sessions;
        self.ended += other.ended;
        self.duration_ms_sum += other.duration_ms_sum;
        self.resolved += other.resolved;
        self.answered += other.answered;
        self.first_response_ms_sum += other.first_response_ms_sum;
        self.messages += other.messages;
        self.ratings += other.ratings;
        self.rating_sum += other.rating_sum;
        self.ratings_good += other.ratings_good;
    }
}

/// One agent's work in a range.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentTotals {
    pub agent_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Sessions the agent sent at least one message in, during the range.
    pub chats_handled: i64,
    pub messages_sent: i64,
    /// Sessions the agent ended during the range.
    pub chats_ended: i64,
    /// Sessions created in the range whose first response was this agent's.
    pub first_responses: i64,
    pub first_response_ms_sum: i64,
    /// Ratings submitted in the range for sessions the agent sent a message in.
    pub ratings: i64,
    pub rating_sum: i64,
    pub ratings_good: i64,
}

/// Usage of one session, for metering.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionUsage {
    pub session_id: String,
    pub user_id: String,
    pub persona: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub user_messages: i64,
    pub agent_messages: i64,
}
