//! `--json`: the one document `tp synth`, `diff`, `deploy`, `status`,
//! `verify`, `drift` and `outputs` print on standard output for programs
//! (CI) to read. Every shape is defined here once; the README shows each
//! command's document.
//!
//! The commands record what they find as they go ([`record`]); nothing is
//! recorded unless [`enable`] was called, so the human output pays
//! nothing for it. The document is [`Document`]: `version` changes only
//! when a field changes meaning or goes away (new fields may appear).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::diff::{Action, Replacement, ResourceChange};

/// The document's `version`.
pub const VERSION: u32 = 1;

/// What `tp <command> --json` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Document {
    /// [`VERSION`].
    pub version: u32,
    /// `synth`, `diff`, `deploy`, `status`, `verify`, `drift`, `outputs`.
    pub command: String,
    /// The environment suffix.
    pub suffix: String,
    /// The code `tp` exits with ([`crate::exit`]).
    pub exit_code: u8,
    /// What failed, when `exit_code` is not 0 (for `diff --fail`, 1 with
    /// no error: something would change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `tp diff`: whether anything would change; `tp drift`: whether a
    /// stack drifted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
    /// `tp deploy`: the release recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// `tp outputs`: `stacks` (DescribeStacks) or `file` (`--from-file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// One entry per stack, in deploy order of the regions.
    pub stacks: Vec<Stack>,
}

/// One stack, with what the command learnt of it; a field the command
/// does not produce is absent.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stack {
    pub name: String,
    pub region: String,
    /// CloudFormation's stack status, `NOT_DEPLOYED` for none (`status`,
    /// `deploy`, `verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the stack last changed, ISO 8601 (`status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// The stack's drift status: the last detection's (`status`) or the
    /// one just run (`drift`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// `synth`: the template's file, its resources and its size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
    /// `diff`, `deploy`: whether the stack is created by the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creating: Option<bool>,
    /// `deploy`: the change set created (what `--change-set` takes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_set: Option<String>,
    /// `diff`, `deploy`: the resource changes; empty: nothing changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change>>,
    /// What the change cannot show (parameters not known yet, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `deploy`, `outputs`: the stack's outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<BTreeMap<String, String>>,
    /// `verify`: the checks of the stack's region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<Check>>,
    /// `drift`: the resources that differ from the template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drifted_resources: Option<Vec<DriftedResource>>,
}

/// One resource's change.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    /// `add`, `modify` or `remove`.
    pub action: &'static str,
    pub logical_id: String,
    pub resource_type: String,
    /// `never`, `conditional` or `always`.
    pub replacement: &'static str,
    /// The changed properties (a modification).
    pub properties: Vec<PropertyChange>,
}

/// One changed property.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PropertyChange {
    /// A path into the resource: `Properties.Tags[2].Value`.
    pub path: String,
    /// Whether changing it replaces the resource.
    pub replaces: bool,
}

impl From<&ResourceChange> for Change {
    fn from(c: &ResourceChange) -> Self {
        Change {
            action: match c.action {
                Action::Add => "add",
                Action::Modify => "modify",
                Action::Remove => "remove",
            },
            logical_id: c.logical_id.clone(),
            resource_type: c.resource_type.clone(),
            replacement: match c.replacement {
                Replacement::Never => "never",
                Replacement::Conditional => "conditional",
                Replacement::Always => "always",
            },
            properties: c
                .properties
                .iter()
                .map(|p| PropertyChange {
                    path: p.path.clone(),
                    replaces: p.replaces,
                })
                .collect(),
        }
    }
}

/// One `tp verify` check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// `stack ...`, `health GET /health (api)`, `alarm ...`, `dead letters ...`.
    pub check: String,
    pub ok: bool,
    pub detail: String,
}

/// One resource `tp drift` found changed outside CloudFormation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DriftedResource {
    pub logical_id: String,
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    pub differences: Vec<Difference>,
}

/// One property of a drifted resource.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// What was recorded so far; `None` until [`enable`].
#[derive(Default)]
struct Recorded {
    stacks: Vec<Stack>,
    release: Option<String>,
    source: Option<String>,
}

static RECORDED: Mutex<Option<Recorded>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut Recorded) -> T) -> Option<T> {
    let mut guard = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_mut().map(f)
}

/// Starts recording (`--json`).
pub fn enable() {
    let mut guard = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    guard.get_or_insert_with(Recorded::default);
}

/// Whether `--json` is on.
pub fn enabled() -> bool {
    with(|_| ()).is_some()
}

/// Updates the entry of stack `name` in `region` (created on first use,
/// in the order stacks are first recorded).
pub fn record(name: &str, region: &str, update: impl FnOnce(&mut Stack)) {
    with(|r| {
        let i = match r
            .stacks
            .iter()
            .position(|s| s.name == name && s.region == region)
        {
            Some(i) => i,
            None => {
                r.stacks.push(Stack {
                    name: name.to_owned(),
                    region: region.to_owned(),
                    ..Stack::default()
                });
                r.stacks.len() - 1
            }
        };
        update(&mut r.stacks[i]);
    });
}

/// Records a stack's changes as a diff or deploy found them (`None`:
/// nothing changes).
pub fn changes(
    name: &str,
    region: &str,
    creating: bool,
    changes: Option<&[ResourceChange]>,
    notes: &[String],
) {
    record(name, region, |s| {
        s.creating = Some(creating);
        s.changes = Some(
            changes
                .unwrap_or_default()
                .iter()
                .map(Change::from)
                .collect(),
        );
        s.notes = notes.to_vec();
    });
}

/// Records `tp verify`'s checks, each under the stack of its region.
pub fn checks(stacks: &[(String, String)], checks: &[crate::verify::Check]) {
    for (name, region) in stacks {
        record(name, region, |s| {
            s.checks = Some(
                checks
                    .iter()
                    .filter(|c| &c.region == region)
                    .map(|c| Check {
                        check: c.what.clone(),
                        ok: c.ok,
                        detail: c.detail.clone(),
                    })
                    .collect(),
            );
            if let Some(stack) = checks
                .iter()
                .find(|c| &c.region == region && c.what == format!("stack {name}"))
            {
                s.status = Some(stack.detail.to_uppercase().replace(' ', "_"));
            }
        });
    }
}

/// Records the release a deploy recorded.
pub fn release(id: &str) {
    with(|r| r.release = Some(id.to_owned()));
}

/// Records where `tp outputs` read the outputs.
pub fn source(source: &str) {
    with(|r| r.source = Some(source.to_owned()));
}

/// The document of `command` for `suffix`, ending with `exit_code`
/// (`error`: the message of the failure, if any), with what was recorded.
pub fn document(command: &str, suffix: &str, exit_code: u8, error: Option<String>) -> Document {
    let recorded = {
        let mut guard = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
        guard.take().unwrap_or_default()
    };
    let changed = match command {
        "diff" => Some(
            recorded
                .stacks
                .iter()
                .any(|s| s.changes.as_ref().is_some_and(|c| !c.is_empty())),
        ),
        "drift" => Some(
            recorded
                .stacks
                .iter()
                .any(|s| s.drift.as_deref() == Some("DRIFTED")),
        ),
        _ => None,
    };
    Document {
        version: VERSION,
        command: command.to_owned(),
        suffix: suffix.to_owned(),
        exit_code,
        error,
        changed,
        release: recorded.release,
        source: recorded.source,
        stacks: recorded.stacks,
    }
}

/// Where the document goes: standard output as it is now. From then on,
/// standard output is standard error, so that what the command prints for
/// people never mixes with the document. `None` when standard output
/// cannot be kept (the document then goes to standard error's place).
pub fn take_stdout() -> Option<std::fs::File> {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    let _ = std::io::stdout().flush();
    // SAFETY: dup and dup2 on the process's standard descriptors; the
    // duplicate is owned by the returned File alone.
    unsafe {
        let kept = libc::dup(libc::STDOUT_FILENO);
        if kept < 0 {
            return None;
        }
        if libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) < 0 {
            libc::close(kept);
            return None;
        }
        Some(std::fs::File::from_raw_fd(kept))
    }
}

/// Writes `document` (pretty, with a final newline) to `out`, or to
/// standard output.
pub fn print(out: Option<std::fs::File>, document: &Document) -> std::io::Result<()> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut text = serde_json::to_string_pretty(document).map_err(std::io::Error::other)?;
    text.push('\n');
    match out {
        Some(mut file) => file.write_all(text.as_bytes()),
        None => std::io::stdout().write_all(text.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::PropertyChange as DiffProperty;

    #[test]
    fn a_change_reads_as_lowercase_words() {
        let change = Change::from(&ResourceChange {
            logical_id: "SessionsTable".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            action: Action::Modify,
            replacement: Replacement::Always,
            properties: vec![DiffProperty {
                path: "Properties.KeySchema".into(),
                replaces: true,
            }],
        });
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            serde_json::json!({
                "action": "modify",
                "logical_id": "SessionsTable",
                "resource_type": "AWS::DynamoDB::Table",
                "replacement": "always",
                "properties": [{"path": "Properties.KeySchema", "replaces": true}],
            })
        );
    }

    #[test]
    fn a_document_has_its_version_and_leaves_out_what_the_command_does_not_produce() {
        let doc = Document {
            version: VERSION,
            command: "status".into(),
            suffix: "dev".into(),
            exit_code: 0,
            error: None,
            changed: None,
            release: None,
            source: None,
            stacks: vec![Stack {
                name: "tp-us-east-1-dev".into(),
                region: "us-east-1".into(),
                status: Some("NOT_DEPLOYED".into()),
                ..Stack::default()
            }],
        };
        assert_eq!(
            serde_json::to_value(&doc).unwrap(),
            serde_json::json!({
                "version": 1,
                "command": "status",
                "suffix": "dev",
                "exit_code": 0,
                "stacks": [{"name": "tp-us-east-1-dev", "region": "us-east-1", "status": "NOT_DEPLOYED"}],
            })
        );
    }
}
