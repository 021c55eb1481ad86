//! Benches live in `benches/`; the figures are in `benches/README.md`.
//!
//! This (unpublished) crate also runs the root README's Rust blocks as doc tests, each a whole
//! program with the dependencies its first comment names, so that what a reader pastes into a
//! new crate compiles.

/// The root README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
