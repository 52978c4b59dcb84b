//! Socket.IO at `/socket.io/`, driven by the real `socket.io-client` over both transports.

mod admin;
mod client;
mod crash;
mod user;
