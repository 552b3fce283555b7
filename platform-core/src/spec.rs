//! The platform as declared: what `platform!` expands into.
//!
//! These types hold a definition that the macro has already checked. Synthesis
//! trusts them and does not re-validate; code that builds a [`Platform`] by
//! hand (benchmarks, tests) is responsible for the same rules, and
//! [`Platform::validate_references`] catches the dangling ones.

use crate::catalog::Kind;

/// A whole platform definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    /// The platform's name (`trading`), used in stack names and parameter paths.
    pub name: String,
    /// Region codes (`us-east-1`), in declaration order. The first is the primary.
    pub regions: Vec<String>,
    /// The longest suffix a deployment may use.
    pub suffix_max: usize,
    /// The platform's own tags, applied to every taggable resource.
    pub tags: Vec<(String, String)>,
    /// The declared profiles (`dev`, `staging`, `prod`); the first is the default.
    pub profiles: Vec<String>,
    /// Every declared resource, in declaration order.
    pub resources: Vec<Resource>,
    /// The promotion pipeline, when the platform declares one.
    pub pipeline: Option<PipelineSpec>,
    /// How long CloudFormation keeps watching the guard alarms after a
    /// deploy's last resource, rolling back if one fires (0: only while
    /// resources change). At most 180.
    pub rollback_window_minutes: PerProfile<u32>,
    /// Scheduled drift detection of every stack, alerting a topic.
    pub drift_check: Option<DriftCheck>,
    /// `accounts: profile(dev: "111111111111", ...)`: the AWS account each
    /// profile deploys into (12 digits). `None`: the caller's account.
    pub accounts: Option<PerProfile<String>>,
    /// `backup NAME { .. }` blocks: AWS Backup plans of each environment.
    pub backups: Vec<BackupSpec>,
    /// `resource NAME: "AWS::Service::Type" { .. }` blocks: CloudFormation
    /// resources of any type, checked against its schema at compile time.
    pub generic: Vec<GenericSpec>,
    /// `override NAME { "Part.Property.Path": value }` blocks: properties
    /// set on the resources tp generates for a declared resource.
    pub overrides: Vec<OverrideSpec>,
}

impl Platform {
    /// The production profiles: those the pipeline deploys after its last
    /// approval, or, without one, the last declared profile (as the macro's
    /// `account-separation` rule decides it).
    pub fn production_profiles(&self) -> Vec<&str> {
        let after_approval: Vec<&str> = self
            .pipeline
            .as_ref()
            .and_then(|p| {
                let approve = p
                    .stages
                    .iter()
                    .rposition(|s| matches!(s, PipelineStage::Approve))?;
                Some(
                    p.stages[approve + 1..]
                        .iter()
                        .filter_map(|s| match s {
                            PipelineStage::Deploy { profile } => Some(profile.as_str()),
                            PipelineStage::Approve => None,
                        })
                        .collect(),
                )
            })
            .unwrap_or_default();
        let production: Vec<&str> = self
            .profiles
            .iter()
            .map(String::as_str)
            .filter(|p| after_approval.contains(p))
            .collect();
        if production.is_empty() {
            self.profiles
                .last()
                .map(String::as_str)
                .into_iter()
                .collect()
        } else {
            production
        }
    }

    /// The account `profile` deploys into, when the definition names one.
    pub fn account(&self, profile: &str) -> Option<String> {
        self.accounts.as_ref().map(|a| a.get(profile))
    }

    /// The region whose stack holds an environment's global resources
    /// (Route 53 hosted zones and health checks, and the alarms on them):
    /// `us-east-1`, where Route 53 publishes its metrics, when the platform
    /// deploys there, else its first region. The other regions' stacks
    /// read what they need of it through [`crate::synth::Import`]s.
    pub fn global_region(&self) -> &str {
        self.regions
            .iter()
            .find(|r| r.as_str() == GLOBAL_METRICS_REGION)
            .or_else(|| self.regions.first())
            .map_or(GLOBAL_METRICS_REGION, String::as_str)
    }
}

/// Where Route 53 publishes health-check metrics, and so where alarms on
/// them must be created.
pub const GLOBAL_METRICS_REGION: &str = "us-east-1";

/// The key name a table or cluster gives as `key: bootstrap`: the data key
/// `tp bootstrap` owns in each account and region
/// ([`crate::accounts::RETAINED_DATA_KEY_ALIAS`]), which outlives every
/// environment, so their snapshots and backups stay restorable after the
/// environment is destroyed. No declared resource may take this name.
pub const BOOTSTRAP_KEY: &str = "bootstrap";

/// `backup nightly { resources: [trades, sessions], schedule: "cron(0 3 * * ? *)",
/// retention: profile(..), copy_to: region(..) }`: an AWS Backup plan of
/// each environment, with one rule, into the bootstrap-owned vault of its
/// account and region ([`crate::accounts::backup_vault_name`]), each
/// recovery point copied to the vault of another of the platform's regions.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSpec {
    /// The declared name (`nightly`).
    pub name: String,
    /// The declared tables and Aurora clusters it backs up.
    pub resources: Vec<String>,
    /// When a backup starts: an AWS Backup `cron(..)` expression (UTC).
    pub schedule: String,
    /// How long each recovery point (and each copy) is kept, days.
    pub retention_days: PerProfile<u32>,
    /// The region each region's recovery points are copied to.
    pub copy_to: PerRegion<String>,
}

/// `drift_check: { notify: alerts, every: 24h }`: AWS Config's managed rule
/// `CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK` on each region's stack, and
/// an EventBridge rule that publishes to `notify` when the stack drifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftCheck {
    /// The topic told about drift.
    pub notify: String,
    /// How often Config runs the check: 1, 3, 6, 12 or 24 hours.
    pub every_hours: u32,
}

/// `pipeline release { region: us_east_1, source: .., stages: [dev, staging, approve, prod] }`:
/// a CodePipeline (V2) in its own stack that deploys and verifies the
/// platform stage by stage, each stage with the suffix and profile named
/// after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSpec {
    /// The declared name (`release`).
    pub name: String,
    /// The region code the pipeline runs in (`us-east-1`).
    pub region: String,
    pub source: PipelineSource,
    /// In order; the last deploy stage is production, right after an approval.
    pub stages: Vec<PipelineStage>,
    /// Retention of the build logs, days.
    pub log_retention_days: u32,
    /// `account: "444444444444"`: the tooling account the pipeline runs in
    /// and whose roles each stage's account trusts. `None`: the caller's.
    pub account: Option<String>,
    /// `notify: alerts`: the declared topic the approval before production
    /// notifies (the pipeline's stack creates it as declared).
    pub notify: Option<String>,
}

/// Where the pipeline takes the platform's source from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineSource {
    /// A repository behind a CodeStar connection (GitHub, GitLab,
    /// Bitbucket); the connection's ARN is a deploy-time parameter.
    Repository { repository: String, branch: String },
    /// `source.zip` in a versioned bucket the pipeline stack creates.
    Bucket,
}

/// One stage of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineStage {
    /// `tp deploy` then `tp verify` with `--suffix` and `--profile` both
    /// this profile's name; a failed verify rolls the stage back.
    Deploy { profile: String },
    /// A manual approval.
    Approve,
}

/// One declared resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The declared name (`trade_orders`).
    pub name: String,
    pub spec: Spec,
}

/// The kind-specific part of a declaration.
// A function's spec is the largest by far; a platform holds tens of
// resources, built once, so boxing it would save nothing that matters and
// add a `Box` to every constructor and match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Key(KeySpec),
    Table(TableSpec),
    Queue(QueueSpec),
    Bucket(BucketSpec),
    Topic(TopicSpec),
    Parameter(ParameterSpec),
    Function(FunctionSpec),
    Network(NetworkSpec),
    Aurora(AuroraSpec),
    DbUser(DbUserSpec),
    Api(ApiSpec),
    Bus(BusSpec),
    Rule(RuleSpec),
    LogGroup(LogGroupSpec),
    Alarm(AlarmSpec),
    HealthCheck(HealthCheckSpec),
    Dashboard(DashboardSpec),
    Zone(ZoneSpec),
}

impl Spec {
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Key(_) => Kind::Key,
            Spec::Table(_) => Kind::Table,
            Spec::Queue(_) => Kind::Queue,
            Spec::Bucket(_) => Kind::Bucket,
            Spec::Topic(_) => Kind::Topic,
            Spec::Parameter(_) => Kind::Parameter,
            Spec::Function(_) => Kind::Function,
            Spec::Network(_) => Kind::Network,
            Spec::Aurora(_) => Kind::Aurora,
            Spec::DbUser(_) => Kind::DbUser,
            Spec::Api(_) => Kind::Api,
            Spec::Bus(_) => Kind::Bus,
            Spec::Rule(_) => Kind::Rule,
            Spec::LogGroup(_) => Kind::LogGroup,
            Spec::Alarm(_) => Kind::Alarm,
            Spec::HealthCheck(_) => Kind::HealthCheck,
            Spec::Dashboard(_) => Kind::Dashboard,
            Spec::Zone(_) => Kind::Zone,
        }
    }
}

/// A value that may differ per profile: `memory: profile(dev: 512, prod: 2048)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PerProfile<T> {
    /// The same value in every profile.
    Same(T),
    /// One value per declared profile; the macro checks every profile is covered.
    ByProfile(Vec<(String, T)>),
}

impl<T> PerProfile<T> {
    /// Every value written, whether one for all profiles or one per profile.
    pub fn values(&self) -> Vec<&T> {
        match self {
            PerProfile::Same(v) => vec![v],
            PerProfile::ByProfile(values) => values.iter().map(|(_, v)| v).collect(),
        }
    }
}

impl<T: Clone> PerProfile<T> {
    /// The value for `profile`. A profile the definition does not list falls
    /// back to the first listed value.
    pub fn get(&self, profile: &str) -> T {
        match self {
            PerProfile::Same(v) => v.clone(),
            PerProfile::ByProfile(values) => values
                .iter()
                .find(|(p, _)| p == profile)
                .or(values.first())
                .map(|(_, v)| v.clone())
                .expect("a per-profile value lists at least one profile"),
        }
    }
}

/// A reference to another resource's attribute: `sessions.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRef {
    pub resource: String,
    pub attribute: String,
}

impl AttrRef {
    pub fn new(resource: &str, attribute: &str) -> Self {
        AttrRef {
            resource: resource.to_owned(),
            attribute: attribute.to_owned(),
        }
    }
}

/// A value that is either a literal string or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    Literal(String),
    Attr(AttrRef),
}

/// `key data { rotation: on }`: a customer-managed KMS key with an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub description: String,
    /// Yearly automatic rotation. On by default.
    pub rotation: bool,
    /// Days before a scheduled deletion completes (7..=30; the DSL's
    /// default is 30).
    pub pending_window_days: u32,
}

/// Attribute type of a DynamoDB key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    String,
    Number,
    Binary,
}

impl KeyType {
    /// CloudFormation's `AttributeType` letter.
    pub fn letter(self) -> &'static str {
        match self {
            KeyType::String => "S",
            KeyType::Number => "N",
            KeyType::Binary => "B",
        }
    }
}

/// What a DynamoDB stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamView {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

impl StreamView {
    pub fn cfn(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }
}

/// `table sessions { partition: session_id: string, ... }`: an on-demand
/// table with point-in-time recovery and SSE under a customer key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub partition: (String, KeyType),
    pub sort: Option<(String, KeyType)>,
    /// Attribute holding the expiry time, enabling TTL.
    pub ttl: Option<String>,
    pub stream: Option<StreamView>,
    /// The declared key that encrypts the table.
    pub key: String,
}

/// Where a queue sends messages it failed to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub queue: String,
    pub max_receive_count: u32,
}

/// `queue trade_orders { visibility: 180s, dead_letter: dlq after 3, key: data }`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub visibility_timeout_secs: PerProfile<u32>,
    pub retention_secs: PerProfile<u32>,
    pub fifo: bool,
    pub dead_letter: Option<DeadLetter>,
    pub key: String,
}

/// `bucket audit_log { key: data, expire: profile(...), noncurrent: 30d }`.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    /// The declared key for SSE-KMS; `None` means SSE-S3, which S3 requires
    /// of a bucket receiving server access logs.
    pub key: Option<String>,
    /// The bucket that receives this bucket's server access logs.
    pub access_logs: Option<String>,
    /// Days after which current objects expire; `None` keeps them.
    pub expire_days: PerProfile<Option<u32>>,
    /// Days after which noncurrent versions are removed.
    pub noncurrent_days: u32,
    /// `archive: 2557d | profile(..)`: every object written is replicated
    /// to the account's write-once archive (`tp bootstrap`'s Object Lock
    /// bucket in COMPLIANCE mode), which keeps it at least this many days;
    /// `None`: not archived in that profile.
    pub archive_days: PerProfile<Option<u32>>,
}

/// `topic alerts { key: data }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub key: String,
    pub display_name: Option<String>,
    /// Whether the stack takes an email address (parameter
    /// `<LogicalId>Email`, empty by default) to subscribe to the topic.
    pub email_subscription: bool,
    /// `subscribe: ..`: the subscribers the definition declares, per profile.
    pub subscribers: PerProfile<Vec<Subscriber>>,
}

/// One subscriber of a topic: `email "a@example.com"`, `https "https://.."`,
/// `sqs QUEUE` or `sqs QUEUE raw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriber {
    /// An e-mail address; AWS mails it a confirmation link.
    Email(String),
    /// An HTTPS endpoint; AWS posts it a confirmation request.
    Https(String),
    /// A declared queue; `raw` delivers the message alone, without SNS's
    /// JSON envelope.
    Sqs { queue: String, raw: bool },
}

/// `parameter sessions_table { value: sessions.name }`: a String parameter.
/// `value: profile(dev: "1000", prod: "250000")` gives each profile its own
/// literal setting, which functions granted `read` look up at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSpec {
    pub value: PerProfile<ValueSource>,
    pub description: String,
}

/// A grant: `sessions: read_write`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub resource: String,
    pub access: String,
}

/// A raw policy statement: `allow ["dynamodb:DescribeTable"] on sessions`.
/// The macro has checked that each action exists, is not a wildcard, and
/// can be scoped to the resource it names (or only to `*`, for `on *`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyStatement {
    /// `service:Action`, exactly as the IAM tables spell them.
    pub actions: Vec<String>,
    pub resource: StatementResource,
}

/// What a raw statement is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementResource {
    /// `on *`: for actions without resource-level permissions.
    All,
    /// `on sessions`: the ARNs of the declared resource's IAM resource types
    /// the actions accept (`catalog::KindInfo::iam_resources`).
    Declared(String),
    /// `on "arn:${AWS::Partition}:cloudformation:..."`: a literal ARN;
    /// `${AWS::...}` pseudo parameters are substituted.
    Arn(String),
}

/// An SQS trigger: `trigger: trade_orders { batch: 10, max_concurrency: 4 }`.
/// Partial batch responses (`ReportBatchItemFailures`) are always on.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub queue: String,
    pub batch_size: PerProfile<u32>,
    pub max_batching_window_secs: PerProfile<u32>,
    /// The most concurrent invocations the event source mapping makes
    /// (`ScalingConfig.MaximumConcurrency`, 2 to 1000); `None` lets it scale
    /// to the function's concurrency. Below the function's reserved
    /// concurrency, the poller never receives messages it cannot hand to an
    /// invocation, so throttling does not count receives toward the queue's
    /// redrive.
    pub max_concurrency: PerProfile<Option<u32>>,
}

/// How Lambda retries an asynchronous invocation (an EventBridge rule's
/// delivery, `InvocationType: Event`): `async: { retries: 2, max_age: 1h }`,
/// synthesized as an `AWS::Lambda::EventInvokeConfig` on `$LATEST`. An event
/// that fails every retry, or waits longer than `max_event_age_secs`, goes
/// to the function's `dead_letter:` queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncInvoke {
    /// `MaximumRetryAttempts`: 0 to 2.
    pub max_retries: u32,
    /// `MaximumEventAgeInSeconds`: 60 to 21600.
    pub max_event_age_secs: u32,
}

impl AsyncInvoke {
    /// What a function invoked asynchronously without `async:` gets: Lambda's
    /// own 2 retries, but events dropped to the dead-letter queue after an
    /// hour rather than Lambda's 6 hours, so a throttled backlog surfaces
    /// within the hour its events are still worth processing.
    pub const DEFAULT: AsyncInvoke = AsyncInvoke {
        max_retries: 2,
        max_event_age_secs: 3_600,
    };
}

/// A directory whose files a function's asset holds under `prefix`: the
/// `"lib": "handlers/shared"` of `include: { "lib": "handlers/shared" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// Where the files go in the zip: relative, `/`-separated (`lib`).
    pub prefix: String,
    /// The directory, absolute.
    pub dir: String,
}

/// `function trade_processor { code: "handlers/trade-processor", ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// Directory of the handler code, absolute.
    pub code: String,
    /// Directories packaged into the function's asset beside `code`'s files,
    /// each under its prefix (`include: { "lib": "handlers/shared" }`).
    pub include: Vec<Include>,
    /// Glob patterns of zip paths left out of the asset (`exclude:
    /// ["node_modules/**/*.map"]`; see [`crate::exclude`]).
    pub exclude: Vec<String>,
    /// `file.export`, e.g. `index.handler`.
    pub handler: String,
    pub memory_mb: PerProfile<u32>,
    pub timeout_secs: PerProfile<u32>,
    pub log_retention_days: PerProfile<u32>,
    /// The declared key that encrypts the function's environment.
    pub key: String,
    /// The declared key that encrypts the function's log group (`log_key:`,
    /// or `key:` when not given).
    pub log_key: String,
    pub env: Vec<(String, ValueSource)>,
    pub grants: Vec<Grant>,
    /// Raw statements, for calls no access level covers.
    pub statements: Vec<PolicyStatement>,
    pub trigger: Option<Trigger>,
    /// The network whose private subnets the function runs in.
    pub network: Option<String>,
    /// Reserved concurrent executions; `None` leaves the account pool.
    pub reserved_concurrency: PerProfile<Option<u32>>,
    /// Queue for events of asynchronous invocations that failed every retry.
    pub dead_letter: Option<String>,
    /// `async: { .. }` as declared. A function that is a rule's target, has
    /// a `dead_letter:` or declares `async:` gets an
    /// `AWS::Lambda::EventInvokeConfig`, with [`AsyncInvoke::DEFAULT`] when
    /// this is `None`.
    pub async_invoke: Option<AsyncInvoke>,
    /// CloudWatch namespace the function may publish custom metrics to.
    pub metric_namespace: Option<String>,
    /// `run: after_deploy`: a deploy step (schema migrations) that `tp
    /// deploy` invokes once per deploy, after every region's stack is
    /// complete, rather than a request handler.
    pub run: Option<Run>,
}

/// When a function runs on its own, outside any request: `run: after_deploy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// `tp deploy` (and `tp promote`, `tp local up`) invokes the function
    /// synchronously once every stack is complete, with the payload
    /// `{"phase": "after_deploy", "stack": .., "region": ..}`, and fails
    /// the deploy if it fails.
    AfterDeploy,
}

impl Run {
    /// The `phase` of the invocation's payload, as written in the DSL.
    pub fn phase(self) -> &'static str {
        match self {
            Run::AfterDeploy => "after_deploy",
        }
    }
}

impl Platform {
    /// The resource called `name`.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }

    /// The names a resource refers to, each with where it does so. The
    /// bootstrap-owned key ([`BOOTSTRAP_KEY`]) is not a declared resource,
    /// so it is no reference.
    pub fn references(resource: &Resource) -> Vec<&str> {
        fn declared_key(key: &str) -> Option<&str> {
            (key != BOOTSTRAP_KEY).then_some(key)
        }
        let mut out: Vec<&str> = Vec::new();
        fn value(v: &ValueSource) -> Option<&str> {
            match v {
                ValueSource::Attr(a) => Some(a.resource.as_str()),
                ValueSource::Literal(_) => None,
            }
        }
        match &resource.spec {
            Spec::Key(_) => {}
            Spec::Table(t) => out.extend(declared_key(&t.key)),
            Spec::Queue(q) => {
                out.push(&q.key);
                if let Some(d) = &q.dead_letter {
                    out.push(&d.queue);
                }
            }
            Spec::Bucket(b) => {
                out.extend(b.key.as_deref());
                out.extend(b.access_logs.as_deref());
            }
            Spec::Topic(t) => out.push(&t.key),
            Spec::Parameter(p) => out.extend(p.value.values().into_iter().filter_map(value)),
            Spec::Function(f) => {
                out.push(&f.key);
                out.push(&f.log_key);
                out.extend(f.env.iter().filter_map(|(_, v)| value(v)));
                out.extend(f.grants.iter().map(|g| g.resource.as_str()));
                out.extend(f.statements.iter().filter_map(|s| match &s.resource {
                    StatementResource::Declared(name) => Some(name.as_str()),
                    StatementResource::All | StatementResource::Arn(_) => None,
                }));
                if let Some(t) = &f.trigger {
                    out.push(&t.queue);
                }
                out.extend(f.network.as_deref());
                out.extend(f.dead_letter.as_deref());
            }
            Spec::Network(n) => out.push(&n.key),
            Spec::Aurora(a) => {
                out.extend(declared_key(&a.key));
                out.push(&a.log_key);
                out.push(&a.network);
            }
            Spec::DbUser(u) => {
                out.push(&u.key);
                out.push(&u.cluster);
            }
            Spec::Api(a) => {
                out.push(&a.key);
                out.extend(a.routes.iter().map(|r| r.function.as_str()));
                out.extend(a.domain.iter().map(|d| d.zone.as_str()));
            }
            Spec::Bus(b) => out.push(&b.key),
            Spec::Rule(r) => {
                out.extend(r.bus.as_deref());
                out.push(&r.dead_letter);
                out.extend(r.targets.iter().map(|t| match t {
                    TargetRef::Function(f) | TargetRef::LogGroup(f) => f.as_str(),
                }));
            }
            Spec::LogGroup(l) => out.push(&l.key),
            Spec::Alarm(a) => {
                out.push(&a.metric.resource);
                out.push(&a.notify);
            }
            Spec::HealthCheck(h) => out.push(&h.api),
            Spec::Dashboard(d) => out.extend(d.metrics.iter().map(|m| m.resource.as_str())),
            Spec::Zone(_) => {}
        }
        out
    }

    /// Every attribute reference (`sessions.name`) naming an attribute its
    /// kind lacks. The macro rejects these at compile time; this is for
    /// hand-built platforms.
    pub fn validate_attributes(&self) -> Result<(), String> {
        let by_name = self.by_name();
        for resource in &self.resources {
            let values: Vec<&ValueSource> = match &resource.spec {
                Spec::Parameter(p) => p.value.values(),
                Spec::Function(f) => f.env.iter().map(|(_, v)| v).collect(),
                _ => Vec::new(),
            };
            for value in values {
                if let ValueSource::Attr(a) = value {
                    let target = by_name
                        .get(a.resource.as_str())
                        .map(|r| r.spec.kind().info());
                    if let Some(info) = target
                        && info.attribute(&a.attribute).is_none()
                    {
                        return Err(format!(
                            "`{}` refers to `{}.{}`, but a {} has no attribute `{}`",
                            resource.name, a.resource, a.attribute, info.keyword, a.attribute
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every reference that names no declared resource, as `(from, to)`.
    /// The macro rejects these at compile time; this is for hand-built platforms.
    pub fn validate_references(&self) -> Result<(), Vec<(String, String)>> {
        let by_name = self.by_name();
        let dangling: Vec<(String, String)> = self
            .resources
            .iter()
            .flat_map(|r| {
                Self::references(r)
                    .into_iter()
                    .filter(|to| !by_name.contains_key(to))
                    .map(|to| (r.name.clone(), to.to_owned()))
            })
            .chain(
                self.drift_check
                    .iter()
                    .filter(|d| {
                        !matches!(
                            by_name.get(d.notify.as_str()).map(|r| &r.spec),
                            Some(Spec::Topic(_))
                        )
                    })
                    .map(|d| ("drift_check".to_owned(), d.notify.clone())),
            )
            .chain(self.backups.iter().flat_map(|b| {
                b.resources
                    .iter()
                    .filter(|r| {
                        !matches!(
                            by_name.get(r.as_str()).map(|r| &r.spec),
                            Some(Spec::Table(_) | Spec::Aurora(_))
                        )
                    })
                    .map(|r| (b.name.clone(), r.clone()))
            }))
            .collect();
        if dangling.is_empty() {
            Ok(())
        } else {
            Err(dangling)
        }
    }

    /// Every resource by name, for lookups that must not scan.
    fn by_name(&self) -> std::collections::HashMap<&str, &Resource> {
        self.resources
            .iter()
            .map(|r| (r.name.as_str(), r))
            .collect()
    }
}

/// A value that may differ per region: `cidr: region(us_east_1: "10.0.0.0/16", ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PerRegion<T>(pub Vec<(String, T)>);

impl<T> PerRegion<T> {
    /// The value for the region code `region`.
    pub fn get(&self, region: &str) -> Option<&T> {
        self.0.iter().find(|(r, _)| r == region).map(|(_, v)| v)
    }
}

/// `network core { cidr: region(...), azs: 3, endpoints: [...], flow_logs: 30d, key: data }`:
/// a VPC with public, private and isolated subnets in each AZ, no NAT
/// gateways, gateway and interface endpoints, and flow logs.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The VPC's IPv4 CIDR per profile and region, a /16: every
    /// environment's VPCs are distinct, so environments can be connected.
    pub cidr: PerProfile<PerRegion<String>>,
    /// Availability zones, 2 or 3.
    pub azs: u32,
    /// Endpoint services by short name (`s3`, `dynamodb`: gateway; others:
    /// interface), from [`crate::catalog::ENDPOINT_SERVICES`].
    pub endpoints: Vec<String>,
    /// Retention of the flow-log group, days.
    pub flow_log_retention_days: PerProfile<u32>,
    /// The declared key that encrypts the flow-log group.
    pub key: String,
    /// A public tier: subnets whose route table sends `0.0.0.0/0` to an
    /// internet gateway. Off unless declared (`public: on`): nothing the
    /// platform declares lives in it, and a route to the internet is one
    /// more way out.
    pub public: bool,
}

/// Aurora Serverless v2 capacity in ACUs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub min: f64,
    pub max: f64,
}

/// `aurora trades { engine: postgres "16.4", capacity: profile(...), readers: 1, network: core, ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuroraSpec {
    pub engine_version: String,
    pub database: String,
    pub capacity: PerProfile<Capacity>,
    /// Reader instances beside the writer, each in another AZ.
    pub readers: u32,
    pub network: String,
    pub backup_days: PerProfile<u32>,
    /// Encrypts the storage, the master secret and Performance Insights.
    pub key: String,
    /// Retention of the exported PostgreSQL logs, days.
    pub log_retention_days: PerProfile<u32>,
    /// Encrypts the log group the PostgreSQL logs are exported to.
    pub log_key: String,
    /// Whether removing or replacing the cluster keeps a final snapshot
    /// (`Snapshot` policies) rather than deleting it outright.
    pub snapshot_on_removal: PerProfile<bool>,
}

/// What a database user may do in the cluster's database (`database:`),
/// whose tables live in its `public` schema. The platform creates the
/// user's secret; the after-deploy migration, connected as the master user,
/// creates the role (`CREATE ROLE name LOGIN PASSWORD ..` from the secret,
/// `ALTER ROLE .. PASSWORD ..` when it exists) and applies these grants,
/// idempotently, on every deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbPrivileges {
    /// `dml`: `GRANT CONNECT ON DATABASE db`, `GRANT USAGE ON SCHEMA
    /// public`, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN
    /// SCHEMA public`, `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA
    /// public`, and the same as `ALTER DEFAULT PRIVILEGES FOR ROLE <owner>`
    /// for what the owner creates later. No `CREATE` on the schema or the
    /// database (`REVOKE CREATE ON SCHEMA public FROM PUBLIC`), no
    /// `TRUNCATE`, `REFERENCES` or `TRIGGER`: it cannot run DDL.
    Dml,
    /// `read_only`: `CONNECT` on the database, `USAGE` on the schema and
    /// `SELECT` on its tables (and by default privileges on future ones);
    /// nothing else.
    ReadOnly,
    /// `owner`: owns the schema (`ALTER SCHEMA public OWNER TO name`) and
    /// every table in it, so it runs the DDL. At most one per cluster, and
    /// only a `run: after_deploy` function connects as an owner.
    Owner,
}

impl DbPrivileges {
    /// The word in the DSL, and the user's `privileges` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            DbPrivileges::Dml => "dml",
            DbPrivileges::ReadOnly => "read_only",
            DbPrivileges::Owner => "owner",
        }
    }

    /// Every level, in the order the DSL documents them.
    pub const ALL: [DbPrivileges; 3] = [
        DbPrivileges::Dml,
        DbPrivileges::ReadOnly,
        DbPrivileges::Owner,
    ];
}

/// `db_user trading_app { cluster: trades, privileges: dml, key: data }`:
/// a PostgreSQL login role of an aurora cluster, named like the
/// declaration, whose password Secrets Manager generates and keeps in a
/// secret of its own (`{"username": .., "password": ..}`), encrypted with
/// the key. A function granted `connect` reads the secret and connects as
/// this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUserSpec {
    /// The aurora cluster the user belongs to.
    pub cluster: String,
    pub privileges: DbPrivileges,
    /// Encrypts the secret.
    pub key: String,
    /// Days between rotations of the password, per profile, when the
    /// secret rotates: by the one function granted `rotate` on this user.
    pub rotation_days: Option<PerProfile<u32>>,
}

/// Who may call an API route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone who can reach the API (health checks).
    None,
    /// SigV4-signed requests from principals allowed `execute-api:Invoke`.
    Iam,
}

/// `POST "/trades" => trade_api { auth: iam, body: "schemas/trade.json" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub method: String,
    /// Starts with `/`; segments are literal.
    pub path: String,
    pub function: String,
    pub auth: Auth,
    /// JSON schema (draft 4, as API Gateway models take) the body must match.
    pub body_schema: Option<String>,
    /// The route's own method throttle, instead of the stage's.
    pub throttle: Option<PerProfile<Throttle>>,
}

/// `waf: { rate: profile(..) }`: a regional WAFv2 web ACL on the stage,
/// allowing by default, with a per-IP rate-based rule and AWS's managed rule
/// groups (common threats, known bad inputs, IP reputation), each blocking
/// and with CloudWatch metrics, and its requests logged.
#[derive(Debug, Clone, PartialEq)]
pub struct WafSpec {
    /// The most requests one IP address may send in 5 minutes before the
    /// rate-based rule blocks it (WAFv2 takes 10 to 2,000,000,000).
    pub rate_limit: PerProfile<u32>,
}

/// Stage-wide or per-route throttling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate_per_sec: f64,
    pub burst: u32,
}

/// `api trading { stage: v1, throttle: profile(...), routes: { ... }, logs: 90d, key: data }`:
/// an API Gateway REST API with Lambda proxy integrations.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSpec {
    pub stage: String,
    pub routes: Vec<Route>,
    pub throttle: PerProfile<Throttle>,
    /// Retention of the access-log and execution-log groups, days.
    pub log_retention_days: PerProfile<u32>,
    /// Encrypts the access-log and execution-log groups (and the WAF's).
    pub key: String,
    /// The web ACL in front of the stage.
    pub waf: Option<WafSpec>,
    /// `domain: "..", zone: ZONE`: the API's custom domain, served by
    /// every region (latency-routed), each region also as
    /// `<region>.<domain>`.
    pub domain: Option<ApiDomain>,
}

/// `domain: profile(dev: "api.dev.example.com", ..), zone: trading`: an
/// API's custom domain name in a declared zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDomain {
    /// The domain, per profile; lowercase, and within the zone's domain.
    pub name: PerProfile<String>,
    /// The declared zone the domain's records and validation records go in.
    pub zone: String,
}

impl ApiDomain {
    /// The name one region serves on its own: `<region>.<domain>`, what
    /// its health check probes.
    pub fn regional(&self, profile: &str, region: &str) -> String {
        format!("{region}.{}", self.name.get(profile))
    }
}

/// `zone trading { domain: "trading.example.com" }`: a public Route 53
/// hosted zone, created by the environment's global stack, or an existing
/// one (`id: "Z.."` or `existing: true`) the platform only adds records to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    /// The zone's domain, per profile.
    pub domain: PerProfile<String>,
    /// Whether each profile's environments create the zone or use an
    /// existing one.
    pub source: PerProfile<ZoneSource>,
}

/// Where a zone comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneSource {
    /// Created (and deleted) with the environment, in its global stack;
    /// the parent zone must delegate to its name servers.
    Created,
    /// `id: "Z.."`: an existing zone, by id.
    Id(String),
    /// `existing: true`: an existing zone whose id `tp deploy` looks up by
    /// its domain.
    Lookup,
}

/// `bus trading_events { key: data }`: a custom EventBridge bus, encrypted
/// with a declared key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusSpec {
    pub description: String,
    /// The declared key that encrypts the bus's events, rules and targets
    /// (`KmsKeyIdentifier`).
    pub key: String,
}

/// Where a rule delivers events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRef {
    /// A declared function.
    Function(String),
    /// A declared log group.
    LogGroup(String),
}

/// `rule trade_events { bus: trading_events, pattern: {...}, targets: [...], dead_letter: events_dlq }`
/// or, with `schedule:` instead of `bus:`/`pattern:`, a scheduled rule on the
/// default bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    /// The bus; `None` for a schedule on the default bus.
    pub bus: Option<String>,
    /// EventBridge event pattern, as JSON.
    pub pattern: Option<String>,
    /// `rate(1 hour)`, `cron(...)`.
    pub schedule: Option<String>,
    pub targets: Vec<TargetRef>,
    /// Queue receiving events a target could not take after retries.
    pub dead_letter: String,
    pub max_retries: u32,
    pub max_event_age_secs: u32,
    /// `notify: TOPIC`: where the dead-man alarm of a scheduled rule's
    /// function targets reports that they stopped running.
    pub notify: Option<String>,
}

/// `log_group audit_events { retention: 365d, key: audit }`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupSpec {
    pub retention_days: PerProfile<u32>,
    pub key: String,
}

/// A metric of a declared resource: `trade_api.errors`, from the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricRef {
    pub resource: String,
    pub metric: String,
}

/// How an alarm compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    AtOrAbove,
    Below,
    AtOrBelow,
}

impl Comparison {
    pub fn cfn(self) -> &'static str {
        match self {
            Comparison::Above => "GreaterThanThreshold",
            Comparison::AtOrAbove => "GreaterThanOrEqualToThreshold",
            Comparison::Below => "LessThanThreshold",
            Comparison::AtOrBelow => "LessThanOrEqualToThreshold",
        }
    }
}

/// `alarm api_latency { metric: trading.latency_p99, above: 1000, period: 60s, evaluations: 5, notify: alerts, guard }`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub metric: MetricRef,
    pub comparison: Comparison,
    pub threshold: f64,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    /// The topic notified on ALARM and OK.
    pub notify: String,
    /// Whether a deploy rolls back when this alarm fires during it.
    pub guard: bool,
    pub description: String,
}

/// `health_check api_health { api: trading, path: "/health", interval: 30s, threshold: 3 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheckSpec {
    pub api: String,
    pub path: String,
    pub interval_secs: u32,
    pub failure_threshold: u32,
}

/// `dashboard operations { metrics: [trades.cpu, trade_api.errors, ...] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSpec {
    /// Metrics shown before any section.
    pub metrics: Vec<MetricRef>,
    /// `sections: { "Is trading up?": [..], .. }`: a text header, then its
    /// metrics, in declaration order. The dashboard ends with the status of
    /// every alarm of the stack.
    pub sections: Vec<DashboardSection>,
}

/// A titled group of metrics on a dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSection {
    pub title: String,
    pub metrics: Vec<MetricRef>,
}

/// `resource orders_archive: "AWS::Events::Archive" { SourceArn: orders.arn }`:
/// a CloudFormation resource of a type the DSL has no kind for. Its logical
/// id is the PascalCase name; it gets the platform's physical name in its
/// name property and the platform's tags where its type takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericSpec {
    /// The declared name (`orders_archive`).
    pub name: String,
    /// The CloudFormation type (`AWS::Events::Archive`).
    pub cfn_type: String,
    /// The short type used in its physical name (`archive`).
    pub short_type: String,
    /// The property the physical name goes in, when the type has one and
    /// the definition does not set it.
    pub name_property: Option<String>,
    /// The tag property and its style, when the type takes tags.
    pub tags: Option<(String, crate::catalog::TagStyle)>,
    /// The properties as written, sorted by name.
    pub properties: Vec<(String, GenericValue)>,
}

/// A property value of a `resource` block or an `override`.
#[derive(Debug, Clone, PartialEq)]
pub enum GenericValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<GenericValue>),
    Map(Vec<(String, GenericValue)>),
    /// `profile(dev: 7, prod: 365)`: one value per declared profile.
    ByProfile(Vec<(String, GenericValue)>),
    /// `orders.arn`: an attribute of a declared resource.
    Attr(AttrRef),
    /// `other.Arn`: a read-only attribute of another `resource` block
    /// (`Fn::GetAtt`), or its `Ref` when the attribute is `Ref`.
    GenericAttr {
        resource: String,
        attribute: String,
    },
}

/// `override trade_orders { "Queue.DelaySeconds": 5 }`: sets `path` (a
/// property path, dot-separated, below `Properties`) on the resource with
/// logical id `logical_id`, which tp generates for a declared resource.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideSpec {
    /// The declared resource (`trade_orders`).
    pub resource: String,
    /// The generated resource's logical id (`TradeOrdersQueue`).
    pub logical_id: String,
    /// The property path below `Properties` (`["RedrivePolicy", "maxReceiveCount"]`).
    pub path: Vec<String>,
    pub value: GenericValue,
}
