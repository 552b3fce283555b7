//! `resource` blocks (a CloudFormation resource of any type, checked against
//! its schema by the macro) and `override`s of properties on the resources
//! the other constructs generate.

use super::{Context, SynthError};
use crate::catalog::TagStyle;
use crate::naming::pascal_case;
use crate::spec::{GenericSpec, GenericValue, OverrideSpec};
use crate::template::{Resource, Value};

/// The logical id of `resource NAME: ..`: its PascalCase name, as the
/// definition names no kind whose suffix could follow it.
pub(crate) fn logical_id(name: &str) -> String {
    pascal_case(name)
}

/// Adds the resource of one `resource` block.
pub(crate) fn build(cx: &mut Context<'_>, spec: &GenericSpec) -> Result<(), SynthError> {
    let mut resource = Resource::new(&spec.cfn_type);
    for (name, value) in &spec.properties {
        resource
            .properties
            .insert(name.clone(), template_value(cx, &spec.name, value)?);
    }
    if let Some(property) = &spec.name_property {
        resource.properties.get_or_insert_with(property, || {
            Value::Str(cx.physical_name(&spec.short_type, &spec.name))
        });
    }
    if let Some((property, style)) = &spec.tags {
        let tags = match style {
            TagStyle::Map => cx.tag_map(),
            _ => cx.tag_list(),
        };
        resource.properties.get_or_insert_with(property, || tags);
    }
    cx.add(&logical_id(&spec.name), resource)
}

/// Sets the property of one `override` on the resource it names, when this
/// stack has that resource (global resources live in one region's stack).
pub(crate) fn apply(cx: &mut Context<'_>, spec: &OverrideSpec) -> Result<(), SynthError> {
    let value = template_value(cx, &spec.resource, &spec.value)?;
    let Some(resource) = cx.template.resources.get_mut(&spec.logical_id) else {
        return Ok(());
    };
    let (last, parents) = spec.path.split_last().expect("checked: a non-empty path");
    let mut map = &mut resource.properties;
    for part in parents {
        let entry = map.get_or_insert_with(part, || Value::Map(Default::default()));
        map = match entry {
            Value::Map(inner) => inner,
            _ => {
                return Err(SynthError::Invalid(format!(
                    "override of `{}`: `{}` of {} is not an object the path can go into; override the whole property instead",
                    spec.resource,
                    spec.path.join("."),
                    spec.logical_id
                )));
            }
        };
    }
    map.insert(last.clone(), value);
    Ok(())
}

/// The template form of `value` in the stack's profile.
fn template_value(
    cx: &Context<'_>,
    owner: &str,
    value: &GenericValue,
) -> Result<Value, SynthError> {
    Ok(match value {
        GenericValue::Str(s) => Value::Str(s.clone()),
        GenericValue::Int(i) => Value::Int(*i),
        GenericValue::Float(f) => Value::Float(*f),
        GenericValue::Bool(b) => Value::Bool(*b),
        GenericValue::List(items) => Value::List(
            items
                .iter()
                .map(|v| template_value(cx, owner, v))
                .collect::<Result<_, _>>()?,
        ),
        GenericValue::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), template_value(cx, owner, v)?)))
                .collect::<Result<_, SynthError>>()?,
        ),
        GenericValue::ByProfile(values) => {
            let Some((_, v)) = values.iter().find(|(p, _)| p == cx.profile) else {
                return Err(SynthError::Invalid(format!(
                    "`{owner}`: a `profile(..)` value names no value for profile `{}`; give every profile one",
                    cx.profile
                )));
            };
            template_value(cx, owner, v)?
        }
        GenericValue::Attr(reference) => cx.attr(reference),
        GenericValue::GenericAttr {
            resource,
            attribute,
        } => {
            let id = logical_id(resource);
            if attribute == "Ref" {
                Value::Ref(id)
            } else {
                Value::get_att(&id, attribute)
            }
        }
    })
}
