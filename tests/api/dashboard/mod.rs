//! Dashboard handlers over HTTP: every page and partial as each role and signed out, CSRF,
//! escaping, cookies, idle expiry, the event stream, forms without JavaScript, the fixes of the
//! foundations issue and the webhooks pages. All of them drive the one browser-like client in
//! `client`.

pub(crate) mod client;

mod attachments;
mod broadcast_page;
mod csrf_escaping;
mod fixes;
mod forms;
mod hours_page;
mod labels;
mod notify;
mod pages;
mod sessions;
mod stream;
mod webhook_deliveries;
mod webhooks;
