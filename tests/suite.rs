//! The test suite: one binary, a module per feature (`cargo test` builds it once). Modules
//! that run generated jobs share one cluster lock (`e2e_support::serial`).

// Test scenarios read top to bottom, helpers declared where they are first needed: the
// length and item-order lints are for the library.
#![allow(clippy::too_many_lines, clippy::items_after_statements)]

mod common;
mod e2e_support;

mod artifacts;
mod charges;
mod cli;
mod e2e;
mod e2e_sites;
mod elastic;
mod errors;
mod hostile;
mod import;
mod multinode;
mod notebook;
mod profiles;
mod properties;
mod quoting;
mod readme;
mod reference;
mod security;
mod site_docs;
mod sites;
mod startup;
mod status;
mod submit;
mod templates;
mod verify;
