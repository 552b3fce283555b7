//! SQS trigger rules: an event source mapping that cannot starve itself.
//!
//! Lambda's SQS poller receives messages before it knows whether it can
//! invoke the function with them. When the function's reserved concurrency
//! is used up, the invocation is throttled and the batch returns to the
//! queue, but its receives have counted toward the queue's redrive, so
//! healthy messages reach the dead-letter queue. Two rules keep that from
//! happening: the mapping's `max_concurrency` stays below the reserved
//! concurrency (`trigger-concurrency`), and a trigger queue allows enough
//! receives before redriving (`trigger-redrive`).

use syn::Ident;

use crate::ast::{Body, Count, FunctionBody, PerProfile};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// AWS's guidance for a queue that is a Lambda event source: a redrive
/// policy's `maxReceiveCount` of at least 5.
pub(crate) const MIN_TRIGGER_RECEIVES: u32 = 5;

/// `ScalingConfig.MaximumConcurrency` of an SQS event source mapping.
pub(crate) const MAX_CONCURRENCY_RANGE: std::ops::RangeInclusive<u32> = 2..=1000;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        if let Body::Function(function) = &resource.body {
            check_concurrency(model, cx, &resource.name, function);
        }
    }
    check_redrive(model, cx);
}

/// The value a per-profile count takes in `profile`; `None` when a
/// `profile(...)` value leaves it out (`ref-profile` reports that).
fn count_in<'a>(value: &'a PerProfile<Count>, profile: &str) -> Option<&'a Count> {
    match value {
        PerProfile::Same(count) => Some(count),
        PerProfile::ByProfile { values, .. } => values
            .iter()
            .find(|(name, _)| name == profile)
            .map(|(_, count)| count),
    }
}

/// The `max_concurrency` suggested for a reserved concurrency: about a
/// tenth, and at least one, left for invocations outside the mapping;
/// `None` when no valid value is below it.
fn suggested_max(reserved: u32) -> Option<u32> {
    let max = reserved.saturating_sub((reserved / 10).max(1));
    (max >= *MAX_CONCURRENCY_RANGE.start()).then(|| max.min(*MAX_CONCURRENCY_RANGE.end()))
}

/// `trigger-concurrency`: a function with reserved concurrency and an SQS
/// trigger caps the trigger's concurrency strictly below the reservation,
/// in every profile (AWS's guidance), so the poller never receives batches
/// it cannot invoke the function with.
fn check_concurrency(model: &Model, cx: &Ctxt, name: &Ident, function: &FunctionBody) {
    let (Some(trigger), Some(concurrency)) = (&function.trigger, &function.concurrency) else {
        return;
    };
    let mut profiles = model.profiles();
    if profiles.is_empty() {
        // `grammar-required` reports the missing profiles.
        profiles.push(String::new());
    }
    let per_profile = matches!(concurrency, PerProfile::ByProfile { .. })
        || matches!(trigger.max_concurrency, Some(PerProfile::ByProfile { .. }));
    let in_profile = |profile: &str| {
        if per_profile && !profile.is_empty() {
            format!(" in `{profile}`")
        } else {
            String::new()
        }
    };
    let queue = &trigger.queue;
    let Some(max_concurrency) = &trigger.max_concurrency else {
        let reserved: Vec<(&str, u32)> = profiles
            .iter()
            .filter_map(|p| count_in(concurrency, p).map(|c| (p.as_str(), c.value)))
            .collect();
        let suggestions: Option<Vec<(&str, u32)>> = reserved
            .iter()
            .map(|(p, r)| suggested_max(*r).map(|m| (*p, m)))
            .collect();
        let fix = match suggestions {
            Some(values) if values.is_empty() => return,
            Some(values) if values.iter().all(|(_, m)| *m == values[0].1) => {
                format!(
                    "add `max_concurrency: {}` to the trigger, below the reserved concurrency",
                    values[0].1
                )
            }
            Some(values) => {
                let list: Vec<String> = values.iter().map(|(p, m)| format!("{p}: {m}")).collect();
                format!(
                    "add `max_concurrency: profile({})` to the trigger, below the reserved concurrency",
                    list.join(", ")
                )
            }
            None => format!(
                "raise `concurrency:` to at least {} and give the trigger a `max_concurrency:` below it (SQS takes at least {})",
                MAX_CONCURRENCY_RANGE.start() + 1,
                MAX_CONCURRENCY_RANGE.start()
            ),
        };
        cx.error(
            Rule::TriggerConcurrency,
            queue,
            format!(
                "function `{name}` has reserved concurrency and is triggered by queue `{queue}`, but the trigger sets no `max_concurrency`, so Lambda's poller can receive more batches than the function may run; their invocations are throttled and each receive counts toward `{queue}`'s redrive, sending healthy messages to its dead-letter queue; {fix}"
            ),
        );
        return;
    };
    let mut reported: Vec<&Count> = Vec::new();
    for profile in &profiles {
        let (Some(reserved), Some(max)) = (
            count_in(concurrency, profile),
            count_in(max_concurrency, profile),
        ) else {
            continue;
        };
        if reserved.value <= *MAX_CONCURRENCY_RANGE.start() {
            // No valid `max_concurrency` is below it: the reservation is
            // what to change.
            if reported.iter().any(|r| std::ptr::eq(*r, reserved)) {
                continue;
            }
            reported.push(reserved);
            cx.error(
                Rule::TriggerConcurrency,
                &reserved.lit,
                format!(
                    "`concurrency: {}`{} leaves no room for the SQS trigger of function `{name}`: its `max_concurrency` must be below the reserved concurrency, and SQS takes at least {}; raise `concurrency:` to at least {}",
                    reserved.lit,
                    in_profile(profile),
                    MAX_CONCURRENCY_RANGE.start(),
                    MAX_CONCURRENCY_RANGE.start() + 1,
                ),
            );
            continue;
        }
        // Out of SQS's range is `value-range`'s to report.
        if !MAX_CONCURRENCY_RANGE.contains(&max.value) || max.value < reserved.value {
            continue;
        }
        if reported.iter().any(|r| std::ptr::eq(*r, max)) {
            continue;
        }
        reported.push(max);
        let fix = suggested_max(reserved.value).unwrap_or(reserved.value - 1);
        cx.error(
            Rule::TriggerConcurrency,
            &max.lit,
            format!(
                "`max_concurrency: {}`{} is not below the reserved concurrency {} of function `{name}`, so the poller can receive batches whose invocations are throttled, and each receive counts toward `{queue}`'s redrive; use a value from 2 to {}, like {fix}",
                max.lit,
                in_profile(profile),
                reserved.value,
                reserved.value - 1,
            ),
        );
    }
}

/// `trigger-redrive`: a queue that triggers a function redrives after at
/// least 5 receives (AWS's guidance for Lambda event sources): a batch can
/// be received and returned without ever running (throttling, a function
/// scaling up, a timed-out batch), and with fewer receives such messages
/// reach the dead-letter queue without having failed.
fn check_redrive(model: &Model, cx: &Ctxt) {
    let mut reported: Vec<&Ident> = Vec::new();
    for resource in &model.resources {
        let Body::Function(function) = &resource.body else {
            continue;
        };
        let Some(trigger) = &function.trigger else {
            continue;
        };
        let Some(target) = model.resource(&trigger.queue) else {
            continue;
        };
        let Body::Queue(queue) = &target.body else {
            continue;
        };
        let Some(dead_letter) = &queue.dead_letter else {
            continue;
        };
        let count = &dead_letter.max_receive_count;
        // Out of SQS's 1 to 1000 is `queue-dead-letter`'s to report.
        if count.value == 0 || count.value >= MIN_TRIGGER_RECEIVES {
            continue;
        }
        if reported.contains(&&target.name) {
            continue;
        }
        reported.push(&target.name);
        cx.error(
            Rule::TriggerRedrive,
            &count.lit,
            format!(
                "queue `{}` triggers function `{}` but moves a message to `{}` after {} receives; Lambda's poller receives batches it may return unprocessed (throttling, scaling up), and each receive counts, so healthy messages would reach the dead-letter queue: write `after {MIN_TRIGGER_RECEIVES}` or more, AWS's guidance for Lambda sources",
                target.name, resource.name, dead_letter.queue, count.value,
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::suggested_max;

    #[test]
    fn the_suggested_maximum_leaves_a_tenth_and_at_least_one() {
        assert_eq!(suggested_max(5), Some(4));
        assert_eq!(suggested_max(20), Some(18));
        assert_eq!(suggested_max(100), Some(90));
        assert_eq!(suggested_max(3), Some(2));
        assert_eq!(suggested_max(2), None);
        assert_eq!(suggested_max(0), None);
        assert_eq!(suggested_max(5000), Some(1000));
    }
}
