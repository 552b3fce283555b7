//! The logic behind `tp` that needs no AWS: what a deploy would change
//! ([`diff`], [`changeset`]), what it refuses to do unless told to
//! ([`guards`]), how `tp` exits ([`exit`]), and the platform as a diagram
//! ([`graph`]).

pub mod changeset;
pub mod diff;
pub mod exit;
pub mod graph;
pub mod guards;
