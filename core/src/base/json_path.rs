//! Where in a JSON document a parse failed, collected only on the error path.
//!
//! Each level of the hand-written deserializers that fails pushes its own segment (innermost
//! first) on the way out, so the success path pays nothing.

use std::cell::RefCell;
use std::fmt::Write as _;

pub(crate) enum Segment {
    Key(&'static str),
    OwnedKey(String),
    Index(usize),
}

/// `pub` only because the sealed `Resource` trait's hidden method names it; this module is
/// private, so nothing outside the crate can reach it.
#[derive(Default)]
#[allow(unreachable_pub)]
pub struct Trail(RefCell<Vec<Segment>>);

impl Trail {
    pub(crate) fn push(&self, segment: Segment) {
        if let Ok(mut v) = self.0.try_borrow_mut() {
            v.push(segment);
        }
    }

    /// Adds `segment` to the trail and hands the error back, for `map_err`.
    pub(crate) fn at<E>(&self, segment: Segment) -> impl FnOnce(E) -> E + '_ {
        move |e| {
            self.push(segment);
            e
        }
    }

    /// The path as `$.a[3].b`.
    pub(crate) fn render(&self) -> String {
        let mut out = String::from("$");
        if let Ok(v) = self.0.try_borrow() {
            for seg in v.iter().rev() {
                let _ = match seg {
                    Segment::Key(k) => write!(out, ".{k}"),
                    Segment::OwnedKey(k) => write!(out, ".{k}"),
                    Segment::Index(i) => write!(out, "[{i}]"),
                };
            }
        }
        out
    }
}
