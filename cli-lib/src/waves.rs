//! The order a deploy brings its stacks up in, and the values `tp` passes
//! to their parameters.
//!
//! A stack that reads outputs of another stack ([`Import`]: a regional stack
//! reading the environment's global stack) deploys after it: the stacks go
//! in waves, each wave's stacks in parallel, a wave once the waves it reads
//! from are complete. A destroy deletes the waves in the reverse order.
//!
//! Before a stack's change set is prepared, each import is read from the
//! exporting stack's outputs (DescribeStacks in that stack's region) and
//! each [`ZoneLookup`] from Route 53 (the account's one public hosted zone
//! of that name). An import whose value is not known yet (the exporting
//! stack is not deployed, or its change set replaces what it exports) is
//! [`Param::Pending`]: its wave is prepared once the waves before it are
//! complete.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudformation::types::Stack as CfnStack;
use platform_core::synth::{Import, NestedStack, Stack, ZoneLookup};
use serde_json::Value;

use crate::aws::{Connection, Session};
use crate::diff::{Action, Replacement, ResourceChange};
use crate::exit::{self, Exit};
use crate::stacks;

/// The waves of `stacks`: indexes into `stacks`, first the stacks that read
/// no other stack of the deploy, then each stack once every stack it reads
/// from is in an earlier wave. Imports from stacks outside the deploy do
/// not order anything (they must be deployed already).
pub fn plan(stacks: &[Stack]) -> anyhow::Result<Vec<Vec<usize>>> {
    let index: BTreeMap<(&str, &str), usize> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.region.as_str(), s.name.as_str()), i))
        .collect();
    let reads: Vec<BTreeSet<usize>> = stacks
        .iter()
        .map(|s| {
            s.imports
                .iter()
                .filter_map(|i| index.get(&(i.region.as_str(), i.stack.as_str())).copied())
                .collect()
        })
        .collect();
    let mut wave_of: Vec<Option<usize>> = vec![None; stacks.len()];
    let mut waves: Vec<Vec<usize>> = Vec::new();
    while wave_of.iter().any(Option::is_none) {
        let ready: Vec<usize> = (0..stacks.len())
            .filter(|&i| wave_of[i].is_none())
            .filter(|&i| reads[i].iter().all(|&r| wave_of[r].is_some()))
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = (0..stacks.len())
                .filter(|&i| wave_of[i].is_none())
                .map(|i| stacks[i].name.as_str())
                .collect();
            return Err(Exit::new(
                exit::INVALID_INPUT,
                format!(
                    "the stacks {} read each other's outputs, so none can deploy first; an import must name the environment's global stack, which imports nothing",
                    stuck.join(", ")
                ),
            )
            .into());
        }
        for &i in &ready {
            wave_of[i] = Some(waves.len());
        }
        waves.push(ready);
    }
    Ok(waves)
}

/// The value given to one parameter of a change set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// Read from the exporting stack or from Route 53.
    Known(String),
    /// Not known until the exporting stack deploys: why, for the output.
    Pending(String),
}

/// A stack's parameters that `tp` fills, by parameter name.
pub type Params = BTreeMap<String, Param>;

/// The known values of `params`.
pub fn known(params: &Params) -> BTreeMap<String, String> {
    params
        .iter()
        .filter_map(|(k, v)| match v {
            Param::Known(v) => Some((k.clone(), v.clone())),
            Param::Pending(_) => None,
        })
        .collect()
}

/// The parameters of `params` whose value is not known yet, with why.
pub fn pending(params: &Params) -> Vec<(&str, &str)> {
    params
        .iter()
        .filter_map(|(k, v)| match v {
            Param::Pending(why) => Some((k.as_str(), why.as_str())),
            Param::Known(_) => None,
        })
        .collect()
}

/// The parameter values a deployed stack has.
pub fn deployed_parameters(stack: &CfnStack) -> BTreeMap<String, String> {
    stack
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A state in which a stack's outputs are those of a complete deploy: it
/// was created, updated or rolled back to its last good template.
pub fn usable(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE"
            | "UPDATE_COMPLETE"
            | "UPDATE_ROLLBACK_COMPLETE"
            | "IMPORT_COMPLETE"
            | "IMPORT_ROLLBACK_COMPLETE"
    )
}

/// Whether a deployed output keeps its value through a change: the output
/// is defined the same way in `old` and `new` (the deployed and the wanted
/// template), and nothing it refers to is removed or replaced. An output
/// held by a nested stack (`nested`, a split template) keeps its value when
/// that nested stack does not change. `changes` is `None` when nothing
/// changes.
pub fn output_kept(
    old: &Value,
    new: &Value,
    nested: &[NestedStack],
    changes: Option<&[ResourceChange]>,
    output: &str,
) -> bool {
    let Some(changes) = changes else {
        return true;
    };
    let touched = |id: &str| changes.iter().any(|c| c.logical_id == id);
    if let Some(n) = nested
        .iter()
        .find(|n| n.outputs.iter().any(|o| o == output))
    {
        return !touched(&n.logical_id);
    }
    let before = &old["Outputs"][output]["Value"];
    let after = &new["Outputs"][output]["Value"];
    if before.is_null() || before != after {
        return false;
    }
    let mut refs = BTreeSet::new();
    references(after, &mut refs);
    changes
        .iter()
        .filter(|c| refs.contains(&c.logical_id))
        .all(|c| c.action == Action::Modify && c.replacement == Replacement::Never)
}

/// The logical ids a JSON template value refers to: `Ref`, `Fn::GetAtt`
/// and `${Id}` / `${Id.Attr}` in `Fn::Sub`.
fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("Ref", Value::String(id)) => {
                        out.insert(id.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(id) = parts.first().and_then(Value::as_str) {
                            out.insert(id.to_owned());
                        }
                    }
                    ("Fn::GetAtt", Value::String(path)) => {
                        out.insert(path.split('.').next().unwrap_or_default().to_owned());
                    }
                    ("Fn::Sub", Value::String(s)) => sub_references(s, out),
                    ("Fn::Sub", Value::Array(parts)) => {
                        // `${Name}`s that are the Sub's own variables are
                        // not references.
                        if let Some(s) = parts.first().and_then(Value::as_str) {
                            let mut named = BTreeSet::new();
                            sub_references(s, &mut named);
                            let vars = parts.get(1).and_then(Value::as_object);
                            out.extend(
                                named
                                    .into_iter()
                                    .filter(|n| vars.is_none_or(|v| !v.contains_key(n))),
                            );
                        }
                        parts.iter().skip(1).for_each(|v| references(v, out));
                    }
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn sub_references(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') && !name.starts_with("AWS::") {
            out.insert(name.split('.').next().unwrap_or_default().to_owned());
        }
        rest = &after[end + 1..];
    }
}

/// A stack's outputs with those of its nested stacks (a split template's
/// parent holds none of the platform's), and its state; `None` when it is
/// not deployed.
pub async fn stack_outputs(
    s: &Session,
    name: &str,
) -> anyhow::Result<Option<(String, BTreeMap<String, String>)>> {
    let Some(stack) = stacks::find(s, name).await? else {
        return Ok(None);
    };
    let status = stacks::status(&stack).to_owned();
    if status == "REVIEW_IN_PROGRESS" {
        return Ok(None);
    }
    let mut outputs = BTreeMap::new();
    for id in stacks::nested_stack_ids(s, name).await?.values() {
        if let Some(child) = stacks::find(s, id).await? {
            outputs.extend(stacks::outputs(&child));
        }
    }
    outputs.extend(stacks::outputs(&stack));
    Ok(Some((status, outputs)))
}

/// The id of the account's one public hosted zone named `domain`. None, or
/// more than one, is refused ([`exit::INVALID_INPUT`]) naming the domain.
pub async fn zone_id(s: &Session, domain: &str, parameter: &str) -> anyhow::Result<String> {
    let fqdn = format!("{}.", domain.trim_end_matches('.'));
    let mut found = Vec::new();
    let mut next: Option<(String, Option<String>)> = Some((fqdn.clone(), None));
    // Zones are listed in name order from `fqdn`: the ones of this name
    // come first, so paging stops at the first other name.
    while let Some((name, zone)) = next.take() {
        let out = s
            .route53
            .list_hosted_zones_by_name()
            .dns_name(name)
            .set_hosted_zone_id(zone)
            .send()
            .await
            .map_err(|e| s.error(&format!("look up the hosted zone {domain}"), e))?;
        let mut other_name = false;
        for z in out.hosted_zones() {
            if !z.name().eq_ignore_ascii_case(&fqdn) {
                other_name = true;
                continue;
            }
            if z.config().is_some_and(|c| c.private_zone()) {
                continue;
            }
            found.push(z.id().trim_start_matches("/hostedzone/").to_owned());
        }
        if out.is_truncated() && !other_name {
            next = out
                .next_dns_name()
                .map(|n| (n.to_owned(), out.next_hosted_zone_id().map(str::to_owned)));
        }
    }
    let account = if s.account.is_empty() {
        s.caller_identity()
            .await
            .map(|(a, _)| a)
            .unwrap_or_else(|_| "of the credentials".to_owned())
    } else {
        s.account.clone()
    };
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Exit::new(
            exit::INVALID_INPUT,
            format!(
                "no public hosted zone named {domain} in account {account}: the stack's parameter {parameter} takes its id. Create the zone (or move the domain's zone into this account) and deploy again; nothing was changed"
            ),
        )
        .into()),
        many => Err(Exit::new(
            exit::INVALID_INPUT,
            format!(
                "{} public hosted zones are named {domain} ({}): the stack's parameter {parameter} takes the id of one. Delete the zones the domain is not delegated to and deploy again; nothing was changed",
                many.len(),
                many.join(", ")
            ),
        )
        .into()),
    }
}

/// What the parameters of a deploy's stacks are read from before any of
/// them changes: the hosted zones, and the exporting stacks that are not
/// part of the deploy.
pub struct Inputs {
    /// Hosted zone id by domain.
    zones: BTreeMap<String, String>,
    /// Outputs by (region, stack) of the exporting stacks outside the
    /// deploy; `Err` says why they cannot be read (not deployed, not
    /// complete, output missing).
    outside: BTreeMap<(String, String), Result<BTreeMap<String, String>, String>>,
}

impl Inputs {
    /// Reads the hosted zones `stacks` look up and the stacks outside the
    /// deploy they import from. `sessions` are the deploy's, one per stack;
    /// other regions get their own session on `connection`.
    pub async fn read(
        stacks: &[Stack],
        sessions: &[&Session],
        connection: &Connection,
    ) -> anyhow::Result<Inputs> {
        let mut zones = BTreeMap::new();
        for (stack, s) in stacks.iter().zip(sessions) {
            for ZoneLookup { parameter, domain } in &stack.zone_lookups {
                if !zones.contains_key(domain) {
                    zones.insert(domain.clone(), zone_id(s, domain, parameter).await?);
                }
            }
        }
        let inside: BTreeSet<(&str, &str)> = stacks
            .iter()
            .map(|s| (s.region.as_str(), s.name.as_str()))
            .collect();
        let mut outside = BTreeMap::new();
        for import in stacks.iter().flat_map(|s| &s.imports) {
            let key = (import.region.clone(), import.stack.clone());
            if inside.contains(&(key.0.as_str(), key.1.as_str())) || outside.contains_key(&key) {
                continue;
            }
            let session = match sessions.iter().find(|s| s.region == import.region) {
                Some(s) => (*s).clone(),
                None => Session::new(&import.region, connection).await?,
            };
            let read = match stack_outputs(&session, &import.stack).await? {
                None => Err("it is not deployed".to_owned()),
                Some((status, _)) if !usable(&status) => Err(format!("it is in {status}")),
                Some((_, outputs)) => Ok(outputs),
            };
            outside.insert(key, read);
        }
        Ok(Inputs { zones, outside })
    }

    /// Refuses ([`exit::INVALID_INPUT`]) when an import of `stacks` from a
    /// stack outside the deploy cannot be read: that stack must be deployed
    /// first. Nothing has changed when this is called.
    pub fn require_outside(&self, stacks: &[Stack]) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        for stack in stacks {
            for i in &stack.imports {
                if let Err(why) = self.outside_value(i) {
                    problems.push(format!("  {}: {why}", stack.name));
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(Exit::new(
            exit::INVALID_INPUT,
            format!(
                "refusing to deploy: stacks read outputs of stacks that are not part of this deploy and cannot be read:\n{}\ndeploy the global region first (`tp deploy` with its `--region`, or every region at once); nothing was changed",
                problems.join("\n")
            ),
        )
        .into())
    }

    /// An import's value from a stack outside the deploy, or why there is
    /// none; `Ok(None)` for a stack inside the deploy.
    fn outside_value(&self, i: &Import) -> Result<Option<String>, String> {
        let Some(read) = self.outside.get(&(i.region.clone(), i.stack.clone())) else {
            return Ok(None);
        };
        let describe = |why: &str| {
            format!(
                "parameter {} takes output {} of {} in {}, but {why}",
                i.parameter, i.output, i.stack, i.region
            )
        };
        match read {
            Err(why) => Err(describe(why)),
            Ok(outputs) => match outputs.get(&i.output) {
                Some(v) => Ok(Some(v.clone())),
                None => Err(describe("it has no such output")),
            },
        }
    }

    /// The parameters `tp` fills of `stack`: each hosted zone's id, and
    /// each import's value. An import from a stack of the deploy is read
    /// from `exporters`; it is [`Param::Pending`] while that stack is not
    /// deployed, or when its prepared change would change the output.
    pub async fn params(
        &self,
        stack: &Stack,
        exporters: &[Exporter<'_>],
    ) -> anyhow::Result<Params> {
        let mut params = Params::new();
        for z in &stack.zone_lookups {
            let id = self.zones.get(&z.domain).cloned().unwrap_or_default();
            params.insert(z.parameter.clone(), Param::Known(id));
        }
        for i in &stack.imports {
            let value = match self.outside_value(i) {
                Ok(Some(v)) => Param::Known(v),
                Err(why) => Param::Pending(why),
                Ok(None) => match exporters
                    .iter()
                    .find(|e| e.session.region == i.region && e.name == i.stack)
                {
                    Some(e) => e.value(i).await?,
                    None => Param::Pending(format!(
                        "output {} of {} in {} is not read by this deploy",
                        i.output, i.stack, i.region
                    )),
                },
            };
            params.insert(i.parameter.clone(), value);
        }
        Ok(params)
    }
}

/// A stack of the deploy that others import from.
pub struct Exporter<'a> {
    pub session: &'a Session,
    pub name: &'a str,
    /// Its change, when prepared and not executed yet: the deployed and
    /// the wanted template, its nested stacks, and the change set's changes
    /// (`None`: nothing changes).
    pub prepared: Option<Prepared<'a>>,
}

/// A prepared change of an [`Exporter`].
pub struct Prepared<'a> {
    pub old: &'a Value,
    pub new: &'a Value,
    pub nested: &'a [NestedStack],
    pub changes: Option<&'a [ResourceChange]>,
}

impl Exporter<'_> {
    /// The value `import` gets from this stack now.
    async fn value(&self, i: &Import) -> anyhow::Result<Param> {
        let read = stack_outputs(self.session, self.name).await?;
        let deployed = read
            .as_ref()
            .filter(|(status, _)| usable(status))
            .and_then(|(_, outputs)| outputs.get(&i.output));
        let Some(p) = &self.prepared else {
            // Deployed by this run: the output must be there now.
            return match deployed {
                Some(v) => Ok(Param::Known(v.clone())),
                None => Err(Exit::new(
                    exit::INVALID_INPUT,
                    format!(
                        "{} in {} was deployed but gives no output {} (state {}), which parameter {} of another stack takes: synthesize the stacks again with this tp and deploy them together",
                        self.name,
                        i.region,
                        i.output,
                        read.map_or_else(|| "not deployed".to_owned(), |(s, _)| s),
                        i.parameter
                    ),
                )
                .into()),
            };
        };
        Ok(match deployed {
            None => Param::Pending(format!(
                "output {} of {} in {}, not known until that stack is deployed",
                i.output, self.name, i.region
            )),
            Some(_) if !output_kept(p.old, p.new, p.nested, p.changes, &i.output) => {
                Param::Pending(format!(
                    "output {} of {} in {}, which that stack's changes may change: known once it is deployed",
                    i.output, self.name, i.region
                ))
            }
            Some(v) => Param::Known(v.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stack(name: &str, region: &str, imports: &[(&str, &str)]) -> Stack {
        Stack {
            name: name.into(),
            region: region.into(),
            template: Default::default(),
            body: String::new(),
            assets: Vec::new(),
            nested: Vec::new(),
            guard_alarms: Vec::new(),
            rollback_window_minutes: 0,
            after_deploy: Vec::new(),
            imports: imports
                .iter()
                .map(|(stack, region)| Import {
                    parameter: "ZoneId".into(),
                    stack: (*stack).into(),
                    region: (*region).into(),
                    output: "ZoneId".into(),
                })
                .collect(),
            zone_lookups: Vec::new(),
        }
    }

    const GLOBAL: (&str, &str) = ("p-us-east-1-dev", "us-east-1");

    #[test]
    fn the_global_stack_deploys_first_then_the_regions_that_import_from_it_together() {
        let stacks = [
            stack("p-us-east-2-dev", "us-east-2", &[GLOBAL]),
            stack(GLOBAL.0, GLOBAL.1, &[]),
            stack("p-us-west-2-dev", "us-west-2", &[GLOBAL]),
        ];
        assert_eq!(plan(&stacks).unwrap(), [vec![1], vec![0, 2]]);
    }

    #[test]
    fn stacks_without_imports_are_one_wave_as_before() {
        let stacks = [
            stack(GLOBAL.0, GLOBAL.1, &[]),
            stack("p-us-east-2-dev", "us-east-2", &[]),
        ];
        assert_eq!(plan(&stacks).unwrap(), [vec![0, 1]]);
    }

    #[test]
    fn an_import_from_a_stack_outside_the_deploy_orders_nothing() {
        // `--region us-east-2`: the global stack must already be deployed.
        let stacks = [stack("p-us-east-2-dev", "us-east-2", &[GLOBAL])];
        assert_eq!(plan(&stacks).unwrap(), [vec![0]]);
    }

    #[test]
    fn the_same_name_in_another_region_is_another_stack() {
        let stacks = [
            stack("p-dev", "us-east-2", &[("p-dev", "us-east-1")]),
            stack("p-dev", "us-west-2", &[("p-dev", "us-east-2")]),
        ];
        assert_eq!(plan(&stacks).unwrap(), [vec![0], vec![1]]);
    }

    #[test]
    fn stacks_that_import_from_each_other_are_refused_naming_them() {
        let stacks = [
            stack("a", "us-east-1", &[("b", "us-east-2")]),
            stack("b", "us-east-2", &[("a", "us-east-1")]),
        ];
        let err = plan(&stacks).unwrap_err();
        assert_eq!(
            err.downcast_ref::<Exit>().unwrap().code,
            exit::INVALID_INPUT
        );
        assert!(err.to_string().contains("a, b"), "{err}");
    }

    fn template(output: Value) -> Value {
        json!({
            "Resources": {
                "Zone": {"Type": "AWS::Route53::HostedZone"},
                "Topic": {"Type": "AWS::SNS::Topic"},
            },
            "Outputs": {"ZoneId": {"Value": output}},
        })
    }

    fn change(id: &str, action: Action, replacement: Replacement) -> ResourceChange {
        ResourceChange {
            logical_id: id.into(),
            resource_type: "AWS::Route53::HostedZone".into(),
            action,
            replacement,
            properties: Vec::new(),
        }
    }

    #[test]
    fn an_output_keeps_its_value_unless_what_it_refers_to_is_replaced_or_removed() {
        let t = template(json!({"Ref": "Zone"}));
        let kept = |changes: &[ResourceChange]| output_kept(&t, &t, &[], Some(changes), "ZoneId");
        assert!(output_kept(&t, &t, &[], None, "ZoneId"));
        assert!(kept(&[change("Topic", Action::Remove, Replacement::Never)]));
        assert!(kept(&[change("Zone", Action::Modify, Replacement::Never)]));
        assert!(!kept(&[change(
            "Zone",
            Action::Modify,
            Replacement::Always
        )]));
        assert!(!kept(&[change(
            "Zone",
            Action::Modify,
            Replacement::Conditional
        )]));
        assert!(!kept(&[change("Zone", Action::Remove, Replacement::Never)]));
    }

    #[test]
    fn an_output_defined_anew_or_not_deployed_yet_is_not_known() {
        let old = template(json!({"Ref": "Zone"}));
        let new = template(json!({"Fn::GetAtt": ["Zone", "Id"]}));
        let changes = [change("Topic", Action::Add, Replacement::Never)];
        assert!(!output_kept(&old, &new, &[], Some(&changes), "ZoneId"));
        assert!(!output_kept(
            &Value::Null,
            &new,
            &[],
            Some(&changes),
            "ZoneId"
        ));
    }

    #[test]
    fn sub_and_get_att_references_are_followed() {
        let t = template(
            json!({"Fn::Sub": ["${Zone.Arn}/${AWS::Region}/${!x}/${V}", {"V": {"Ref": "Topic"}}]}),
        );
        let mut refs = BTreeSet::new();
        references(&t["Outputs"]["ZoneId"]["Value"], &mut refs);
        assert_eq!(
            refs,
            BTreeSet::from(["Topic".to_owned(), "Zone".to_owned()])
        );
        let replaced = [change("Topic", Action::Modify, Replacement::Always)];
        assert!(!output_kept(&t, &t, &[], Some(&replaced), "ZoneId"));
    }

    #[test]
    fn an_output_of_a_nested_stack_is_kept_when_that_stack_does_not_change() {
        let parent = json!({"Resources": {"Part1": {"Type": "AWS::CloudFormation::Stack"}}});
        let nested = [NestedStack {
            logical_id: "Part1".into(),
            template: Default::default(),
            body: String::new(),
            sha256: String::new(),
            outputs: vec!["ZoneId".into()],
        }];
        let other = [change("Part2", Action::Modify, Replacement::Never)];
        assert!(output_kept(
            &parent,
            &parent,
            &nested,
            Some(&other),
            "ZoneId"
        ));
        let own = [change("Part1", Action::Modify, Replacement::Never)];
        assert!(!output_kept(
            &parent,
            &parent,
            &nested,
            Some(&own),
            "ZoneId"
        ));
    }

    #[test]
    fn pending_values_are_kept_apart_from_known_ones() {
        let params = Params::from([
            ("A".to_owned(), Param::Known("Z123".into())),
            ("B".to_owned(), Param::Pending("not deployed".into())),
        ]);
        assert_eq!(
            known(&params),
            BTreeMap::from([("A".to_owned(), "Z123".to_owned())])
        );
        assert_eq!(pending(&params), [("B", "not deployed")]);
    }
}
