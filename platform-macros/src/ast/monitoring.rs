//! Monitoring blocks: `alarm`, `health_check`, `dashboard`.

use platform_core::spec::Comparison;
use syn::parse::ParseStream;
use syn::{Ident, LitStr};

use super::{Count, Fields, List, MetricRef, Number, Secs, unlisted};

/// ```text
/// alarm NAME {
///     metric: RESOURCE.METRIC, above | at_or_above | below | at_or_below: NUMBER,
///     period: 60s, evaluations: 1, datapoints: N, notify: TOPIC, guard, description: "..",
/// }
/// ```
#[derive(Default)]
pub struct AlarmBody {
    pub metric: Option<MetricRef>,
    /// Every comparison written; exactly one is expected.
    pub comparisons: Vec<(Ident, Comparison, Number)>,
    pub period: Option<Secs>,
    pub evaluations: Option<Count>,
    pub datapoints: Option<Count>,
    pub notify: Option<Ident>,
    pub guard: Option<Ident>,
    pub description: Option<LitStr>,
}

/// The comparison fields of an alarm, with what each means.
pub const COMPARISONS: &[(&str, Comparison)] = &[
    ("above", Comparison::Above),
    ("at_or_above", Comparison::AtOrAbove),
    ("below", Comparison::Below),
    ("at_or_below", Comparison::AtOrBelow),
];

impl AlarmBody {
    const FIELDS: &[&str] = &[
        "metric",
        "above",
        "at_or_above",
        "below",
        "at_or_below",
        "period",
        "evaluations",
        "datapoints",
        "notify",
        "guard",
        "description",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = AlarmBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS).with_flags(&["guard"]);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "metric" => body.metric = Some(input.parse()?),
                "above" | "at_or_above" | "below" | "at_or_below" => {
                    let comparison = COMPARISONS
                        .iter()
                        .find(|(name, _)| *name == field)
                        .map(|(_, comparison)| *comparison)
                        .expect("listed");
                    body.comparisons
                        .push((fields.current().clone(), comparison, input.parse()?));
                }
                "period" => body.period = Some(input.parse()?),
                "evaluations" => body.evaluations = Some(input.parse()?),
                "datapoints" => body.datapoints = Some(input.parse()?),
                "notify" => body.notify = Some(input.parse()?),
                "guard" => body.guard = Some(fields.current().clone()),
                "description" => body.description = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `health_check NAME { api: API, path: "/health", interval: 30s, threshold: 3 }`
#[derive(Default)]
pub struct HealthCheckBody {
    pub api: Option<Ident>,
    pub path: Option<LitStr>,
    pub interval: Option<Secs>,
    pub threshold: Option<Count>,
}

impl HealthCheckBody {
    const FIELDS: &[&str] = &["api", "path", "interval", "threshold"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = HealthCheckBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "api" => body.api = Some(input.parse()?),
                "path" => body.path = Some(input.parse()?),
                "interval" => body.interval = Some(input.parse()?),
                "threshold" => body.threshold = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `dashboard NAME { metrics: [RESOURCE.METRIC, ...] }`
#[derive(Default)]
pub struct DashboardBody {
    pub metrics: Option<List<MetricRef>>,
    /// `sections: { "TITLE": [METRIC, ...], ... }`.
    pub sections: Option<Sections>,
}

/// `{ "Is trading up?": [trading.errors_5xx, ...], ... }`, in order.
pub struct Sections {
    pub entries: Vec<(LitStr, List<MetricRef>)>,
}

impl syn::parse::Parse for Sections {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        syn::braced!(content in input);
        let entries = syn::punctuated::Punctuated::<(LitStr, List<MetricRef>), syn::Token![,]>::parse_terminated_with(
            &content,
            |input| {
                let title = input.parse()?;
                input.parse::<syn::Token![:]>()?;
                Ok((title, input.parse()?))
            },
        )?;
        Ok(Sections {
            entries: entries.into_iter().collect(),
        })
    }
}

impl DashboardBody {
    const FIELDS: &[&str] = &["metrics", "sections"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = DashboardBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "metrics" => body.metrics = Some(input.parse()?),
                "sections" => body.sections = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}
