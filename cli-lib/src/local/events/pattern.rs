//! EventBridge event patterns: parsing (with EventBridge's validation) and
//! matching, the whole documented content-filtering syntax.
//!
//! A pattern has the event's structure: each field names either a nested
//! pattern or a non-empty list of matchers, any of which may match. Fields
//! are ANDed; `$or` takes alternatives. An event value that is an array
//! matches if any element does. `exists` works on leaves: a field whose
//! value is an object, or an empty array, does not exist as a leaf.

use std::net::IpAddr;

use serde_json::{Map, Value};

/// A parsed event pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    root: Node,
}

#[derive(Clone, Debug, PartialEq)]
struct Node {
    fields: Vec<(String, Field)>,
    /// Each `$or`: the node matches only if one alternative matches too.
    ors: Vec<Vec<Node>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Field {
    Nested(Node),
    Leaf(Vec<Matcher>),
}

#[derive(Clone, Debug, PartialEq)]
enum Matcher {
    /// A string, bool or null, compared exactly.
    Exact(Value),
    /// A number, compared numerically.
    Number(f64),
    Prefix {
        value: String,
        ignore_case: bool,
    },
    Suffix {
        value: String,
        ignore_case: bool,
    },
    EqualsIgnoreCase(String),
    AnythingBut(AnythingBut),
    Numeric(Vec<(Cmp, f64)>),
    Exists(bool),
    Cidr {
        net: IpAddr,
        bits: u8,
    },
    Wildcard(Vec<Glob>),
}

#[derive(Clone, Debug, PartialEq)]
enum AnythingBut {
    Values(Vec<Matcher>),
    Prefix(String),
    Suffix(String),
    IgnoreCase(Vec<String>),
    Wildcard(Vec<Vec<Glob>>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

#[derive(Clone, Debug, PartialEq)]
enum Glob {
    Char(char),
    Star,
}

/// EventBridge's numeric range for `numeric` matching.
const NUMERIC_LIMIT: f64 = 5.0e9;

impl Pattern {
    /// Parses the pattern's JSON text, rejecting what EventBridge rejects.
    pub fn parse(text: &str) -> anyhow::Result<Pattern> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("event pattern is not JSON: {e}"))?;
        Pattern::from_value(&value)
    }

    /// Parses a pattern given as JSON.
    pub fn from_value(value: &Value) -> anyhow::Result<Pattern> {
        let Value::Object(map) = value else {
            anyhow::bail!("event pattern must be a JSON object, not {value}");
        };
        Ok(Pattern {
            root: parse_node(map, "")?,
        })
    }

    /// Whether `event` (the event as EventBridge delivers it) matches.
    pub fn matches(&self, event: &Value) -> bool {
        match_node(&self.root, Some(event))
    }
}

fn parse_node(map: &Map<String, Value>, path: &str) -> anyhow::Result<Node> {
    let mut node = Node {
        fields: Vec::new(),
        ors: Vec::new(),
    };
    for (key, value) in map {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if key == "$or" {
            let Value::Array(alternatives) = value else {
                anyhow::bail!("{here}: $or takes an array of at least two patterns");
            };
            if alternatives.len() < 2 {
                anyhow::bail!("{here}: $or takes an array of at least two patterns");
            }
            let mut parsed = Vec::new();
            for alternative in alternatives {
                let Value::Object(alt) = alternative else {
                    anyhow::bail!(
                        "{here}: each $or alternative must be an object, not {alternative}"
                    );
                };
                parsed.push(parse_node(alt, path)?);
            }
            node.ors.push(parsed);
            continue;
        }
        let field = match value {
            Value::Object(nested) => Field::Nested(parse_node(nested, &here)?),
            Value::Array(items) => {
                if items.is_empty() {
                    anyhow::bail!("{here}: a field's list of values must not be empty");
                }
                Field::Leaf(
                    items
                        .iter()
                        .map(|item| parse_matcher(item, &here))
                        .collect::<anyhow::Result<_>>()?,
                )
            }
            other => anyhow::bail!(
                "{here}: a pattern field takes a list of values or a nested pattern, not {other} (write [{other}])"
            ),
        };
        node.fields.push((key.clone(), field));
    }
    Ok(node)
}

fn parse_matcher(item: &Value, path: &str) -> anyhow::Result<Matcher> {
    let map = match item {
        Value::Number(n) => return number(n.as_f64(), path).map(Matcher::Number),
        Value::Object(map) => map,
        Value::Array(_) => anyhow::bail!("{path}: nested arrays are not allowed in a pattern"),
        scalar => return Ok(Matcher::Exact(scalar.clone())),
    };
    if map.len() != 1 {
        anyhow::bail!("{path}: a matcher object has exactly one operator, not {item}");
    }
    let (op, arg) = map.iter().next().expect("one entry");
    Ok(match op.as_str() {
        "prefix" | "suffix" => {
            let (value, ignore_case) = match arg {
                Value::String(s) => (s.clone(), false),
                Value::Object(m) if m.len() == 1 => match m.get("equals-ignore-case") {
                    Some(Value::String(s)) => (s.clone(), true),
                    _ => anyhow::bail!(
                        "{path}: {op} takes a string or {{\"equals-ignore-case\": string}}, not {arg}"
                    ),
                },
                _ => anyhow::bail!(
                    "{path}: {op} takes a string or {{\"equals-ignore-case\": string}}, not {arg}"
                ),
            };
            if op == "prefix" {
                Matcher::Prefix { value, ignore_case }
            } else {
                Matcher::Suffix { value, ignore_case }
            }
        }
        "equals-ignore-case" => match arg {
            Value::String(s) => Matcher::EqualsIgnoreCase(s.clone()),
            _ => anyhow::bail!("{path}: equals-ignore-case takes a string, not {arg}"),
        },
        "anything-but" => Matcher::AnythingBut(parse_anything_but(arg, path)?),
        "numeric" => Matcher::Numeric(parse_numeric(arg, path)?),
        "exists" => match arg {
            Value::Bool(b) => Matcher::Exists(*b),
            _ => anyhow::bail!("{path}: exists takes true or false, not {arg}"),
        },
        "cidr" => {
            let Value::String(s) = arg else {
                anyhow::bail!("{path}: cidr takes a string like \"10.0.0.0/24\", not {arg}");
            };
            parse_cidr(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "{path}: {s:?} is not a CIDR block like \"10.0.0.0/24\" or \"2001:db8::/64\""
                )
            })?
        }
        "wildcard" => match arg {
            Value::String(s) => Matcher::Wildcard(parse_glob(s, path)?),
            _ => anyhow::bail!("{path}: wildcard takes a string, not {arg}"),
        },
        other => anyhow::bail!(
            "{path}: unknown operator {other:?} (EventBridge has prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard)"
        ),
    })
}

fn number(n: Option<f64>, path: &str) -> anyhow::Result<f64> {
    n.ok_or_else(|| anyhow::anyhow!("{path}: number out of range"))
}

fn strings(arg: &Value, op: &str, path: &str) -> anyhow::Result<Vec<String>> {
    let items = match arg {
        Value::String(s) => return Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items,
        _ => anyhow::bail!(
            "{path}: anything-but {op} takes a string or a list of strings, not {arg}"
        ),
    };
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            _ => anyhow::bail!("{path}: anything-but {op} takes only strings, not {v}"),
        })
        .collect()
}

fn parse_anything_but(arg: &Value, path: &str) -> anyhow::Result<AnythingBut> {
    match arg {
        Value::String(_) | Value::Bool(_) | Value::Null => {
            Ok(AnythingBut::Values(vec![Matcher::Exact(arg.clone())]))
        }
        Value::Number(n) => Ok(AnythingBut::Values(vec![Matcher::Number(number(
            n.as_f64(),
            path,
        )?)])),
        Value::Array(items) => {
            if items.is_empty() {
                anyhow::bail!("{path}: anything-but's list must not be empty");
            }
            let all_strings = items.iter().all(Value::is_string);
            let all_numbers = items.iter().all(Value::is_number);
            if !all_strings && !all_numbers {
                anyhow::bail!(
                    "{path}: anything-but's list holds only strings or only numbers, not {arg}"
                );
            }
            Ok(AnythingBut::Values(
                items
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) => number(n.as_f64(), path).map(Matcher::Number),
                        other => Ok(Matcher::Exact(other.clone())),
                    })
                    .collect::<anyhow::Result<_>>()?,
            ))
        }
        Value::Object(map) if map.len() == 1 => {
            let (op, inner) = map.iter().next().expect("one entry");
            match (op.as_str(), inner) {
                ("prefix", Value::String(s)) => Ok(AnythingBut::Prefix(s.clone())),
                ("suffix", Value::String(s)) => Ok(AnythingBut::Suffix(s.clone())),
                ("equals-ignore-case", _) => Ok(AnythingBut::IgnoreCase(strings(
                    inner,
                    "equals-ignore-case",
                    path,
                )?)),
                ("wildcard", _) => Ok(AnythingBut::Wildcard(
                    strings(inner, "wildcard", path)?
                        .iter()
                        .map(|s| parse_glob(s, path))
                        .collect::<anyhow::Result<_>>()?,
                )),
                _ => anyhow::bail!(
                    "{path}: anything-but takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard; not {arg}"
                ),
            }
        }
        _ => anyhow::bail!(
            "{path}: anything-but takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard; not {arg}"
        ),
    }
}

fn parse_numeric(arg: &Value, path: &str) -> anyhow::Result<Vec<(Cmp, f64)>> {
    let usage = "numeric takes [op, number] or [lower-op, number, upper-op, number] with ops <, <=, =, >=, >";
    let Value::Array(items) = arg else {
        anyhow::bail!("{path}: {usage}; not {arg}");
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        anyhow::bail!("{path}: {usage}; not {arg}");
    }
    let mut out = Vec::new();
    for pair in items.chunks(2) {
        let cmp = match pair[0].as_str() {
            Some("<") => Cmp::Lt,
            Some("<=") => Cmp::Le,
            Some("=") => Cmp::Eq,
            Some(">=") => Cmp::Ge,
            Some(">") => Cmp::Gt,
            _ => anyhow::bail!("{path}: {usage}; {} is not an operator", pair[0]),
        };
        let Some(n) = pair[1].as_f64() else {
            anyhow::bail!("{path}: {usage}; {} is not a number", pair[1]);
        };
        if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&n) {
            anyhow::bail!("{path}: numeric values lie between -5e9 and 5e9, not {n}");
        }
        out.push((cmp, n));
    }
    if out.len() == 2 {
        let lower = matches!(out[0].0, Cmp::Gt | Cmp::Ge);
        let upper = matches!(out[1].0, Cmp::Lt | Cmp::Le);
        if !lower || !upper {
            anyhow::bail!(
                "{path}: a numeric range is a lower bound (> or >=) then an upper bound (< or <=), not {arg}"
            );
        }
        if out[0].1 >= out[1].1 {
            anyhow::bail!("{path}: the numeric range {arg} is empty");
        }
    }
    Ok(out)
}

fn parse_cidr(text: &str) -> Option<Matcher> {
    let (addr, bits) = text.split_once('/')?;
    let net: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some(Matcher::Cidr { net, bits })
}

fn parse_glob(text: &str, path: &str) -> anyhow::Result<Vec<Glob>> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('*' | '\\')) => out.push(Glob::Char(e)),
                _ => {
                    anyhow::bail!("{path}: in wildcard {text:?}, a backslash escapes only * or \\")
                }
            },
            '*' => {
                if out.last() == Some(&Glob::Star) {
                    anyhow::bail!(
                        "{path}: wildcard {text:?} has consecutive * characters, which EventBridge rejects"
                    );
                }
                out.push(Glob::Star);
            }
            c => out.push(Glob::Char(c)),
        }
    }
    Ok(out)
}

fn glob_matches(glob: &[Glob], text: &str) -> bool {
    // Greedy match with backtracking to the last star: linear in practice.
    let text: Vec<char> = text.chars().collect();
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(Glob::Char(c)) if *c == text[t] => {
                g += 1;
                t += 1;
            }
            Some(Glob::Star) => {
                star = Some((g, t));
                g += 1;
            }
            _ => match star {
                Some((sg, st)) => {
                    g = sg + 1;
                    t = st + 1;
                    star = Some((sg, st + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|x| *x == Glob::Star)
}

fn match_node(node: &Node, event: Option<&Value>) -> bool {
    // An array of objects matches if one of its elements does.
    if let Some(Value::Array(items)) = event {
        if !items.is_empty() {
            return items.iter().any(|item| match_node(node, Some(item)));
        }
    }
    let object = event.and_then(Value::as_object);
    let fields_match = node.fields.iter().all(|(key, field)| {
        let child = object.and_then(|o| o.get(key));
        match field {
            Field::Nested(nested) => match_node(nested, child),
            Field::Leaf(matchers) => {
                let mut leaves = Vec::new();
                collect_leaves(child, &mut leaves);
                matchers.iter().any(|m| m.matches(&leaves))
            }
        }
    });
    fields_match
        && node
            .ors
            .iter()
            .all(|alternatives| alternatives.iter().any(|alt| match_node(alt, event)))
}

/// The leaf values at a field: a scalar, or the scalars of an array (nested
/// arrays flattened). Objects are not leaves.
fn collect_leaves<'a>(value: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match value {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => {
            for item in items {
                collect_leaves(Some(item), out);
            }
        }
        Some(scalar) => out.push(scalar),
    }
}

impl Matcher {
    fn matches(&self, leaves: &[&Value]) -> bool {
        match self {
            Matcher::Exists(true) => !leaves.is_empty(),
            Matcher::Exists(false) => leaves.is_empty(),
            _ => leaves.iter().any(|v| self.matches_value(v)),
        }
    }

    fn matches_value(&self, value: &Value) -> bool {
        let text = value.as_str();
        match self {
            Matcher::Exact(expected) => expected == value,
            Matcher::Number(n) => value.as_f64() == Some(*n),
            Matcher::Prefix {
                value: p,
                ignore_case,
            } => text.is_some_and(|s| {
                if *ignore_case {
                    s.to_lowercase().starts_with(&p.to_lowercase())
                } else {
                    s.starts_with(p.as_str())
                }
            }),
            Matcher::Suffix {
                value: p,
                ignore_case,
            } => text.is_some_and(|s| {
                if *ignore_case {
                    s.to_lowercase().ends_with(&p.to_lowercase())
                } else {
                    s.ends_with(p.as_str())
                }
            }),
            Matcher::EqualsIgnoreCase(p) => {
                text.is_some_and(|s| s.to_lowercase() == p.to_lowercase())
            }
            Matcher::AnythingBut(but) => match but {
                AnythingBut::Values(excluded) => !excluded.iter().any(|m| m.matches_value(value)),
                AnythingBut::Prefix(p) => text.is_some_and(|s| !s.starts_with(p.as_str())),
                AnythingBut::Suffix(p) => text.is_some_and(|s| !s.ends_with(p.as_str())),
                AnythingBut::IgnoreCase(excluded) => text.is_some_and(|s| {
                    let s = s.to_lowercase();
                    !excluded.iter().any(|e| e.to_lowercase() == s)
                }),
                AnythingBut::Wildcard(globs) => {
                    text.is_some_and(|s| !globs.iter().any(|g| glob_matches(g, s)))
                }
            },
            Matcher::Numeric(bounds) => value.as_f64().is_some_and(|n| {
                bounds.iter().all(|(cmp, b)| match cmp {
                    Cmp::Lt => n < *b,
                    Cmp::Le => n <= *b,
                    Cmp::Eq => n == *b,
                    Cmp::Ge => n >= *b,
                    Cmp::Gt => n > *b,
                })
            }),
            Matcher::Exists(_) => unreachable!("exists is decided on the leaves"),
            Matcher::Cidr { net, bits } => text
                .and_then(|s| s.parse::<IpAddr>().ok())
                .is_some_and(|ip| in_cidr(ip, *net, *bits)),
            Matcher::Wildcard(glob) => text.is_some_and(|s| glob_matches(glob, s)),
        }
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matches(pattern: Value, event: Value) -> bool {
        Pattern::from_value(&pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .matches(&event)
    }

    fn rejected(pattern: Value) -> String {
        Pattern::from_value(&pattern)
            .expect_err(&format!("{pattern} should be rejected"))
            .to_string()
    }

    fn ec2_event() -> Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "111122223333",
            "time": "2017-12-22T18:43:48Z",
            "region": "us-west-1",
            "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
            "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
        })
    }

    #[test]
    fn documented_ec2_pattern_matches_its_event() {
        let pattern = json!({
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]}
        });
        assert!(matches(pattern.clone(), ec2_event()));
        let mut running = ec2_event();
        running["detail"]["state"] = json!("running");
        assert!(!matches(pattern, running));
        // Matching is case-sensitive.
        assert!(!matches(json!({"source": ["AWS.EC2"]}), ec2_event()));
    }

    #[test]
    fn any_listed_value_matches_and_event_arrays_match_any_element() {
        assert!(matches(
            json!({"detail": {"state": ["running", "terminated"]}}),
            ec2_event()
        ));
        let pattern = json!({"resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"
        ]});
        assert!(matches(pattern.clone(), ec2_event()));
        let mut other = ec2_event();
        other["resources"] = json!(["arn:aws:ec2:us-east-1:123456789012:instance/i-0"]);
        assert!(!matches(pattern, other));
    }

    #[test]
    fn numbers_compare_numerically_and_null_bool_empty_exactly() {
        assert!(matches(json!({"n": [5]}), json!({"n": 5.0})));
        assert!(matches(json!({"n": [3.018e2]}), json!({"n": 301.8})));
        assert!(!matches(json!({"n": [5]}), json!({"n": "5"})));
        assert!(!matches(json!({"n": ["5"]}), json!({"n": 5})));
        let nullable = json!({"detail": {"responseElements": [null]}});
        assert!(matches(
            nullable.clone(),
            json!({"detail": {"responseElements": null}})
        ));
        assert!(!matches(nullable.clone(), json!({"detail": {}})));
        assert!(!matches(
            nullable,
            json!({"detail": {"responseElements": ""}})
        ));
        assert!(matches(
            json!({"detail": {"eventVersion": [""]}}),
            json!({"detail": {"eventVersion": ""}})
        ));
        assert!(matches(json!({"ok": [true]}), json!({"ok": true})));
        assert!(!matches(json!({"ok": [true]}), json!({"ok": "true"})));
    }

    #[test]
    fn nested_patterns_need_the_nested_fields() {
        let pattern = json!({"detail": {"a": {"b": ["x"]}}});
        assert!(matches(
            pattern.clone(),
            json!({"detail": {"a": {"b": "x"}}})
        ));
        assert!(!matches(pattern.clone(), json!({"detail": {"a": "x"}})));
        assert!(!matches(pattern.clone(), json!({"detail": {}})));
        // An array of objects: one element must match all the nested fields.
        let both = json!({"items": {"sku": ["a"], "qty": [2]}});
        assert!(matches(
            both.clone(),
            json!({"items": [{"sku": "b", "qty": 1}, {"sku": "a", "qty": 2}]})
        ));
        assert!(!matches(
            both,
            json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]})
        ));
    }

    #[test]
    fn prefix_and_suffix_with_and_without_case() {
        assert!(matches(
            json!({"time": [{"prefix": "2017-12-22"}]}),
            ec2_event()
        ));
        assert!(!matches(
            json!({"time": [{"prefix": "2017-10-02"}]}),
            ec2_event()
        ));
        let eu = json!({"source": ["aws.autoscaling"], "region": [{"prefix": "eu-"}]});
        assert!(matches(
            eu.clone(),
            json!({"source": "aws.autoscaling", "region": "eu-west-1"})
        ));
        assert!(!matches(
            eu,
            json!({"source": "aws.autoscaling", "region": "us-east-1"})
        ));
        let ci = json!({"service": [{"prefix": {"equals-ignore-case": "EventB"}}]});
        assert!(matches(ci.clone(), json!({"service": "eventbridge"})));
        assert!(matches(ci.clone(), json!({"service": "EVENTBRIDGE"})));
        assert!(!matches(ci, json!({"service": "events"})));
        assert!(matches(
            json!({"FileName": [{"suffix": ".png"}]}),
            json!({"FileName": "a.png"})
        ));
        assert!(!matches(
            json!({"FileName": [{"suffix": ".png"}]}),
            json!({"FileName": "a.PNG"})
        ));
        let sci = json!({"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]});
        assert!(matches(sci.clone(), json!({"FileName": "image.PNG"})));
        assert!(!matches(sci, json!({"FileName": "image.jpg"})));
        // Only strings have prefixes.
        assert!(!matches(json!({"n": [{"prefix": "1"}]}), json!({"n": 12})));
    }

    #[test]
    fn equals_ignore_case() {
        let pattern = json!({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]});
        assert!(matches(pattern.clone(), ec2_event()));
        let mut other = ec2_event();
        other["detail-type"] = json!("EC2 Spot Instance Interruption Warning");
        assert!(!matches(pattern, other));
    }

    #[test]
    fn anything_but_values_lists_and_operators() {
        let state = |s: &str| json!({"detail": {"state": s}});
        let single = json!({"detail": {"state": [{"anything-but": "initializing"}]}});
        assert!(matches(single.clone(), state("running")));
        assert!(!matches(single.clone(), state("initializing")));
        // A missing field is not "anything".
        assert!(!matches(single, json!({"detail": {}})));
        let number = json!({"detail": {"x-limit": [{"anything-but": 123}]}});
        assert!(matches(number.clone(), json!({"detail": {"x-limit": 124}})));
        assert!(!matches(number, json!({"detail": {"x-limit": 123.0}})));
        let list = json!({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}});
        assert!(matches(list.clone(), state("running")));
        assert!(!matches(list.clone(), state("overloaded")));
        let numbers = json!({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}});
        assert!(matches(
            numbers.clone(),
            json!({"detail": {"x-limit": 301.8}})
        ));
        assert!(!matches(numbers, json!({"detail": {"x-limit": 200}})));
        let prefix = json!({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}});
        assert!(matches(prefix.clone(), state("running")));
        assert!(!matches(prefix, state("initializing")));
        let suffix = json!({"FileName": [{"anything-but": {"suffix": ".txt"}}]});
        assert!(matches(suffix.clone(), json!({"FileName": "a.png"})));
        assert!(!matches(suffix, json!({"FileName": "a.txt"})));
        let ci = json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}});
        assert!(matches(ci.clone(), state("running")));
        assert!(!matches(ci.clone(), state("STOPPED")));
        assert!(!matches(ci, state("overloaded")));
        let ci_one =
            json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": "Stopped"}}]}});
        assert!(!matches(ci_one, state("stopped")));
        let wild = json!({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]});
        assert!(matches(wild.clone(), json!({"FilePath": "/usr/bin/tp"})));
        assert!(!matches(wild, json!({"FilePath": "/usr/lib/tp"})));
        let wilds = json!({"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]});
        assert!(matches(wilds.clone(), json!({"FilePath": "/home/tp"})));
        assert!(!matches(wilds, json!({"FilePath": "/usr/bin/tp"})));
    }

    #[test]
    fn numeric_comparisons_and_ranges() {
        let event = json!({"detail": {"c-count": 5, "d-count": 7, "x-limit": 301.8}});
        let documented = json!({"detail": {
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"numeric": ["=", 3.018e2]}]
        }});
        assert!(matches(documented, event.clone()));
        let n = |op: &str, v: f64, x: f64| {
            matches(json!({"x": [{"numeric": [op, v]}]}), json!({"x": x}))
        };
        assert!(n("<", 10.0, 9.5) && !n("<", 10.0, 10.0));
        assert!(n("<=", 10.0, 10.0) && !n("<=", 10.0, 10.5));
        assert!(n("=", 10.0, 10.0) && !n("=", 10.0, 10.1));
        assert!(n(">=", 10.0, 10.0) && !n(">=", 10.0, 9.9));
        assert!(n(">", 10.0, 10.1) && !n(">", 10.0, 10.0));
        let range = json!({"x": [{"numeric": [">", 0, "<=", 5]}]});
        assert!(!matches(range.clone(), json!({"x": 0})));
        assert!(!matches(range.clone(), json!({"x": 5.5})));
        // Numeric matching is for JSON numbers only.
        assert!(!matches(range, json!({"x": "3"})));
    }

    #[test]
    fn exists_works_on_leaves() {
        let yes = json!({"detail": {"state": [{"exists": true}]}});
        let no = json!({"detail": {"state": [{"exists": false}]}});
        assert!(matches(yes.clone(), ec2_event()));
        assert!(!matches(no.clone(), ec2_event()));
        let without = json!({"detail": {"c-count": 5}});
        assert!(!matches(yes.clone(), without.clone()));
        assert!(matches(no.clone(), without));
        // The whole parent missing: the field does not exist either.
        assert!(matches(no.clone(), json!({"source": "x"})));
        // null is a value.
        assert!(matches(yes.clone(), json!({"detail": {"state": null}})));
        // An object is not a leaf; an empty array has none.
        assert!(!matches(
            yes.clone(),
            json!({"detail": {"state": {"a": 1}}})
        ));
        assert!(matches(no.clone(), json!({"detail": {"state": {"a": 1}}})));
        assert!(!matches(yes.clone(), json!({"detail": {"state": []}})));
        assert!(matches(no, json!({"detail": {"state": []}})));
        assert!(matches(yes, json!({"detail": {"state": ["a"]}})));
    }

    #[test]
    fn cidr_matches_v4_and_v6_blocks() {
        let v4 = json!({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}});
        let ip = |s: &str| json!({"detail": {"sourceIPAddress": s}});
        assert!(matches(v4.clone(), ip("10.0.0.255")));
        assert!(!matches(v4.clone(), ip("10.0.1.0")));
        assert!(!matches(v4.clone(), ip("not-an-ip")));
        assert!(!matches(v4, ip("2001:db8::1")));
        let v6 = json!({"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}});
        assert!(matches(v6.clone(), ip("2001:db8::ff")));
        assert!(!matches(v6, ip("2001:db9::1")));
    }

    #[test]
    fn wildcards_match_any_run_of_characters() {
        let w = |p: &str, s: &str| matches(json!({"x": [{"wildcard": p}]}), json!({"x": s}));
        assert!(w("dir/*.png", "dir/a.png"));
        assert!(w("dir/*.png", "dir/.png"));
        assert!(!w("dir/*.png", "dir/a.jpg"));
        assert!(w("*Title*", "the Title here"));
        assert!(!w("*Title*", "the title here"));
        assert!(w(
            "arn:aws:events:us-east-1:*:event-bus/*",
            "arn:aws:events:us-east-1:123456789012:event-bus/orders"
        ));
        assert!(!w(
            "arn:aws:events:us-east-1:*:event-bus/*",
            "arn:aws:events:us-west-2:123456789012:event-bus/orders"
        ));
        assert!(w("a*b*c", "aXbYbZc"));
        assert!(!w("a*b*c", "aXbYbZ"));
        assert!(w(r"lit\*", "lit*"));
        assert!(!w(r"lit\*", "literal"));
        assert!(w("exact", "exact") && !w("exact", "exactly"));
    }

    #[test]
    fn or_takes_alternatives_at_its_level() {
        let pattern = json!({"detail": {"$or": [
            {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
            {"d-count": [{"numeric": ["<", 10]}]},
            {"x-limit": [{"numeric": ["=", 3.018e2]}]}
        ]}});
        assert!(matches(pattern.clone(), json!({"detail": {"c-count": 3}})));
        assert!(matches(
            pattern.clone(),
            json!({"detail": {"x-limit": 301.8}})
        ));
        assert!(!matches(
            pattern,
            json!({"detail": {"c-count": 6, "d-count": 10}})
        ));
        let top = json!({"source": ["aws.ec2"], "$or": [
            {"detail-type": ["EC2 Instance State-change Notification"]},
            {"detail": {"state": ["running"]}}
        ]});
        assert!(matches(top.clone(), ec2_event()));
        let mut other = ec2_event();
        other["detail-type"] = json!("other");
        assert!(!matches(top.clone(), other.clone()));
        other["detail"]["state"] = json!("running");
        assert!(matches(top.clone(), other.clone()));
        other["source"] = json!("aws.s3");
        assert!(!matches(top, other));
    }

    #[test]
    fn documented_complex_example() {
        let pattern = json!({
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}]
            }
        });
        let event = json!({
            "time": "2017-10-02T18:43:48Z",
            "detail": {"state": "running", "c-count": 5, "d-count": 7, "x-limit": 301.8}
        });
        assert!(matches(pattern.clone(), event.clone()));
        let mut bad = event;
        bad["detail"]["x-limit"] = json!(200);
        assert!(!matches(pattern, bad));
    }

    #[test]
    fn documented_operator_table_examples() {
        let not_us = json!({"Region": [{"anything-but": {"prefix": "us-"}}]});
        assert!(matches(not_us.clone(), json!({"Region": "eu-west-1"})));
        assert!(!matches(not_us, json!({"Region": "us-east-1"})));
        let ends = json!({"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]});
        assert!(matches(ends.clone(), json!({"service": "EvenTBRIDGE"})));
        assert!(!matches(ends, json!({"service": "bridge"})));
        let not_init = json!({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]});
        assert!(!matches(not_init.clone(), json!({"state": "INITIALIZING"})));
        assert!(matches(not_init, json!({"state": "running"})));
        let alice = json!({"Name": [{"equals-ignore-case": "alice"}]});
        assert!(matches(alice.clone(), json!({"Name": "Alice"})));
        assert!(!matches(alice, json!({"Name": "Alicia"})));
        let payment = json!({"PaymentType": ["Credit", "Debit"]});
        assert!(matches(payment.clone(), json!({"PaymentType": "Debit"})));
        assert!(!matches(payment, json!({"PaymentType": "Cash"})));
        let price = json!({"Price": [{"numeric": [">", 10, "<=", 20]}]});
        assert!(matches(price.clone(), json!({"Price": 20})));
        assert!(!matches(price, json!({"Price": 10})));
        let png_in_dir = json!({"FileName": [{"wildcard": "dir/*.png"}]});
        assert!(matches(
            png_in_dir.clone(),
            json!({"FileName": "dir/a/b.png"})
        ));
        assert!(!matches(png_in_dir, json!({"FileName": "other/b.png"})));
        let either = json!({"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]});
        assert!(matches(
            either.clone(),
            json!({"Location": "Paris", "Day": "Monday"})
        ));
        assert!(!matches(
            either,
            json!({"Location": "Paris", "Day": "Tuesday"})
        ));
    }

    #[test]
    fn invalid_patterns_are_rejected_with_what_is_wrong() {
        assert!(
            Pattern::parse("not json")
                .unwrap_err()
                .to_string()
                .contains("not JSON")
        );
        assert!(rejected(json!(["a"])).contains("must be a JSON object"));
        assert!(rejected(json!({"source": "aws.ec2"})).contains("write [\"aws.ec2\"]"));
        assert!(rejected(json!({"source": []})).contains("must not be empty"));
        assert!(rejected(json!({"source": [["a"]]})).contains("nested arrays"));
        assert!(rejected(json!({"x": [{"regex": "a"}]})).contains("unknown operator"));
        assert!(
            rejected(json!({"x": [{"prefix": "a", "suffix": "b"}]}))
                .contains("exactly one operator")
        );
        assert!(rejected(json!({"x": [{"prefix": 1}]})).contains("prefix takes a string"));
        assert!(rejected(json!({"x": [{"exists": "yes"}]})).contains("true or false"));
        assert!(rejected(json!({"x": [{"numeric": [">"]}]})).contains("numeric takes"));
        assert!(rejected(json!({"x": [{"numeric": ["!=", 1]}]})).contains("not an operator"));
        assert!(rejected(json!({"x": [{"numeric": ["<", 5, ">", 1]}]})).contains("lower bound"));
        assert!(rejected(json!({"x": [{"numeric": [">", 5, "<", 1]}]})).contains("empty"));
        assert!(rejected(json!({"x": [{"numeric": [">", 6e9]}]})).contains("between"));
        assert!(rejected(json!({"x": [{"cidr": "10.0.0.0/33"}]})).contains("CIDR"));
        assert!(rejected(json!({"x": [{"cidr": "nope"}]})).contains("CIDR"));
        assert!(rejected(json!({"x": [{"wildcard": "a**b"}]})).contains("consecutive"));
        assert!(
            rejected(json!({"x": [{"anything-but": ["a", 1]}]}))
                .contains("only strings or only numbers")
        );
        assert!(
            rejected(json!({"x": [{"anything-but": {"numeric": [">", 1]}}]}))
                .contains("anything-but takes")
        );
        assert!(rejected(json!({"$or": [{"a": ["b"]}]})).contains("at least two"));
        assert!(rejected(json!({"$or": [{"a": ["b"]}, "c"]})).contains("must be an object"));
    }
}
