//! What a deploy or a diff shows before anything changes, as Terraform's
//! plan shows it: a summary first (per region and stack, the counts to add,
//! modify, replace and remove, and what needs attention: replacements,
//! removals, widened access), the details under it, and access that widens
//! told as sentences ("trade_api's role may now dynamodb:PutItem on table
//! sessions (ddb-sessions-us-east-1-dev)").
//!
//! Rendering is to a `String` with a [`Palette`] that is on or off, so the
//! same text is tested both ways; [`Palette::for_stdout`] decides for a
//! run (off when `NO_COLOR` is set or standard output is not a terminal).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::diff::{Action, Replacement, ResourceChange};
use crate::guards::{Broadening, Grant, Widening};

/// Whether text is coloured, and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    on: bool,
}

impl Palette {
    /// Colour as standard output takes it: off when `NO_COLOR` is set or it
    /// is not a terminal, on when `CLICOLOR_FORCE` is set.
    pub fn for_stdout() -> Palette {
        Palette {
            on: anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
        }
    }

    /// No escape codes at all.
    pub const PLAIN: Palette = Palette { on: false };
    /// Always escape codes.
    pub const COLOURED: Palette = Palette { on: true };

    /// `text` in `style`, when colour is on.
    pub fn paint(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn fg(self, colour: AnsiColor, text: &str) -> String {
        self.paint(Style::new().fg_color(Some(colour.into())), text)
    }

    fn bold(self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
}

/// How a resource changes, with Terraform's mark and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Modify,
    Replace,
    Remove,
}

impl Kind {
    fn of(change: &ResourceChange) -> Kind {
        match (change.action, change.replacement) {
            (Action::Add, _) => Kind::Add,
            (Action::Remove, _) => Kind::Remove,
            (Action::Modify, Replacement::Never) => Kind::Modify,
            (Action::Modify, _) => Kind::Replace,
        }
    }

    fn mark(self, palette: Palette) -> String {
        match self {
            Kind::Add => palette.fg(AnsiColor::Green, "  +"),
            Kind::Modify => palette.fg(AnsiColor::Yellow, "  ~"),
            Kind::Replace => palette.fg(AnsiColor::Magenta, "-/+"),
            Kind::Remove => palette.fg(AnsiColor::Red, "  -"),
        }
    }
}

/// How many resources a stack's change adds, modifies in place, replaces
/// and removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub add: usize,
    pub modify: usize,
    pub replace: usize,
    pub remove: usize,
}

impl Counts {
    /// The counts of `changes`; a replacement counts as a replacement only.
    pub fn of(changes: &[ResourceChange]) -> Counts {
        let mut counts = Counts::default();
        for change in changes {
            match Kind::of(change) {
                Kind::Add => counts.add += 1,
                Kind::Modify => counts.modify += 1,
                Kind::Replace => counts.replace += 1,
                Kind::Remove => counts.remove += 1,
            }
        }
        counts
    }

    fn render(self, palette: Palette) -> String {
        let part = |n: usize, what: &str, colour| {
            let text = format!("{n} to {what}");
            if n == 0 {
                text
            } else {
                palette.fg(colour, &text)
            }
        };
        format!(
            "{}, {}, {}, {}",
            part(self.add, "add", AnsiColor::Green),
            part(self.modify, "modify", AnsiColor::Yellow),
            part(self.replace, "replace", AnsiColor::Magenta),
            part(self.remove, "remove", AnsiColor::Red),
        )
    }
}

/// One stack's part of a review.
pub struct StackReview<'a> {
    pub name: &'a str,
    pub region: &'a str,
    pub notes: &'a [String],
    /// `None`: nothing changes.
    pub changes: Option<&'a [ResourceChange]>,
    /// Access the change widens ([`crate::guards::broadening`]).
    pub widening: &'a [Broadening],
    /// The deployed template (`null` for a new stack) and the new one, which
    /// name what the widened statements hold and grant.
    pub old: &'a Value,
    pub new: &'a Value,
}

impl StackReview<'_> {
    fn changes(&self) -> &[ResourceChange] {
        self.changes.unwrap_or(&[])
    }
}

/// The review of every stack: the summary, then each stack's details.
pub fn render(stacks: &[StackReview<'_>], palette: Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", palette.bold("Summary"));
    let region_width = stacks.iter().map(|s| s.region.len()).max().unwrap_or(0);
    let name_width = stacks.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in stacks {
        let changes = s.changes();
        let counts = if changes.is_empty() {
            "no changes".to_owned()
        } else {
            Counts::of(changes).render(palette)
        };
        let _ = writeln!(
            out,
            "  {:region_width$}  {:name_width$}  {counts}",
            s.region, s.name
        );
        let indent = " ".repeat(region_width + 4);
        for line in attention(s, palette) {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    for s in stacks {
        let _ = writeln!(out);
        out.push_str(&render_stack(s, palette));
    }
    out
}

/// What needs a reader's attention in one stack: each replacement and
/// removal, and how much access widens.
fn attention(s: &StackReview<'_>, palette: Palette) -> Vec<String> {
    let warn = palette.fg(AnsiColor::Red, "!");
    let mut lines = Vec::new();
    for change in s.changes() {
        let what = match Kind::of(change) {
            Kind::Replace if change.replacement == Replacement::Conditional => "may replace",
            Kind::Replace => "replaces",
            Kind::Remove => "removes",
            _ => continue,
        };
        lines.push(format!(
            "{warn} {what} {} ({})",
            change.logical_id, change.resource_type
        ));
    }
    if !s.widening.is_empty() {
        let n = s.widening.len();
        lines.push(format!(
            "{warn} widens access: {n} {}",
            if n == 1 { "statement" } else { "statements" }
        ));
    }
    lines
}

/// One stack's details: its notes, each resource with its changed
/// properties, the counts, and the access it widens as sentences.
pub fn render_stack(s: &StackReview<'_>, palette: Palette) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        palette.bold(&format!("{} ({})", s.name, s.region))
    );
    for note in s.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let changes = s.changes();
    if changes.is_empty() {
        let _ = writeln!(out, "no changes");
        return out;
    }
    for change in changes {
        let kind = Kind::of(change);
        let note = match change.replacement {
            Replacement::Always if kind == Kind::Replace => " (replacement)",
            Replacement::Conditional if kind == Kind::Replace => " (may be replaced)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{} {} {}{note}",
            kind.mark(palette),
            change.resource_type,
            change.logical_id
        );
        for property in &change.properties {
            let replaces = if property.replaces {
                palette.fg(AnsiColor::Magenta, " (replaces)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "      └─ {}{replaces}", property.path);
        }
    }
    let _ = writeln!(out, "{}", Counts::of(changes).render(palette));
    if !s.widening.is_empty() {
        let _ = writeln!(out, "{}", palette.bold("Access widened:"));
        for b in s.widening {
            let _ = writeln!(out, "  {}", statement(b, s.old, s.new));
        }
    }
    out
}

/// A widening as a sentence.
pub fn statement(b: &Broadening, old: &Value, new: &Value) -> String {
    let holder = holder_phrase(&b.resource, old, new);
    match &b.kind {
        Widening::Allowed(grant) => {
            format!(
                "{} may now {}{}",
                who(grant, &holder),
                grant_object(grant, &holder, old, new),
                condition(grant)
            )
        }
        Widening::DenyRemoved(grant) => format!(
            "{} is no longer denied {}{}",
            who(grant, &holder),
            grant_object(grant, &holder, old, new),
            condition(grant)
        ),
        Widening::Attached(what) => attached(&holder, what),
    }
}

/// Who a statement speaks of: its principal, else what holds it (an
/// identity policy's role).
fn who(grant: &Grant, holder: &str) -> String {
    if grant.principal.is_empty() {
        return holder.to_owned();
    }
    principal_phrase(&grant.principal)
}

/// `action on resource`; a statement naming no resource (a trust policy)
/// is about what holds it.
fn grant_object(grant: &Grant, holder: &str, old: &Value, new: &Value) -> String {
    let resource = if grant.resource.is_empty() {
        holder.to_owned()
    } else {
        resource_phrase(&grant.resource, old, new)
    };
    format!("{} on {resource}", grant.action)
}

fn condition(grant: &Grant) -> String {
    if grant.condition.is_empty() {
        String::new()
    } else {
        format!(" when {}", grant.condition)
    }
}

fn principal_phrase(principal: &str) -> String {
    if principal == "*" {
        return "anyone".to_owned();
    }
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(principal) {
        let parts: Vec<String> = map
            .iter()
            .flat_map(|(kind, v)| {
                let values: Vec<String> = match v {
                    Value::Array(items) => items.iter().map(compact).collect(),
                    other => vec![compact(other)],
                };
                values.into_iter().map(move |value| match kind.as_str() {
                    "Service" => format!("service {value}"),
                    "AWS" if value == "*" => "any AWS principal".to_owned(),
                    _ => value,
                })
            })
            .collect();
        return parts.join(" and ");
    }
    if principal.ends_with(".amazonaws.com") {
        return format!("service {principal}");
    }
    principal.to_owned()
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A resource named by a statement: `*`, an ARN, or an intrinsic naming a
/// resource of the template.
fn resource_phrase(resource: &str, old: &Value, new: &Value) -> String {
    if resource == "*" {
        return "any resource".to_owned();
    }
    let Ok(value) = serde_json::from_str::<Value>(resource) else {
        return resource.to_owned();
    };
    let logical = value["Fn::GetAtt"][0]
        .as_str()
        .or(value["Ref"].as_str())
        .or_else(|| {
            value["Fn::GetAtt"]
                .as_str()
                .and_then(|s| s.split('.').next())
        });
    if let Some(id) = logical {
        let suffix = match value["Fn::GetAtt"][1].as_str() {
            Some(attr) if attr != "Arn" => format!("'s {attr}"),
            _ => String::new(),
        };
        return format!("{}{suffix}", logical_phrase(id, old, new));
    }
    match &value["Fn::Sub"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) if parts[0].is_string() => compact(&parts[0]),
        _ => resource.to_owned(),
    }
}

/// What a role or policy holding a statement is called: a function's role
/// as that function's (`trade_api's role`), else by kind and id.
fn holder_phrase(id: &str, old: &Value, new: &Value) -> String {
    let resource = find(id, old, new);
    let kind = resource["Type"].as_str().unwrap_or("");
    if kind == "AWS::IAM::Role" {
        if let Some(owner) = id.strip_suffix("FunctionRole").filter(|o| !o.is_empty()) {
            return format!("{}'s role", snake(owner));
        }
    }
    logical_phrase(id, old, new)
}

/// `table sessions (ddb-sessions-us-east-1-dev)`: the kind, the declared
/// name (the logical id less its kind), and the physical name when the
/// template gives it.
fn logical_phrase(id: &str, old: &Value, new: &Value) -> String {
    let resource = find(id, old, new);
    if resource.is_null() && !new["Parameters"][id].is_null() {
        return format!("the resource parameter {id} names");
    }
    let kind = resource["Type"].as_str().unwrap_or("");
    let (noun, suffix, name_property) = noun(kind);
    let declared = id
        .strip_suffix(suffix)
        .filter(|d| !d.is_empty() && !suffix.is_empty())
        .map(snake)
        .unwrap_or_else(|| id.to_owned());
    let physical = resource["Properties"][name_property]
        .as_str()
        .filter(|_| !name_property.is_empty());
    match physical {
        Some(name) => format!("{noun} {declared} ({name})"),
        None if declared != id => format!("{noun} {declared} ({id})"),
        None => format!("{noun} {declared}"),
    }
}

fn find<'v>(id: &str, old: &'v Value, new: &'v Value) -> &'v Value {
    match &new["Resources"][id] {
        Value::Null => &old["Resources"][id],
        found => found,
    }
}

/// A resource type's noun, the suffix its logical ids end with, and the
/// property holding its physical name.
fn noun(kind: &str) -> (&str, &'static str, &'static str) {
    match kind {
        "AWS::DynamoDB::Table" => ("table", "Table", "TableName"),
        "AWS::SQS::Queue" => ("queue", "Queue", "QueueName"),
        "AWS::SNS::Topic" => ("topic", "Topic", "TopicName"),
        "AWS::S3::Bucket" => ("bucket", "Bucket", "BucketName"),
        "AWS::KMS::Key" => ("key", "Key", ""),
        "AWS::Lambda::Function" => ("function", "Function", "FunctionName"),
        "AWS::Logs::LogGroup" => ("log group", "LogGroup", "LogGroupName"),
        "AWS::IAM::Role" => ("role", "Role", "RoleName"),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => ("policy", "Policy", ""),
        "AWS::SecretsManager::Secret" => ("secret", "Secret", "Name"),
        "AWS::Events::EventBus" => ("event bus", "Bus", "Name"),
        "AWS::EC2::SecurityGroup" => ("security group", "SecurityGroup", "GroupName"),
        "" => ("resource", "", ""),
        other => (other.rsplit("::").next().unwrap_or(other), "", ""),
    }
}

/// `TradeApi` -> `trade_api`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A managed policy or a security-group rule, as a sentence.
fn attached(holder: &str, what: &str) -> String {
    if let Some(arn) = what.strip_prefix("managed policy ") {
        return format!("{holder} now has the managed policy {arn}");
    }
    for (prefix, verb, direction) in [
        ("ingress ", "now admits", "from"),
        ("egress ", "may now send", "to"),
    ] {
        if let Some(rule) = what.strip_prefix(prefix) {
            let Ok(rule) = serde_json::from_str::<Value>(rule) else {
                return format!("{holder} {verb} {rule}");
            };
            let protocol = match compact(&rule["IpProtocol"]).as_str() {
                "-1" => "all traffic".to_owned(),
                p => p.to_owned(),
            };
            let ports = match (&rule["FromPort"], &rule["ToPort"]) {
                (Value::Null, _) => String::new(),
                (from, to) if from == to || to.is_null() => format!(" port {}", compact(from)),
                (from, to) => format!(" ports {}-{}", compact(from), compact(to)),
            };
            let peer = [
                "CidrIp",
                "CidrIpv6",
                "SourceSecurityGroupId",
                "DestinationSecurityGroupId",
                "SourcePrefixListId",
                "DestinationPrefixListId",
            ]
            .iter()
            .find_map(|k| rule.get(*k))
            .map(compact)
            .unwrap_or_else(|| "anywhere".to_owned());
            return format!("{holder} {verb} {protocol}{ports} {direction} {peer}");
        }
    }
    format!("{holder}: {what}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::diff::{PropertyChange, compare};
    use crate::guards::broadening;

    fn change(id: &str, kind: &str, action: Action, replacement: Replacement) -> ResourceChange {
        ResourceChange {
            logical_id: id.into(),
            resource_type: kind.into(),
            action,
            replacement,
            properties: if action == Action::Modify {
                vec![PropertyChange {
                    path: "Properties.TableName".into(),
                    replaces: replacement != Replacement::Never,
                }]
            } else {
                Vec::new()
            },
        }
    }

    fn sample() -> Vec<ResourceChange> {
        vec![
            change(
                "AuditTopic",
                "AWS::SNS::Topic",
                Action::Add,
                Replacement::Never,
            ),
            change(
                "ConfigBucket",
                "AWS::S3::Bucket",
                Action::Remove,
                Replacement::Never,
            ),
            change(
                "SessionsTable",
                "AWS::DynamoDB::Table",
                Action::Modify,
                Replacement::Always,
            ),
            change(
                "OrdersQueue",
                "AWS::SQS::Queue",
                Action::Modify,
                Replacement::Never,
            ),
            change(
                "AlertsQueue",
                "AWS::SQS::Queue",
                Action::Add,
                Replacement::Never,
            ),
        ]
    }

    fn role(actions: &[&str]) -> Value {
        json!({"Resources": {
            "TradeApiFunctionRole": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": "role-trade-api-us-east-1-dev",
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                    {"Effect": "Allow", "Action": actions, "Resource": {"Fn::GetAtt": ["TradesTable", "Arn"]}}
                ]}}]
            }},
            "TradesTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "ddb-trades-us-east-1-dev"}},
        }})
    }

    fn review<'a>(
        name: &'a str,
        region: &'a str,
        changes: Option<&'a [ResourceChange]>,
        widening: &'a [Broadening],
        old: &'a Value,
        new: &'a Value,
    ) -> StackReview<'a> {
        StackReview {
            name,
            region,
            notes: &[],
            changes,
            widening,
            old,
            new,
        }
    }

    #[test]
    fn the_counts_tell_replacements_apart_from_modifications() {
        assert_eq!(
            Counts::of(&sample()),
            Counts {
                add: 2,
                modify: 1,
                replace: 1,
                remove: 1
            }
        );
        let conditional = [change(
            "T",
            "AWS::DynamoDB::Table",
            Action::Modify,
            Replacement::Conditional,
        )];
        assert_eq!(Counts::of(&conditional).replace, 1);
    }

    #[test]
    fn the_summary_comes_first_with_counts_and_what_needs_attention_per_region() {
        let changes = sample();
        let (old, new) = (
            role(&["dynamodb:GetItem"]),
            role(&["dynamodb:GetItem", "dynamodb:PutItem"]),
        );
        let widening = broadening(&old, &new);
        let stacks = [
            review(
                "tp-us-east-1-dev",
                "us-east-1",
                Some(&changes),
                &widening,
                &old,
                &new,
            ),
            review(
                "tp-us-west-2-dev",
                "us-west-2",
                None,
                &[],
                &Value::Null,
                &Value::Null,
            ),
        ];
        let text = render(&stacks, Palette::PLAIN);
        let summary = "Summary\n  \
            us-east-1  tp-us-east-1-dev  2 to add, 1 to modify, 1 to replace, 1 to remove\n             \
            ! removes ConfigBucket (AWS::S3::Bucket)\n             \
            ! replaces SessionsTable (AWS::DynamoDB::Table)\n             \
            ! widens access: 1 statement\n  \
            us-west-2  tp-us-west-2-dev  no changes\n\n";
        assert!(text.starts_with(summary), "{text}");
        let details = &text[summary.len()..];
        assert!(
            details.starts_with("tp-us-east-1-dev (us-east-1)\n"),
            "{details}"
        );
        for line in [
            "  + AWS::SNS::Topic AuditTopic\n",
            "  - AWS::S3::Bucket ConfigBucket\n",
            "-/+ AWS::DynamoDB::Table SessionsTable (replacement)\n      └─ Properties.TableName (replaces)\n",
            "  ~ AWS::SQS::Queue OrdersQueue\n      └─ Properties.TableName\n",
            "Access widened:\n  trade_api's role may now dynamodb:PutItem on table trades (ddb-trades-us-east-1-dev)\n",
            "\ntp-us-west-2-dev (us-west-2)\nno changes\n",
        ] {
            assert!(details.contains(line), "{line:?} missing from\n{details}");
        }
    }

    #[test]
    fn colour_marks_each_kind_only_when_on() {
        let changes = sample();
        let stacks = [review(
            "s",
            "us-east-1",
            Some(&changes),
            &[],
            &Value::Null,
            &Value::Null,
        )];
        let plain = render(&stacks, Palette::PLAIN);
        assert!(!plain.contains('\x1b'), "{plain:?}");
        let coloured = render(&stacks, Palette::COLOURED);
        let green = Style::new()
            .fg_color(Some(AnsiColor::Green.into()))
            .render()
            .to_string();
        let yellow = Style::new()
            .fg_color(Some(AnsiColor::Yellow.into()))
            .render()
            .to_string();
        let magenta = Style::new()
            .fg_color(Some(AnsiColor::Magenta.into()))
            .render()
            .to_string();
        let red = Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .render()
            .to_string();
        let reset = Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .render_reset()
            .to_string();
        for expected in [
            format!("{green}  +{reset} AWS::SNS::Topic AuditTopic"),
            format!("{yellow}  ~{reset} AWS::SQS::Queue OrdersQueue"),
            format!("{magenta}-/+{reset} AWS::DynamoDB::Table SessionsTable"),
            format!("{red}  -{reset} AWS::S3::Bucket ConfigBucket"),
        ] {
            assert!(
                coloured.contains(&expected),
                "{expected:?} missing from {coloured:?}"
            );
        }
        // Without the escape codes, the coloured text is the plain one.
        let stripped = anstream::adapter::strip_str(&coloured).to_string();
        assert_eq!(stripped, plain);
    }

    #[test]
    fn widening_reads_as_sentences_naming_who_may_do_what_on_which_resource() {
        let new = role(&["dynamodb:PutItem"]);
        let found = broadening(&Value::Null, &new);
        let sentences: Vec<String> = found
            .iter()
            .map(|b| statement(b, &Value::Null, &new))
            .collect();
        assert_eq!(
            sentences,
            [
                "trade_api's role may now dynamodb:PutItem on table trades (ddb-trades-us-east-1-dev)",
                "service lambda.amazonaws.com may now sts:AssumeRole on trade_api's role",
            ]
        );
    }

    #[test]
    fn removed_denies_rules_managed_policies_and_permissions_read_as_sentences() {
        let old = json!({"Resources": {
            "ConfigBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::config/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            ]}}},
        }});
        let new = json!({"Resources": {
            "ConfigBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": []}}},
            "DbSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.0.0/16"}
            ]}},
            "NightlyBackupRole": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}},
            "ApiPermission": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com", "FunctionName": {"Ref": "TradeApiFunction"}}},
            "TradeApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "lambda-trade-api-us-east-1-dev"}},
        }});
        let sentences: Vec<String> = broadening(&old, &new)
            .iter()
            .map(|b| statement(b, &old, &new))
            .collect();
        assert_eq!(
            sentences,
            [
                "service apigateway.amazonaws.com may now lambda:InvokeFunction on function trade_api (lambda-trade-api-us-east-1-dev)",
                "anyone is no longer denied s3:* on arn:aws:s3:::config/* when {\"Bool\":{\"aws:SecureTransport\":\"false\"}}",
                "security group db (DbSecurityGroup) now admits tcp port 5432 from 10.0.0.0/16",
                "role nightly_backup (NightlyBackupRole) now has the managed policy arn:aws:iam::aws:policy/ReadOnlyAccess",
            ]
        );
    }

    #[test]
    fn a_stack_without_changes_says_so_and_a_template_change_is_detailed() {
        let t = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}}});
        let changes = compare(&t, &t);
        let s = review("s", "eu-west-1", Some(&changes), &[], &t, &t);
        assert_eq!(
            render_stack(&s, Palette::PLAIN),
            "s (eu-west-1)\nno changes\n"
        );
    }
}
