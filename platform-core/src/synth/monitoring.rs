//! Monitoring: CloudWatch alarms on catalog metrics, the dashboard, and
//! Route 53 health checks of APIs.

use crate::catalog::{DimensionSource, Metric};
use crate::spec::{AlarmSpec, DashboardSpec, HealthCheckSpec, MetricRef, Spec};
use crate::template::{Resource, Value};

use super::api;
use super::{Context, SynthError};

/// The catalog entry of a metric reference.
fn metric_info(cx: &Context<'_>, metric: &MetricRef) -> Result<&'static Metric, SynthError> {
    let resource = cx.resource(&metric.resource).expect("validated");
    resource
        .spec
        .kind()
        .info()
        .metric(&metric.metric)
        .ok_or_else(|| {
            SynthError::Invalid(format!(
                "`{}` has no metric `{}`",
                metric.resource, metric.metric
            ))
        })
}

/// `(dimension name, value)` pairs of a metric of a declared resource.
fn dimensions(cx: &Context<'_>, metric: &MetricRef, info: &Metric) -> Vec<(String, Value)> {
    info.dimensions
        .iter()
        .map(|(name, source)| {
            let value = match source {
                DimensionSource::Attribute(a) => {
                    cx.attr(&crate::spec::AttrRef::new(&metric.resource, a))
                }
                DimensionSource::PhysicalName => {
                    let short = cx
                        .resource(&metric.resource)
                        .expect("validated")
                        .spec
                        .kind()
                        .info()
                        .short_type;
                    Value::Str(cx.physical_name(short, &metric.resource))
                }
                DimensionSource::Stage => {
                    match &cx.resource(&metric.resource).expect("validated").spec {
                        Spec::Api(a) => Value::str(a.stage.clone()),
                        _ => Value::str(""),
                    }
                }
            };
            ((*name).to_owned(), value)
        })
        .collect()
}

/// Whether the metric exists in the stack's region.
fn published_here(cx: &Context<'_>, info: &Metric) -> bool {
    !info.us_east_1_only || cx.region == "us-east-1"
}

pub(crate) fn alarm(cx: &mut Context<'_>, name: &str, spec: &AlarmSpec) -> Result<(), SynthError> {
    let info = metric_info(cx, &spec.metric)?;
    if !published_here(cx, info) {
        // Route 53 publishes health-check metrics in us-east-1 only.
        return Ok(());
    }
    let id = cx.logical_id(name);
    let topic = Value::Ref(cx.logical_id(&spec.notify));
    let dims = dimensions(cx, &spec.metric, info)
        .into_iter()
        .map(|(n, v)| Value::map([("Name", Value::Str(n)), ("Value", v)]));
    let mut alarm = Resource::new("AWS::CloudWatch::Alarm")
        .prop("AlarmName", cx.physical_name("alarm", name))
        .prop("AlarmDescription", spec.description.as_str())
        .prop("Namespace", info.namespace)
        .prop("MetricName", info.metric_name)
        .prop("Dimensions", Value::list(dims))
        .prop("Period", spec.period_secs)
        .prop("EvaluationPeriods", spec.evaluation_periods)
        .prop("DatapointsToAlarm", spec.datapoints_to_alarm)
        .prop("Threshold", Value::Float(spec.threshold))
        .prop("ComparisonOperator", spec.comparison.cfn())
        // A health check that stops reporting is down; a quiet function is fine.
        .prop(
            "TreatMissingData",
            if info.namespace == "AWS/Route53" {
                "breaching"
            } else {
                "notBreaching"
            },
        )
        .prop("AlarmActions", Value::list([topic.clone()]))
        .prop("OKActions", Value::list([topic]))
        .prop("Tags", cx.tag_list());
    alarm = if info.statistic.starts_with('p') {
        alarm.prop("ExtendedStatistic", info.statistic)
    } else {
        alarm.prop("Statistic", info.statistic)
    };
    cx.add(&id, alarm)
}

pub(crate) fn health_check(
    cx: &mut Context<'_>,
    name: &str,
    spec: &HealthCheckSpec,
) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let api_id = cx.logical_id(&spec.api);
    let stage = match &cx.resource(&spec.api).expect("validated").spec {
        Spec::Api(a) => a.stage.clone(),
        _ => {
            return Err(SynthError::Invalid(format!(
                "health check `{name}`: `api:` must name an api"
            )));
        }
    };
    let mut tags = vec![Value::map([
        ("Key", Value::str("Name")),
        ("Value", Value::Str(cx.physical_name("hc", name))),
    ])];
    if let Value::List(rest) = cx.tag_list() {
        tags.extend(rest);
    }
    cx.add(
        &id,
        Resource::new("AWS::Route53::HealthCheck")
            .prop(
                "HealthCheckConfig",
                Value::map([
                    ("Type", Value::str("HTTPS")),
                    ("FullyQualifiedDomainName", api::host(&api_id)),
                    ("Port", Value::from(443u32)),
                    ("ResourcePath", Value::Str(format!("/{stage}{}", spec.path))),
                    ("RequestInterval", Value::from(spec.interval_secs)),
                    ("FailureThreshold", Value::from(spec.failure_threshold)),
                    ("MeasureLatency", Value::Bool(true)),
                ]),
            )
            .prop("HealthCheckTags", Value::List(tags)),
    )
}

pub(crate) fn dashboard(
    cx: &mut Context<'_>,
    name: &str,
    spec: &DashboardSpec,
) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut vars = std::collections::BTreeMap::new();
    let mut widgets = Vec::new();
    for (index, metric) in spec.metrics.iter().enumerate() {
        let info = metric_info(cx, metric)?;
        if !published_here(cx, info) {
            continue;
        }
        let mut row = vec![
            serde_json::Value::from(info.namespace),
            serde_json::Value::from(info.metric_name),
        ];
        for (d, (dim, value)) in dimensions(cx, metric, info).into_iter().enumerate() {
            row.push(dim.into());
            match value {
                Value::Str(s) => row.push(s.into()),
                other => {
                    let var = format!("M{index}D{d}");
                    row.push(format!("${{{var}}}").into());
                    vars.insert(var, other);
                }
            }
        }
        row.push(serde_json::json!({ "stat": info.statistic }));
        let n = widgets.len();
        widgets.push(serde_json::json!({
            "type": "metric",
            "x": (n % 2) * 12,
            "y": (n / 2) * 6,
            "width": 12,
            "height": 6,
            "properties": {
                "title": format!("{}.{}", metric.resource, metric.metric),
                "region": "${AWS::Region}",
                "period": 300,
                "view": "timeSeries",
                "metrics": [row],
            },
        }));
    }
    let body = serde_json::json!({ "widgets": widgets }).to_string();
    cx.add(
        &id,
        Resource::new("AWS::CloudWatch::Dashboard")
            .prop("DashboardName", cx.physical_name("dashboard", name))
            .prop("DashboardBody", Value::Sub(body, vars))
            .prop("Tags", cx.tag_list()),
    )
}
