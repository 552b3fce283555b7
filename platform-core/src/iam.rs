//! Lookups in the generated IAM tables ([`crate::iam_data`]).

use crate::catalog::{IamResource, KindInfo};
use crate::iam_data::{ACTIONS, RESOURCE_TYPES, SERVICES};

/// One IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub service: &'static str,
    /// Proper case, as IAM documents it (`GetItem`).
    pub name: &'static str,
    /// Resource types the action can be scoped to; empty when it only
    /// accepts `"*"`.
    pub resource_types: &'static [&'static str],
}

impl Action {
    /// Whether the action can be scoped to resource ARNs.
    pub fn supports_resource_level(&self) -> bool {
        !self.resource_types.is_empty()
    }
}

/// Why an action string was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// Not of the form `service:Action`.
    Malformed,
    /// The service is not one the platform's IAM tables cover.
    UnknownService,
    /// The service has no such action.
    UnknownAction,
    /// The action exists, spelled with another case.
    WrongCase(&'static str),
}

/// Whether `service` is covered by the tables.
pub fn is_known_service(service: &str) -> bool {
    SERVICES.binary_search(&service).is_ok()
}

fn service_range(
    service: &str,
) -> &'static [(&'static str, &'static str, &'static [&'static str])] {
    let start = ACTIONS.partition_point(|(s, _, _)| *s < service);
    let end = ACTIONS.partition_point(|(s, _, _)| *s <= service);
    &ACTIONS[start..end]
}

/// Every action of `service`, for suggestions.
pub fn actions_of(service: &str) -> impl Iterator<Item = &'static str> {
    service_range(service).iter().map(|(_, name, _)| *name)
}

/// Looks up `service:Action`, exactly.
pub fn lookup(action: &str) -> Result<Action, ActionError> {
    let (service, name) = action.split_once(':').ok_or(ActionError::Malformed)?;
    if service.is_empty() || name.is_empty() {
        return Err(ActionError::Malformed);
    }
    if !is_known_service(service) {
        return Err(ActionError::UnknownService);
    }
    let range = service_range(service);
    match range.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)) {
        Some((s, n, types)) if *n == name => Ok(Action {
            service: s,
            name: n,
            resource_types: types,
        }),
        Some((_, n, _)) => Err(ActionError::WrongCase(n)),
        None => Err(ActionError::UnknownAction),
    }
}

/// The ARN template of `service`'s resource type `key`.
pub fn arn_template(service: &str, key: &str) -> Option<&'static str> {
    RESOURCE_TYPES
        .iter()
        .find(|(s, k, _)| *s == service && *k == key)
        .map(|(_, _, arn)| *arn)
}

/// Every service the tables cover, sorted.
pub fn services() -> &'static [&'static str] {
    SERVICES
}

/// The actions an IAM wildcard pattern (`dynamodb:Get*`, `sqs:*`) matches,
/// as `service:Action`; `*` matches any run of characters and `?` one, case
/// insensitively, as IAM matches them.
pub fn wildcard_matches(pattern: &str) -> Vec<String> {
    let Some((service, name)) = pattern.split_once(':') else {
        return Vec::new();
    };
    let name = name.to_ascii_lowercase();
    service_range(service)
        .iter()
        .filter(|(_, action, _)| glob(name.as_bytes(), action.to_ascii_lowercase().as_bytes()))
        .map(|(s, action, _)| format!("{s}:{action}"))
        .collect()
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// The declared-resource scopes of `info` that `action` can be granted on:
/// the kind's IAM resource types the action accepts.
pub fn scopes(info: &KindInfo, action: &Action) -> Vec<&'static IamResource> {
    info.iam_resources
        .iter()
        .filter(|r| r.service == action.service && action.resource_types.contains(&r.resource_type))
        .collect()
}

/// The services whose ARNs an action's resource types have (the third field
/// of `arn:partition:service:...`), for checking a literal ARN.
pub fn arn_services(action: &Action) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = action
        .resource_types
        .iter()
        .filter_map(|t| arn_template(action.service, t))
        .filter_map(arn_service)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The service field of an ARN (`arn:aws:sqs:...` -> `sqs`); the partition
/// may be the `${AWS::Partition}` pseudo parameter.
pub fn arn_service(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let rest = match rest.strip_prefix("${") {
        Some(pseudo) => &pseudo[pseudo.find('}')? + 1..],
        None => &rest[rest.find(':')?..],
    };
    let rest = rest.strip_prefix(':')?;
    let service = &rest[..rest.find(':')?];
    (!service.is_empty()).then_some(service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::KINDS;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(SERVICES.windows(2).all(|w| w[0] < w[1]));
        assert!(ACTIONS.windows(2).all(
            |w| (w[0].0, w[0].1.to_ascii_lowercase()) <= (w[1].0, w[1].1.to_ascii_lowercase())
        ));
    }

    #[test]
    fn lookups_are_exact_and_explain_misses() {
        let get = lookup("dynamodb:GetItem").unwrap();
        assert_eq!(get.resource_types, ["table"]);
        assert!(get.supports_resource_level());
        assert_eq!(
            lookup("dynamodb:getitem"),
            Err(ActionError::WrongCase("GetItem"))
        );
        assert_eq!(lookup("dynamodb:GetItems"), Err(ActionError::UnknownAction));
        assert_eq!(lookup("dynamo:GetItem"), Err(ActionError::UnknownService));
        assert_eq!(lookup("GetItem"), Err(ActionError::Malformed));
        assert!(
            !lookup("xray:PutTraceSegments")
                .unwrap()
                .supports_resource_level()
        );
        assert!(actions_of("sqs").any(|a| a == "SendMessage"));
        assert_eq!(
            arn_template("sqs", "queue"),
            Some("arn:${Partition}:sqs:${Region}:${Account}:${QueueName}")
        );
    }

    /// Every action an access level grants exists as spelled and can be
    /// scoped to a resource, so no grant ever needs `"*"`.
    #[test]
    fn every_catalog_action_exists_and_supports_resource_level_permissions() {
        for info in KINDS {
            for access in info.access {
                for action in access.actions.iter().chain(access.key_actions) {
                    let found = lookup(action).unwrap_or_else(|e| {
                        panic!("{}.{}: {action}: {e:?}", info.keyword, access.name)
                    });
                    assert!(found.supports_resource_level(), "{action} cannot be scoped");
                }
            }
        }
    }

    /// Every IAM resource type the catalog scopes raw statements to exists
    /// in the tables, under the service the catalog says.
    #[test]
    fn every_catalog_iam_resource_type_exists() {
        for info in KINDS {
            for r in info.iam_resources {
                assert!(
                    arn_template(r.service, r.resource_type).is_some(),
                    "{}: {}:{} is not in the IAM tables",
                    info.keyword,
                    r.service,
                    r.resource_type
                );
                assert!(info.iam_services.contains(&r.service) || info.keyword == "aurora");
            }
        }
    }

    #[test]
    fn wildcards_scopes_and_arn_services() {
        let gets = wildcard_matches("dynamodb:Get*");
        assert!(gets.contains(&"dynamodb:GetItem".to_owned()));
        assert!(!gets.contains(&"dynamodb:PutItem".to_owned()));
        assert_eq!(wildcard_matches("sqs:SendMessag?"), ["sqs:SendMessage"]);
        assert!(wildcard_matches("nope:*").is_empty());

        let table = crate::catalog::Kind::Table.info();
        let get = lookup("dynamodb:GetItem").unwrap();
        assert_eq!(
            scopes(table, &get)
                .iter()
                .map(|r| r.resource_type)
                .collect::<Vec<_>>(),
            ["table"]
        );
        let query = lookup("dynamodb:Query").unwrap();
        assert_eq!(scopes(table, &query).len(), 2, "table and index");
        let send = lookup("sqs:SendMessage").unwrap();
        assert!(scopes(table, &send).is_empty());

        assert_eq!(arn_services(&send), ["sqs"]);
        assert_eq!(arn_service("arn:aws:s3:::bucket"), Some("s3"));
        assert_eq!(arn_service("arn:${AWS::Partition}:sqs:x:y:z"), Some("sqs"));
        assert_eq!(arn_service("s3:::bucket"), None);
    }
}
