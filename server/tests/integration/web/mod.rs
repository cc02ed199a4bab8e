//! The client's pages behind the client action link: over HTTP, and in a real browser.

mod browser;
mod client_journey;
