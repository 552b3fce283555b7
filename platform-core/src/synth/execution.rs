//! The CloudFormation execution role's policy and the permissions boundary
//! of the platform's roles, generated from the synthesized templates.
//!
//! Interface only for now: the generation from the resource handlers'
//! permissions replaces these bodies.

use crate::spec::Platform;
use crate::template::{Template, Value};

/// What the execution role and the boundary are scoped to: the platform's
/// names in one region of one account, for the suffixes deployed there.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub platform: &'a Platform,
    /// The region code (`us-east-1`).
    pub region: &'a str,
    /// The suffixes of the environments deployed into this account and
    /// region (`dev`, or `staging` and `pr-12`).
    pub suffixes: &'a [String],
}

/// The execution role's policy: statements (as IAM JSON values), and the
/// actions that could only be granted on `"*"`, each with the reason.
#[derive(Debug, Clone, Default)]
pub struct ExecutionPolicy {
    /// Policy statements, each an IAM statement object.
    pub statements: Vec<Value>,
    /// `(action, why it cannot be scoped)`, sorted by action.
    pub unscoped: Vec<(String, String)>,
}

/// The execution role's policy for `templates` (every stack, nested ones
/// included, that CloudFormation will run with the role in `scope`).
pub fn execution_policy(_templates: &[&Template], _scope: &Scope<'_>) -> ExecutionPolicy {
    ExecutionPolicy::default()
}

/// The permissions boundary of every role `templates` create: statements
/// (as IAM JSON values).
pub fn boundary_policy(_templates: &[&Template], _scope: &Scope<'_>) -> Vec<Value> {
    Vec::new()
}
