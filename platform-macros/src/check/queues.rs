//! Dead-letter rules (`queue-dead-letter`): every queue has a dead-letter
//! queue or is one, a dead-letter queue keeps messages longer than its
//! source, and FIFO and standard queues are not mixed where SQS, Lambda or
//! EventBridge refuse it.

use syn::Ident;

use crate::ast::{Body, PerProfile, QueueBody, Secs};
use crate::ctxt::Ctxt;
use crate::model::{Model, Slot, defaults};
use crate::rules::Rule;

/// The longest retention SQS allows: 14 days.
const MAX_RETENTION_SECS: u32 = 14 * 86_400;

pub fn check(model: &Model, cx: &Ctxt) {
    check_every_queue_has_a_dead_letter_queue(model, cx);
    check_receive_count(model, cx);
    check_retention(model, cx);
    check_fifo(model, cx);
}

/// The queue `name` declares, if it is a queue.
fn queue<'a>(model: &Model<'a>, name: &Ident) -> Option<&'a QueueBody> {
    match model.resource(name).map(|r| &r.body) {
        Some(Body::Queue(queue)) => Some(queue),
        _ => None,
    }
}

fn is_fifo(queue: &QueueBody) -> bool {
    queue.fifo.as_ref().is_some_and(|fifo| fifo.value)
}

/// Whether some queue, function or rule names `name` as its `dead_letter:`.
fn is_dead_letter_queue(model: &Model, name: &Ident) -> bool {
    model.resources.iter().any(|resource| match &resource.body {
        Body::Queue(queue) => queue.dead_letter.as_ref().is_some_and(|d| d.queue == *name),
        Body::Function(function) => function.dead_letter.as_ref() == Some(name),
        Body::Rule(rule) => rule.dead_letter.as_ref() == Some(name),
        _ => false,
    })
}

/// `queue-dead-letter`: a queue without a dead-letter queue redelivers a
/// message that always fails until it expires, blocking nothing but hiding
/// the failure; so every queue either has `dead_letter:` or is the
/// `dead_letter:` of a queue, a function or a rule.
fn check_every_queue_has_a_dead_letter_queue(model: &Model, cx: &Ctxt) {
    // A `dead_letter:` naming an undeclared resource may be meant for any
    // of the queues; `ref-unknown` reports it, and nothing else is said.
    let unresolved = model.references.iter().any(|reference| {
        matches!(reference.slot, Slot::DeadLetter) && model.resource(reference.target).is_none()
    });
    if unresolved {
        return;
    }
    for resource in &model.resources {
        let Body::Queue(queue) = &resource.body else {
            continue;
        };
        let name = &resource.name;
        if queue.dead_letter.is_some() || is_dead_letter_queue(model, name) {
            continue;
        }
        let key = queue
            .key
            .as_ref()
            .map_or_else(|| "<key name>".to_owned(), Ident::to_string);
        let fix = if name.to_string().ends_with("_dlq") {
            format!(
                "name it in the `dead_letter:` of the queue, function or rule whose failures it keeps (`dead_letter: {name} after 5` in a queue)"
            )
        } else {
            format!(
                "add `dead_letter: {name}_dlq after 5` and declare `queue {name}_dlq {{ retention: 14d, key: {key} }}`"
            )
        };
        cx.error(
            Rule::QueueDeadLetter,
            name,
            format!(
                "queue `{name}` has no dead-letter queue and is none, so a message that keeps failing is received again until it expires, unseen; {fix}"
            ),
        );
    }
}

/// `queue-dead-letter`: SQS moves a message after 1 to 1000 receives. (A
/// queue that is its own dead-letter queue is a `ref-cycle`.)
fn check_receive_count(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Queue(queue) = &resource.body else {
            continue;
        };
        let Some(dead_letter) = &queue.dead_letter else {
            continue;
        };
        let count = &dead_letter.max_receive_count;
        if !(1..=1000).contains(&count.value) {
            cx.error(
                Rule::QueueDeadLetter,
                &count.lit,
                format!(
                    "`after {}` is out of range: SQS moves a message to the dead-letter queue after 1 to 1000 receives",
                    count.lit
                ),
            );
        }
    }
}

/// A queue's retention in `profile` (SQS's 4 days when not given), with the
/// literal that says so, if any. `None` when a `profile(...)` value leaves
/// the profile out (`ref-profile` reports that).
fn retention_in<'a>(queue: &'a QueueBody, profile: &str) -> Option<(u32, Option<&'a Secs>)> {
    match &queue.retention {
        None => Some((defaults::QUEUE_RETENTION_SECS, None)),
        Some(PerProfile::Same(secs)) => Some((secs.value, Some(secs))),
        Some(PerProfile::ByProfile { values, .. }) => values
            .iter()
            .find(|(name, _)| name == profile)
            .map(|(_, secs)| (secs.value, Some(secs))),
    }
}

/// `14d`, `36h`, `90m` or `45s`: a duration as the grammar writes it.
pub(crate) fn duration(secs: u32) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `queue-dead-letter`: SQS keeps a message's original enqueue time when it
/// moves it to the dead-letter queue, so a dead-letter queue that keeps
/// messages no longer than its source drops them as soon as they arrive, or
/// soon after. Its retention is longer than the source's in every profile,
/// unless it already keeps the 14 days SQS allows at most.
fn check_retention(model: &Model, cx: &Ctxt) {
    let mut profiles = model.profiles();
    if profiles.is_empty() {
        // `grammar-required` reports the missing profiles; compare the
        // values that hold for every profile.
        profiles.push(String::new());
    }
    for resource in &model.resources {
        let Body::Queue(source) = &resource.body else {
            continue;
        };
        let Some(dead_letter) = &source.dead_letter else {
            continue;
        };
        let Some(target) = queue(model, &dead_letter.queue) else {
            continue;
        };
        if dead_letter.queue == resource.name {
            continue;
        }
        // (profile, source's retention, the literal to point at).
        let mut short: Vec<(&str, u32, Option<&Secs>)> = Vec::new();
        for profile in &profiles {
            let (Some((kept, _)), Some((dlq_kept, dlq_lit))) =
                (retention_in(source, profile), retention_in(target, profile))
            else {
                continue;
            };
            if dlq_kept < kept || (dlq_kept == kept && dlq_kept < MAX_RETENTION_SECS) {
                short.push((profile, kept, dlq_lit));
            }
        }
        let Some(longest) = short.iter().map(|(_, kept, _)| *kept).max() else {
            continue;
        };
        let fix = duration(longest.saturating_add(86_400).min(MAX_RETENTION_SECS));
        let mut reported: Vec<&Secs> = Vec::new();
        for (profile, kept, dlq_lit) in &short {
            let in_profile = match (&source.retention, &target.retention) {
                (Some(PerProfile::ByProfile { .. }), _)
                | (_, Some(PerProfile::ByProfile { .. })) => {
                    format!(" in `{profile}`")
                }
                _ => String::new(),
            };
            let message = |dlq_kept: String| {
                format!(
                    "dead-letter queue `{}` keeps messages {dlq_kept}{in_profile}, not longer than the {} its source `{}` keeps them; SQS keeps a message's first enqueue time when it moves it, so it would expire there early; give `{}` `retention: {fix}`",
                    dead_letter.queue,
                    duration(*kept),
                    resource.name,
                    dead_letter.queue,
                )
            };
            match dlq_lit {
                Some(lit) => {
                    if reported.iter().any(|r| std::ptr::eq(*r, *lit)) {
                        continue;
                    }
                    reported.push(lit);
                    cx.error(
                        Rule::QueueDeadLetter,
                        &lit.lit,
                        message(lit.lit.to_string()),
                    );
                }
                None => {
                    // The dead-letter queue keeps SQS's default; point at
                    // the reference, once.
                    cx.error(
                        Rule::QueueDeadLetter,
                        &dead_letter.queue,
                        message(format!(
                            "{} (SQS's default)",
                            duration(defaults::QUEUE_RETENTION_SECS)
                        )),
                    );
                    break;
                }
            }
        }
    }
}

/// `queue-dead-letter`: SQS requires a FIFO queue's dead-letter queue to be
/// FIFO and a standard queue's to be standard; Lambda (failed asynchronous
/// invocations) and EventBridge (undeliverable events) send only to
/// standard queues.
fn check_fifo(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let name = &resource.name;
        match &resource.body {
            Body::Queue(source) => {
                let Some(dead_letter) = &source.dead_letter else {
                    continue;
                };
                let Some(target) = queue(model, &dead_letter.queue) else {
                    continue;
                };
                let target_name = &dead_letter.queue;
                match (is_fifo(source), is_fifo(target)) {
                    (true, false) => {
                        cx.error(
                            Rule::QueueDeadLetter,
                            target_name,
                            format!(
                                "queue `{name}` is FIFO but its dead-letter queue `{target_name}` is standard; SQS requires a FIFO queue's dead-letter queue to be FIFO, so give `{target_name}` `fifo: true`"
                            ),
                        );
                        cx.error(
                            Rule::QueueDeadLetter,
                            declared(model, target_name),
                            format!(
                                "queue `{target_name}` is standard, but FIFO queue `{name}` names it as its dead-letter queue (`dead_letter: {target_name}`); SQS requires a FIFO queue's dead-letter queue to be FIFO, so give `{target_name}` `fifo: true`"
                            ),
                        );
                    }
                    (false, true) => {
                        cx.error(
                            Rule::QueueDeadLetter,
                            target_name,
                            format!(
                                "queue `{name}` is standard but its dead-letter queue `{target_name}` is FIFO; SQS requires a standard queue's dead-letter queue to be standard, so drop `fifo: true` from `{target_name}` or point `dead_letter:` at a standard queue"
                            ),
                        );
                        report_fifo_target(
                            model,
                            cx,
                            target_name,
                            format!(
                                "standard queue `{name}` names it as its dead-letter queue (`dead_letter: {target_name}`), and SQS requires a standard queue's dead-letter queue to be standard"
                            ),
                        );
                    }
                    _ => {}
                }
            }
            Body::Function(function) => {
                if let Some(target_name) = &function.dead_letter
                    && queue(model, target_name).is_some_and(is_fifo)
                {
                    cx.error(
                        Rule::QueueDeadLetter,
                        target_name,
                        format!(
                            "function `{name}` sends failed asynchronous invocations to `{target_name}`, a FIFO queue; Lambda sends them only to standard queues, so point `dead_letter:` at a standard queue"
                        ),
                    );
                    report_fifo_target(
                        model,
                        cx,
                        target_name,
                        format!(
                            "function `{name}` sends failed asynchronous invocations to it (`dead_letter: {target_name}`), and Lambda sends them only to standard queues"
                        ),
                    );
                }
            }
            Body::Rule(rule) => {
                if let Some(target_name) = &rule.dead_letter
                    && queue(model, target_name).is_some_and(is_fifo)
                {
                    cx.error(
                        Rule::QueueDeadLetter,
                        target_name,
                        format!(
                            "rule `{name}` sends undeliverable events to `{target_name}`, a FIFO queue; EventBridge sends them only to standard queues, so point `dead_letter:` at a standard queue"
                        ),
                    );
                    report_fifo_target(
                        model,
                        cx,
                        target_name,
                        format!(
                            "rule `{name}` sends undeliverable events to it (`dead_letter: {target_name}`), and EventBridge sends them only to standard queues"
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The name `name` is declared with, for an error at the declaration rather
/// than at a use.
fn declared<'a>(model: &Model<'a>, name: &'a Ident) -> &'a Ident {
    model.resource(name).map_or(name, |r| &r.name)
}

/// The second end of a FIFO mismatch: the `fifo: true` of the dead-letter
/// queue `target`, saying which declaration names it (`why`).
fn report_fifo_target(model: &Model, cx: &Ctxt, target: &Ident, why: String) {
    let Some(fifo) = queue(model, target).and_then(|q| q.fifo.as_ref()) else {
        return;
    };
    cx.error(
        Rule::QueueDeadLetter,
        fifo,
        format!(
            "`fifo: true` makes queue `{target}` FIFO, but {why}; drop `fifo: true` here or point that `dead_letter:` at a standard queue"
        ),
    );
}
