//! The workspace's integration tests, in one binary.

mod golden;
mod lint;
mod policy;
mod scale;
mod ui;
