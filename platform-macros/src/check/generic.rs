//! `resource` blocks and `override`s, checked against the CloudFormation
//! registry schema of their type ([`platform_core::cfn_schema`]): the type
//! exists, every property is one the type has and is written with a value
//! of its type within its constraints, required properties are given, and
//! references read attributes that exist.

use platform_core::catalog;
use platform_core::cfn_schema::{self, Constraints, PropType, Property, TypeSchema};
use platform_core::naming;
use proc_macro2::Span;
use syn::Ident;

use crate::ast::{GValue, GenericBlock, OverrideBlock};
use crate::ctxt::Ctxt;
use crate::model::Model;
use crate::rules::Rule;
use crate::suggest;

pub fn check(model: &Model, cx: &Ctxt) {
    for (index, block) in model.generic_blocks.iter().enumerate() {
        check_name(model, cx, index, block);
        let Some(schema) = check_type(cx, block) else {
            continue;
        };
        check_properties(model, cx, block, &schema);
        check_required(cx, block, &schema);
        check_name_length(model, cx, block, &schema);
    }
    for block in &model.override_blocks {
        check_override(model, cx, block);
    }
}

/// The schemas of the `resource` blocks, by declared name, for references
/// between them.
fn generic_schema(model: &Model, name: &Ident) -> Option<TypeSchema> {
    let block = model.generic_blocks.iter().find(|b| b.name == *name)?;
    cfn_schema::lookup(&block.cfn_type.value())
}

/// `ref-duplicate`, `name-charset`: a `resource` block's name is unique
/// among every declaration and makes a valid physical name.
fn check_name(model: &Model, cx: &Ctxt, index: usize, block: &GenericBlock) {
    if let Some(first) = model.resource(&block.name) {
        cx.error(
            Rule::RefDuplicate,
            &block.name,
            format!(
                "`{}` is already declared as {} `{}`; give the resource block a name of its own",
                block.name, first.info.keyword, first.name
            ),
        );
    } else if model.generic_blocks[..index]
        .iter()
        .any(|b| b.name == block.name)
    {
        cx.error(
            Rule::RefDuplicate,
            &block.name,
            format!(
                "resource `{}` is declared twice; give each resource block a name of its own",
                block.name
            ),
        );
    }
    // The block's logical id is its PascalCase name: it must not be the
    // id of what a declaration generates (`orders_queue` beside queue
    // `orders` would both be `OrdersQueue`).
    let id = naming::pascal_case(&block.name.to_string());
    if let Some((declared, generated)) = model.resources.iter().find_map(|r| {
        let name = r.name.to_string();
        let base = naming::pascal_case(&name);
        catalog::generated_parts(r.info.kind)
            .into_iter()
            .map(|(part, _)| format!("{base}{part}"))
            .find(|generated| *generated == id)
            .map(|generated| (r, generated))
    }) {
        cx.error(
            Rule::RefDuplicate,
            &block.name,
            format!(
                "resource `{}` would have the logical id `{generated}`, which {} `{}` already generates; rename the resource block",
                block.name, declared.info.keyword, declared.name
            ),
        );
    }
    if let Err(problem) = naming::check_purpose(&block.name.to_string()) {
        cx.error(
            Rule::NameCharset,
            &block.name,
            format!("resource name `{}` {problem}", block.name),
        );
    }
}

/// `resource-type`: the type is one CloudFormation has (in the pinned
/// registry schemas), so the deploy does not fail on "Unrecognized resource
/// types".
fn check_type(cx: &Ctxt, block: &GenericBlock) -> Option<TypeSchema> {
    let name = block.cfn_type.value();
    if let Some(schema) = cfn_schema::lookup(&name) {
        return Some(schema);
    }
    let hint = match suggest::closest(&name, cfn_schema::type_names()) {
        Some(best) => format!("; did you mean `{best}`?"),
        None => "; CloudFormation types read `AWS::Service::Type`".to_owned(),
    };
    cx.error(
        Rule::ResourceType,
        &block.cfn_type,
        format!("`{name}` is not a CloudFormation resource type{hint}"),
    );
    None
}

/// `resource-property` and `resource-value`: every property is one of the
/// type's writable properties, given once, with a value of its type.
fn check_properties(model: &Model, cx: &Ctxt, block: &GenericBlock, schema: &TypeSchema) {
    let names: Vec<&str> = schema.properties.iter().map(|p| p.name.as_str()).collect();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in &block.properties {
        let text = name.to_string();
        if seen.contains(&text) {
            cx.error(
                Rule::ResourceProperty,
                name,
                format!("property `{text}` is given twice; give each property once"),
            );
            continue;
        }
        seen.push(text.clone());
        let Some(property) = schema.property(&text) else {
            let read_only = schema.attributes.contains(&text);
            let hint = if read_only {
                format!(
                    "; `{text}` is read-only: CloudFormation sets it (read it as `{}.{text}`)",
                    block.name
                )
            } else {
                suggest::hint(&text, &names, "the type's properties are")
            };
            cx.error(
                Rule::ResourceProperty,
                name,
                format!("`{}` has no property `{text}`{hint}", schema.type_name),
            );
            continue;
        };
        let values = Values { model, cx, schema };
        values.check(&property.ty, &property.constraints, value, &text);
    }
}

/// `resource-required`: every property the type requires is given, as
/// CloudFormation rejects the template otherwise.
fn check_required(cx: &Ctxt, block: &GenericBlock, schema: &TypeSchema) {
    let missing: Vec<&str> = schema
        .properties
        .iter()
        .filter(|p| p.required && !block.properties.iter().any(|(n, _)| n == &p.name))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        cx.error_at(
            Rule::ResourceRequired,
            block.brace.span.join(),
            format!(
                "`{}` requires {}; add {}",
                schema.type_name,
                suggest::list(&missing),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        );
    }
}

/// `name-length`: where the platform names the resource (the type's name
/// property, when the block does not set it), the longest physical name
/// fits the property's maximum length.
fn check_name_length(model: &Model, cx: &Ctxt, block: &GenericBlock, schema: &TypeSchema) {
    let Some(property) = schema
        .name_property
        .as_deref()
        .and_then(|n| schema.property(n))
    else {
        return;
    };
    if block.properties.iter().any(|(n, _)| n == &property.name) {
        return;
    }
    let Some(max) = property.constraints.max_length else {
        return;
    };
    let Some(suffix_max) = model.platform().and_then(|p| p.suffix.as_ref()) else {
        return;
    };
    let longest_region = model
        .region_codes()
        .iter()
        .map(|r| r.len())
        .max()
        .unwrap_or(0);
    let short_type = short_type(schema.type_name);
    let limit = catalog::NameLimit {
        what: "name",
        max_len: max as usize,
        extra_len: 0,
    };
    let len = naming::longest_name_len(
        &short_type,
        &naming::purpose(&block.name.to_string()),
        longest_region,
        suffix_max.value,
        &limit,
    );
    if len > max as usize {
        cx.error(
            Rule::NameLength,
            &block.name,
            format!(
                "`{}` of resource `{}` would be up to {len} characters (`{short_type}-{}-<region>-<suffix>`), `{}` allows {max}; shorten the name, or set `{}` yourself",
                property.name,
                block.name,
                naming::purpose(&block.name.to_string()),
                schema.type_name,
                property.name
            ),
        );
    }
}

/// The short type a `resource` block's physical name starts with: the
/// type's last part, lowercase (`AWS::Events::Archive`: `archive`).
pub fn short_type(cfn_type: &str) -> String {
    cfn_type
        .rsplit("::")
        .next()
        .unwrap_or(cfn_type)
        .to_ascii_lowercase()
}

/// `override-path`: an override names a resource tp generates for the
/// declared resource (`Part`, the logical id's ending after the name: the
/// kind's own suffix or a part from `catalog::GENERATED_PARTS`) and a
/// property path that type's schema has, with a value of its type.
fn check_override(model: &Model, cx: &Ctxt, block: &OverrideBlock) {
    let Some(declared) = model.resource(&block.name) else {
        let names = model.names(&[]);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = suggest::hint(&block.name.to_string(), &names, "declared are");
        cx.error(
            Rule::RefUnknown,
            &block.name,
            format!("override of `{}`, which is not declared{hint}", block.name),
        );
        return;
    };
    let parts = catalog::generated_parts(declared.info.kind);
    for (path, value) in &block.entries {
        let text = path.value();
        let mut segments = text.split('.');
        let part = segments.next().unwrap_or_default();
        let properties: Vec<&str> = segments.collect();
        let Some((_, cfn_type)) = parts.iter().find(|(p, _)| *p == part) else {
            let names: Vec<&str> = parts.iter().map(|(p, _)| *p).collect();
            let hint = suggest::hint(part, &names, "its parts are");
            cx.error(
                Rule::OverridePath,
                path,
                format!(
                    "{} `{}` generates no `{part}`{hint}; write `\"PART.Property\"`",
                    declared.info.keyword, block.name
                ),
            );
            continue;
        };
        let Some(schema) = cfn_schema::lookup(cfn_type) else {
            continue;
        };
        if properties.is_empty() || properties.iter().any(|p| p.is_empty()) {
            cx.error(
                Rule::OverridePath,
                path,
                format!("`{text}` names no property; write `\"{part}.Property\"` or `\"{part}.Property.Nested\"`"),
            );
            continue;
        }
        let mut current: &[Property] = &schema.properties;
        let mut target: Option<&Property> = None;
        let mut ok = true;
        for (i, segment) in properties.iter().enumerate() {
            let Some(property) = current.iter().find(|p| p.name == *segment) else {
                let names: Vec<&str> = current.iter().map(|p| p.name.as_str()).collect();
                let hint = suggest::hint(segment, &names, "expected one of");
                let at = properties[..i].join(".");
                let place = if at.is_empty() {
                    String::new()
                } else {
                    format!(" in `{at}`")
                };
                cx.error(
                    Rule::OverridePath,
                    path,
                    format!("`{cfn_type}` has no property `{segment}`{place}{hint}"),
                );
                ok = false;
                break;
            };
            target = Some(property);
            if i + 1 < properties.len() {
                match &property.ty {
                    PropType::Object(def) => current = schema.definition(def).unwrap_or(&[]),
                    PropType::Json | PropType::Any => {
                        // Free-form below here: nothing more to check.
                        target = None;
                        break;
                    }
                    other => {
                        cx.error(
                            Rule::OverridePath,
                            path,
                            format!(
                                "`{segment}` of `{cfn_type}` is {}, not an object a path can go into",
                                other.describe()
                            ),
                        );
                        ok = false;
                        break;
                    }
                }
            }
        }
        if let (true, Some(property)) = (ok, target) {
            let values = Values {
                model,
                cx,
                schema: &schema,
            };
            values.check(&property.ty, &property.constraints, value, &text);
        }
    }
}

/// Checks values against a type's schema.
struct Values<'s, 'a> {
    model: &'s Model<'a>,
    cx: &'s Ctxt,
    schema: &'s TypeSchema,
}

impl Values<'_, '_> {
    /// `resource-value`: `value` is of type `ty` and meets `constraints`.
    fn check(&self, ty: &PropType, constraints: &Constraints, value: &GValue, what: &str) {
        let wrong = |written: &str| {
            self.error(
                value.span(),
                format!("`{what}` is {}, not {written}", ty.describe()),
            )
        };
        match value {
            GValue::ByProfile(keyword, values) => {
                self.check_profiles(keyword.span, values);
                for (_, v) in values {
                    self.check(ty, constraints, v, what);
                }
            }
            GValue::Attr(resource, attrs) => {
                self.check_reference(resource, attrs);
                if !matches!(
                    ty,
                    PropType::String | PropType::Integer | PropType::Number | PropType::Any
                ) {
                    wrong("an attribute");
                }
            }
            _ if *ty == PropType::Any => {}
            GValue::Str(s) => match ty {
                PropType::String => self.check_string(constraints, &s.value(), s.span(), what),
                _ => wrong("a string"),
            },
            GValue::Int(_, i) => match ty {
                PropType::Integer | PropType::Number => {
                    self.check_number(constraints, *i as f64, value.span(), what)
                }
                _ => wrong("an integer"),
            },
            GValue::Float(_, f) => match ty {
                PropType::Number => self.check_number(constraints, *f, value.span(), what),
                _ => wrong("a number"),
            },
            GValue::Bool(_) => {
                if *ty != PropType::Boolean {
                    wrong("a boolean");
                }
            }
            GValue::List(_, items) => match ty {
                PropType::List(inner) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(
                            inner,
                            &Constraints::default(),
                            item,
                            &format!("{what}[{i}]"),
                        );
                    }
                }
                _ => wrong("a list"),
            },
            GValue::Map(brace, entries) => match ty {
                PropType::Json => {}
                PropType::Map(inner) => {
                    for (key, v) in entries {
                        self.check(
                            inner,
                            &Constraints::default(),
                            v,
                            &format!("{what}.{}", key.text()),
                        );
                    }
                }
                PropType::Object(def) => {
                    let properties = self.schema.definition(def).unwrap_or(&[]);
                    let names: Vec<&str> = properties.iter().map(|p| p.name.as_str()).collect();
                    for (key, v) in entries {
                        let text = key.text();
                        match properties.iter().find(|p| p.name == text) {
                            Some(p) => {
                                self.check(&p.ty, &p.constraints, v, &format!("{what}.{text}"))
                            }
                            None => {
                                let hint = suggest::hint(&text, &names, "expected one of");
                                self.cx.error_at(
                                    Rule::ResourceProperty,
                                    key.span(),
                                    format!("`{what}` has no property `{text}`{hint}"),
                                );
                            }
                        }
                    }
                    let missing: Vec<&str> = properties
                        .iter()
                        .filter(|p| p.required && !entries.iter().any(|(k, _)| k.text() == p.name))
                        .map(|p| p.name.as_str())
                        .collect();
                    if !missing.is_empty() {
                        self.cx.error_at(
                            Rule::ResourceRequired,
                            brace.span.join(),
                            format!("`{what}` requires {}", suggest::list(&missing)),
                        );
                    }
                }
                _ => wrong("a map"),
            },
        }
    }

    fn error(&self, span: Span, message: String) {
        self.cx.error_at(Rule::ResourceValue, span, message);
    }

    fn check_string(&self, c: &Constraints, text: &str, span: Span, what: &str) {
        check_string(&self.target(), c, text, span, what);
    }

    fn check_number(&self, c: &Constraints, value: f64, span: Span, what: &str) {
        check_number(&self.target(), c, value, span, what);
    }

    fn target(&self) -> Target<'_> {
        Target {
            cx: self.cx,
            rule: Rule::ResourceValue,
            type_name: self.schema.type_name,
            context: String::new(),
        }
    }

    /// `ref-profile`: a `profile(..)` value names declared profiles, each
    /// one, as synthesis needs a value for every profile it deploys.
    fn check_profiles(&self, at: Span, values: &[(Ident, GValue)]) {
        let declared = self.model.profiles();
        for (profile, _) in values {
            if !declared.iter().any(|d| profile == d) {
                let names: Vec<&str> = declared.iter().map(String::as_str).collect();
                let hint = suggest::hint(&profile.to_string(), &names, "declared are");
                self.cx.error(
                    Rule::RefProfile,
                    profile,
                    format!("`{profile}` is not a declared profile{hint}"),
                );
            }
        }
        let missing: Vec<&str> = declared
            .iter()
            .filter(|d| !values.iter().any(|(p, _)| p == *d))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            self.cx.error_at(
                Rule::RefProfile,
                at,
                format!(
                    "`profile(..)` gives no value for {}; give every profile one",
                    suggest::list(&missing)
                ),
            );
        }
    }

    /// `ref-unknown`, `ref-attribute`, `resource-attribute`: `resource.attr`
    /// reads an attribute of a declared resource (the catalog's) or a
    /// read-only attribute of another `resource` block (its schema's, or
    /// `Ref`).
    fn check_reference(&self, resource: &Ident, attrs: &[Ident]) {
        let attribute = attrs
            .iter()
            .map(Ident::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let at = attrs.first().map_or(resource.span(), Ident::span);
        if let Some(declared) = self.model.resource(resource) {
            if attrs.len() != 1 || declared.info.attribute(&attribute).is_none() {
                let names: Vec<&str> = declared.info.attributes.iter().map(|a| a.name).collect();
                let hint = suggest::hint(&attribute, &names, "it has");
                self.cx.error_at(
                    Rule::RefAttribute,
                    at,
                    format!(
                        "{} `{resource}` has no attribute `{attribute}`{hint}",
                        declared.info.keyword
                    ),
                );
            }
            return;
        }
        if let Some(schema) = generic_schema(self.model, resource) {
            if attribute != "Ref" && !schema.attributes.contains(&attribute) {
                let mut names: Vec<&str> = schema.attributes.iter().map(String::as_str).collect();
                names.push("Ref");
                let hint = suggest::hint(&attribute, &names, "its read-only attributes are");
                self.cx.error_at(
                    Rule::ResourceAttribute,
                    at,
                    format!(
                        "`{attribute}` is not a read-only attribute of `{}` (resource `{resource}`){hint}",
                        schema.type_name
                    ),
                );
            }
            return;
        }
        let mut names = self.model.names(&[]);
        names.extend(self.model.generic_blocks.iter().map(|b| b.name.to_string()));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let hint = suggest::hint(&resource.to_string(), &names, "declared are");
        self.cx.error(
            Rule::RefUnknown,
            resource,
            format!("`{resource}` is not declared{hint}"),
        );
    }
}

/// Where a value checked against a property's constraints is reported: a
/// `resource` block's property (`resource-value`), or a DSL field that
/// lands in one (`value-schema`, with `context` saying which).
pub(crate) struct Target<'s> {
    pub cx: &'s Ctxt,
    pub rule: Rule,
    pub type_name: &'s str,
    /// Appended to each message: "; `handler:` of function `f` becomes it".
    pub context: String,
}

impl Target<'_> {
    fn error(&self, span: Span, message: String) {
        self.cx
            .error_at(self.rule, span, format!("{message}{}", self.context));
    }
}

/// A string against a property's allowed values, length and pattern.
pub(crate) fn check_string(t: &Target, c: &Constraints, text: &str, span: Span, what: &str) {
    if !c.allowed.is_empty() && !c.allowed.iter().any(|a| a == text) {
        let allowed: Vec<&str> = c.allowed.iter().map(String::as_str).collect();
        let hint = suggest::hint(text, &allowed, "expected one of");
        t.error(span, format!("`{what}` cannot be `{text}`{hint}"));
        return;
    }
    let len = text.chars().count() as u64;
    if c.min_length.is_some_and(|min| len < min) || c.max_length.is_some_and(|max| len > max) {
        t.error(
            span,
            format!(
                "`{what}` is {len} characters; `{}` takes {}",
                t.type_name,
                bounds_text(
                    c.min_length.map(|v| v as f64),
                    c.max_length.map(|v| v as f64),
                    "characters"
                )
            ),
        );
        return;
    }
    if let Some(pattern) = &c.pattern
        && pattern_rejects(pattern, text)
    {
        t.error(
            span,
            format!(
                "`{what}` `{text}` does not match the pattern `{pattern}` of `{}`",
                t.type_name
            ),
        );
    }
}

/// A number against a property's minimum and maximum.
pub(crate) fn check_number(t: &Target, c: &Constraints, value: f64, span: Span, what: &str) {
    if c.minimum.is_some_and(|min| value < min) || c.maximum.is_some_and(|max| value > max) {
        t.error(
            span,
            format!(
                "`{what}` is {value}; `{}` takes {}",
                t.type_name,
                bounds_text(c.minimum, c.maximum, "")
            ),
        );
    }
}

/// The property at `path` (`Handler`, `HealthCheckConfig.ResourcePath`)
/// of `schema`, through nested object definitions.
pub(crate) fn property_at<'s>(schema: &'s TypeSchema, path: &str) -> Option<&'s Property> {
    let mut current: &[Property] = &schema.properties;
    let mut found = None;
    for segment in path.split('.') {
        if let Some(PropType::Object(def)) = found.map(|p: &Property| &p.ty) {
            current = schema.definition(def)?;
        } else if found.is_some() {
            return None;
        }
        found = Some(current.iter().find(|p| p.name == segment)?);
    }
    found
}

/// Whether `pattern` (JSON Schema's: unanchored) rejects `text`. Patterns
/// the `regex-lite` dialect cannot read (Unicode classes such as `\p{L}`,
/// look-around) are skipped: they accept.
pub fn pattern_rejects(pattern: &str, text: &str) -> bool {
    match regex_lite::Regex::new(pattern) {
        Ok(regex) => !regex.is_match(text),
        Err(_) => false,
    }
}

fn bounds_text(min: Option<f64>, max: Option<f64>, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}{unit}"),
        (Some(min), None) => format!("at least {min}{unit}"),
        (None, Some(max)) => format!("at most {max}{unit}"),
        (None, None) => "any".into(),
    }
}
