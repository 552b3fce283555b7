//! Lookups built once per synth, so that constructs never scan the whole
//! platform: resolving a name, and the reverse questions a construct asks
//! about who refers to it (which rules target this function, which alarms
//! notify this topic). Built in one pass, each lookup is a hash probe, and
//! synthesis stays linear in the number of declared resources.

use super::{IdMap, IdSet};

use crate::spec::{PerProfile, Platform, Resource, Spec, Subscriber, TargetRef};

/// Reverse references of one platform.
#[derive(Debug, Default)]
pub(crate) struct Index<'a> {
    by_name: IdMap<&'a str, &'a Resource>,
    /// Functions a rule invokes (asynchronously).
    rule_target_functions: IdSet<&'a str>,
    /// Log groups a rule delivers to.
    rule_target_log_groups: IdSet<&'a str>,
    /// Functions behind an API route (invoked synchronously).
    routed_functions: IdSet<&'a str>,
    /// Topics an alarm notifies.
    alarm_topics: IdSet<&'a str>,
    /// Per queue, the rules using it as their dead-letter queue, in
    /// declaration order.
    rules_by_dead_letter: IdMap<&'a str, Vec<&'a str>>,
    /// Per bucket, the buckets sending it their server access logs, in
    /// declaration order.
    access_log_sources: IdMap<&'a str, Vec<&'a str>>,
    /// Keys encrypting log groups CloudWatch Logs writes to.
    keys_for_logs: IdSet<&'a str>,
    /// Keys of buses, and of dead-letter queues EventBridge writes to.
    keys_for_events: IdSet<&'a str>,
    /// Keys of topics CloudWatch alarms publish to.
    keys_for_alarms: IdSet<&'a str>,
    /// The topic EventBridge tells about drift.
    drift_topic: Option<&'a str>,
    /// Per queue, the topics it subscribes to (in some profile).
    queue_subscriptions: IdMap<&'a str, Vec<&'a str>>,
    /// Keys of queues subscribed to a topic: SNS encrypts what it delivers.
    keys_for_subscriptions: IdSet<&'a str>,
}

impl<'a> Index<'a> {
    pub fn new(platform: &'a Platform) -> Self {
        let mut index = Index {
            by_name: platform
                .resources
                .iter()
                .map(|r| (r.name.as_str(), r))
                .collect(),
            ..Index::default()
        };
        for r in &platform.resources {
            let name = r.name.as_str();
            match &r.spec {
                Spec::Rule(rule) => {
                    for target in &rule.targets {
                        match target {
                            TargetRef::Function(f) => index.rule_target_functions.insert(f),
                            TargetRef::LogGroup(g) => index.rule_target_log_groups.insert(g),
                        };
                    }
                    index
                        .rules_by_dead_letter
                        .entry(rule.dead_letter.as_str())
                        .or_default()
                        .push(name);
                    // The dead-man alarm of its function targets.
                    if let Some(topic) = &rule.notify {
                        index.alarm_topics.insert(topic);
                    }
                }
                Spec::Topic(topic) => {
                    for queue in sqs_subscribers(&topic.subscribers) {
                        let topics = index.queue_subscriptions.entry(queue).or_default();
                        if !topics.contains(&name) {
                            topics.push(name);
                        }
                    }
                }
                Spec::Api(api) => {
                    index
                        .routed_functions
                        .extend(api.routes.iter().map(|route| route.function.as_str()));
                    index.keys_for_logs.insert(&api.key);
                }
                Spec::Alarm(alarm) => {
                    index.alarm_topics.insert(&alarm.notify);
                }
                Spec::Bucket(b) => {
                    if let Some(target) = &b.access_logs {
                        index
                            .access_log_sources
                            .entry(target.as_str())
                            .or_default()
                            .push(name);
                    }
                }
                Spec::Function(f) => {
                    index.keys_for_logs.insert(&f.log_key);
                }
                Spec::Network(n) => {
                    index.keys_for_logs.insert(&n.key);
                }
                Spec::Aurora(a) => {
                    index.keys_for_logs.insert(&a.log_key);
                }
                Spec::LogGroup(l) => {
                    index.keys_for_logs.insert(&l.key);
                }
                Spec::Bus(b) => {
                    index.keys_for_events.insert(&b.key);
                }
                _ => {}
            }
        }
        if let Some(drift) = &platform.drift_check {
            index.drift_topic = Some(&drift.notify);
            if let Some(Spec::Topic(t)) = index.by_name.get(drift.notify.as_str()).map(|r| &r.spec)
            {
                index.keys_for_events.insert(&t.key);
            }
        }
        // Second pass: these need the targets resolved by name.
        for r in &platform.resources {
            let (target, keys) = match &r.spec {
                Spec::Rule(rule) => (rule.dead_letter.as_str(), &mut index.keys_for_events),
                Spec::Alarm(alarm) => (alarm.notify.as_str(), &mut index.keys_for_alarms),
                _ => continue,
            };
            let key = match index.by_name.get(target).map(|t| &t.spec) {
                Some(Spec::Queue(q)) => q.key.as_str(),
                Some(Spec::Topic(t)) => t.key.as_str(),
                _ => continue,
            };
            keys.insert(key);
        }
        for r in &platform.resources {
            if let Spec::Rule(rule) = &r.spec
                && let Some(Spec::Topic(t)) = rule
                    .notify
                    .as_deref()
                    .and_then(|topic| index.by_name.get(topic))
                    .map(|t| &t.spec)
            {
                index.keys_for_alarms.insert(&t.key);
            }
        }
        for queue in index.queue_subscriptions.keys() {
            if let Some(Spec::Queue(q)) = index.by_name.get(queue).map(|q| &q.spec) {
                index.keys_for_subscriptions.insert(&q.key);
            }
        }
        index
    }

    /// The topics `queue` subscribes to, in declaration order.
    pub fn topics_subscribed_by(&self, queue: &str) -> &[&'a str] {
        self.queue_subscriptions
            .get(queue)
            .map_or(&[], Vec::as_slice)
    }

    /// The declared resource called `name`.
    pub fn resource(&self, name: &str) -> Option<&'a Resource> {
        self.by_name.get(name).copied()
    }

    pub fn is_rule_target_function(&self, name: &str) -> bool {
        self.rule_target_functions.contains(name)
    }

    pub fn is_rule_target_log_group(&self, name: &str) -> bool {
        self.rule_target_log_groups.contains(name)
    }

    pub fn is_routed_function(&self, name: &str) -> bool {
        self.routed_functions.contains(name)
    }

    pub fn is_drift_topic(&self, name: &str) -> bool {
        self.drift_topic == Some(name)
    }

    pub fn is_alarm_topic(&self, name: &str) -> bool {
        self.alarm_topics.contains(name)
    }

    pub fn rules_with_dead_letter(&self, queue: &str) -> &[&'a str] {
        self.rules_by_dead_letter
            .get(queue)
            .map_or(&[], Vec::as_slice)
    }

    pub fn access_log_sources(&self, bucket: &str) -> &[&'a str] {
        self.access_log_sources
            .get(bucket)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `service` (`logs`, `events`, `cloudwatch`, `sns`) writes, on its own
    /// behalf, to something `key` encrypts.
    pub fn key_used_by(&self, key: &str, service: &str) -> bool {
        match service {
            "logs" => self.keys_for_logs.contains(key),
            "events" => self.keys_for_events.contains(key),
            "cloudwatch" => self.keys_for_alarms.contains(key),
            "sns" => self.keys_for_subscriptions.contains(key),
            _ => false,
        }
    }
}

/// The queues among `subscribers`, in any profile.
fn sqs_subscribers(subscribers: &PerProfile<Vec<Subscriber>>) -> Vec<&str> {
    let lists: Vec<&Vec<Subscriber>> = match subscribers {
        PerProfile::Same(list) => vec![list],
        PerProfile::ByProfile(values) => values.iter().map(|(_, list)| list).collect(),
    };
    lists
        .into_iter()
        .flatten()
        .filter_map(|subscriber| match subscriber {
            Subscriber::Sqs { queue, .. } => Some(queue.as_str()),
            _ => None,
        })
        .collect()
}
