//! The `platform!` macro: a whole platform declared in one block, checked by
//! `cargo build`.
//!
//! `platform! { ... }` expands to one function,
//! `pub fn platform() -> ::platform_core::spec::Platform`, which the `tp` CLI
//! synthesizes into CloudFormation. Before it expands, the macro checks every
//! compile-time rule (unknown or mistyped references, names too long for AWS
//! once the suffix is appended, grants the target cannot have, ...) and
//! reports *all* violations at once, each on the offending token and ending
//! with its rule id (`[ref-unknown]`), which `docs/rules.md` explains.
//! Parse errors too: they name the field and block they are in and what the
//! grammar takes there (`grammar-syntax`), suggesting the closest keyword or
//! field (`point_in_time_recovery` suggests `pitr`); `profile(..)` is taken
//! only where the grammar below writes `per_profile(..)` (`grammar-profile`).
//! An error relating two declarations is reported at both. Values the
//! platform copies into CloudFormation properties (a function's `handler:`,
//! descriptions) meet those properties' registry-schema constraints
//! (`value-schema`).
//!
//! The kinds, their attributes, their access levels and their name limits
//! come from [`platform_core::catalog`]; region identifiers from
//! [`platform_core::naming::REGIONS`].
//!
//! # Grammar
//!
//! ```text
//! input      = block*                         // exactly one `platform` block
//! block      = "platform" NAME "{" fields "}"
//!            | "pipeline" NAME "{" fields "}" | "backup" NAME "{" fields "}"
//!            | "resource" NAME ":" STRING "{" properties "}" | "override" NAME "{" paths "}"
//!            | KIND NAME "{" fields "}"       // KIND: key table queue bucket topic parameter function
//!                                             //   network aurora api bus rule log_group alarm health_check dashboard
//!                                             //   zone
//! fields     = (field ("," field)* ","?)?     // any order, each field once
//! field      = FIELD ":" value | FLAG         // a flag (`guard`) stands alone
//! duration   = INTEGER ("s" | "m" | "h" | "d")                  // 180s, 5m, 1h, 14d
//! number     = "-"? (INTEGER | FLOAT)         // 80, 0.5, -1
//! list(v)    = "[" (v ("," v)* ","?)? "]"
//! per_profile(v) = v | "profile" "(" PROFILE ":" v ("," PROFILE ":" v)* ","? ")"
//! per_region(v)  = "region" "(" REGION ":" v ("," REGION ":" v)* ","? ")"
//! value      = STRING | NAME "." ATTRIBUTE   // "literal" or sessions.name
//! metric     = NAME "." METRIC               // trade_api.errors, from the catalog
//! ```
//!
//! Names are lowercase snake case (`trade_orders`); they become the
//! `purpose` in physical names `{type}-{purpose}-{region}-{suffix}`. Names
//! are unique across all kinds. Doc comments (`///`) on blocks are allowed;
//! `//` comments anywhere.
//!
//! Durations in seconds (`visibility`, `retention` of a queue, `timeout`,
//! `window`, `max_age`, `period`, `interval`) take any unit; durations in
//! days (`logs`, `flow_logs`, `backup`, `retention` of a log group,
//! `expire`, `noncurrent`, `pending_window`) must be whole days.
//!
//! A function's `timeout`, a queue's `visibility` and a trigger's `batch`
//! and `window` take `profile(..)` too; every rule relating them (a
//! triggering queue's visibility at least six times the function's timeout,
//! 29 s behind an API route, a batching window for batches above 10) holds
//! in each profile, and its error names the profile:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! queue orders {
//!     // prod's 300s covers six of prod's 45s timeouts; dev's 60s six of 10s.
//!     visibility: profile(dev: 60s, prod: 300s),
//!     dead_letter: orders_dlq after 5,
//!     key: data,
//! }
//! queue orders_dlq { retention: 14d, key: data }
//! function processor {
//!     code: "handlers/trade-processor",
//!     key: data,
//!     timeout: profile(dev: 10s, prod: 45s),
//!     trigger: orders,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! Every log retention (`logs`, `flow_logs`, a log group's `retention`)
//! takes `profile(..)`, and so does a bucket's `expire`. In production (the
//! profiles the pipeline deploys after its last `approve`, else the last
//! profile) each keeps its logs at least 365 days, as does a bucket that
//! receives server access logs (`log-retention-prod`); they default to
//! 365 days, and the profiles before production may keep less:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, staging, prod] }
//! key logs {}
//! log_group audit_events { retention: profile(dev: 30d, staging: 90d, prod: 365d), key: logs }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `platform`
//!
//! ```text
//! platform NAME {
//!     regions: [REGION, ...],           // required; us_east_1, eu_west_1, ...; the first is the primary
//!     suffix: max N,                    // required; every --suffix is 1..=N characters, N <= 32
//!     profiles: [PROFILE, ...],         // required; the first is the default
//!     tags: { KEY: "VALUE", ... },      // optional; applied to every taggable resource
//!     rollback_window: per_profile(DURATION),   // default 0m; whole minutes, at most 180m
//!     drift_check: { notify: TOPIC, every: DURATION },   // optional; every 1h, 3h, 6h, 12h or 24h (default)
//!     accounts: per_profile("ACCOUNT"),   // optional; the 12-digit AWS account each profile deploys into
//!     lambda_concurrency_quota: per_profile(N),   // default 1000, Lambda's; a quota raised by AWS Support
//! }
//! ```
//!
//! `lambda_concurrency_quota` is the account's concurrent executions quota
//! in each region: the functions' reserved `concurrency`, summed over the
//! profiles that share an account, leaves 100 of it unreserved, as Lambda
//! requires (`lambda-concurrency-quota`).
//!
//! `accounts` names the AWS account of each profile, as a string of 12
//! digits (`account-id`). Production has an account of its own
//! (`account-separation`): production is what the pipeline deploys after
//! its last `approve` stage, or, without a pipeline, the last declared
//! profile, and its account is no other profile's. So
//! `accounts: "111111111111"`, one account for all, suits a platform of one
//! profile only. Without `accounts`, each profile deploys into whichever
//! account the caller's credentials are for.
//!
//! `drift_check` adds AWS Config's managed rule
//! `CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK` to each region's stack
//! (it needs an AWS Config recorder in the account), and an EventBridge
//! rule that publishes to the topic when the stack drifts.
//!
//! `tp deploy` passes the alarms declared with `guard` to CloudFormation as
//! rollback triggers: if one fires while the stack updates, or within
//! `rollback_window` after, CloudFormation rolls the update back.
//!
//! ```
//! platform_macros::platform! {
//!     platform trading {
//!         regions: [us_east_1, us_west_2],
//!         suffix: max 12,
//!         profiles: [dev, staging, prod],
//!         tags: { Project: "trading-platform", Owner: "platform-team" },
//!         rollback_window: profile(dev: 5m, staging: 10m, prod: 15m),
//!         accounts: profile(dev: "111111111111", staging: "222222222222", prod: "333333333333"),
//!     }
//! }
//!
//! let platform = platform();
//! assert_eq!(platform.regions, ["us-east-1", "us-west-2"]);
//! assert_eq!(platform.profiles, ["dev", "staging", "prod"]);
//! assert_eq!(platform.account("prod").as_deref(), Some("333333333333"));
//! ```
//!
//! ## `key`: a customer-managed KMS key
//!
//! ```text
//! key NAME {
//!     description: "..",                // default "<name> key"
//!     rotation: on,                     // default on; `off` is refused (policy-encryption)
//!     pending_window: DAYS,             // default 30d: 7d to 30d before a scheduled deletion completes
//!     removal: delete,                  // default delete; `retain` is refused (policy-removal)
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! key data { description: "Data at rest", rotation: on, pending_window: 30d }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `table`: a DynamoDB table (on demand, point-in-time recovery, encrypted)
//!
//! ```text
//! table NAME {
//!     partition: ATTR: string | number | binary,   // required
//!     sort: ATTR: string | number | binary,        // optional
//!     ttl: ATTR,                                    // optional: enables TTL on ATTR
//!     stream: keys_only | new | old | new_and_old,  // optional
//!     key: KEY | bootstrap,                         // required: a declared key, or the bootstrap's (below)
//!     encryption: kms,                              // default kms; `none` is refused (policy-encryption)
//!     pitr: on,                                     // default on; `off` is refused (policy-pitr)
//!     removal: delete,                              // default delete; `retain` is refused (policy-removal)
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! table sessions {
//!     partition: session_id: string,
//!     sort: created_at: number,
//!     ttl: expires_at,
//!     stream: new_and_old,
//!     key: data,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `queue`: an SQS queue
//!
//! ```text
//! queue NAME {
//!     visibility: per_profile(DURATION),     // default 30s: at least 6 times a triggered function's timeout
//!     retention: per_profile(DURATION),      // default 4d
//!     dead_letter: QUEUE after N,            // a declared queue, after N (1 to 1000) receives, at least 5
//!                                            //   when the queue triggers a function (trigger-redrive);
//!                                            //   required unless the queue is itself a dead-letter queue
//!     fifo: true | false,                    // default false
//!     key: KEY,                              // required
//!     encryption: kms,                       // default kms; `none` is refused (policy-encryption)
//!     removal: delete,                       // default delete; `retain` is refused (policy-removal)
//! }
//! ```
//!
//! Every queue has a dead-letter queue or is the `dead_letter:` of a
//! queue, a function or a rule. A dead-letter queue keeps messages longer
//! than its source in every profile (or the 14 days SQS allows at most), and
//! is FIFO exactly when its source is; functions and rules send only to
//! standard queues.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, staging, prod] }
//! # key data {}
//! queue trade_orders {
//!     visibility: 180s,
//!     retention: profile(dev: 4d, staging: 10d, prod: 14d),
//!     dead_letter: trade_orders_dlq after 5,
//!     key: data,
//! }
//! queue trade_orders_dlq { retention: 14d, key: data }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `bucket`: an S3 bucket (versioned, encrypted, TLS only, no public access)
//!
//! ```text
//! bucket NAME {
//!     key: KEY,                                  // required, unless `encryption: s3_managed`
//!     encryption: kms | s3_managed,              // default kms (with `key:`)
//!     expire: per_profile(DAYS | never),         // default never
//!     noncurrent: DAYS,                          // default 30d: noncurrent versions are removed
//!     access_logs: BUCKET,                       // optional: where server access logs go
//!     archive: per_profile(DAYS),                // optional: replicate to the write-once archive, kept DAYS
//!     versioning: on,                            // default on; `off` is refused (policy-bucket)
//!     public: false,                             // default false; `true` is refused (policy-bucket)
//!     block_public_access: on,                   // default on; `off` is refused (policy-bucket)
//!     tls_only: on,                              // default on; `off` is refused (policy-bucket)
//!     removal: delete,                           // default delete; `retain` is refused (policy-removal)
//! }
//! ```
//!
//! S3 delivers server access logs only to buckets with S3-managed keys, so
//! the bucket `access_logs:` names has `encryption: s3_managed`, and only
//! such log buckets may have it.
//!
//! `archive:` makes the bucket's objects records: S3 replicates every new
//! object to the account's archive bucket that `tp bootstrap` creates
//! (`tp-audit-archive-ACCOUNT-REGION`, Object Lock in COMPLIANCE mode,
//! versioned, its own key), where nobody, not even the account's root, can
//! delete or overwrite one before its retention ends. The archive keeps
//! every record for the longest `archive:` of the profiles deployed into
//! the account; in production that is at least 2557 days, seven years
//! (SEC 17a-4(f), FINRA 4511: six; `archive-retention`). Deleting an
//! object in the bucket never reaches the archive (delete markers are not
//! replicated), so the bucket's own `expire:` may stay short. Its writers
//! are granted `append` (`s3:PutObject` only as a conditional write with
//! `If-None-Match: *`: no delete, no overwrite), never `write` or
//! `read_write` (`archive-append`).
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! bucket audit_log {
//!     key: data,
//!     expire: profile(dev: 30d, prod: never),
//!     noncurrent: 90d,
//!     access_logs: access_logs,
//!     archive: profile(dev: 30d, prod: 2557d),
//! }
//! bucket access_logs { encryption: s3_managed, expire: 365d }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `topic`: an SNS topic
//!
//! ```text
//! topic NAME {
//!     key: KEY,               // required
//!     display_name: "..",     // optional
//!     email_subscription,     // optional flag: subscribe the address given at deploy time
//!     encryption: kms,        // default kms; `none` is refused (policy-encryption)
//!     removal: delete,        // default delete; `retain` is refused (policy-removal)
//!     subscribe: SUBSCRIBERS | profile(PROFILE: SUBSCRIBERS, ..),
//!                             // required of a topic an alarm notifies, someone in
//!                             // every profile (topic-subscriber)
//! }
//! SUBSCRIBERS = SUBSCRIBER | [SUBSCRIBER, ...]      // `[]`: none
//! SUBSCRIBER  = email "ADDRESS"                     // subscriber-endpoint: one `@`, a dotted domain
//!             | https "URL"                         // https:// only, no credentials in the URL
//!             | sqs QUEUE | sqs QUEUE raw           // `raw`: the message without SNS's envelope
//! ```
//!
//! Each subscriber of the deploying profile is an `AWS::SNS::Subscription`.
//! A subscribed queue's policy lets SNS send to it from that topic only, and
//! its key lets SNS encrypt what it delivers. The deploy-time address of
//! `email_subscription` comes on top, and does not count as a subscriber.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # queue alert_archive { retention: 4d, dead_letter: alert_archive_dlq after 5, key: data }
//! # queue alert_archive_dlq { retention: 14d, key: data }
//! topic alerts {
//!     key: data,
//!     display_name: "Trading platform alerts",
//!     email_subscription,
//!     subscribe: profile(
//!         dev: email "dev-oncall@example.com",
//!         prod: [https "https://pager.example.com/hook", sqs alert_archive raw],
//!     ),
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `parameter`: an SSM String parameter at `/{platform}/{suffix}/{region}/{name}`
//!
//! ```text
//! parameter NAME {
//!     value: RESOURCE.ATTRIBUTE | "literal" | per_profile("literal"),  // required
//!     description: "..",                       // default: the name
//! }
//! ```
//!
//! A literal is stored as is: a setting the functions read at run time,
//! like a limit or a window, one value per profile (`ref-profile`: every
//! profile has one), each non-empty and at most 4096 bytes, SSM's standard
//! tier (`parameter-value`). A function reads it with a `read` grant
//! (`ssm:GetParameter`, `GetParameters`, `GetParameterHistory` on exactly
//! that parameter's ARN) and finds it by the
//! `name` attribute in its `env` (`iam-env-without-grant` refuses the name
//! without the grant). The type is `String`: CloudFormation cannot create a
//! `SecureString`, so secrets belong in a `db_user`'s secret, never here.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # table sessions { partition: id: string, key: data }
//! parameter sessions_table { value: sessions.name, description: "Sessions table name" }
//! parameter api_version { value: "v1" }
//! parameter max_order_quantity {
//!     value: profile(dev: "1000", prod: "250000"),
//!     description: "Largest quantity one order may ask for",
//! }
//! function trade_api {
//!     code: "handlers/trade-api",
//!     key: data,
//!     env: { MAX_ORDER_QUANTITY_PARAMETER: max_order_quantity.name },
//!     grants: { max_order_quantity: read },
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `function`: a Lambda function (Node.js) with its role and log group
//!
//! ```text
//! function NAME {
//!     code: "DIR",                             // required: relative to the crate's Cargo.toml; it and
//!                                              //   FILE.mjs (.js, .cjs) exist (function-code)
//!     include: { "PREFIX": "DIR", ... },       // optional: DIR's files zipped at PREFIX/ (function-include)
//!     exclude: ["PATTERN", ...],               // optional: zip paths left out: globs, `**` any depth (function-exclude)
//!     handler: "FILE.EXPORT",                  // default "index.handler"; FILE relative to DIR
//!     memory: per_profile(MB),                 // default 128
//!     timeout: per_profile(DURATION),          // default 3s: 1s to 900s, at most 29s behind an api route
//!     logs: per_profile(DAYS),                 // default 365d: log retention (log-retention-prod)
//!     key: KEY,                                // required: encrypts the environment
//!     log_key: KEY,                            // default `key`: encrypts the log group
//!     env: { VAR: RESOURCE.ATTRIBUTE | "literal", ... },   // no literal under a credential's name
//!                                              //   (DB_PASSWORD, API_KEY, ...: policy-env-secret)
//!     grants: { RESOURCE: ACCESS | [ACCESS, ...], ... },   // ACCESS from the target kind's levels
//!     trigger: QUEUE {                         // braces optional
//!         batch: per_profile(N),               //   default 10: 1 to 10000 (over 10 needs a window)
//!         window: per_profile(DURATION),       //   default 0s: up to 300s
//!         max_concurrency: per_profile(N),     //   2 to 1000 at once; with `concurrency:`, required
//!     },                                       //   and below it (trigger-concurrency)
//!     network: NETWORK,                        // optional: runs in the network's private subnets
//!     concurrency: per_profile(N),             // optional: reserved concurrent executions; summed per
//!                                              //   account within its quota (lambda-concurrency-quota)
//!     dead_letter: QUEUE,                      // optional: failed asynchronous invocations
//!     async: { retries: N, max_age: DURATION },  // default { retries: 2, max_age: 1h }: 0 to 2 retries,
//!                                              //   1m to 6h, for asynchronous invocations
//!     metrics: "NAMESPACE",                    // optional: may publish custom CloudWatch metrics there
//!     statements: [allow "SERVICE:Action" | ["..", ..] on RESOURCE | "ARN" | *, ...],   // optional: raw IAM
//!     run: after_deploy,                       // optional: a deploy step (below), not a request handler
//! }
//! ```
//!
//! The function's asset is a zip of every file under `code:`, plus, for each
//! `include:` entry, every file under its directory at its prefix: with
//! `code: "handlers/trade-api", include: { "lib": "handlers/shared" }`,
//! `handlers/shared/aws.mjs` ships as `lib/aws.mjs` and the handler imports
//! `./lib/aws.mjs`, so shared code is kept once in the tree. The whole
//! directory is included, not only what the handler imports. The directory
//! must exist and the prefix must be free in the function's own directory
//! (`function-include`).
//!
//! `exclude:` leaves out of the zip every file whose path there (the
//! `include:` prefix and all) matches one of its glob patterns, or lies
//! under a directory that does: `*` and `?` match within one name, `**`
//! any number of directories, `[..]` one character. `exclude:
//! ["node_modules/**/*.ts", "node_modules/**/*.map"]` drops a vendored
//! set's type declarations and source maps, which Node.js never loads;
//! packaging does not even list an excluded directory. A pattern must be a
//! valid glob of zip paths and must leave the handler file and every file
//! it imports relatively in the zip (`function-exclude`).
//!
//! `run: after_deploy` makes the function a deploy step, such as the schema
//! migration: `tp deploy` (and `tp promote`, and `tp local up` before it
//! reports ready), once every region's stack is complete, invokes each such
//! function synchronously, region by region and in declaration order, with
//! `{"phase": "after_deploy", "stack": STACK, "region": REGION}`, prints
//! what it returns, and fails with exit code 7 and its error if it throws
//! or times out (`--no-execute` skips it). It runs on every deploy, also
//! when nothing changed, so it must be idempotent. It has no `trigger:`, is
//! no rule's target and no route's function (`run-after-deploy`). The
//! synthesized stack lists it (`Stack::after_deploy`, the manifest's
//! `after_deploy`, the release record), so a promotion runs it too.
//!
//! A trigger is an SQS event source mapping (partial batch failures on).
//! Its poller receives a batch before it knows it may invoke the function
//! with it: beyond the function's reserved concurrency the invocation is
//! throttled, the batch goes back to the queue, and its receives count
//! toward the queue's redrive. So a function with `concurrency:` caps its
//! trigger with `max_concurrency:` (`ScalingConfig.MaximumConcurrency`)
//! below the reserved concurrency in every profile, and a trigger queue
//! redrives after at least 5 receives.
//!
//! A function invoked asynchronously (a rule's target, or one declaring
//! `dead_letter:` or `async:`) gets an `AWS::Lambda::EventInvokeConfig` on
//! `$LATEST` with explicit `MaximumRetryAttempts` (`retries`) and
//! `MaximumEventAgeInSeconds` (`max_age`); an event that fails every retry
//! or outlives `max_age` goes to its `dead_letter:` queue.
//!
//! A resource in `env` needs a grant (a trigger queue counts as `consume`,
//! the `dead_letter:` queue as `send`, a raw statement on it as whatever it
//! allows), except for network addresses, which no IAM call uses: an
//! aurora's `endpoint`, `reader_endpoint` and `port`, an api's `url`. A
//! function in a network reaches AWS services only through the
//! network's endpoints, so each service its grants and statements call
//! needs one.
//!
//! The grants must match the handler's code. The macro parses the handler
//! file (`handler:`'s FILE, `.mjs` or `.js`) and every file it imports
//! relatively, where the zip puts them (`./lib/db.mjs` is `include:`'s
//! `handlers/shared/db.mjs`), and finds each AWS SDK v3 command it sends:
//! `new XxxCommand(..)` of a class imported from `@aws-sdk/client-*` or
//! `@aws-sdk/lib-dynamodb` (or the class passed on, as a value), mapped to
//! its IAM action (`UpdateItemCommand` is `dynamodb:UpdateItem`; a
//! transaction needs each item's action). The environment variable its
//! request names (`TableName: env.SESSIONS_TABLE`, directly or through a
//! variable of the same file) is followed to `env`'s entry and its
//! resource, whose grant must allow the action (`grant-code`: a grant
//! narrowed to `read` while the code calls `UpdateItemCommand` fails every
//! request with AccessDenied); a request that names no variable needs the
//! action from some grant, `metrics:` or a statement. Every grant must
//! allow some command the code sends (`grant-unused`; levels of only
//! `rds-db:connect`, which the driver uses, are exempt, and so is a placeholder
//! handler that imports no `@aws-sdk/` package). Each file read is
//! included in the expansion, so editing a handler rebuilds the crate.
//!
//! ```compile_fail
//! # // The handler calls `UpdateItemCommand` on `SESSIONS_TABLE`.
//! platform_macros::platform! {
//!     platform trading { regions: [us_east_1], suffix: max 12, profiles: [dev] }
//!     key data {}
//!     table sessions { partition: session_id: string, key: data }
//!     function trade_processor {
//!         code: "../tests/ui/iam/handlers/sessions",
//!         key: data,
//!         env: { SESSIONS_TABLE: sessions.name },
//!         grants: { sessions: read }, // error: [grant-code], `write` or `read_write` needed
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! `statements` are for calls no access level covers. Each action must
//! exist in the IAM tables (no wildcards); `on RESOURCE` scopes it to the
//! ARNs of that resource's IAM resource types the action accepts (a table's
//! `dynamodb:Query` gets the table and its indexes), `on "arn:..."` to a
//! literal ARN of the action's service (`${AWS::Region}` and the other
//! pseudo parameters are substituted), and `on *` is only for actions IAM
//! cannot scope:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # table sessions { partition: id: string, key: data }
//! function auditor {
//!     code: "handlers/auditor",
//!     key: data,
//!     env: { SESSIONS_TABLE: sessions.name },
//!     statements: [
//!         allow ["dynamodb:DescribeTable", "dynamodb:Query"] on sessions,
//!         allow "cloudformation:DescribeStacks" on "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/trading-*/*",
//!         allow "xray:PutTraceSegments" on *,
//!     ],
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [dynamodb, kms], key: data }
//! # table sessions { partition: id: string, key: data }
//! # queue trade_orders { visibility: 180s, dead_letter: trade_orders_dlq after 5, key: data }
//! # queue trade_orders_dlq { retention: 14d, key: data }
//! function trade_processor {
//!     code: "handlers/trade-processor",
//!     memory: profile(dev: 512, prod: 2048),
//!     timeout: 30s,
//!     logs: profile(dev: 30d, prod: 365d),
//!     key: data,
//!     network: core,
//!     concurrency: profile(dev: 5, prod: 100),
//!     trigger: trade_orders { batch: 10, window: 0s, max_concurrency: profile(dev: 4, prod: 90) },
//!     env: { SESSIONS_TABLE: sessions.name, STAGE: "live" },
//!     grants: { sessions: read_write },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let Some(platform_core::spec::Spec::Function(f)) =
//! #         platform.resource("trade_processor").map(|r| &r.spec) else { panic!() };
//! #     assert_eq!(f.trigger.as_ref().unwrap().max_concurrency.get("prod"), Some(90));
//! # }
//! ```
//!
//! An hourly check that is not retried when it fails (the next run checks
//! again), whose events are dropped to its dead-letter queue after 10
//! minutes:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # queue events_dlq { retention: 14d, key: data }
//! function health_monitor {
//!     code: "handlers/health-monitor",
//!     key: data,
//!     dead_letter: events_dlq,
//!     async: { retries: 0, max_age: 10m },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let Some(platform_core::spec::Spec::Function(f)) =
//! #         platform.resource("health_monitor").map(|r| &r.spec) else { panic!() };
//! #     assert_eq!(f.async_invoke, Some(platform_core::spec::AsyncInvoke { max_retries: 0, max_event_age_secs: 600 }));
//! # }
//! ```
//!
//! ## `pipeline`: promotion from dev to production (its own stack)
//!
//! ```text
//! pipeline NAME {
//!     region: REGION,                                              // required: where it runs
//!     source: repository "OWNER/REPO" branch "BRANCH" | bucket,   // required
//!     stages: [PROFILE, ..., approve, PROFILE],                   // required
//!     logs: DAYS,                                                  // default 365d: build logs, at least 365d (log-retention-prod)
//!     account: "ACCOUNT",                                          // optional: the tooling account it runs in
//!     notify: TOPIC,                                               // optional: told when production awaits approval
//! }
//! ```
//!
//! A CodePipeline (V2) in its own stack (`tp synth --pipeline --suffix
//! cicd`): each stage runs `tp deploy` then `tp verify` in CodeBuild with
//! `--suffix` and `--profile` set to the stage's profile, and rolls back to
//! its last good artifact when verify fails. The last stage is production
//! and comes right after a manual `approve`. A `repository` source goes
//! through a CodeStar connection whose ARN is the stack's
//! `SourceConnectionArn` parameter; a `bucket` source starts the pipeline
//! when `source.zip` changes in the bucket the stack creates.
//!
//! `account:` is the tooling account the pipeline runs in, 12 digits
//! (`account-id`), and not production's (`account-separation`, checked
//! when the platform declares `accounts`). `notify:` names a declared
//! topic (`ref-unknown`, `ref-kind`), which the approval before production
//! notifies.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo {
//! #     regions: [us_east_1], suffix: max 8, profiles: [dev, staging, prod],
//! #     accounts: profile(dev: "111111111111", staging: "222222222222", prod: "333333333333"),
//! # }
//! # key data {}
//! topic approvals { key: data }
//! pipeline release {
//!     region: us_east_1,
//!     source: repository "acme/trading-platform" branch "main",
//!     stages: [dev, staging, approve, prod],
//!     logs: 365d,
//!     account: "444444444444",
//!     notify: approvals,
//! }
//! # }
//! # fn main() {
//! #     let pipeline = platform().pipeline.unwrap();
//! #     assert_eq!(pipeline.account.as_deref(), Some("444444444444"));
//! #     assert_eq!(pipeline.notify.as_deref(), Some("approvals"));
//! # }
//! ```
//!
//! ## `network`: a VPC without NAT gateways, reaching AWS through endpoints
//!
//! ```text
//! network NAME {
//!     cidr: per_profile(per_region("A.B.0.0/16")),   // required: one /16 per declared region
//!     azs: 2 | 3,                              // default 3: private and isolated subnets in each;
//!                                              //   at most what each declared region offers (network-azs)
//!     endpoints: [SERVICE, ...],               // s3 dynamodb sqs sns events ssm secretsmanager kms
//!                                              //   logs monitoring xray lambda execute_api
//!     flow_logs: per_profile(DAYS),            // default 365d: flow-log retention (log-retention-prod)
//!     key: KEY,                                // required: encrypts the flow-log group
//!     public: on | off,                        // default off: public subnets too, routed to an
//!                                              //   internet gateway
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1, us_west_2], suffix: max 8, profiles: [dev] }
//! # key data {}
//! network core {
//!     cidr: region(us_east_1: "10.0.0.0/16", us_west_2: "10.2.0.0/16"),
//!     azs: 3,
//!     endpoints: [s3, dynamodb, sqs, kms, logs],
//!     flow_logs: 365d,
//!     key: data,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! `cidr: region(...)` gives every profile the same ranges. Environments
//! that can be connected (peering, a transit gateway, a VPN) need ranges
//! of their own, one `region(...)` per profile:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1, us_west_2], suffix: max 8, profiles: [dev, staging, prod] }
//! # key data {}
//! network core {
//!     cidr: profile(
//!         dev: region(us_east_1: "10.0.0.0/16", us_west_2: "10.1.0.0/16"),
//!         staging: region(us_east_1: "10.10.0.0/16", us_west_2: "10.11.0.0/16"),
//!         prod: region(us_east_1: "10.20.0.0/16", us_west_2: "10.21.0.0/16"),
//!     ),
//!     key: data,
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Network(core) = &platform.resource("core").unwrap().spec else {
//! #         panic!("a network")
//! #     };
//! #     assert_eq!(core.cidr.get("prod").get("us-west-2").map(String::as_str), Some("10.21.0.0/16"));
//! # }
//! ```
//!
//! Each range is a /16 network address, each `region(...)` covers every
//! declared region, and no two VPCs overlap, whatever their network,
//! profile and region (`network-cidr`; the plain form counts once per
//! region).
//!
//! Attributes: `id`, `cidr`, and `default_security_group`, the group EC2
//! creates with the VPC allowing all traffic between its members and all
//! outbound. CloudFormation cannot change that group, so a deploy step
//! empties it: a `run: after_deploy` function granted
//! `close_default_security_group` on the network (exactly
//! `ec2:RevokeSecurityGroupIngress` and `ec2:RevokeSecurityGroupEgress` on
//! that one group), which the trading platform's `network_guard` is:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }
//! function network_guard {
//!     code: "handlers/network-guard",
//!     key: data,
//!     timeout: 30s,
//!     run: after_deploy,
//!     env: { SECURITY_GROUP_ID: core.default_security_group },
//!     grants: { core: close_default_security_group },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Function(guard) = &platform.resource("network_guard").unwrap().spec else {
//! #         panic!("a function")
//! #     };
//! #     assert_eq!(guard.grants[0].access, "close_default_security_group");
//! # }
//! ```
//!
//! Without `public: on` a network has no route to the internet at all: no
//! internet gateway, no `0.0.0.0/0` route, only its endpoints. `public: on`
//! adds a public subnet per AZ whose route table sends `0.0.0.0/0` to an
//! internet gateway, for what must be reachable from outside (nothing the
//! DSL places there today: functions run in the private subnets, clusters
//! in the isolated ones):
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! network edge { cidr: region(us_east_1: "10.0.0.0/16"), key: data, public: on }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Network(edge) = &platform.resource("edge").unwrap().spec else {
//! #         panic!("a network")
//! #     };
//! #     assert!(edge.public);
//! # }
//! ```
//!
//! ## `db_user`: a PostgreSQL role of an aurora cluster, with a secret of its own
//!
//! ```text
//! db_user NAME {                               // NAME is the role's name (db-user-name)
//!     cluster: AURORA,                         // required
//!     privileges: dml | read_only | owner,     // required
//!     key: KEY,                                // required: encrypts the secret
//!     rotation: 30d | profile(dev: 30d, ..),   // optional: days between rotations (db-user-rotation)
//! }
//! ```
//!
//! An `AWS::SecretsManager::Secret` (`dbuser-NAME-REGION-SUFFIX`) whose
//! password Secrets Manager generates at creation: `{"username": "NAME",
//! "password": ..}`, 32 letters and digits, encrypted with the key, tagged.
//! Attributes: `secret_arn`, `name` (the role's name) and
//! `privileges` (the word), both literals. Access level `connect`:
//! `secretsmanager:GetSecretValue` and `DescribeSecret` on the secret and
//! `kms:Decrypt`/`DescribeKey` on its key; `grants: { trading_app: connect }`
//! says the function connects as `trading_app`, and puts it in the
//! cluster's network (`db-user-network`).
//!
//! With `rotation:`, the password rotates every that many days (1 to 90:
//! AWS takes up to 1000, PCI DSS 8.3.9 asks for 90 at most), by the one
//! function granted `rotate` on the user (`db-user-rotation`), which runs
//! in the cluster's network and is invoked by Secrets Manager alone (no
//! trigger, rule or route): an `AWS::SecretsManager::RotationSchedule`
//! naming that function (`RotationRules.AutomaticallyAfterDays`; the first
//! rotation waits for the schedule, `RotateImmediatelyOnUpdate: false`,
//! since the role is created from the secret after the deploy) and an
//! `AWS::Lambda::Permission` letting `secretsmanager.amazonaws.com` invoke
//! it for this secret of this account alone. Access level `rotate`:
//! `DescribeSecret`, `GetSecretValue`, `PutSecretValue` and
//! `UpdateSecretVersionStage` on the secret, `kms:Decrypt`, `DescribeKey`
//! and `GenerateDataKey` on its key, and `secretsmanager:GetRandomPassword`
//! on `"*"` (it has no resource type). The function implements Secrets
//! Manager's four steps (`createSecret`, `setSecret`, `testSecret`,
//! `finishSecret`); the platform's, `handlers/db-rotation`, changes each
//! user's password as that user, so it holds no master credentials.
//!
//! The platform creates the secret; the cluster's `run: after_deploy`
//! migration, connected as the master user (`read_secret` on the aurora),
//! creates or updates the role from it and grants, in the cluster's
//! database and its `public` schema: `dml` = `CONNECT` on the database,
//! `USAGE` on the schema, `SELECT, INSERT, UPDATE, DELETE` on its tables
//! and `USAGE, SELECT` on its sequences (and as default privileges for
//! what the owner creates), no `CREATE` anywhere; `read_only` = `CONNECT`,
//! `USAGE` and `SELECT` only; `owner` = owns the schema and its tables,
//! runs the DDL. One owner per cluster, and only a `run: after_deploy`
//! function connects as the owner or reads the master secret of a cluster
//! that declares users (`db-user-role`).
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
//! # aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
//! db_user trading_app { cluster: trades, privileges: dml, key: data }
//! db_user trading_owner { cluster: trades, privileges: owner, key: data }
//! function migrate {
//!     code: "handlers/migrate",
//!     key: data,
//!     network: core,
//!     timeout: 300s,
//!     run: after_deploy,
//!     env: { APP_SECRET_ARN: trading_app.secret_arn, OWNER_SECRET_ARN: trading_owner.secret_arn,
//!            MASTER_SECRET_ARN: trades.secret_arn },
//!     grants: { trades: read_secret, trading_app: connect, trading_owner: connect },
//! }
//! function trade_processor {
//!     code: "handlers/trade-processor",
//!     key: data,
//!     network: core,
//!     env: { DB_SECRET_ARN: trading_app.secret_arn },
//!     grants: { trading_app: connect },
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! A password that rotates every 30 days in production and weekly in dev,
//! by `db_rotation`:
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
//! # aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
//! db_user trading_app {
//!     cluster: trades,
//!     privileges: dml,
//!     key: data,
//!     rotation: profile(dev: 7d, prod: 30d),
//! }
//! function db_rotation {
//!     code: "handlers/db-rotation",
//!     key: data,
//!     network: core,
//!     env: { DB_ENDPOINT: trades.endpoint, DB_PORT: trades.port },
//!     grants: { trading_app: rotate },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::DbUser(user) = &platform.resource("trading_app").unwrap().spec else {
//! #         panic!("a db_user")
//! #     };
//! #     assert_eq!(user.rotation_days.as_ref().map(|d| d.get("prod")), Some(30));
//! # }
//! ```
//!
//! ## `aurora`: an Aurora PostgreSQL Serverless v2 cluster in a network's isolated subnets
//!
//! ```text
//! aurora NAME {
//!     engine: postgres "VERSION",              // required
//!     database: "NAME",                        // default: the cluster's name
//!     capacity: per_profile(MIN..=MAX),        // required: ACUs, 0 to 256 in steps of 0.5
//!     readers: N,                              // default 0: readers beside the writer
//!     network: NETWORK,                        // required
//!     backup: per_profile(DAYS),               // default 7d: 1d to 35d
//!     logs: per_profile(DAYS),                 // default 365d: PostgreSQL log retention (log-retention-prod)
//!     key: KEY | bootstrap,                    // required: storage, master secret, Performance Insights
//!     log_key: KEY,                            // default `key` (required with `key: bootstrap`): the exported logs
//!     removal: per_profile(delete | snapshot), // default snapshot: what removing it keeps
//!                                              //   (`retain` is refused: policy-removal)
//!     deletion_protection: off,                // default off; `on` is refused (policy-removal)
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # key logs {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16"), key: logs }
//! aurora trades {
//!     engine: postgres "16.10",
//!     database: "trading",
//!     capacity: profile(dev: 0.5..=2, prod: 2..=16),
//!     readers: 1,
//!     network: core,
//!     backup: 7d,
//!     logs: profile(dev: 30d, prod: 365d),
//!     key: data,
//!     log_key: logs,
//!     removal: profile(dev: delete, prod: snapshot),
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `backup`: an AWS Backup plan of each environment, into the bootstrap's vault
//!
//! ```text
//! backup NAME {
//!     resources: [TABLE | AURORA, ...],          // required: at least one (ref-kind)
//!     schedule: "cron(M H DOM MON DOW YEAR)",    // required: UTC, at most hourly (backup-schedule)
//!     retention: per_profile(DAYS),              // required: production at least 35d (backup-retention-prod)
//!     copy_to: per_region(REGION),               // required: every platform region, another one (backup-copy-region)
//! }
//! ```
//!
//! Each environment gets, per region, the plan `backup-{name}-{region}-{suffix}`
//! with one rule into the vault `tp bootstrap` owns in the account and
//! region (`tp-backup-{region}`, under a key of its own, locked in
//! compliance mode where production deploys), each recovery point copied
//! to the vault of the region `copy_to:` names and kept as long there; a
//! selection of the resources; and the role AWS Backup takes them with,
//! allowed the backup and copy calls on exactly those resources, their
//! keys and the two vaults.
//!
//! A snapshot is encrypted with its source's key, and an environment's own
//! keys are deleted with its stack: what a backup selects is encrypted with
//! `key: bootstrap`, the data key `tp bootstrap` owns in each account and
//! region, which outlives every environment, so recovery points and a
//! cluster's final snapshot stay restorable after `tp destroy`
//! (`backup-key`). A cluster with it names a `log_key:` of its own.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1, us_west_2], suffix: max 8, profiles: [dev, prod] }
//! # key logs {}
//! # network core { cidr: region(us_east_1: "10.0.0.0/16", us_west_2: "10.1.0.0/16"), key: logs }
//! aurora trades {
//!     engine: postgres "16.10",
//!     capacity: 0.5..=2,
//!     network: core,
//!     key: bootstrap,
//!     log_key: logs,
//! }
//! table sessions { partition: session_id: string, key: bootstrap }
//! backup nightly {
//!     resources: [trades, sessions],
//!     schedule: "cron(0 3 * * ? *)",
//!     retention: profile(dev: 7d, prod: 35d),
//!     copy_to: region(us_east_1: us_west_2, us_west_2: us_east_1),
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `resource`: a CloudFormation resource of any type
//!
//! ```text
//! resource NAME: "AWS::Service::Type" {
//!     Property: gvalue, ...                      // the type's writable properties (resource-property)
//! }
//! gvalue = STRING | number | true | false | "[" gvalue, .. "]"
//!        | "{" (NAME | STRING) ":" gvalue, .. "}"
//!        | "profile" "(" PROFILE ":" gvalue, .. ")"
//!        | NAME "." ATTRIBUTE ("." ATTRIBUTE)*   // a declared resource's attribute (`bus.arn`),
//!                                                // or another resource block's read-only one (`archive.Arn`, `Ref`)
//! ```
//!
//! For what the DSL has no kind for. The block is checked at compile time
//! against the type's CloudFormation registry schema (pinned: the schemas
//! bundled with the cfn-lint `tests/requirements.txt` pins, compacted into
//! `platform-core/src/cfn_schemas.txt` by `scripts/gen-cfn-schemas.py`):
//! the type exists (`resource-type`), each property is one it has
//! (`resource-property`, with did-you-mean), required ones are given
//! (`resource-required`), each value has its property's type, enum,
//! length, range and pattern, in every profile (`resource-value`), and a
//! reference reads an attribute that exists (`ref-attribute`,
//! `resource-attribute`). Its logical id is the name in PascalCase
//! (`trade_replay`: `TradeReplay`). Where the type has a name property
//! (`ArchiveName`, `QueueName`, `Name`) the block does not set, it gets
//! the platform's name `{type}-{purpose}-{region}-{suffix}` with `{type}`
//! the type's last part in lowercase (`archive-trade-replay-us-east-1-dev`),
//! checked against the property's maximum length (`name-length`); where
//! the type takes `Tags`, the platform's tags. It is drawn in `tp graph`
//! with an arrow per reference, and `tp diff` knows from the schema which
//! property changes replace it.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! bus orders { key: data }
//! resource replay: "AWS::Events::Archive" {
//!     SourceArn: orders.arn,
//!     RetentionDays: profile(dev: 7, prod: 365),
//!     EventPattern: { source: ["trading.processor"] },
//! }
//! resource replay_name: "AWS::SSM::Parameter" { Type: "String", Value: replay.Ref }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `override`: a property of a resource tp generates
//!
//! ```text
//! override NAME { "PART.Property.Path": gvalue, ... }
//! ```
//!
//! Sets a property (a dot-separated path below `Properties`, through
//! nested objects) on a resource tp generates for the declared resource
//! `NAME`, as CDK's `addPropertyOverride` does; the value is checked
//! against that resource type's schema like a `resource` block's
//! (`override-path`, `resource-value`). PART is the generated resource's
//! logical id after the PascalCase name: the kind's own suffix for its
//! primary resource (`Queue`, `Function`, `Table`, `Bus`, ...), or one of
//! the other parts `platform_core::catalog::GENERATED_PARTS` lists
//! (`FunctionRole`, `FunctionLogGroup`, `KeyAlias`). A path into an object
//! tp sets is merged into it; the last segment replaces what tp wrote.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! function processor { code: "handlers/trade-processor", key: data }
//! override processor {
//!     "Function.LoggingConfig.ApplicationLogLevel": profile(dev: "DEBUG", prod: "INFO"),
//!     "FunctionLogGroup.LogGroupClass": "STANDARD",
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `api`: an API Gateway REST API whose routes proxy to functions
//!
//! ```text
//! api NAME {
//!     stage: STAGE,                            // default v1
//!     throttle: per_profile(RATE burst N),     // default 10000 burst 5000 (API Gateway's own)
//!     logs: per_profile(DAYS),                 // default 365d: access- and execution-log retention
//!                                              //   (log-retention-prod)
//!     key: KEY,                                // required: encrypts the access-, execution- and WAF log groups
//!     waf: { rate: per_profile(N) },           // required in production (api-waf); rate default 2000
//!                                              //   requests per IP address per 5 minutes
//!     domain: per_profile("DOMAIN"),           // a custom domain (domain-syntax, domain-unique)
//!     zone: ZONE,                              // required with domain: the zone covering it (domain-zone)
//!     routes: {                                // required
//!         METHOD "PATH" => FUNCTION {          // braces optional
//!             auth: none | none "WHY" | iam,   // state-changing methods: iam, or none with a reason
//!             body: "FILE",
//!             throttle: per_profile(RATE burst N),   // default the api's; at most the api's (api-throttle)
//!         },
//!         ...
//!     },
//! }
//! ```
//!
//! `METHOD` is `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or
//! `ANY`; `PATH` has literal segments and `{parameters}`. `auth` defaults to
//! `none`; `iam` requires SigV4-signed requests. A route that changes state
//! (`POST`, `PUT`, `PATCH`, `DELETE`, `ANY`) says how it is authorized: `auth:
//! iam`, or `auth: none "why it is public"` for a deliberately public one
//! (`api-route-auth`). `body` names a JSON schema
//! (draft 4) relative to the crate's `Cargo.toml` that request bodies must
//! match; it is checked at compile time and included with `include_str!`.
//! Every method is validated: its body against its schema, where it has
//! one, and its path's `{parameters}`, which it requires.
//!
//! A route's `throttle` gives its method limits of its own in the stage's
//! settings, at most the api's in every profile (`api-throttle`): a public
//! route (a health check's) cannot use up what the stage allows the others.
//!
//! `waf` puts a regional WAFv2 web ACL in front of the stage. It allows by
//! default and blocks an IP address that sends more than `rate` requests in
//! 5 minutes (WAF takes 10 to 2,000,000,000, `value-range`), then what
//! AWS's managed rule groups match: IP addresses with a bad reputation,
//! known bad inputs, common threats. Each rule has CloudWatch metrics; the
//! ACL logs every request, the `authorization` and `x-amz-security-token`
//! headers redacted, to a log group `aws-waf-logs-<name>-<region>-<suffix>`
//! with the api's `logs:` retention and `key:`. An api in production needs
//! one (`api-waf`).
//!
//! `domain` serves the stage at `https://DOMAIN/` from every region, and
//! from each region alone at `https://<region>.DOMAIN/`: per region, an ACM
//! certificate for both names validated through `zone`'s DNS, an API
//! Gateway regional domain name for each (TLS 1.2) mapped to the stage,
//! an alias record for `<region>.DOMAIN`, and a latency record for
//! `DOMAIN` carrying the region's health check, so Route 53 answers with
//! the nearest healthy region. A `health_check` of such an api probes each
//! region's own name, one check per region in the environment's global
//! stack, and an alarm on its `status` becomes one alarm per region there.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1, us_west_2], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # function orders { code: "handlers/orders", key: data, timeout: 10s }
//! zone public {
//!     domain: profile(dev: "dev.example.com", prod: "example.com"),
//!     existing: profile(dev: false, prod: true),
//! }
//! api trading {
//!     key: data,
//!     waf: {},
//!     domain: profile(dev: "api.dev.example.com", prod: "api.example.com"),
//!     zone: public,
//!     routes: { GET "/health" => orders },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Api(api) = &platform.resource("trading").unwrap().spec else {
//! #         panic!("an api")
//! #     };
//! #     let domain = api.domain.as_ref().expect("a domain");
//! #     assert_eq!(domain.regional("prod", "us-west-2"), "us-west-2.api.example.com");
//! #     assert_eq!(domain.zone, "public");
//! # }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # function orders { code: "handlers/orders", key: data, timeout: 10s }
//! api trading {
//!     stage: v1,
//!     throttle: profile(dev: 100 burst 200, prod: 2000 burst 4000),
//!     logs: profile(dev: 30d, prod: 365d),
//!     key: data,
//!     waf: { rate: profile(dev: 2000, prod: 1000) },
//!     routes: {
//!         GET "/health" => orders { throttle: 10 burst 20 },
//!         POST "/orders" => orders { auth: iam, body: "doc/order.json" },
//!     },
//! }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Api(api) = &platform.resource("trading").unwrap().spec else {
//! #         panic!("an api")
//! #     };
//! #     let waf = api.waf.as_ref().expect("a web ACL");
//! #     assert_eq!(waf.rate_limit.get("prod"), 1000);
//! #     let health = api.routes[0].throttle.as_ref().expect("a route throttle").get("dev");
//! #     assert_eq!((health.rate_per_sec, health.burst), (10.0, 20));
//! #     assert!(api.routes[1].throttle.is_none());
//! # }
//! ```
//!
//! ## `bus`: an EventBridge event bus
//!
//! ```text
//! bus NAME {
//!     description: "..",                       // default "<name> event bus"
//!     key: KEY,                                // required: encrypts its events, rules and targets
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! bus trading_events { description: "Trading platform events", key: data }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `log_group`: a CloudWatch log group that rules can deliver events to
//!
//! ```text
//! log_group NAME {
//!     retention: per_profile(DAYS),            // default 365d (log-retention-prod)
//!     key: KEY,                                // required
//!     encryption: kms,                         // default kms; `none` is refused (policy-encryption)
//!     removal: delete,                         // default delete; `retain` is refused (policy-removal)
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! log_group audit_events { retention: 2557d, key: data }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `rule`: an EventBridge rule, matching events on a bus or on a schedule
//!
//! ```text
//! rule NAME {
//!     bus: BUS, pattern: { KEY: JSON, ... },   // either: events on a declared bus
//!     schedule: "rate(..)" | "cron(..)",       // or: a schedule (on the default bus)
//!     targets: [FUNCTION | LOG_GROUP, ...],    // required: 1 to 5
//!     dead_letter: QUEUE,                      // required: events no target could take
//!     retries: N,                              // default 3: 0 to 185
//!     max_age: DURATION,                       // default 1h: 1m to 24h
//!     notify: TOPIC,                           // a schedule's: where its dead-man alarm reports
//! }
//! ```
//!
//! Every function a schedule runs has a dead-man alarm: Invocations summed
//! under 1 over twice the `rate(..)`, missing data breaching (`dead-man`:
//! `rate(..)` only, at most `rate(3 days)`, the 7 days CloudWatch
//! evaluates). It notifies `notify:`, else the topic the alarms on the
//! rule's functions notify, else the one topic all alarms notify. It is
//! derived rather than declared so that no scheduled function can be left
//! unwatched by forgetting an alarm.
//!
//! A pattern is JSON written inline: keys are identifiers or strings
//! (`"detail-type"`), values strings, numbers, `true`, `false`, `null`,
//! arrays and objects. Each field matches an array of values.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # bus trading_events { key: data }
//! # queue events_dlq { key: data }
//! # log_group audit_events { key: data }
//! # function event_handler { code: "handlers/event-handler", key: data, dead_letter: events_dlq }
//! # topic alerts { key: data, subscribe: email "oncall@example.com" }
//! rule trade_events {
//!     bus: trading_events,
//!     pattern: { source: ["trading.processor"], "detail-type": ["TradeProcessed"] },
//!     targets: [event_handler, audit_events],
//!     dead_letter: events_dlq,
//!     retries: 3,
//!     max_age: 1h,
//! }
//! rule hourly {
//!     schedule: "rate(1 hour)",
//!     targets: [event_handler],
//!     dead_letter: events_dlq,
//!     notify: alerts,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `alarm`: a CloudWatch alarm on a catalog metric
//!
//! ```text
//! alarm NAME {
//!     metric: RESOURCE.METRIC,                 // required
//!     above | at_or_above | below | at_or_below: NUMBER,   // required: exactly one
//!     period: DURATION,                        // default 60s: 10s, 20s, 30s or whole minutes
//!     evaluations: N,                          // default 1
//!     datapoints: N,                           // default: `evaluations`
//!     notify: TOPIC,                           // required: told on ALARM and OK
//!     guard,                                   // optional flag: a deploy rolls back when it fires
//!     description: "..",                       // default "<metric> <comparison> <threshold>"
//! }
//! ```
//!
//! Metrics by kind: function `errors`, `throttles`, `invocations`,
//! `duration_p99`; queue `visible`, `oldest_age`; aurora `cpu`, `capacity`,
//! `acu_utilization`, `connections`; api `latency_p99`, `errors_5xx`,
//! `errors_4xx`, `requests`; health_check `status` (us-east-1 only).
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # topic alerts { key: data, subscribe: email "oncall@example.com" }
//! # function orders { code: "handlers/orders", key: data }
//! # api trading { key: data, waf: {}, routes: { GET "/health" => orders } }
//! alarm api_latency {
//!     metric: trading.latency_p99,
//!     above: 1000,
//!     period: 60s,
//!     evaluations: 5,
//!     datapoints: 3,
//!     notify: alerts,
//!     guard,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `health_check`: a Route 53 health check of an API route
//!
//! ```text
//! health_check NAME {
//!     api: API,                                // required
//!     path: "/PATH",                           // required: a GET route of the api without auth
//!     interval: 10s | 30s,                     // default 30s
//!     threshold: N,                            // default 3: failures before unhealthy, 1 to 10
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # function orders { code: "handlers/orders", key: data }
//! # api trading { key: data, waf: {}, routes: { GET "/health" => orders } }
//! health_check api_health { api: trading, path: "/health", interval: 30s, threshold: 3 }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `zone`: a public Route 53 hosted zone, created or existing
//!
//! ```text
//! zone NAME {
//!     domain: per_profile("DOMAIN"),           // required (domain-syntax, domain-unique)
//!     id: per_profile("Z..."),                 // an existing zone, by id (domain-zone)
//!     existing: per_profile(true | false),     // an existing zone `tp deploy` looks up by domain
//! }
//! ```
//!
//! Without `id` or `existing: true`, the environment creates the zone in its
//! global stack (us-east-1 when declared, else the first region) and
//! deletes it with the environment; its name servers are the output
//! `<Name>ZoneNameServers`, which the parent zone delegates to. An existing
//! zone (the DNS team's) only receives the platform's records. The other
//! regions' stacks read a created zone's id from the global stack.
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! zone public { domain: profile(dev: "dev.example.com", prod: "example.com"), id: profile(dev: "Z0DEV", prod: "Z0PROD") }
//! # }
//! # fn main() {
//! #     let platform = platform();
//! #     let platform_core::spec::Spec::Zone(zone) = &platform.resource("public").unwrap().spec else {
//! #         panic!("a zone")
//! #     };
//! #     assert_eq!(zone.source.get("prod"), platform_core::spec::ZoneSource::Id("Z0PROD".into()));
//! # }
//! ```
//!
//! ## `dashboard`: a CloudWatch dashboard, one graph per metric
//!
//! ```text
//! dashboard NAME {
//!     metrics: [RESOURCE.METRIC, ...],         // either or both: graphs first
//!     sections: { "TITLE": [RESOURCE.METRIC, ...], ... },   // a header, then its graphs
//! }
//! ```
//!
//! Sections come in the order written, each under a text header on a row
//! of its own; the dashboard ends with "What is alarming?": the state of
//! every alarm of the stack (declared ones and dead-man alarms).
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # queue trade_orders { dead_letter: trade_orders_dlq after 3, key: data }
//! # queue trade_orders_dlq { retention: 14d, key: data }
//! # function orders { code: "handlers/orders", key: data }
//! dashboard operations { metrics: [orders.errors, orders.duration_p99, trade_orders.visible] }
//! dashboard overview {
//!     sections: {
//!         "Are orders flowing?": [trade_orders.visible, trade_orders.oldest_age, orders.invocations],
//!         "Is anything failing?": [orders.errors, trade_orders_dlq.visible],
//!     },
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! Fields written only with their default (`encryption: kms`, `pitr: on`,
//! `versioning: on`, `removal: delete`, ...) exist so that weakening a
//! secure default fails with a message saying what the platform always does
//! and why (`docs/rules.md`, the `policy-*` rules).
//!
//! Mistakes fail the build with the error on the offending token:
//!
//! ```compile_fail
//! platform_macros::platform! {
//!     platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//!     key data {}
//!     table sessions { partition: id: string, key: data }
//!     function api {
//!         code: "handlers/api",
//!         key: data,
//!         env: { SESSIONS_TABLE: sesions.name }, // unknown resource `sesions`; did you mean `sessions`?
//!     }
//! }
//! # fn main() {}
//! ```

mod ast;
mod check;
mod ctxt;
mod expand;
mod handler_code;
mod json;
mod model;
mod rules;
mod suggest;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Declares the platform. See the [crate documentation](crate) for the grammar.
#[proc_macro]
pub fn platform(input: TokenStream) -> TokenStream {
    expand::platform(input.into()).into()
}
