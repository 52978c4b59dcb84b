//! The deployment files in deploy/ as shipped: the systemd unit passes `systemd-analyze
//! verify` (and its security review); nginx and Caddy accept their configurations; and the real
//! server behind a real nginx, then a real Caddy, on loopback with those configurations, gets a
//! held long-poll woken by an agent's reply and a server-sent event stream through to the
//! client. nginx, Caddy, systemd-analyze and openssl come from Debian's packages:
//! `scripts/install-test-deps.sh` installs them, and a test without one fails naming it.

mod caddy;
mod nginx;
mod support;
mod systemd;
