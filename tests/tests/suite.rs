//! The workspace's integration tests, in one binary.

mod execution;
mod golden;
mod lint;
mod nag;
mod policy;
mod scale;
mod ui;
