//! Synthetic platforms of any size, for benchmarks and scale tests.
//!
//! [`platform`] builds a [`Platform`] of exactly `n` declared resources
//! straight from the [`crate::spec`] types: one shared KMS key, then cells of
//! ten resources shaped like a service of the trading platform (a queue with
//! its dead-letter queue, a table, a bucket, a topic, a function triggered by
//! the queue with grants on the rest, an SSM parameter, an alarm, a log group
//! and a schedule). Every cell refers to the shared key and to its own
//! resources, so the platform has as many references as resources, like a
//! real one. Any prefix of a cell is valid, so `n` need not be a multiple of
//! ten. Names are `c{index}_{role}`, so the same `n` always gives the same
//! platform.

use crate::spec::*;

/// Resources in one generated cell.
pub const CELL_RESOURCES: usize = 10;

/// A platform of `n` declared resources (`n >= 1`) in `region`, whose
/// functions package the handler directory `code`.
pub fn platform(n: usize, region: &str, code: &str) -> Platform {
    let mut resources = Vec::with_capacity(n);
    resources.push(Resource {
        name: "data".into(),
        spec: Spec::Key(KeySpec {
            description: "Generated platform data at rest".into(),
            rotation: true,
            pending_window_days: 30,
        }),
    });
    let mut cell = 0;
    while resources.len() < n {
        let remaining = n - resources.len();
        resources.extend(
            cell_resources(cell, code)
                .into_iter()
                .take(remaining.min(CELL_RESOURCES)),
        );
        cell += 1;
    }
    Platform {
        name: "generated".into(),
        regions: vec![region.to_owned()],
        suffix_max: 8,
        tags: vec![("Project".into(), "generated".into())],
        profiles: vec!["dev".into(), "prod".into()],
        resources,
        pipeline: None,
        rollback_window_minutes: PerProfile::Same(0),
        drift_check: None,
        accounts: None,
        backups: Vec::new(),
        generic: Vec::new(),
        overrides: Vec::new(),
    }
}

/// The ten resources of cell `index`, each referring only to earlier ones.
fn cell_resources(index: usize, code: &str) -> Vec<Resource> {
    let n = |role: &str| format!("c{index:05}_{role}");
    let key = || "data".to_owned();
    let r = |role: &str, spec: Spec| Resource {
        name: n(role),
        spec,
    };
    vec![
        r(
            "dlq",
            Spec::Queue(QueueSpec {
                visibility_timeout_secs: PerProfile::Same(30),
                retention_secs: PerProfile::Same(1_209_600),
                fifo: false,
                dead_letter: None,
                key: key(),
            }),
        ),
        r(
            "orders",
            Spec::Queue(QueueSpec {
                visibility_timeout_secs: PerProfile::Same(180),
                retention_secs: PerProfile::ByProfile(vec![
                    ("dev".into(), 345_600),
                    ("prod".into(), 1_209_599),
                ]),
                fifo: false,
                dead_letter: Some(DeadLetter {
                    queue: n("dlq"),
                    max_receive_count: 5,
                }),
                key: key(),
            }),
        ),
        r(
            "sessions",
            Spec::Table(TableSpec {
                partition: ("id".into(), KeyType::String),
                sort: None,
                ttl: Some("expires_at".into()),
                stream: None,
                key: key(),
            }),
        ),
        r(
            "archive",
            Spec::Bucket(BucketSpec {
                key: Some(key()),
                access_logs: None,
                expire_days: PerProfile::Same(Some(90)),
                noncurrent_days: 30,
                archive_days: PerProfile::Same(None),
            }),
        ),
        r(
            "alerts",
            Spec::Topic(TopicSpec {
                key: key(),
                display_name: None,
                email_subscription: false,
                subscribers: PerProfile::Same(Vec::new()),
            }),
        ),
        r(
            "worker",
            Spec::Function(FunctionSpec {
                code: code.to_owned(),
                include: Vec::new(),
                exclude: Vec::new(),
                handler: "index.handler".into(),
                memory_mb: PerProfile::ByProfile(vec![("dev".into(), 256), ("prod".into(), 1024)]),
                timeout_secs: PerProfile::Same(30),
                log_retention_days: PerProfile::Same(30),
                key: key(),
                log_key: key(),
                env: vec![
                    (
                        "TABLE".into(),
                        ValueSource::Attr(AttrRef::new(&n("sessions"), "name")),
                    ),
                    (
                        "ARCHIVE".into(),
                        ValueSource::Attr(AttrRef::new(&n("archive"), "name")),
                    ),
                    (
                        "ALERTS".into(),
                        ValueSource::Attr(AttrRef::new(&n("alerts"), "arn")),
                    ),
                ],
                grants: vec![
                    Grant {
                        resource: n("sessions"),
                        access: "read_write".into(),
                    },
                    Grant {
                        resource: n("archive"),
                        access: "write".into(),
                    },
                    Grant {
                        resource: n("alerts"),
                        access: "publish".into(),
                    },
                ],
                statements: Vec::new(),
                trigger: Some(Trigger {
                    queue: n("orders"),
                    batch_size: PerProfile::Same(10),
                    max_batching_window_secs: PerProfile::Same(0),
                    max_concurrency: PerProfile::Same(None),
                }),
                network: None,
                reserved_concurrency: PerProfile::Same(None),
                dead_letter: Some(n("dlq")),
                async_invoke: None,
                metric_namespace: None,
                run: None,
            }),
        ),
        r(
            "table_name",
            Spec::Parameter(ParameterSpec {
                value: PerProfile::Same(ValueSource::Attr(AttrRef::new(&n("sessions"), "name"))),
                description: format!("Table of cell {index}"),
            }),
        ),
        r(
            "errors",
            Spec::Alarm(AlarmSpec {
                metric: MetricRef {
                    resource: n("worker"),
                    metric: "errors".into(),
                },
                comparison: Comparison::Above,
                threshold: 0.0,
                period_secs: 60,
                evaluation_periods: 5,
                datapoints_to_alarm: 3,
                notify: n("alerts"),
                guard: false,
                description: format!("Worker of cell {index} failing"),
            }),
        ),
        r(
            "audit",
            Spec::LogGroup(LogGroupSpec {
                retention_days: PerProfile::Same(90),
                key: key(),
            }),
        ),
        r(
            "schedule",
            Spec::Rule(RuleSpec {
                bus: None,
                pattern: None,
                schedule: Some("rate(1 hour)".into()),
                targets: vec![TargetRef::Function(n("worker"))],
                dead_letter: n("dlq"),
                max_retries: 2,
                max_event_age_secs: 3600,
                notify: None,
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_n_resources_with_no_dangling_reference() {
        for n in [1, 2, 10, 11, 57, 1000] {
            let p = platform(n, "us-east-1", "/code");
            assert_eq!(p.resources.len(), n);
            assert_eq!(p.validate_references(), Ok(()));
            assert_eq!(p.validate_attributes(), Ok(()));
        }
        assert_eq!(
            platform(25, "us-east-1", "/code"),
            platform(25, "us-east-1", "/code")
        );
    }

    #[test]
    fn names_are_valid_purposes() {
        for r in platform(11, "us-east-1", "/code").resources {
            assert_eq!(crate::naming::check_purpose(&r.name), Ok(()), "{}", r.name);
        }
    }
}
