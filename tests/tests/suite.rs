//! The workspace's integration tests, in one binary.

mod execution;
mod golden;
mod lint;
mod policy;
mod scale;
mod ui;
