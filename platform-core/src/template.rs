//! The CloudFormation template model.
//!
//! Values are typed ([`Value`]): intrinsic functions and pseudo parameters are
//! variants, not hand-built JSON, so a reference cannot be misspelled into a
//! string. Serialization goes through `serde_json`'s sorted maps, so identical
//! input always gives byte-identical output.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;

mod map;

pub use map::Map;

/// A pseudo parameter (`AWS::Region`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pseudo {
    AccountId,
    Partition,
    Region,
    StackName,
    StackId,
    UrlSuffix,
    NoValue,
}

impl Pseudo {
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// A template value: plain JSON data or an intrinsic function.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Map(Map),
    /// `{"Ref": logical id or parameter}`.
    Ref(String),
    /// `{"Ref": "AWS::..."}`.
    Pseudo(Pseudo),
    /// `{"Fn::GetAtt": [logical id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": string}` or with variables.
    Sub(String, Map),
    /// `{"Fn::Join": [delimiter, [values]]}`.
    Join(String, Vec<Value>),
    /// `{"Fn::Select": [index, list]}`.
    Select(u32, Box<Value>),
    /// `{"Fn::GetAZs": region}`; `Pseudo(Region)` or empty string for the stack's region.
    GetAzs(Box<Value>),
    /// `{"Fn::Equals": [a, b]}`, for conditions.
    Equals(Box<Value>, Box<Value>),
    /// `{"Fn::Not": [condition]}`, for conditions.
    Not(Box<Value>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn sub(s: impl Into<String>) -> Value {
        Value::Sub(s.into(), Map::new())
    }

    pub fn get_att(id: &str, attribute: &str) -> Value {
        Value::GetAtt(id.to_owned(), attribute.to_owned())
    }

    pub fn reference(id: &str) -> Value {
        Value::Ref(id.to_owned())
    }

    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(pairs.into_iter().collect())
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    /// Logical ids this value refers to through `Ref`, `Fn::GetAtt` or `${...}`
    /// in `Fn::Sub`, for dependency checks.
    pub fn referenced_ids(&self, out: &mut Vec<String>) {
        let mut refs = Vec::new();
        self.references(&mut refs);
        out.extend(refs.into_iter().map(|(id, _)| id));
    }

    /// Every reference to a logical id (`Ref`, `Fn::GetAtt`, `${Id}` and
    /// `${Id.Attr}` in `Fn::Sub`), with the attribute read, if any. Pseudo
    /// parameters, `${!literal}`s and `Fn::Sub`'s own variables are not
    /// references.
    pub fn references(&self, out: &mut Vec<(String, Option<String>)>) {
        self.visit_references(&mut |id, att| out.push((id.to_owned(), att.map(str::to_owned))));
    }

    /// Calls `f` with every reference [`Value::references`] lists, borrowed
    /// from the value: nothing is allocated.
    pub fn visit_references<'a>(&'a self, f: &mut dyn FnMut(&'a str, Option<&'a str>)) {
        match self {
            Value::Ref(id) => f(id, None),
            Value::GetAtt(id, att) => f(id, Some(att)),
            Value::Sub(s, vars) => {
                let mut rest = s.as_str();
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = &after[..end];
                    rest = &after[end + 1..];
                    let (id, att) = match name.split_once('.') {
                        Some((id, att)) => (id, Some(att)),
                        None => (name, None),
                    };
                    if !id.starts_with("AWS::") && !id.starts_with('!') && !vars.contains_key(id) {
                        f(id, att);
                    }
                }
                vars.values().for_each(|v| v.visit_references(f));
            }
            Value::List(items) | Value::Join(_, items) => {
                items.iter().for_each(|v| v.visit_references(f))
            }
            Value::Map(map) => map.values().for_each(|v| v.visit_references(f)),
            Value::Select(_, v) | Value::GetAzs(v) | Value::Not(v) => v.visit_references(f),
            Value::Equals(a, b) => {
                a.visit_references(f);
                b.visit_references(f);
            }
            Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Str(_)
            | Value::Pseudo(_) => {}
        }
    }

    /// The value as a JSON tree, exactly as it is written into a template.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).expect("a template value is always serializable")
    }
}

/// A one-key object: how CloudFormation writes an intrinsic function.
fn single_key<S: Serializer, T: Serialize + ?Sized>(
    serializer: S,
    name: &str,
    argument: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, argument)?;
    map.end()
}

/// Values are written straight into the output, with no intermediate JSON
/// tree; maps are sorted, as `serde_json`'s own maps are.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(x) => serializer.serialize_f64(*x),
            Value::Str(s) => serializer.serialize_str(s),
            Value::List(items) => serializer.collect_seq(items),
            Value::Map(map) => serializer.collect_map(map),
            Value::Ref(id) => single_key(serializer, "Ref", id),
            Value::Pseudo(p) => single_key(serializer, "Ref", p.name()),
            Value::GetAtt(id, attribute) => single_key(serializer, "Fn::GetAtt", &(id, attribute)),
            Value::Sub(s, vars) if vars.is_empty() => single_key(serializer, "Fn::Sub", s),
            Value::Sub(s, vars) => single_key(serializer, "Fn::Sub", &(s, vars)),
            Value::Join(delimiter, items) => {
                single_key(serializer, "Fn::Join", &(delimiter, items))
            }
            Value::Select(index, list) => single_key(serializer, "Fn::Select", &(index, list)),
            Value::GetAzs(region) => single_key(serializer, "Fn::GetAZs", region),
            Value::Equals(a, b) => single_key(serializer, "Fn::Equals", &(a, b)),
            Value::Not(c) => single_key(serializer, "Fn::Not", &[c]),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}

/// `DeletionPolicy` / `UpdateReplacePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    Delete,
    Retain,
    /// Retained when the stack is deleted, deleted when the stack's
    /// creation rolls back (a `DeletionPolicy` only).
    RetainExceptOnCreate,
    Snapshot,
}

impl RemovalPolicy {
    pub fn name(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            RemovalPolicy::Snapshot => "Snapshot",
        }
    }
}

/// One resource of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub cfn_type: String,
    pub properties: Map,
    pub depends_on: Vec<String>,
    pub deletion_policy: Option<RemovalPolicy>,
    pub update_replace_policy: Option<RemovalPolicy>,
    pub metadata: Map,
    pub condition: Option<String>,
}

impl Resource {
    pub fn new(cfn_type: &str) -> Self {
        Resource {
            cfn_type: cfn_type.to_owned(),
            properties: Map::new(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            metadata: Map::new(),
            condition: None,
        }
    }

    /// Sets a property; builder style.
    pub fn prop(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(name.to_owned(), value.into());
        self
    }

    /// Sets both removal policies.
    pub fn removal(mut self, policy: RemovalPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    pub fn depends_on(mut self, id: &str) -> Self {
        if !self.depends_on.iter().any(|d| d == id) {
            self.depends_on.push(id.to_owned());
        }
        self
    }
}

/// Keys in sorted order, as a sorted map would write them.
impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(c) = &self.condition {
            map.serialize_entry("Condition", c)?;
        }
        if let Some(p) = self.deletion_policy {
            map.serialize_entry("DeletionPolicy", p.name())?;
        }
        if !self.depends_on.is_empty() {
            let mut deps: Vec<&String> = self.depends_on.iter().collect();
            deps.sort();
            map.serialize_entry("DependsOn", &deps)?;
        }
        if !self.metadata.is_empty() {
            map.serialize_entry("Metadata", &self.metadata)?;
        }
        if !self.properties.is_empty() {
            map.serialize_entry("Properties", &self.properties)?;
        }
        map.serialize_entry("Type", &self.cfn_type)?;
        if let Some(p) = self.update_replace_policy {
            map.serialize_entry("UpdateReplacePolicy", p.name())?;
        }
        map.end()
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub param_type: String,
    pub default: Option<String>,
    pub description: String,
}

/// A template output, optionally exported.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub value: Value,
    pub description: String,
    pub export: Option<Value>,
}

/// A whole template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    pub description: String,
    pub parameters: BTreeMap<String, Parameter>,
    pub resources: BTreeMap<String, Resource>,
    pub outputs: BTreeMap<String, Output>,
    /// Named conditions (`Fn::Equals`, `Fn::Not`) resources refer to.
    pub conditions: BTreeMap<String, Value>,
}

/// A logical id was added twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId(pub String);

impl std::fmt::Display for DuplicateId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "logical id `{}` is defined twice in one template",
            self.0
        )
    }
}

impl std::error::Error for DuplicateId {}

impl Template {
    /// Adds a resource; a logical id may be used once.
    pub fn add(&mut self, id: &str, resource: Resource) -> Result<(), DuplicateId> {
        if self.resources.contains_key(id) {
            return Err(DuplicateId(id.to_owned()));
        }
        self.resources.insert(id.to_owned(), resource);
        Ok(())
    }

    /// The template as a JSON tree, exactly as it is written.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).expect("a template is always serializable")
    }

    /// The template as pretty JSON with a trailing newline: deterministic.
    pub fn to_string_pretty(&self) -> String {
        let mut out = Vec::with_capacity(64 * 1024 + self.resources.len() * 1024);
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, Pretty::default());
        self.serialize(&mut serializer)
            .expect("a template is always serializable");
        out.push(b'\n');
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Ids referenced by resources or outputs that the template does not
    /// define (neither resource nor parameter): a template CloudFormation
    /// would reject.
    pub fn dangling_references(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let known = |id: &str| self.resources.contains_key(id) || self.parameters.contains_key(id);
        for (id, r) in &self.resources {
            if let Some(c) = &r.condition
                && !self.conditions.contains_key(c)
            {
                out.push((id.clone(), c.clone()));
            }
            let mut check = |to: &str, _: Option<&str>| {
                if !known(to) {
                    out.push((id.clone(), to.to_owned()));
                }
            };
            r.properties
                .values()
                .for_each(|v| v.visit_references(&mut check));
            r.depends_on.iter().for_each(|d| check(d, None));
        }
        for (id, o) in &self.outputs {
            o.value.visit_references(&mut |to, _| {
                if !known(to) {
                    out.push((id.clone(), to.to_owned()));
                }
            });
        }
        out
    }
}

/// `serde_json`'s pretty layout (two spaces a level), byte for byte, with
/// each line break and its indentation written in one piece: the
/// `PrettyFormatter` writes the indentation one level at a time, and that
/// was a fifth of serializing a template.
#[derive(Default)]
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// `,` (if not `first`), a line break and the indentation of `level`.
    fn line<W: ?Sized + std::io::Write>(
        writer: &mut W,
        first: bool,
        level: usize,
    ) -> std::io::Result<()> {
        const LINE: &[u8; 66] =
            b",\n                                                                ";
        let start = usize::from(first);
        let width = 2 * level;
        if width <= LINE.len() - 2 {
            return writer.write_all(&LINE[start..2 + width]);
        }
        writer.write_all(&LINE[start..2])?;
        (0..level).try_for_each(|_| writer.write_all(b"  "))
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            Pretty::line(writer, true, self.level)?;
        }
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        Pretty::line(writer, first, self.level)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            Pretty::line(writer, true, self.level)?;
        }
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        Pretty::line(writer, first, self.level)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Keys in sorted order, as a sorted map would write them.
impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Params<'a>(&'a BTreeMap<String, Parameter>);
        impl Serialize for Params<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(k, p)| (k, ParamBody(p))))
            }
        }
        struct ParamBody<'a>(&'a Parameter);
        impl Serialize for ParamBody<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                if let Some(d) = &self.0.default {
                    map.serialize_entry("Default", d)?;
                }
                map.serialize_entry("Description", &self.0.description)?;
                map.serialize_entry("Type", &self.0.param_type)?;
                map.end()
            }
        }
        struct Outputs<'a>(&'a BTreeMap<String, Output>);
        impl Serialize for Outputs<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(k, o)| (k, OutputBody(o))))
            }
        }
        struct OutputBody<'a>(&'a Output);
        impl Serialize for OutputBody<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("Description", &self.0.description)?;
                if let Some(e) = &self.0.export {
                    map.serialize_entry("Export", &ExportName(e))?;
                }
                map.serialize_entry("Value", &self.0.value)?;
                map.end()
            }
        }
        struct ExportName<'a>(&'a Value);
        impl Serialize for ExportName<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                single_key(serializer, "Name", self.0)
            }
        }

        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("AWSTemplateFormatVersion", "2010-09-09")?;
        if !self.conditions.is_empty() {
            map.serialize_entry("Conditions", &self.conditions)?;
        }
        map.serialize_entry("Description", &self.description)?;
        if !self.outputs.is_empty() {
            map.serialize_entry("Outputs", &Outputs(&self.outputs))?;
        }
        if !self.parameters.is_empty() {
            map.serialize_entry("Parameters", &Params(&self.parameters))?;
        }
        map.serialize_entry("Resources", &self.resources)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pretty_output_is_serde_json_pretty_layout() {
        // Empty and full lists and maps, and nesting deeper than the
        // indentation written in one piece (32 levels).
        let mut deep = Value::map([("Leaf", Value::list([Value::Int(1), Value::Null]))]);
        for level in 0..40 {
            deep = Value::map([
                (format!("K{level}"), deep),
                ("Empty".to_owned(), Value::Map(Map::new())),
                ("None".to_owned(), Value::list([])),
            ]);
        }
        let mut t = Template::default();
        t.add(
            "Deep",
            Resource::new("AWS::SQS::Queue")
                .prop("Tree", deep)
                .prop("Sub", Value::sub("${AWS::Region}\n\"quoted\"")),
        )
        .unwrap();
        let expected = serde_json::to_string_pretty(&t.to_json()).unwrap() + "\n";
        assert_eq!(t.to_string_pretty(), expected);
        assert!(expected.contains(&format!("\n{}\"Leaf\"", " ".repeat(2 * 45))));
    }

    #[test]
    fn intrinsics_serialize_to_cloudformation_syntax() {
        let v = Value::list([
            Value::reference("Table"),
            Value::get_att("Queue", "Arn"),
            Value::sub("arn:${AWS::Partition}:s3:::${Bucket}/*"),
            Value::Join("-".into(), vec!["a".into(), Value::Pseudo(Pseudo::Region)]),
            Value::Select(1, Box::new(Value::GetAzs(Box::new(Value::str(""))))),
        ]);
        assert_eq!(
            v.to_json(),
            json!([
                {"Ref": "Table"},
                {"Fn::GetAtt": ["Queue", "Arn"]},
                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
                {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]},
                {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
            ])
        );
    }

    #[test]
    fn sub_references_skip_pseudo_parameters_and_variables() {
        let mut vars = Map::new();
        vars.insert("Name".to_owned(), Value::reference("Other"));
        let v = Value::Sub(
            "${AWS::Region}:${Table.Arn}:${Name}:${!Literal}".into(),
            vars,
        );
        let mut ids = Vec::new();
        v.referenced_ids(&mut ids);
        assert_eq!(ids, ["Table", "Other"]);
    }

    #[test]
    fn serialization_is_deterministic_whatever_the_insertion_order() {
        let mut a = Template::default();
        a.add(
            "B",
            Resource::new("AWS::SNS::Topic")
                .prop("Z", 1u32)
                .prop("A", 2u32),
        )
        .unwrap();
        a.add("A", Resource::new("AWS::SQS::Queue").depends_on("B"))
            .unwrap();
        let mut b = Template::default();
        b.add("A", Resource::new("AWS::SQS::Queue").depends_on("B"))
            .unwrap();
        b.add(
            "B",
            Resource::new("AWS::SNS::Topic")
                .prop("A", 2u32)
                .prop("Z", 1u32),
        )
        .unwrap();
        assert_eq!(a.to_string_pretty(), b.to_string_pretty());
        assert!(
            a.to_string_pretty().find("\"A\"").unwrap()
                < a.to_string_pretty().find("\"B\"").unwrap()
        );
        assert_eq!(
            a.add("A", Resource::new("AWS::SQS::Queue")),
            Err(DuplicateId("A".into()))
        );
    }

    #[test]
    fn conditions_serialize_and_must_exist() {
        let mut t = Template::default();
        t.conditions.insert(
            "HasEmail".into(),
            Value::Not(Box::new(Value::Equals(
                Box::new(Value::reference("Email")),
                Box::new(Value::str("")),
            ))),
        );
        let mut sub = Resource::new("AWS::SNS::Subscription");
        sub.condition = Some("HasEmail".into());
        t.add("Sub", sub.clone()).unwrap();
        let json = t.to_json();
        assert_eq!(
            json["Conditions"]["HasEmail"],
            json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]})
        );
        assert_eq!(json["Resources"]["Sub"]["Condition"], "HasEmail");
        sub.condition = Some("Missing".into());
        t.add("Other", sub).unwrap();
        let dangling = t.dangling_references();
        assert!(dangling.contains(&("Other".to_owned(), "Missing".to_owned())));
    }

    #[test]
    fn dangling_references_are_found() {
        let mut t = Template::default();
        t.add(
            "A",
            Resource::new("AWS::SQS::Queue").prop("X", Value::get_att("Missing", "Arn")),
        )
        .unwrap();
        assert_eq!(
            t.dangling_references(),
            [("A".to_owned(), "Missing".to_owned())]
        );
    }
}
