//! The logic behind `tp` that needs no AWS: what a deploy would change
//! ([`diff`], [`changeset`]), what it refuses to do unless told to
//! ([`guards`]), and how `tp` exits ([`exit`]).

pub mod changeset;
pub mod diff;
pub mod exit;
pub mod guards;
