//! Monitoring: CloudWatch alarms on catalog metrics, the dashboard, and
//! Route 53 health checks of APIs.

use crate::catalog::{DimensionSource, Metric};
use crate::spec::{
    AlarmSpec, DashboardSpec, HealthCheckSpec, MetricRef, RuleSpec, Spec, TargetRef,
};
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
    !info.us_east_1_only || cx.region == crate::spec::GLOBAL_METRICS_REGION
}

pub(crate) fn alarm(cx: &mut Context<'_>, name: &str, spec: &AlarmSpec) -> Result<(), SynthError> {
    let info = metric_info(cx, &spec.metric)?;
    if !published_here(cx, info) {
        // Route 53 publishes health-check metrics in us-east-1 only.
        return Ok(());
    }
    if super::dns::checked_domain(cx, &spec.metric.resource).is_some() {
        return super::dns::health_alarms(cx, name, spec, info);
    }
    let id = cx.logical_id(name);
    let dims = dimensions(cx, &spec.metric, info);
    add_alarm(cx, &id, cx.physical_name("alarm", name), spec, info, dims)
}

/// Adds alarm `id`, named `alarm_name`, of `spec` on the metric `info`
/// with `dims`; a `guard` alarm is also one of the stack's rollback
/// triggers.
pub(crate) fn add_alarm(
    cx: &mut Context<'_>,
    id: &str,
    alarm_name: String,
    spec: &AlarmSpec,
    info: &Metric,
    dims: Vec<(String, Value)>,
) -> Result<(), SynthError> {
    if spec.guard {
        cx.guard_alarms.push(super::GuardAlarm {
            logical_id: id.to_owned(),
            name: alarm_name.clone(),
        });
    }
    let alarm = alarm_resource(cx, alarm_name, spec, info, dims);
    cx.add(id, alarm)
}

/// The alarm `alarm_name` of `spec` on the metric `info` with `dims`.
pub(crate) fn alarm_resource(
    cx: &Context<'_>,
    alarm_name: String,
    spec: &AlarmSpec,
    info: &Metric,
    dims: Vec<(String, Value)>,
) -> Resource {
    let topic = Value::Ref(cx.logical_id(&spec.notify));
    let dims = dims
        .into_iter()
        .map(|(n, v)| Value::map([("Name", Value::Str(n)), ("Value", v)]));
    let alarm = Resource::new("AWS::CloudWatch::Alarm")
        .prop("AlarmName", alarm_name)
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
    if info.statistic.starts_with('p') {
        alarm.prop("ExtendedStatistic", info.statistic)
    } else {
        alarm.prop("Statistic", info.statistic)
    }
}

pub(crate) fn health_check(
    cx: &mut Context<'_>,
    name: &str,
    spec: &HealthCheckSpec,
) -> Result<(), SynthError> {
    if let Some(domain) = super::dns::checked_domain(cx, name) {
        return super::dns::health_checks(cx, name, spec, domain);
    }
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
    let tags = cx.name_tag_list(cx.physical_name("hc", name));
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
            .prop("HealthCheckTags", tags),
    )
}

/// The name of the dead-man alarm of function `function`.
fn dead_man_name(function: &str) -> String {
    format!("{function}_not_running")
}

/// The logical id of the dead-man alarm of function `function`: `Alarm`
/// ends it like a declared alarm's.
fn dead_man_id(function: &str) -> String {
    format!(
        "{}Alarm",
        crate::naming::pascal_case(&dead_man_name(function))
    )
}

/// The functions a scheduled rule runs: each has a dead-man alarm.
fn dead_man_functions(spec: &RuleSpec) -> impl Iterator<Item = &str> {
    spec.targets
        .iter()
        .filter(|_| spec.schedule.is_some() && spec.notify.is_some())
        .filter_map(|target| match target {
            TargetRef::Function(f) => Some(f.as_str()),
            TargetRef::LogGroup(_) => None,
        })
}

/// The dead-man alarm of each function a scheduled rule runs: it fires
/// when the function has not been invoked for twice the schedule's period.
/// No data means no invocation, so missing data breaches.
pub(crate) fn dead_man(cx: &mut Context<'_>, spec: &RuleSpec) -> Result<(), SynthError> {
    let (Some(schedule), Some(notify)) = (&spec.schedule, &spec.notify) else {
        return Ok(());
    };
    let window = crate::heartbeat::window(schedule).map_err(SynthError::Invalid)?;
    let topic = Value::Ref(cx.logical_id(notify));
    for function in dead_man_functions(spec) {
        let metric = MetricRef {
            resource: function.to_owned(),
            metric: "invocations".to_owned(),
        };
        let info = metric_info(cx, &metric)?;
        let dims = dimensions(cx, &metric, info)
            .into_iter()
            .map(|(n, v)| Value::map([("Name", Value::Str(n)), ("Value", v)]));
        let name = dead_man_name(function);
        let alarm = Resource::new("AWS::CloudWatch::Alarm")
            .prop("AlarmName", cx.physical_name("alarm", &name))
            .prop(
                "AlarmDescription",
                format!(
                    "`{function}` has not run for {} minutes, twice its schedule `{schedule}`",
                    window.range_secs() / 60
                )
                .as_str(),
            )
            .prop("Namespace", info.namespace)
            .prop("MetricName", info.metric_name)
            .prop("Dimensions", Value::list(dims))
            .prop("Statistic", "Sum")
            .prop("Period", window.period_secs)
            .prop("EvaluationPeriods", window.evaluation_periods)
            .prop("DatapointsToAlarm", window.evaluation_periods)
            .prop("Threshold", Value::Float(1.0))
            .prop("ComparisonOperator", "LessThanThreshold")
            .prop("TreatMissingData", "breaching")
            .prop("AlarmActions", Value::list([topic.clone()]))
            .prop("OKActions", Value::list([topic.clone()]))
            .prop("Tags", cx.tag_list());
        cx.add(&dead_man_id(function), alarm)?;
    }
    Ok(())
}

/// The logical ids of every alarm of the stack, in declaration order: the
/// declared ones published in this region and the dead-man alarms.
fn stack_alarms(cx: &Context<'_>) -> Vec<String> {
    let mut alarms = Vec::new();
    for resource in &cx.platform.resources {
        match &resource.spec {
            Spec::Alarm(alarm)
                if metric_info(cx, &alarm.metric).is_ok_and(|info| published_here(cx, info)) =>
            {
                if super::dns::checked_domain(cx, &alarm.metric.resource).is_some() {
                    if cx.is_global() {
                        alarms.extend(
                            cx.platform.regions.iter().map(|region| {
                                super::dns::health_alarm_id(cx, &resource.name, region)
                            }),
                        );
                    }
                } else {
                    alarms.push(cx.logical_id(&resource.name));
                }
            }
            Spec::Rule(rule) => {
                alarms.extend(dead_man_functions(rule).map(dead_man_id));
            }
            _ => {}
        }
    }
    alarms
}

/// The widgets of the dashboard, laid out top to bottom in rows of two.
struct Layout {
    widgets: Vec<serde_json::Value>,
    vars: crate::template::Map,
    /// The next free row, in grid units.
    y: usize,
    /// Metric widgets placed in the current section.
    column: usize,
}

impl Layout {
    fn close_row(&mut self) {
        if self.column % 2 == 1 {
            self.y += 6;
        }
        self.column = 0;
    }

    fn header(&mut self, title: &str) {
        self.close_row();
        self.widgets.push(serde_json::json!({
            "type": "text",
            "x": 0,
            "y": self.y,
            "width": 24,
            "height": 1,
            "properties": { "markdown": format!("## {title}") },
        }));
        self.y += 1;
    }

    fn metric(&mut self, cx: &Context<'_>, metric: &MetricRef) -> Result<(), SynthError> {
        let info = metric_info(cx, metric)?;
        if !published_here(cx, info) {
            return Ok(());
        }
        let index = self.widgets.len();
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
                    self.vars.insert(var, other);
                }
            }
        }
        row.push(serde_json::json!({ "stat": info.statistic }));
        self.widgets.push(serde_json::json!({
            "type": "metric",
            "x": (self.column % 2) * 12,
            "y": self.y,
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
        self.column += 1;
        if self.column % 2 == 0 {
            self.y += 6;
        }
        Ok(())
    }

    /// Health check `metric` of an api with a domain, every region's in one
    /// widget: Route 53's metrics are in us-east-1, whatever the stack's
    /// region, and the ids of the global stack's health checks are imports
    /// elsewhere.
    fn health_by_region(
        &mut self,
        cx: &mut Context<'_>,
        metric: &MetricRef,
    ) -> Result<(), SynthError> {
        let info = metric_info(cx, metric)?;
        let index = self.widgets.len();
        let mut rows = Vec::new();
        for (r, region) in cx.platform.regions.iter().enumerate() {
            let var = format!("M{index}R{r}");
            let id = super::dns::health_check_ref(cx, &metric.resource, region);
            self.vars.insert(var.clone(), id);
            let mut row = vec![
                serde_json::Value::from(info.namespace),
                serde_json::Value::from(info.metric_name),
            ];
            for (dim, _) in info.dimensions {
                row.push((*dim).into());
                row.push(format!("${{{var}}}").into());
            }
            row.push(serde_json::json!({ "stat": info.statistic, "label": region }));
            rows.push(serde_json::Value::Array(row));
        }
        self.widgets.push(serde_json::json!({
            "type": "metric",
            "x": (self.column % 2) * 12,
            "y": self.y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": format!("{}.{} by region", metric.resource, metric.metric),
                "region": crate::spec::GLOBAL_METRICS_REGION,
                "period": 300,
                "view": "timeSeries",
                "metrics": rows,
            },
        }));
        self.column += 1;
        if self.column % 2 == 0 {
            self.y += 6;
        }
        Ok(())
    }

    /// A metric of the dashboard: a health check of a domain's regions, or
    /// any other.
    fn place(&mut self, cx: &mut Context<'_>, metric: &MetricRef) -> Result<(), SynthError> {
        if super::dns::checked_domain(cx, &metric.resource).is_some() {
            self.health_by_region(cx, metric)
        } else {
            self.metric(cx, metric)
        }
    }

    /// The state of every alarm of the stack, in one widget.
    fn alarm_status(&mut self, alarms: &[String]) {
        self.close_row();
        let arns: Vec<serde_json::Value> = alarms
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let var = format!("A{n}");
                self.vars.insert(var.clone(), Value::get_att(id, "Arn"));
                format!("${{{var}}}").into()
            })
            .collect();
        let height = 2 + alarms.len().div_ceil(4) * 2;
        self.widgets.push(serde_json::json!({
            "type": "alarm",
            "x": 0,
            "y": self.y,
            "width": 24,
            "height": height,
            "properties": {
                "title": "Alarms",
                "alarms": arns,
                "sortBy": "stateUpdatedTimestamp",
                "states": [],
            },
        }));
        self.y += height;
    }
}

/// The dashboard: its loose metrics, then each section under a header, then
/// what is alarming: the state of every alarm of the stack.
pub(crate) fn dashboard(
    cx: &mut Context<'_>,
    name: &str,
    spec: &DashboardSpec,
) -> Result<(), SynthError> {
    let id = cx.logical_id(name);
    let mut layout = Layout {
        widgets: Vec::new(),
        vars: crate::template::Map::new(),
        y: 0,
        column: 0,
    };
    for metric in &spec.metrics {
        layout.place(cx, metric)?;
    }
    for section in &spec.sections {
        layout.header(&section.title);
        for metric in &section.metrics {
            layout.place(cx, metric)?;
        }
    }
    let alarms = stack_alarms(cx);
    if !alarms.is_empty() {
        layout.header("What is alarming?");
        layout.alarm_status(&alarms);
    }
    let body = serde_json::json!({ "widgets": layout.widgets }).to_string();
    cx.add(
        &id,
        Resource::new("AWS::CloudWatch::Dashboard")
            .prop("DashboardName", cx.physical_name("dashboard", name))
            .prop("DashboardBody", Value::Sub(body, layout.vars))
            .prop("Tags", cx.tag_list()),
    )
}
