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

/// A day's sums with the two distributions the analytics page draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayFigures {
    pub totals: DayTotals,
    /// Ratings submitted that day by value; index 0 is rating 1.
    pub rating_counts: [i64; 5],
    /// User messages sent that day by UTC hour.
    pub user_messages_by_hour: [i64; 24],
}

impl DayFigures {
    /// Adds `other` times `sign` (1 to add a chat's share, -1 to take it away).
    pub fn add_scaled(&mut self, other: &DayFigures, sign: i64) {
        let t = &other.totals;
        let scaled = DayTotals {
            date: String::new(),
            sessions: t.sessions * sign,
            ended: t.ended * sign,
            duration_ms_sum: t.duration_ms_sum * sign,
            resolved: t.resolved * sign,
            answered: t.answered * sign,
            first_response_ms_sum: t.first_response_ms_sum * sign,
            messages: t.messages * sign,
            ratings: t.ratings * sign,
            rating_sum: t.rating_sum * sign,
            ratings_good: t.ratings_good * sign,
        };
        self.totals.add(&scaled);
        for (mine, theirs) in self.rating_counts.iter_mut().zip(other.rating_counts) {
            *mine += theirs * sign;
        }
        for (mine, theirs) in self
            .user_messages_by_hour
            .iter_mut()
            .zip(other.user_messages_by_hour)
        {
            *mine += theirs * sign;
        }
    }
}

/// One agent's work on a day (or, summed, in a range), without who the agent is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentWork {
    /// Chats the agent sent a message in that day; a range sums its days, so a chat worked
    /// on over two days counts twice.
    pub chats_handled: i64,
    pub messages_sent: i64,
    pub chats_ended: i64,
    pub first_responses: i64,
    pub first_response_ms_sum: i64,
    pub ratings: i64,
    pub rating_sum: i64,
    pub ratings_good: i64,
}

impl AgentWork {
    pub fn add_scaled(&mut self, other: &AgentWork, sign: i64) {
        self.chats_handled += other.chats_handled * sign;
        self.messages_sent += other.messages_sent * sign;
        self.chats_ended += other.chats_ended * sign;
        self.first_responses += other.first_responses * sign;
        self.first_response_ms_sum += other.first_response_ms_sum * sign;
        self.ratings += other.ratings * sign;
        self.rating_sum += other.rating_sum * sign;
        self.ratings_good += other.ratings_good * sign;
    }

    pub fn is_empty(&self) -> bool {
        *self == AgentWork::default()
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
