//! `alarm-period-resolution`: an alarm's period is a whole number of its
//! metric's datapoints (`catalog::Metric::resolution_secs`). CloudWatch
//! accepts `period: 30s` on any metric, but a standard metric publishes a
//! datapoint a minute, so such an alarm never has data to evaluate.

use platform_core::catalog::Metric;

use crate::ast::Body;
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Alarm(alarm) = &resource.body else {
            continue;
        };
        let (Some(metric_ref), Some(period)) = (&alarm.metric, &alarm.period) else {
            continue;
        };
        let Some(target) = model.resource(&metric_ref.resource) else {
            continue;
        };
        let Some(metric) = target.info.metric(&metric_ref.metric.to_string()) else {
            continue;
        };
        let written = format!("{}.{}", metric_ref.resource, metric_ref.metric);
        if let Some(problem) = period_problem(period.value, metric, &written) {
            cx.error(Rule::AlarmPeriodResolution, &period.lit, problem);
        }
    }
}

/// Why an alarm over `metric` (written `written`) would not get a datapoint
/// each period of `period` seconds. Periods CloudWatch refuses outright are
/// `value-range`'s.
pub(crate) fn period_problem(period: u32, metric: &Metric, written: &str) -> Option<String> {
    let resolution = metric.resolution_secs;
    let accepted = [10, 20, 30].contains(&period) || (period > 0 && period % 60 == 0);
    if !accepted || period % resolution == 0 {
        return None;
    }
    let suggested = period.div_ceil(resolution) * resolution;
    Some(format!(
        "`{written}` ({}/{}) is a standard-resolution metric with a datapoint every {resolution}s, so an alarm over {period}s periods never has data; use `period: {suggested}s` (10, 20 and 30 s suit only high-resolution metrics)",
        metric.namespace, metric.metric_name
    ))
}
