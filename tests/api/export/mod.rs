//! Exports (SPEC.md section 12): a chat's transcript in each format against the chat as it was
//! written, bad input and roles, the command-line export of a range, and privacy exports.
//!
//! The transcript tests read one scripted chat ([`scripted_chat`]) on a clock that moves only
//! when the script moves it, so every time in every format has one right answer.

mod bad_input;
mod formats;
mod privacy;
mod range;
mod script;

pub use script::*;
