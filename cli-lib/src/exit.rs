//! `tp`'s exit codes, one per kind of failure, so scripts can tell them
//! apart. The README lists them.

use std::fmt;

/// Success; for `tp diff --fail`, nothing would change.
pub const OK: u8 = 0;
/// `tp diff --fail` found changes; or an error with no code of its own.
pub const CHANGES: u8 = 1;
/// Input that breaks a rule: a bad suffix, an unknown profile or region, an
/// `--allow-replace` naming no resource.
pub const INVALID_INPUT: u8 = 2;
/// No AWS credentials could be found.
pub const NO_CREDENTIALS: u8 = 3;
/// The AWS endpoint could not be reached, or did not answer in time.
pub const UNREACHABLE: u8 = 4;
/// AWS refused the credentials or the action (access denied).
pub const ACCESS_DENIED: u8 = 5;
/// A guard refused: data would be lost, broadening was not approved, or a
/// destroy was not confirmed.
pub const REFUSED: u8 = 6;
/// CloudFormation could not apply the change (failed, rolled back).
pub const DEPLOY_FAILED: u8 = 7;
/// The region has no bootstrap stack (`tp bootstrap` first).
pub const NOT_BOOTSTRAPPED: u8 = 8;
/// A program `tp` needs is not installed (Graphviz's `dot` for `tp graph
/// --format svg`).
pub const TOOL_MISSING: u8 = 9;
/// `tp verify`: a check failed.
pub const VERIFY_FAILED: u8 = 10;
/// `tp local`: something it runs is not installed (Node, moto, PostgreSQL).
pub const PREREQUISITE_MISSING: u8 = 11;
/// The credentials are in another account than the one the command acts
/// in, and cannot assume that account's deploy role (`tp bootstrap
/// --account A --trust <caller's account>` first); or `tp bootstrap
/// --account A` runs with credentials of another account. Nothing changed.
pub const WRONG_ACCOUNT: u8 = 12;
/// `tp outputs`: the environment is not deployed (in a region asked
/// for), or the outputs file has no entry for it.
pub const NOT_DEPLOYED: u8 = 13;
/// Interrupted (Ctrl-C) while watching; the operation goes on in AWS.
pub const INTERRUPTED: u8 = 130;

/// An error carrying the exit code `tp` ends with.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Exit {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}
