//! Black-box tests: the real server on port 0, a fresh database per test, driven over HTTP.

mod api;
mod booking;
mod browser;
mod chrome;
mod common;
mod firefox;
mod helpnow;
mod malformed;
mod metrics;
mod money;
mod notifications;
mod pages;
mod reputation;
mod room;
mod search;
