//! Alerting rules: an alerting topic reaches someone in every profile
//! (`topic-subscriber`), subscriber endpoints are ones SNS delivers to
//! safely (`subscriber-endpoint`), and every function a schedule runs is
//! watched by a dead-man alarm CloudWatch can evaluate (`dead-man`).

use syn::{Ident, LitStr};

use crate::ast::{Body, PerProfile, RuleBody, SubscriberDecl, TopicBody};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    let mut alerting: Vec<String> = Vec::new();
    for resource in &model.resources {
        match &resource.body {
            Body::Alarm(alarm) => alerting.extend(alarm.notify.as_ref().map(Ident::to_string)),
            Body::Rule(rule) => {
                alerting.extend(dead_man_topic(model, rule).ok().flatten());
                check_dead_man(model, cx, &resource.name, rule);
            }
            _ => {}
        }
    }
    for resource in &model.resources {
        if let Body::Topic(topic) = &resource.body {
            check_endpoints(cx, topic);
            if alerting.contains(&resource.name.to_string()) {
                check_subscribed(cx, &resource.name, topic);
            }
        }
    }
}

/// `topic-subscriber`: a topic an alarm notifies has a declared subscriber
/// in every profile; otherwise its alarms reach no one.
fn check_subscribed(cx: &Ctxt, name: &Ident, topic: &TopicBody) {
    let fix = "declare who hears it, like `subscribe: profile(dev: email \"dev-oncall@example.com\", prod: https \"https://pager.example.com/hook\")`";
    match &topic.subscribe {
        None => cx.error(
            Rule::TopicSubscriber,
            name,
            format!("topic `{name}` is notified by alarms but has no subscriber; {fix}"),
        ),
        Some(PerProfile::Same(subscribers)) if subscribers.items.is_empty() => cx.error(
            Rule::TopicSubscriber,
            name,
            format!("topic `{name}` is notified by alarms but `subscribe: []` names no one; {fix}"),
        ),
        Some(PerProfile::Same(_)) => {}
        Some(PerProfile::ByProfile { values, .. }) => {
            for (profile, subscribers) in values {
                if subscribers.items.is_empty() {
                    cx.error(
                        Rule::TopicSubscriber,
                        profile,
                        format!("topic `{name}` is notified by alarms but has no subscriber in profile `{profile}`; {fix}"),
                    );
                }
            }
        }
    }
}

/// `subscriber-endpoint`: an address with one `@` and a domain; an HTTPS
/// URL (SNS would post alarms in clear over `http`) without credentials,
/// which would sit in the template for anyone who reads it.
fn check_endpoints(cx: &Ctxt, topic: &TopicBody) {
    for subscribers in topic.subscribe.iter().flat_map(PerProfile::values) {
        for subscriber in &subscribers.items {
            match subscriber {
                SubscriberDecl::Email(address) => {
                    if let Err(problem) = email_problem(&address.value()) {
                        endpoint_error(cx, address, "email", &problem);
                    }
                }
                SubscriberDecl::Https(url) => {
                    if let Err(problem) = https_problem(&url.value()) {
                        endpoint_error(cx, url, "https", &problem);
                    }
                }
                SubscriberDecl::Sqs { .. } => {}
            }
        }
    }
}

fn endpoint_error(cx: &Ctxt, lit: &LitStr, protocol: &str, problem: &str) {
    cx.error(
        Rule::SubscriberEndpoint,
        lit,
        format!("`{protocol} {:?}`: {problem}", lit.value()),
    );
}

pub(crate) fn email_problem(address: &str) -> Result<(), String> {
    let Some((local, domain)) = address.split_once('@') else {
        return Err("an e-mail address has an `@`, like `oncall@example.com`".into());
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || address.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("not an e-mail address; write one like `oncall@example.com`".into());
    }
    Ok(())
}

pub(crate) fn https_problem(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err("SNS delivers alarms over HTTPS only; write a URL starting `https://`".into());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("the URL carries credentials, which the template would show to anyone who reads it; authenticate the endpoint otherwise (a token the receiver checks in the message, or its own allow-list)".into());
    }
    if authority.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("no host; write a URL like `https://pager.example.com/hook`".into());
    }
    Ok(())
}

/// Whether rule `rule` runs functions on a schedule, so its functions have
/// a dead-man alarm.
fn runs_functions_on_schedule(model: &Model, rule: &RuleBody) -> bool {
    rule.schedule.is_some()
        && rule.targets().iter().any(|target| {
            model
                .resource(target)
                .is_some_and(|r| matches!(r.body, Body::Function(_)))
        })
}

/// The topic the dead-man alarms of a scheduled rule notify: its `notify:`;
/// else the topic the alarms on its functions notify; else the one topic
/// every alarm of the platform notifies. `Ok(None)`: the rule runs no
/// function on a schedule, or the platform declares no alarm at all (it
/// does not monitor, and a dead-man alarm would have no one to tell).
/// `Err(candidates)`: alarms notify several topics and none is the rule's.
pub(crate) fn dead_man_topic(
    model: &Model,
    rule: &RuleBody,
) -> Result<Option<String>, Vec<String>> {
    if !runs_functions_on_schedule(model, rule) {
        return Ok(None);
    }
    if let Some(notify) = &rule.notify {
        return Ok(Some(notify.to_string()));
    }
    let alarms: Vec<&crate::ast::AlarmBody> = model
        .resources
        .iter()
        .filter_map(|r| match &r.body {
            Body::Alarm(alarm) => Some(alarm),
            _ => None,
        })
        .collect();
    let on_targets = alarms.iter().find_map(|alarm| {
        let metric = alarm.metric.as_ref()?;
        rule.targets()
            .contains(&metric.resource)
            .then_some(alarm.notify.as_ref()?)
    });
    if let Some(topic) = on_targets {
        return Ok(Some(topic.to_string()));
    }
    let mut topics: Vec<String> = Vec::new();
    for topic in alarms.iter().filter_map(|a| a.notify.as_ref()) {
        let topic = topic.to_string();
        if !topics.contains(&topic) {
            topics.push(topic);
        }
    }
    match topics.len() {
        0 => Ok(None),
        1 => Ok(topics.pop()),
        _ => Err(topics),
    }
}

/// `dead-man`: every function a schedule runs is watched by an alarm that
/// fires when it has not run for twice the schedule's period; its topic is
/// known (see [`dead_man_topic`]), and the schedule gives a window
/// CloudWatch evaluates.
fn check_dead_man(model: &Model, cx: &Ctxt, name: &Ident, rule: &RuleBody) {
    match (&rule.schedule, dead_man_topic(model, rule)) {
        (_, Err(topics)) => cx.error(
            Rule::DeadMan,
            name,
            format!(
                "rule `{name}` runs functions on a schedule, and its dead-man alarm could notify {}; name the topic, like `notify: {}`",
                crate::suggest::list(&topics),
                topics[0]
            ),
        ),
        (Some(schedule), Ok(Some(_))) => {
            if let Err(problem) = platform_core::heartbeat::window(&schedule.value()) {
                cx.error(Rule::DeadMan, schedule, problem);
            }
        }
        _ => {}
    }
    if let Some(notify) = &rule.notify
        && !runs_functions_on_schedule(model, rule)
    {
        cx.error(
            Rule::DeadMan,
            notify,
            format!("`notify:` of rule `{name}` names where its dead-man alarm reports, and only a rule with a `schedule:` that runs functions has one; remove it"),
        );
    }
}
