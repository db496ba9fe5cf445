//! dask-pbs: site profiles (YAML) rendered through minijinja templates into PBS Pro job
//! scripts that start Dask and RAPIDS clusters.
//!
//! Data flows one way: files → layers → merged → validated `Profile` → `Plan` and template
//! `Context` → text.

pub mod builtin;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod mpi;
pub mod output;
pub mod plan;
pub mod profile;
pub mod quote;
pub mod rapids;
pub mod render;
pub mod size;
pub mod walltime;
