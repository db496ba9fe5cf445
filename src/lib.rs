//! dask-pbs: site profiles (YAML) rendered through minijinja templates into PBS Pro job
//! scripts that start Dask and RAPIDS clusters.
//!
//! Data flows one way: files → layers → merged → validated `Profile` → `Plan` and template
//! `Context` → text.

pub mod amount;
pub mod builtin;
pub mod charge;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub mod error;
pub(crate) mod mpi;
pub(crate) mod output;
pub mod plan;
pub mod profile;
pub mod quote;
pub(crate) mod rapids;
pub mod render;
pub(crate) mod size;
pub mod walltime;
