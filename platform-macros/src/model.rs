//! The resolved model: declarations by name, and every reference one
//! declaration makes to another together with the slot it sits in, so that
//! the checks can ask "what does this name point at, and what must it be?".

use std::collections::BTreeMap;

use platform_core::catalog::Kind;
use platform_core::naming;
use syn::{Ident, LitStr};

use crate::ast::{
    AttrRef, BackupBlock, Block, Body, Definition, GenericBlock, OverrideBlock, PerProfile,
    PipelineBlock, PlatformBlock, RawResource, ResourceBlock, Value, kw,
};

/// The DSL's defaults for optional fields.
pub mod defaults {
    /// `rotation: on`.
    pub const KEY_ROTATION: bool = true;
    /// Every log retention's default: a year, the least
    /// `log-retention-prod` accepts in production.
    pub const LOG_DAYS: u32 = 365;
    /// `pending_window: 30d`, the longest window KMS allows: a key deleted
    /// by mistake (its stack destroyed) can be recovered for a month.
    pub const KEY_PENDING_WINDOW_DAYS: u32 = 30;
    /// `visibility: 30s`, SQS's own default.
    pub const QUEUE_VISIBILITY_SECS: u32 = 30;
    /// `retention: 4d`, SQS's own default.
    pub const QUEUE_RETENTION_SECS: u32 = 4 * 86_400;
    /// `noncurrent: 30d`.
    pub const BUCKET_NONCURRENT_DAYS: u32 = 30;
    /// `handler: "index.handler"`.
    pub const FUNCTION_HANDLER: &str = "index.handler";
    /// `memory: 128`, Lambda's smallest size.
    pub const FUNCTION_MEMORY_MB: u32 = 128;
    /// `timeout: 3s`, Lambda's own default.
    pub const FUNCTION_TIMEOUT_SECS: u32 = 3;
    /// `logs: 365d`: a year, what PCI DSS 10.7 asks of audit logs
    /// (`log-retention-prod`); shorten it for the profiles before production.
    pub const FUNCTION_LOG_DAYS: u32 = LOG_DAYS;
    /// `trigger: QUEUE { batch: 10 }`, SQS event sources' own default.
    pub const TRIGGER_BATCH: u32 = 10;
    /// `trigger: QUEUE { window: 0s }`.
    pub const TRIGGER_WINDOW_SECS: u32 = 0;
    /// `async: { retries: 2 }`, Lambda's own default
    /// (`platform_core::spec::AsyncInvoke::DEFAULT`).
    pub const ASYNC_RETRIES: u32 = platform_core::spec::AsyncInvoke::DEFAULT.max_retries;
    /// `async: { max_age: 1h }` (`platform_core::spec::AsyncInvoke::DEFAULT`).
    pub const ASYNC_MAX_AGE_SECS: u32 =
        platform_core::spec::AsyncInvoke::DEFAULT.max_event_age_secs;
    /// `azs: 3`, as many as most regions have.
    pub const NETWORK_AZS: u32 = 3;
    /// `flow_logs: 365d`.
    pub const NETWORK_FLOW_LOG_DAYS: u32 = LOG_DAYS;
    /// `readers: 0`: a writer only.
    pub const AURORA_READERS: u32 = 0;
    /// `backup: 7d`.
    pub const AURORA_BACKUP_DAYS: u32 = 7;
    /// `logs: 365d`.
    pub const AURORA_LOG_DAYS: u32 = LOG_DAYS;
    /// `removal: snapshot`: removing a database keeps its data unless told not to.
    pub const AURORA_SNAPSHOT_ON_REMOVAL: bool = true;
    /// `stage: v1`.
    pub const API_STAGE: &str = "v1";
    /// `throttle: 10000 burst 5000`, API Gateway's own account-level limits.
    pub const API_THROTTLE_RATE: f64 = 10_000.0;
    pub const API_THROTTLE_BURST: u32 = 5_000;
    /// `logs: 365d`.
    pub const API_LOG_DAYS: u32 = LOG_DAYS;
    /// `waf: { rate: 2000 }`: requests per IP address per 5 minutes, about
    /// 7 a second, sustained.
    pub const WAF_RATE_LIMIT: u32 = 2_000;
    /// `retention: 365d`.
    pub const LOG_GROUP_RETENTION_DAYS: u32 = LOG_DAYS;
    /// `drift_check: { every: 24h }`.
    pub const DRIFT_CHECK_HOURS: u32 = 24;
    /// A pipeline's `logs: 365d`: it deploys production.
    pub const PIPELINE_LOG_DAYS: u32 = LOG_DAYS;
    /// `retries: 3`.
    pub const RULE_RETRIES: u32 = 3;
    /// `max_age: 1h`.
    pub const RULE_MAX_AGE_SECS: u32 = 3_600;
    /// `period: 60s`.
    pub const ALARM_PERIOD_SECS: u32 = 60;
    /// `evaluations: 1`; `datapoints:` defaults to `evaluations:`.
    pub const ALARM_EVALUATIONS: u32 = 1;
    /// `interval: 30s`, Route 53's standard interval.
    pub const HEALTH_CHECK_INTERVAL_SECS: u32 = 30;
    /// `threshold: 3`, Route 53's own default.
    pub const HEALTH_CHECK_THRESHOLD: u32 = 3;
}

/// The input, resolved.
#[derive(Clone)]
pub struct Model<'a> {
    /// Every `platform` block; exactly one is expected.
    pub platform_blocks: Vec<&'a PlatformBlock>,
    /// Every `pipeline` block; at most one is expected.
    pub pipeline_blocks: Vec<&'a PipelineBlock>,
    /// Every `backup` block.
    pub backup_blocks: Vec<&'a BackupBlock>,
    /// Every `resource NAME: "TYPE"` block.
    pub generic_blocks: Vec<&'a GenericBlock>,
    /// Every `override` block.
    pub override_blocks: Vec<&'a OverrideBlock>,
    /// Every resource block, in declaration order, duplicates included.
    pub resources: Vec<&'a ResourceBlock>,
    /// The first declaration of each name.
    by_name: BTreeMap<String, &'a ResourceBlock>,
    /// Every reference from one declaration to another.
    pub references: Vec<Reference<'a>>,
    /// Every `profile(...)` value.
    pub per_profile: Vec<ProfileValues<'a>>,
    /// The directory relative paths (a route's `body:`) are read from: the
    /// crate's, as for `include_str!`.
    pub manifest_dir: std::path::PathBuf,
    /// The declaration being resolved, which references are made from.
    current: Option<&'a Ident>,
}

/// A name used where a declared resource is expected.
#[derive(Clone)]
pub struct Reference<'a> {
    /// The declaration the reference is written in.
    pub from: &'a Ident,
    pub slot: Slot<'a>,
    /// The referenced name.
    pub target: &'a Ident,
    /// `sessions.name`, when the reference reads an attribute.
    pub attr: Option<&'a AttrRef>,
}

/// Where a reference is written, which decides the kinds it may name.
#[derive(Clone, Copy)]
pub enum Slot<'a> {
    /// `key: data`.
    Key,
    /// `dead_letter: events_dlq` (of a queue, a function or a rule).
    DeadLetter,
    /// `trigger: trade_orders`.
    Trigger,
    /// `env: { VAR: sessions.name }`.
    Env,
    /// `grants: { sessions: read_write }`, with the access levels.
    Grant { levels: &'a [Ident] },
    /// `statements: [allow "dynamodb:DescribeTable" on sessions]`.
    Statement,
    /// `parameter x { value: sessions.name }`.
    ParameterValue,
    /// `network: core` (of a function or an aurora cluster).
    Network,
    /// `cluster: trades` (of a db_user).
    Cluster,
    /// `GET "/health" => trade_api`.
    Route { method: &'a Ident, path: &'a LitStr },
    /// `notify: alerts`.
    Notify,
    /// `targets: [event_handler, audit_events]`.
    RuleTarget,
    /// `bus: trading_events`.
    Bus,
    /// `health_check x { api: trading }`.
    HealthCheckApi,
    /// `access_logs: access_logs`.
    AccessLogs,
    /// `log_key: logs`.
    LogKey,
    /// `metric: trading.latency_p99`, `metrics: [...]`, with the metric.
    Metric { metric: &'a Ident },
    /// `backup x { resources: [trades, sessions] }`.
    BackupResource,
    /// `subscribe: sqs alert_inbox`.
    Subscriber,
    /// `api x { zone: trading }`.
    Zone,
}

impl Slot<'_> {
    /// The kinds the slot accepts; empty when it accepts any.
    pub fn required_kinds(self) -> &'static [Kind] {
        match self {
            Slot::Key | Slot::LogKey => &[Kind::Key],
            Slot::DeadLetter | Slot::Trigger | Slot::Subscriber => &[Kind::Queue],
            Slot::Network => &[Kind::Network],
            Slot::Cluster => &[Kind::Aurora],
            Slot::Route { .. } => &[Kind::Function],
            Slot::Notify => &[Kind::Topic],
            Slot::RuleTarget => &[Kind::Function, Kind::LogGroup],
            Slot::Bus => &[Kind::Bus],
            Slot::HealthCheckApi => &[Kind::Api],
            Slot::AccessLogs => &[Kind::Bucket],
            Slot::BackupResource => &[Kind::Table, Kind::Aurora],
            Slot::Zone => &[Kind::Zone],
            Slot::Env
            | Slot::Grant { .. }
            | Slot::Statement
            | Slot::ParameterValue
            | Slot::Metric { .. } => &[],
        }
    }

    /// The reference as the user wrote it, for messages: `` `key: data` ``.
    pub fn written(self, target: &Ident) -> String {
        match self {
            Slot::Route { method, path } => {
                format!("`{method} {:?} => {target}`", path.value())
            }
            Slot::RuleTarget => format!("`targets: [{target}]`"),
            Slot::BackupResource => format!("`resources: [{target}]`"),
            Slot::Subscriber => format!("`subscribe: sqs {target}`"),
            Slot::Statement => format!("`on {target}`"),
            _ => format!("`{}: {target}`", self.field()),
        }
    }

    /// The field as the user wrote it.
    pub fn field(self) -> &'static str {
        match self {
            Slot::Key => "key",
            Slot::LogKey => "log_key",
            Slot::DeadLetter => "dead_letter",
            Slot::Trigger => "trigger",
            Slot::Env => "env",
            Slot::Grant { .. } => "grants",
            Slot::Statement => "statements",
            Slot::ParameterValue => "value",
            Slot::Network => "network",
            Slot::Cluster => "cluster",
            Slot::Route { .. } => "routes",
            Slot::Notify => "notify",
            Slot::RuleTarget => "targets",
            Slot::Bus => "bus",
            Slot::HealthCheckApi => "api",
            Slot::AccessLogs => "access_logs",
            Slot::Metric { .. } => "metric",
            Slot::BackupResource => "resources",
            Slot::Subscriber => "subscribe",
            Slot::Zone => "zone",
        }
    }
}

/// `profile(dev: 4d, prod: 14d)`: the `profile` keyword and the profiles named.
#[derive(Clone)]
pub struct ProfileValues<'a> {
    pub keyword: &'a kw::profile,
    pub profiles: Vec<&'a Ident>,
}

impl<'a> Model<'a> {
    /// The model without the second and later declarations of a name, nor
    /// the references made from them: once `ref-duplicate` has said to
    /// rename such a block, what it declares is not checked as if it were
    /// the first (whose references resolve to the first anyway).
    pub fn without_redeclared(&self) -> Model<'a> {
        let mut model = self.clone();
        let redeclared: Vec<&Ident> = self
            .resources
            .iter()
            .filter(|r| {
                self.by_name
                    .get(&r.name.to_string())
                    .is_some_and(|first| !std::ptr::eq(*first, **r))
            })
            .map(|r| &r.name)
            .collect();
        if redeclared.is_empty() {
            return model;
        }
        model
            .resources
            .retain(|r| !redeclared.iter().any(|name| std::ptr::eq(*name, &r.name)));
        model.references.retain(|reference| {
            !redeclared
                .iter()
                .any(|name| std::ptr::eq(*name, reference.from))
        });
        model
    }

    pub fn resolve(definition: &'a Definition, manifest_dir: std::path::PathBuf) -> Self {
        let mut model = Model {
            platform_blocks: Vec::new(),
            pipeline_blocks: Vec::new(),
            backup_blocks: Vec::new(),
            generic_blocks: Vec::new(),
            override_blocks: Vec::new(),
            resources: Vec::new(),
            by_name: BTreeMap::new(),
            references: Vec::new(),
            per_profile: Vec::new(),
            manifest_dir,
            current: None,
        };
        for block in &definition.blocks {
            match block {
                Block::Platform(platform) => {
                    model.platform_blocks.push(platform);
                    model.add_per_profile(&platform.rollback_window);
                    model.add_per_profile(&platform.accounts);
                    model.add_per_profile(&platform.lambda_concurrency_quota);
                    if let Some(notify) = platform
                        .drift_check
                        .as_ref()
                        .and_then(|d| d.notify.as_ref())
                    {
                        model.current = Some(&platform.name);
                        model.refer(Slot::Notify, notify);
                    }
                }
                Block::Pipeline(pipeline) => {
                    model.pipeline_blocks.push(pipeline);
                    if let Some(notify) = &pipeline.notify {
                        model.current = Some(&pipeline.name);
                        model.refer(Slot::Notify, notify);
                    }
                }
                Block::Backup(backup) => {
                    model.backup_blocks.push(backup);
                    model.current = Some(&backup.name);
                    for resource in backup.resources() {
                        model.refer(Slot::BackupResource, resource);
                    }
                    model.add_per_profile(&backup.retention);
                }
                Block::Resource(resource) => model.add(resource),
                Block::Generic(generic) => model.generic_blocks.push(generic),
                Block::Override(block) => model.override_blocks.push(block),
            }
        }
        model
    }

    fn add(&mut self, resource: &'a ResourceBlock) {
        self.current = Some(&resource.name);
        self.resources.push(resource);
        self.by_name
            .entry(resource.name.to_string())
            .or_insert(resource);
        // `key: bootstrap` names the bootstrap's key, no declaration
        // (`backup-key` checks where it may be written).
        if let Some(key) = resource.body.key()
            && key != platform_core::spec::BOOTSTRAP_KEY
        {
            self.refer(Slot::Key, key);
        }
        if let Some(key) = resource.body.log_key() {
            self.refer(Slot::LogKey, key);
        }
        match &resource.body {
            Body::Key(_) | Body::Table(_) | Body::Bus(_) => {}
            Body::Topic(topic) => {
                for subscribers in topic.subscribe.iter().flat_map(PerProfile::values) {
                    for subscriber in &subscribers.items {
                        if let crate::ast::SubscriberDecl::Sqs { queue, .. } = subscriber {
                            self.refer(Slot::Subscriber, queue);
                        }
                    }
                }
                self.add_per_profile(&topic.subscribe);
            }
            Body::LogGroup(log_group) => self.add_per_profile(&log_group.retention),
            Body::Queue(queue) => {
                if let Some(dead_letter) = &queue.dead_letter {
                    self.refer(Slot::DeadLetter, &dead_letter.queue);
                }
                self.add_per_profile(&queue.visibility);
                self.add_per_profile(&queue.retention);
            }
            Body::Bucket(bucket) => {
                self.refer_opt(Slot::AccessLogs, &bucket.access_logs);
                self.add_per_profile(&bucket.expire);
                self.add_per_profile(&bucket.archive);
            }
            Body::Parameter(parameter) => {
                for value in parameter.value.iter().flat_map(PerProfile::values) {
                    self.add_value(Slot::ParameterValue, value);
                }
                self.add_per_profile(&parameter.value);
            }
            Body::Function(function) => {
                if let Some(trigger) = &function.trigger {
                    self.refer(Slot::Trigger, &trigger.queue);
                    self.add_per_profile(&trigger.batch);
                    self.add_per_profile(&trigger.window);
                    self.add_per_profile(&trigger.max_concurrency);
                }
                for (target, levels) in &function.grants {
                    self.refer(Slot::Grant { levels: &levels.0 }, target);
                }
                for (_, value) in &function.env {
                    self.add_value(Slot::Env, value);
                }
                for statement in function.statements.iter().flat_map(|list| &list.items) {
                    if let RawResource::Declared(target) = &statement.resource {
                        self.refer(Slot::Statement, target);
                    }
                }
                self.refer_opt(Slot::Network, &function.network);
                self.refer_opt(Slot::DeadLetter, &function.dead_letter);
                self.add_per_profile(&function.memory);
                self.add_per_profile(&function.timeout);
                self.add_per_profile(&function.logs);
                self.add_per_profile(&function.concurrency);
            }
            Body::Network(network) => {
                self.add_per_profile(&network.cidr);
                self.add_per_profile(&network.flow_logs);
            }
            Body::Aurora(aurora) => {
                self.refer_opt(Slot::Network, &aurora.network);
                self.add_per_profile(&aurora.capacity);
                self.add_per_profile(&aurora.backup);
                self.add_per_profile(&aurora.logs);
                self.add_per_profile(&aurora.removal);
            }
            Body::DbUser(user) => self.refer_opt(Slot::Cluster, &user.cluster),
            Body::Api(api) => {
                for route in api.routes() {
                    let slot = Slot::Route {
                        method: &route.method,
                        path: &route.path,
                    };
                    self.refer(slot, &route.function);
                    self.add_per_profile(&route.throttle);
                }
                self.add_per_profile(&api.throttle);
                self.add_per_profile(&api.logs);
                if let Some(waf) = &api.waf {
                    self.add_per_profile(&waf.rate);
                }
                self.refer_opt(Slot::Zone, &api.zone);
                self.add_per_profile(&api.domain);
            }
            Body::Zone(zone) => {
                self.add_per_profile(&zone.domain);
                self.add_per_profile(&zone.id);
                self.add_per_profile(&zone.existing);
            }
            Body::Rule(rule) => {
                self.refer_opt(Slot::Bus, &rule.bus);
                for target in rule.targets() {
                    self.refer(Slot::RuleTarget, target);
                }
                self.refer_opt(Slot::DeadLetter, &rule.dead_letter);
                self.refer_opt(Slot::Notify, &rule.notify);
            }
            Body::Alarm(alarm) => {
                if let Some(metric) = &alarm.metric {
                    self.refer(
                        Slot::Metric {
                            metric: &metric.metric,
                        },
                        &metric.resource,
                    );
                }
                self.refer_opt(Slot::Notify, &alarm.notify);
            }
            Body::HealthCheck(health_check) => {
                self.refer_opt(Slot::HealthCheckApi, &health_check.api);
            }
            Body::Dashboard(dashboard) => {
                let sections = dashboard
                    .sections
                    .iter()
                    .flat_map(|sections| &sections.entries)
                    .flat_map(|(_, list)| &list.items);
                for metric in dashboard
                    .metrics
                    .iter()
                    .flat_map(|list| &list.items)
                    .chain(sections)
                {
                    self.refer(
                        Slot::Metric {
                            metric: &metric.metric,
                        },
                        &metric.resource,
                    );
                }
            }
        }
    }

    fn refer_opt(&mut self, slot: Slot<'a>, target: &'a Option<Ident>) {
        if let Some(target) = target {
            self.refer(slot, target);
        }
    }

    fn refer(&mut self, slot: Slot<'a>, target: &'a Ident) {
        self.references.push(Reference {
            from: self
                .current
                .expect("references are made inside a declaration"),
            slot,
            target,
            attr: None,
        });
    }

    fn add_value(&mut self, slot: Slot<'a>, value: &'a Value) {
        if let Value::Attr(attr) = value {
            self.references.push(Reference {
                from: self
                    .current
                    .expect("references are made inside a declaration"),
                slot,
                target: &attr.resource,
                attr: Some(attr),
            });
        }
    }

    fn add_per_profile<T>(&mut self, value: &'a Option<PerProfile<T>>) {
        if let Some(PerProfile::ByProfile { keyword, values }) = value {
            let profiles = values.iter().map(|(profile, _)| profile).collect();
            self.per_profile.push(ProfileValues { keyword, profiles });
        }
    }

    /// The platform block, when there is one (the first, if repeated).
    pub fn platform(&self) -> Option<&'a PlatformBlock> {
        self.platform_blocks.first().copied()
    }

    /// The region identifiers the platform block declares (`us_east_1`),
    /// in order; empty when it declares none.
    pub fn declared_regions(&self) -> Vec<String> {
        self.platform()
            .and_then(|p| p.regions.as_ref())
            .into_iter()
            .flatten()
            .map(|r| r.to_string())
            .collect()
    }

    /// The pipeline block, when there is one (the first, if repeated).
    pub fn pipeline(&self) -> Option<&'a PipelineBlock> {
        self.pipeline_blocks.first().copied()
    }

    /// The first declaration called `name`.
    pub fn resource(&self, name: &Ident) -> Option<&'a ResourceBlock> {
        self.by_name.get(&name.to_string()).copied()
    }

    /// The declared names of the given kinds (all kinds when empty), for
    /// suggestions.
    pub fn names(&self, kinds: &[Kind]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for resource in &self.resources {
            let name = resource.name.to_string();
            if (kinds.is_empty() || kinds.contains(&resource.info.kind)) && !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// The declared profiles' names.
    pub fn profiles(&self) -> Vec<String> {
        let profiles = self
            .platform()
            .and_then(|platform| platform.profiles.as_ref());
        profiles
            .into_iter()
            .flatten()
            .map(Ident::to_string)
            .collect()
    }

    /// The codes of the declared regions that exist.
    pub fn region_codes(&self) -> Vec<&'static str> {
        let regions = self
            .platform()
            .and_then(|platform| platform.regions.as_ref());
        regions
            .into_iter()
            .flatten()
            .filter_map(|region| naming::region_code(&region.to_string()))
            .collect()
    }
}
