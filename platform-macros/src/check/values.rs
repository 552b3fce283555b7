//! Value rules: numbers within what AWS accepts (`value-range`) and strings
//! in the form it parses (`value-format`). Each of these would otherwise be
//! refused by CloudFormation or the service, minutes into a deploy.

use std::ops::RangeInclusive;

use platform_core::catalog::LOG_RETENTION_DAYS;
use quote::ToTokens;
use syn::{Ident, LitInt, LitStr};

use crate::ast::{
    AlarmBody, AuroraBody, Body, Days, Expiry, FunctionBody, JsonObject, JsonValue, PerProfile,
    ResourceBlock, RuleBody, Secs,
};
use crate::ctxt::Ctxt;
use crate::model::{Model, defaults};
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let name = &resource.name;
        match &resource.body {
            Body::Key(key) => check_key(cx, key.pending_window.as_ref()),
            Body::Queue(queue) => check_queue(cx, &queue.visibility, &queue.retention),
            Body::Bucket(bucket) => check_bucket(cx, &bucket.expire, bucket.noncurrent.as_ref()),
            Body::Function(function) => {
                check_function(model, cx, resource, function);
                check_trigger(model, cx, name, function);
            }
            Body::Network(network) => {
                if let Some(azs) = &network.azs {
                    in_range(
                        cx,
                        &azs.lit,
                        azs.value,
                        2..=3,
                        "azs",
                        "a network spans 2 or 3 availability zones",
                    );
                }
            }
            Body::Aurora(aurora) => {
                check_aurora(cx, aurora);
                check_database(cx, aurora);
            }
            Body::Rule(rule) => {
                check_rule(cx, name, rule);
                check_schedule(cx, rule.schedule.as_ref());
                if let Some(pattern) = &rule.pattern {
                    check_pattern(cx, pattern);
                }
            }
            Body::Alarm(alarm) => check_alarm(cx, name, alarm),
            Body::HealthCheck(health_check) => {
                if let Some(interval) = &health_check.interval
                    && !matches!(interval.value, 10 | 30)
                {
                    cx.error(
                        Rule::ValueRange,
                        &interval.lit,
                        format!(
                            "`interval: {}` is not an interval Route 53 takes; use `10s` or `30s`",
                            interval.lit
                        ),
                    );
                }
                if let Some(threshold) = &health_check.threshold {
                    in_range(
                        cx,
                        &threshold.lit,
                        threshold.value,
                        1..=10,
                        "threshold",
                        "Route 53 takes 1 to 10 failures",
                    );
                }
            }
            Body::Table(_)
            | Body::Topic(_)
            | Body::Parameter(_)
            | Body::Api(_)
            | Body::Bus(_)
            | Body::LogGroup(_)
            | Body::DbUser(_)
            | Body::Dashboard(_)
            | Body::Zone(_) => {}
        }
        check_log_retention(cx, resource);
    }
    check_rollback_window(model, cx);
    check_drift_check(model, cx);
}

/// `value-range`, `grammar-required`: `drift_check` names the topic it
/// alerts, and runs every 1, 3, 6, 12 or 24 hours (AWS Config's
/// `MaximumExecutionFrequency`).
fn check_drift_check(model: &Model, cx: &Ctxt) {
    let Some(check) = model.platform().and_then(|p| p.drift_check.as_ref()) else {
        return;
    };
    if check.notify.is_none() {
        cx.error_at(
            Rule::GrammarRequired,
            check.brace.span.join(),
            "`drift_check` needs `notify: TOPIC`, the topic told when a stack drifts",
        );
    }
    if let Some(every) = &check.every
        && !(every.value % 3600 == 0 && [1, 3, 6, 12, 24].contains(&(every.value / 3600)))
    {
        cx.error(
            Rule::ValueRange,
            &every.lit,
            format!(
                "`every: {}` is not a frequency AWS Config runs checks at: 1h, 3h, 6h, 12h or 24h",
                every.lit
            ),
        );
    }
}

/// `value-range`: the platform's `rollback_window:` is whole minutes, at
/// most 180 (CloudFormation's `MonitoringTimeInMinutes`).
fn check_rollback_window(model: &Model, cx: &Ctxt) {
    let windows = model
        .platform()
        .and_then(|p| p.rollback_window.as_ref())
        .into_iter()
        .flat_map(PerProfile::values);
    for window in windows {
        if window.value % 60 != 0 || window.value > 180 * 60 {
            cx.error(
                Rule::ValueRange,
                &window.lit,
                format!(
                    "`rollback_window: {}` is not one CloudFormation accepts: whole minutes from 0m to 180m",
                    window.lit
                ),
            );
        }
    }
}

/// `value-range`: reports `field: value` when `value` is outside `range`,
/// with `accepted` saying what AWS takes.
fn in_range(
    cx: &Ctxt,
    lit: &LitInt,
    value: u32,
    range: RangeInclusive<u32>,
    field: &str,
    accepted: &str,
) {
    if !range.contains(&value) {
        cx.error(
            Rule::ValueRange,
            lit,
            format!("`{field}: {lit}` is out of range: {accepted}"),
        );
    }
}

/// `value-range`: log retentions (`logs:`, `flow_logs:`, a log group's
/// `retention:`) are one of the values CloudWatch Logs accepts; it refuses
/// any other.
fn check_log_retention(cx: &Ctxt, resource: &ResourceBlock) {
    let (field, days) = match &resource.body {
        Body::Function(function) => ("logs", &function.logs),
        Body::Aurora(aurora) => ("logs", &aurora.logs),
        Body::Api(api) => ("logs", &api.logs),
        Body::Network(network) => ("flow_logs", &network.flow_logs),
        Body::LogGroup(log_group) => ("retention", &log_group.retention),
        _ => return,
    };
    let days: Vec<&Days> = days.iter().flat_map(PerProfile::values).collect();
    for days in days {
        check_retention_value(cx, field, days);
    }
}

fn check_retention_value(cx: &Ctxt, field: &str, days: &Days) {
    if LOG_RETENTION_DAYS.contains(&days.value) {
        return;
    }
    let below = LOG_RETENTION_DAYS.iter().rev().find(|d| **d < days.value);
    let above = LOG_RETENTION_DAYS.iter().find(|d| **d > days.value);
    let nearest: Vec<String> = below
        .into_iter()
        .chain(above)
        .map(|d| format!("`{d}d`"))
        .collect();
    let all: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
    cx.error(
        Rule::ValueRange,
        &days.lit,
        format!(
            "`{field}: {}` is not a retention CloudWatch Logs accepts; use {} (it accepts {} days)",
            days.lit,
            nearest.join(" or "),
            all.join(", ")
        ),
    );
}

/// `value-range`: a key's deletion window is 7 to 30 days.
fn check_key(cx: &Ctxt, pending_window: Option<&Days>) {
    if let Some(days) = pending_window {
        in_range(
            cx,
            &days.lit,
            days.value,
            7..=30,
            "pending_window",
            "KMS waits 7 to 30 days before deleting a key",
        );
    }
}

/// `value-range`: a queue's visibility timeout is at most 12 hours and its
/// retention 1 minute to 14 days.
fn check_queue(
    cx: &Ctxt,
    visibility: &Option<PerProfile<Secs>>,
    retention: &Option<PerProfile<Secs>>,
) {
    for visibility in visibility.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &visibility.lit,
            visibility.value,
            0..=43_200,
            "visibility",
            "SQS takes 0s to 12h",
        );
    }
    for retention in retention.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &retention.lit,
            retention.value,
            60..=1_209_600,
            "retention",
            "SQS keeps messages 1m to 14d",
        );
    }
}

/// `value-range`: lifecycle rules count at least one day.
fn check_bucket(cx: &Ctxt, expire: &Option<PerProfile<Expiry>>, noncurrent: Option<&Days>) {
    for expiry in expire.iter().flat_map(PerProfile::values) {
        if let Expiry::After(days) = expiry {
            in_range(
                cx,
                &days.lit,
                days.value,
                1..=u32::MAX,
                "expire",
                "objects expire after at least 1d, or `never`",
            );
        }
    }
    if let Some(days) = noncurrent {
        in_range(
            cx,
            &days.lit,
            days.value,
            1..=u32::MAX,
            "noncurrent",
            "noncurrent versions are kept at least 1d",
        );
    }
}

/// `value-range`: a function has 128 to 10240 MB and runs 1 second to 15
/// minutes; Lambda retries its asynchronous invocations 0 to 2 times
/// (`async: { retries }`) for 1 minute to 6 hours (`max_age`); behind an API route at most 29 seconds, API Gateway's
/// integration timeout, after which callers get a 504 while it still runs.
fn check_function(model: &Model, cx: &Ctxt, resource: &ResourceBlock, function: &FunctionBody) {
    for memory in function.memory.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &memory.lit,
            memory.value,
            128..=10_240,
            "memory",
            "Lambda takes 128 to 10240 MB",
        );
    }
    if let Some(invoke) = &function.async_invoke {
        if let Some(retries) = &invoke.retries {
            in_range(
                cx,
                &retries.lit,
                retries.value,
                0..=2,
                "retries",
                "Lambda retries an asynchronous invocation 0 to 2 times",
            );
        }
        if let Some(max_age) = &invoke.max_age {
            in_range(
                cx,
                &max_age.lit,
                max_age.value,
                60..=21_600,
                "max_age",
                "Lambda keeps an asynchronous event 1m to 6h",
            );
        }
    }
    let Some(timeout) = &function.timeout else {
        return;
    };
    for timeout in timeout.values() {
        in_range(
            cx,
            &timeout.lit,
            timeout.value,
            1..=900,
            "timeout",
            "Lambda runs a function 1s to 900s (15m)",
        );
    }
    let route = model.resources.iter().find_map(|api| match &api.body {
        Body::Api(body) => body
            .routes()
            .iter()
            .find(|route| route.function == resource.name)
            .map(|route| (api, route)),
        _ => None,
    });
    let Some((api, route)) = route else {
        return;
    };
    for (profile, timeout) in timeout.entries() {
        if !(30..=900).contains(&timeout.value) {
            continue;
        }
        let written = match profile {
            Some(profile) => format!("`timeout: profile({profile}: {})`", timeout.lit),
            None => format!("`timeout: {}`", timeout.lit),
        };
        let usage = match profile {
            Some(profile) => format!("so use at most `29s` in `{profile}`"),
            None => "so use at most `29s`".to_owned(),
        };
        cx.error(
            Rule::ValueRange,
            &timeout.lit,
            format!(
                "{written} is out of range: function `{}` serves `{} {:?}` of api `{}`, and API Gateway gives up after 29s, {usage}",
                resource.name,
                route.method,
                route.path.value(),
                api.name
            ),
        );
    }
}

/// `value-range`: a trigger takes batches of 1 to 10000 messages, waits at
/// most 5 minutes to fill one, must wait at least a second for batches
/// above 10, and runs 2 to 1000 invocations at once (`max_concurrency`,
/// `ScalingConfig.MaximumConcurrency`); the queue it reads keeps messages invisible for at least six
/// times the function's timeout (AWS's rule of thumb), or messages being
/// processed are delivered twice.
fn check_trigger(model: &Model, cx: &Ctxt, name: &Ident, function: &FunctionBody) {
    let Some(trigger) = &function.trigger else {
        return;
    };
    for batch in trigger.batch.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &batch.lit,
            batch.value,
            1..=10_000,
            "batch",
            "SQS triggers take 1 to 10000 messages",
        );
    }
    check_batch_window(model, cx, trigger);
    for window in trigger.window.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &window.lit,
            window.value,
            0..=300,
            "window",
            "SQS triggers wait 0s to 300s (5m)",
        );
    }
    for max in trigger.max_concurrency.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &max.lit,
            max.value,
            super::triggers::MAX_CONCURRENCY_RANGE,
            "max_concurrency",
            "an SQS trigger runs 2 to 1000 invocations at once",
        );
    }
    let Some(Body::Queue(queue)) = model.resource(&trigger.queue).map(|r| &r.body) else {
        return;
    };
    let per_profile = queue
        .visibility
        .as_ref()
        .is_some_and(PerProfile::is_per_profile)
        || function
            .timeout
            .as_ref()
            .is_some_and(PerProfile::is_per_profile);
    // One value each for every profile: one check, without a profile to name.
    let profiles = if per_profile {
        model.profiles().into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    for profile in profiles {
        fn value<'a>(
            field: &'a Option<PerProfile<Secs>>,
            profile: Option<&str>,
        ) -> Option<Option<&'a Secs>> {
            match (field, profile) {
                (None, _) => Some(None),
                (Some(value), Some(profile)) => value.in_profile(profile).map(Some),
                (Some(value), None) => value.values().first().copied().map(Some),
            }
        }
        // A profile a `profile(...)` leaves out is `ref-profile`'s to report.
        let (Some(visibility_lit), Some(timeout_lit)) = (
            value(&queue.visibility, profile.as_deref()),
            value(&function.timeout, profile.as_deref()),
        ) else {
            continue;
        };
        let visibility = visibility_lit.map_or(defaults::QUEUE_VISIBILITY_SECS, |v| v.value);
        let timeout = timeout_lit.map_or(defaults::FUNCTION_TIMEOUT_SECS, |t| t.value);
        if u64::from(visibility) >= 6 * u64::from(timeout) {
            continue;
        }
        let needed = 6 * u64::from(timeout);
        // The other end: the visibility the queue declares, or its name when
        // it keeps SQS's default, so that whoever edits either sees both.
        let in_profile = profile
            .as_deref()
            .map_or_else(String::new, |p| format!(" in profile `{p}`"));
        let (value_tokens, value_said) = match visibility_lit {
            Some(lit) => (
                lit.lit.to_token_stream(),
                format!("this visibility ({visibility}s{in_profile})"),
            ),
            None => (
                model.resource(&trigger.queue).map_or_else(
                    || trigger.queue.to_token_stream(),
                    |r| r.name.to_token_stream(),
                ),
                format!(
                    "queue `{}` keeps SQS's default visibility of {visibility}s, which",
                    trigger.queue
                ),
            ),
        };
        let other_end = format!(
            "{value_said} is less than 6 times the {timeout}s timeout of function `{name}`{in_profile}, which queue `{0}` triggers (`trigger: {0}` in function `{name}`), so messages still being processed are delivered again; give the queue `visibility: {needed}s` or more",
            trigger.queue,
        );
        let Some(profile) = profile else {
            cx.error(
                Rule::ValueRange,
                &trigger.queue,
                format!(
                    "queue `{}` hides a received message for {visibility}s, less than 6 times the {timeout}s timeout of function `{name}` it triggers, so messages still being processed are delivered again; give the queue `visibility: {needed}s` or more",
                    trigger.queue,
                ),
            );
            cx.error(Rule::ValueRange, value_tokens, other_end);
            continue;
        };
        // Point at the value written for this profile: the queue's
        // visibility when it is per profile, else the function's timeout.
        fn per_profile_lit<'a>(
            lit: Option<&'a Secs>,
            field: &Option<PerProfile<Secs>>,
        ) -> Option<&'a syn::LitInt> {
            lit.filter(|_| field.as_ref().is_some_and(PerProfile::is_per_profile))
                .map(|secs| &secs.lit)
        }
        let message = format!(
            "in profile `{profile}`, queue `{}` hides a received message for {visibility}s, less than 6 times the {timeout}s timeout of function `{name}` it triggers, so messages still being processed are delivered again; give the queue `visibility: {needed}s` or more in `{profile}`",
            trigger.queue,
        );
        match per_profile_lit(visibility_lit, &queue.visibility) {
            // The value is the visibility itself: the other end is the
            // trigger.
            Some(lit) => {
                cx.error(Rule::ValueRange, lit, message);
                cx.error(
                    Rule::ValueRange,
                    &trigger.queue,
                    format!(
                        "function `{name}`'s timeout{in_profile} is {timeout}s, and the visibility of queue `{}` it is triggered by is {visibility}s there, less than 6 times that; give the queue `visibility: {needed}s` or more in `{profile}`",
                        trigger.queue,
                    ),
                );
            }
            None => {
                match per_profile_lit(timeout_lit, &function.timeout) {
                    Some(lit) => cx.error(Rule::ValueRange, lit, message),
                    None => cx.error(Rule::ValueRange, &trigger.queue, message),
                }
                cx.error(Rule::ValueRange, value_tokens, other_end);
            }
        }
    }
}

/// `value-range`: a batch above 10 messages needs a batching window of at
/// least a second (Lambda refuses the mapping otherwise), in every profile.
fn check_batch_window(model: &Model, cx: &Ctxt, trigger: &crate::ast::Trigger) {
    let Some(batch) = &trigger.batch else {
        return;
    };
    let per_profile = batch.is_per_profile()
        || trigger
            .window
            .as_ref()
            .is_some_and(PerProfile::is_per_profile);
    if !per_profile {
        let window = trigger
            .window
            .as_ref()
            .and_then(|w| w.values().first().map(|w| w.value))
            .unwrap_or(0);
        let batch = batch.values()[0];
        if batch.value > 10 && window == 0 {
            cx.error(
                Rule::ValueRange,
                batch,
                format!("`batch: {}` is over 10, which needs a batching window; add `window: 1s` or more", batch.value),
            );
        }
        return;
    }
    for profile in model.profiles() {
        let Some(batch) = batch.in_profile(&profile) else {
            continue;
        };
        let window = match &trigger.window {
            None => 0,
            Some(window) => match window.in_profile(&profile) {
                Some(window) => window.value,
                None => continue,
            },
        };
        if batch.value > 10 && window == 0 {
            cx.error(
                Rule::ValueRange,
                &batch.lit,
                format!(
                    "in profile `{profile}`, `batch: {}` is over 10, which needs a batching window; give `window:` 1s or more in `{profile}`",
                    batch.value
                ),
            );
        }
    }
}

/// `value-range`: Aurora Serverless v2 scales between 0 and 256 ACUs in
/// steps of 0.5, up to at least 1 ACU, never from more than it scales to; a
/// cluster has at most 15 readers and keeps backups 1 to 35 days.
fn check_aurora(cx: &Ctxt, aurora: &AuroraBody) {
    for capacity in aurora.capacity.iter().flat_map(PerProfile::values) {
        let mut valid = true;
        for number in [&capacity.min, &capacity.max] {
            if !(0.0..=256.0).contains(&number.value) || (number.value * 2.0).fract() != 0.0 {
                valid = false;
                cx.error(
                    Rule::ValueRange,
                    number,
                    format!(
                        "`{}` is not an Aurora Serverless v2 capacity: it scales from 0 to 256 ACUs in steps of 0.5",
                        number.text
                    ),
                );
            }
        }
        if !valid {
            continue;
        }
        if capacity.max.value < 1.0 {
            cx.error(
                Rule::ValueRange,
                &capacity.max,
                format!(
                    "the maximum capacity `{}` is under 1 ACU, the least Aurora scales up to",
                    capacity.max.text
                ),
            );
        } else if capacity.min.value > capacity.max.value {
            cx.error(
                Rule::ValueRange,
                &capacity.dots,
                format!(
                    "the capacity `{}..={}` starts above where it ends; write the minimum first",
                    capacity.min.text, capacity.max.text
                ),
            );
        }
    }
    if let Some(readers) = &aurora.readers {
        in_range(
            cx,
            &readers.lit,
            readers.value,
            0..=15,
            "readers",
            "an Aurora cluster has 0 to 15 readers",
        );
    }
    for backup in aurora.backup.iter().flat_map(PerProfile::values) {
        in_range(
            cx,
            &backup.lit,
            backup.value,
            1..=35,
            "backup",
            "Aurora keeps automated backups 1d to 35d",
        );
    }
}

/// `value-range`: a rule has 1 to 5 targets (EventBridge's limit), retries
/// delivery 0 to 185 times and for 1 minute to 24 hours.
fn check_rule(cx: &Ctxt, name: &Ident, rule: &RuleBody) {
    if let Some(targets) = &rule.targets {
        if targets.items.is_empty() {
            cx.error_at(
                Rule::ValueRange,
                targets.span(),
                format!(
                    "rule `{name}` has no targets; list the functions or log groups it delivers to"
                ),
            );
        }
        for extra in targets.items.iter().skip(5) {
            cx.error(
                Rule::ValueRange,
                extra,
                format!("rule `{name}` has more than 5 targets, EventBridge's limit; split it into two rules"),
            );
        }
    }
    if let Some(retries) = &rule.retries {
        in_range(
            cx,
            &retries.lit,
            retries.value,
            0..=185,
            "retries",
            "EventBridge retries 0 to 185 times",
        );
    }
    if let Some(max_age) = &rule.max_age {
        in_range(
            cx,
            &max_age.lit,
            max_age.value,
            60..=86_400,
            "max_age",
            "EventBridge keeps retrying for 1m to 24h",
        );
    }
}

/// `value-range`: an alarm's period is 10, 20 or 30 seconds or a multiple of
/// a minute; it evaluates at least one period, alarms on 1 to that many
/// breaching datapoints, and looks back at most a day.
fn check_alarm(cx: &Ctxt, name: &Ident, alarm: &AlarmBody) {
    let period = alarm
        .period
        .as_ref()
        .map_or(defaults::ALARM_PERIOD_SECS, |p| p.value);
    if let Some(lit) = alarm.period.as_ref().map(|p| &p.lit)
        && (period == 0
            || (period < 60 && ![10, 20, 30].contains(&period))
            || (period >= 60 && period % 60 != 0))
    {
        cx.error(
            Rule::ValueRange,
            lit,
            format!("`period: {lit}` is not a period CloudWatch takes; use `10s`, `20s`, `30s` or a whole number of minutes"),
        );
    }
    let evaluations = alarm
        .evaluations
        .as_ref()
        .map_or(defaults::ALARM_EVALUATIONS, |e| e.value);
    if let Some(count) = &alarm.evaluations {
        in_range(
            cx,
            &count.lit,
            count.value,
            1..=u32::MAX,
            "evaluations",
            "an alarm evaluates at least 1 period",
        );
    }
    if let Some(datapoints) = &alarm.datapoints {
        in_range(
            cx,
            &datapoints.lit,
            datapoints.value,
            1..=evaluations.max(1),
            "datapoints",
            &format!(
                "alarm `{name}` evaluates {evaluations} periods, so 1 to {evaluations} of them can breach"
            ),
        );
    }
    if u64::from(period) * u64::from(evaluations) > 86_400 {
        let at: &dyn ToTokens = match (&alarm.evaluations, &alarm.period) {
            (Some(count), _) => count,
            (None, Some(period)) => period,
            (None, None) => name,
        };
        cx.error(
            Rule::ValueRange,
            at,
            format!("alarm `{name}` looks back {evaluations} periods of {period}s, over the day CloudWatch allows; lower `evaluations:` or `period:`"),
        );
    }
}

/// `value-format`: a schedule is `rate(N unit)` (singular unit when N is
/// 1) or `cron(...)` with six fields, the two forms EventBridge parses.
fn check_schedule(cx: &Ctxt, schedule: Option<&LitStr>) {
    let Some(schedule) = schedule else { return };
    if let Err(problem) = schedule_problem(&schedule.value()) {
        cx.error(
            Rule::ValueFormat,
            schedule,
            format!(
                "`schedule: {:?}` is not a schedule EventBridge takes: {problem}",
                schedule.value()
            ),
        );
    }
}

pub(crate) fn schedule_problem(text: &str) -> Result<(), String> {
    if let Some(inner) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let Some((count, unit)) = inner.split_once(' ') else {
            return Err(
                "write `rate(N unit)`, like `rate(1 hour)` or `rate(5 minutes)`".to_owned(),
            );
        };
        let count: u32 = count
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{count}` is not a positive whole number"))?;
        let singular = ["minute", "hour", "day"];
        let plural = ["minutes", "hours", "days"];
        return match (count, unit) {
            (1, unit) if singular.contains(&unit) => Ok(()),
            (1, unit) if plural.contains(&unit) => Err(format!(
                "the unit of `rate(1 ...)` is singular: `rate(1 {})`",
                unit.trim_end_matches('s')
            )),
            (_, unit) if plural.contains(&unit) => Ok(()),
            (_, unit) if singular.contains(&unit) => {
                Err(format!("the unit is plural: `rate({count} {unit}s)`"))
            }
            (_, unit) => Err(format!("unknown unit `{unit}`; use minutes, hours or days")),
        };
    }
    if let Some(inner) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let fields = inner.split_whitespace().count();
        return if fields == 6 {
            Ok(())
        } else {
            Err(format!(
                "a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not {fields}"
            ))
        };
    }
    Err("write `rate(1 hour)` or `cron(0 12 * * ? *)`".to_owned())
}

/// `value-format`: a database name is a letter then letters, digits and
/// `_`, at most 63 characters (PostgreSQL identifiers); an engine version is
/// numbers separated by dots (`"16.10"`).
fn check_database(cx: &Ctxt, aurora: &AuroraBody) {
    if let Some(database) = &aurora.database {
        let name = database.value();
        let valid = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            cx.error(
                Rule::ValueFormat,
                database,
                format!("`database: {name:?}` is not a database name Aurora takes: a letter, then letters, digits and `_`, at most 63 in all"),
            );
        }
    }
    if let Some(engine) = &aurora.engine {
        let version = engine.version.value();
        let valid = !version.is_empty()
            && version
                .split('.')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            cx.error(
                Rule::ValueFormat,
                &engine.version,
                format!("`{version}` is not an engine version; write numbers separated by dots, like \"16.10\""),
            );
        }
    }
}

/// `value-format`: an event pattern is a non-empty object whose fields hold
/// non-empty arrays of values to match, or objects of further fields
/// (EventBridge refuses bare values such as `source: "x"`). Inside an
/// array, anything goes: strings, numbers and matchers like
/// `{ prefix: "trade" }`.
fn check_pattern(cx: &Ctxt, pattern: &JsonObject) {
    if pattern.members.is_empty() {
        cx.error_at(
            Rule::ValueFormat,
            pattern.brace.span.join(),
            "the event pattern is empty; match at least one field, like `{ source: [\"trading.processor\"] }`",
        );
    }
    for (key, value) in &pattern.members {
        match value {
            JsonValue::Object(object) => check_pattern(cx, object),
            JsonValue::Array(array) if array.items.is_empty() => cx.error_at(
                Rule::ValueFormat,
                value.span(),
                format!("`{}: []` matches nothing; list the values to match", key.text()),
            ),
            JsonValue::Array(_) => {}
            _ => cx.error_at(
                Rule::ValueFormat,
                value.span(),
                format!(
                    "the event pattern gives `{}` a single value; EventBridge matches fields against arrays, so write `[{}]`",
                    key.text(),
                    value.to_json()
                ),
            ),
        }
    }
}
