//! `api-route-auth`: a route that changes state is authorized, or says why
//! it is public. `auth` defaults to `none`, so a write route that leaves it
//! out would be open to the internet without anyone having decided so.

use crate::ast::{AuthValue, Body};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;

/// The methods that change state (`ANY` includes them all).
pub(crate) const STATE_CHANGING_METHODS: &[&str] = &["POST", "PUT", "PATCH", "DELETE", "ANY"];

pub fn check(model: &Model, cx: &Ctxt) {
    for resource in &model.resources {
        let Body::Api(api) = &resource.body else {
            continue;
        };
        for route in api.routes() {
            let method = route.method.to_string();
            if !STATE_CHANGING_METHODS.contains(&method.as_str()) {
                continue;
            }
            let route_text = format!("{method} {:?}", route.path.value());
            match (route.auth, route.auth_span, &route.public_reason) {
                (None, _, _) => cx.error(
                    Rule::ApiRouteAuth,
                    &route.method,
                    format!(
                        "route `{route_text}` changes state and has no `auth:`, so anyone on the internet may call it; add `{{ auth: iam }}` (SigV4-signed requests), or, if it is public on purpose, `{{ auth: none \"why it is public\" }}`"
                    ),
                ),
                (Some(AuthValue::None), span, None) => cx.error_at(
                    Rule::ApiRouteAuth,
                    span.unwrap_or_else(|| route.method.span()),
                    format!(
                        "route `{route_text}` changes state and `auth: none` makes it public; use `auth: iam`, or say why it is public: `auth: none \"why it is public\"`"
                    ),
                ),
                (Some(AuthValue::None), _, Some(reason)) if reason.value().trim().is_empty() => {
                    cx.error(
                        Rule::ApiRouteAuth,
                        reason,
                        format!(
                            "the reason route `{route_text}` is public is empty; write why anyone may call it, or use `auth: iam`"
                        ),
                    )
                }
                _ => {}
            }
        }
    }
}
