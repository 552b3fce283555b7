//! `resource NAME: "AWS::Service::Type" { Property: value, .. }` (a
//! CloudFormation resource of any type) and `override NAME { "Part.Path":
//! value, .. }` (a property of a resource tp generates), with the value
//! syntax they share.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    Ident, LitBool, LitFloat, LitInt, LitStr, Token, braced, bracketed, parenthesized, token,
};

use super::kw;
use crate::rules::Rule;

/// `resource NAME: "TYPE" { PROPERTY: gvalue, .. }`
pub struct GenericBlock {
    pub name: Ident,
    pub cfn_type: LitStr,
    pub brace: token::Brace,
    pub properties: Vec<(Ident, GValue)>,
}

impl Parse for GenericBlock {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<kw::resource>()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let cfn_type = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let properties =
            Punctuated::<(Ident, GValue), Token![,]>::parse_terminated_with(&content, |input| {
                let name = Ident::parse_any(input)?;
                input.parse::<Token![:]>()?;
                Ok((name, input.parse()?))
            })?;
        Ok(GenericBlock {
            name,
            cfn_type,
            brace,
            properties: properties.into_iter().collect(),
        })
    }
}

/// `override NAME { "PART.PROPERTY.PATH": gvalue, .. }`
pub struct OverrideBlock {
    pub name: Ident,
    pub entries: Vec<(LitStr, GValue)>,
}

impl Parse for OverrideBlock {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![override]>()?;
        let name = input.parse()?;
        let content;
        braced!(content in input);
        let entries =
            Punctuated::<(LitStr, GValue), Token![,]>::parse_terminated_with(&content, |input| {
                let path = input.parse()?;
                input.parse::<Token![:]>()?;
                Ok((path, input.parse()?))
            })?;
        Ok(OverrideBlock {
            name,
            entries: entries.into_iter().collect(),
        })
    }
}

/// A property value: `"text" | NUMBER | true | false | [gvalue, ..] |
/// { KEY: gvalue, .. } | profile(PROFILE: gvalue, ..) | NAME.ATTR(.ATTR)*`,
/// where KEY is a name or a string.
pub enum GValue {
    Str(LitStr),
    Int(LitInt, i64),
    Float(LitFloat, f64),
    Bool(LitBool),
    List(token::Bracket, Vec<GValue>),
    Map(token::Brace, Vec<(MapKey, GValue)>),
    ByProfile(kw::profile, Vec<(Ident, GValue)>),
    /// `orders.arn`, `cluster.Endpoint.Address`.
    Attr(Ident, Vec<Ident>),
}

/// A map's key, as written.
pub enum MapKey {
    Ident(Ident),
    Str(LitStr),
}

impl MapKey {
    pub fn text(&self) -> String {
        match self {
            MapKey::Ident(i) => i.to_string(),
            MapKey::Str(s) => s.value(),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            MapKey::Ident(i) => i.span(),
            MapKey::Str(s) => s.span(),
        }
    }
}

impl GValue {
    /// The value's first token, where errors about it go.
    pub fn span(&self) -> Span {
        match self {
            GValue::Str(s) => s.span(),
            GValue::Int(l, _) => l.span(),
            GValue::Float(l, _) => l.span(),
            GValue::Bool(b) => b.span,
            GValue::List(b, _) => b.span.join(),
            GValue::Map(b, _) => b.span.join(),
            GValue::ByProfile(k, _) => k.span,
            GValue::Attr(resource, attrs) => attrs.first().map_or(resource.span(), Ident::span),
        }
    }
}

impl Parse for GValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            return input.parse().map(GValue::Str);
        }
        if lookahead.peek(LitBool) {
            return input.parse().map(GValue::Bool);
        }
        if lookahead.peek(Token![-]) || lookahead.peek(LitInt) || lookahead.peek(LitFloat) {
            let negative = input.parse::<Option<Token![-]>>()?.is_some();
            let sign = if negative { -1.0 } else { 1.0 };
            if input.peek(LitFloat) {
                let lit: LitFloat = input.parse()?;
                let value = lit.base10_parse::<f64>()? * sign;
                return Ok(GValue::Float(lit, value));
            }
            let lit: LitInt = input.parse()?;
            let value = lit.base10_parse::<i64>()?;
            return Ok(GValue::Int(lit, if negative { -value } else { value }));
        }
        if lookahead.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let items = Punctuated::<GValue, Token![,]>::parse_terminated(&content)?;
            return Ok(GValue::List(bracket, items.into_iter().collect()));
        }
        if lookahead.peek(token::Brace) {
            let content;
            let brace = braced!(content in input);
            let entries = Punctuated::<(MapKey, GValue), Token![,]>::parse_terminated_with(
                &content,
                |input| {
                    let key = if input.peek(LitStr) {
                        MapKey::Str(input.parse()?)
                    } else {
                        MapKey::Ident(Ident::parse_any(input)?)
                    };
                    input.parse::<Token![:]>()?;
                    Ok((key, input.parse()?))
                },
            )?;
            return Ok(GValue::Map(brace, entries.into_iter().collect()));
        }
        if input.peek(kw::profile) && input.peek2(token::Paren) {
            super::place::per_profile();
            let keyword = input.parse()?;
            let content;
            parenthesized!(content in input);
            let values = Punctuated::<(Ident, GValue), Token![,]>::parse_terminated_with(
                &content,
                |input| {
                    let profile = input.parse()?;
                    input.parse::<Token![:]>()?;
                    Ok((profile, input.parse()?))
                },
            )?;
            return Ok(GValue::ByProfile(keyword, values.into_iter().collect()));
        }
        if lookahead.peek(Ident) {
            let resource: Ident = input.parse()?;
            if !input.peek(Token![.]) {
                return Err(Rule::GrammarSyntax.error(
                    &resource,
                    format_args!(
                        "expected an attribute after `{resource}`, like `{resource}.arn` or `{resource}.Arn`, or a literal"
                    ),
                ));
            }
            let mut attrs = Vec::new();
            while input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                attrs.push(Ident::parse_any(input)?);
            }
            return Ok(GValue::Attr(resource, attrs));
        }
        Err(lookahead.error())
    }
}
