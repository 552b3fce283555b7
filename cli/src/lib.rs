//! The logic behind `tp` that needs no AWS: what a deploy would change
//! ([`diff`]) and what it refuses to do unless told to ([`guards`]); the
//! platform as a diagram ([`graph`]).

pub mod diff;
pub mod graph;
pub mod guards;
