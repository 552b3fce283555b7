//! EventBridge blocks: `bus`, `rule` (with its inline event pattern) and
//! `log_group`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitFloat, LitInt, LitStr, Token, braced, bracketed, token};

use super::{Count, Days, Fields, List, Number, PerProfile, Secs, kw, unlisted};
use crate::json::Json;

/// `bus NAME { description: "..", key: KEY }`
#[derive(Default)]
pub struct BusBody {
    pub description: Option<LitStr>,
    pub key: Option<Ident>,
}

impl BusBody {
    const FIELDS: &[&str] = &["description", "key"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = BusBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "description" => body.description = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `log_group NAME { retention: 365d | profile(..), key: KEY }`
#[derive(Default)]
pub struct LogGroupBody {
    pub retention: Option<PerProfile<Days>>,
    pub key: Option<Ident>,
    /// `encryption: kms | none`; `policy-encryption` rejects `none`.
    pub encryption: Option<super::AtRest>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<super::RemovalPolicy>,
}

impl LogGroupBody {
    const FIELDS: &[&str] = &["retention", "key", "encryption", "removal"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = LogGroupBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "retention" => body.retention = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "encryption" => body.encryption = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// ```text
/// rule NAME {
///     bus: BUS, pattern: { .. },            // an event rule on a declared bus
///     schedule: "rate(1 hour)",             // or a schedule on the default bus
///     targets: [FUNCTION | LOG_GROUP, ...], dead_letter: QUEUE, retries: 3, max_age: 1h,
/// }
/// ```
#[derive(Default)]
pub struct RuleBody {
    pub bus: Option<Ident>,
    pub pattern: Option<JsonObject>,
    pub schedule: Option<LitStr>,
    pub targets: Option<List<Ident>>,
    pub dead_letter: Option<Ident>,
    pub retries: Option<Count>,
    pub max_age: Option<Secs>,
    /// `notify: TOPIC`: the topic the dead-man alarm of a scheduled rule's
    /// functions notifies.
    pub notify: Option<Ident>,
}

impl RuleBody {
    const FIELDS: &[&str] = &[
        "bus",
        "pattern",
        "schedule",
        "targets",
        "dead_letter",
        "retries",
        "max_age",
        "notify",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = RuleBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "bus" => body.bus = Some(input.parse()?),
                "pattern" => body.pattern = Some(input.parse()?),
                "schedule" => body.schedule = Some(input.parse()?),
                "targets" => body.targets = Some(input.parse()?),
                "dead_letter" => body.dead_letter = Some(input.parse()?),
                "retries" => body.retries = Some(input.parse()?),
                "max_age" => body.max_age = Some(input.parse()?),
                "notify" => body.notify = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }

    /// The declared targets, none when `targets:` is missing.
    pub fn targets(&self) -> &[Ident] {
        self.targets.as_ref().map_or(&[], |t| &t.items)
    }
}

/// Inline JSON data, written the Rust way: keys are identifiers or strings,
/// values strings, numbers, `true`/`false`/`null`, arrays and objects.
pub enum JsonValue {
    String(LitStr),
    Number(Number),
    Bool(LitBool),
    Null(kw::null),
    Array(JsonArray),
    Object(JsonObject),
}

/// `[value, ...]`
pub struct JsonArray {
    pub bracket: token::Bracket,
    pub items: Vec<JsonValue>,
}

/// `{ key: value, ... }`
pub struct JsonObject {
    pub brace: token::Brace,
    pub members: Vec<(JsonKey, JsonValue)>,
}

/// `source` or `"detail-type"`.
pub enum JsonKey {
    Ident(Ident),
    String(LitStr),
}

impl JsonKey {
    pub fn text(&self) -> String {
        match self {
            JsonKey::Ident(ident) => ident.unraw().to_string(),
            JsonKey::String(lit) => lit.value(),
        }
    }
}

/// Keys are equal when they name the same member, however written.
impl PartialEq for JsonKey {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl ToTokens for JsonKey {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            JsonKey::Ident(ident) => ident.to_tokens(tokens),
            JsonKey::String(lit) => lit.to_tokens(tokens),
        }
    }
}

impl Parse for JsonValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            input.parse().map(JsonValue::String)
        } else if lookahead.peek(LitInt) || lookahead.peek(LitFloat) || lookahead.peek(Token![-]) {
            input.parse().map(JsonValue::Number)
        } else if lookahead.peek(LitBool) {
            input.parse().map(JsonValue::Bool)
        } else if lookahead.peek(kw::null) {
            input.parse().map(JsonValue::Null)
        } else if lookahead.peek(token::Bracket) {
            input.parse().map(JsonValue::Array)
        } else if lookahead.peek(token::Brace) {
            input.parse().map(JsonValue::Object)
        } else {
            Err(lookahead.error())
        }
    }
}

impl Parse for JsonArray {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = bracketed!(content in input);
        let items = Punctuated::<JsonValue, Token![,]>::parse_terminated(&content)?;
        Ok(JsonArray {
            bracket,
            items: items.into_iter().collect(),
        })
    }
}

impl Parse for JsonObject {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let brace = braced!(content in input);
        let members = Punctuated::<(JsonKey, JsonValue), Token![,]>::parse_terminated_with(
            &content,
            |input| {
                let lookahead = input.lookahead1();
                let key = if lookahead.peek(LitStr) {
                    JsonKey::String(input.parse()?)
                } else if lookahead.peek(Ident::peek_any) {
                    JsonKey::Ident(input.call(Ident::parse_any)?)
                } else {
                    return Err(lookahead.error());
                };
                input.parse::<Token![:]>()?;
                Ok((key, input.parse()?))
            },
        )?;
        Ok(JsonObject {
            brace,
            members: members.into_iter().collect(),
        })
    }
}

impl JsonValue {
    /// The data as JSON.
    pub fn to_json(&self) -> Json {
        match self {
            JsonValue::String(lit) => Json::String(lit.value()),
            JsonValue::Number(number) => Json::Number(number.text.clone()),
            JsonValue::Bool(lit) => Json::Bool(lit.value),
            JsonValue::Null(_) => Json::Null,
            JsonValue::Array(array) => Json::Array(array.items.iter().map(Self::to_json).collect()),
            JsonValue::Object(object) => object.to_json(),
        }
    }

    /// Where the value is written, for errors.
    pub fn span(&self) -> Span {
        match self {
            JsonValue::String(lit) => lit.span(),
            JsonValue::Number(number) => number
                .tokens
                .clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span()),
            JsonValue::Bool(lit) => lit.span,
            JsonValue::Null(keyword) => keyword.span,
            JsonValue::Array(array) => array.bracket.span.join(),
            JsonValue::Object(object) => object.brace.span.join(),
        }
    }
}

impl JsonObject {
    pub fn to_json(&self) -> Json {
        Json::Object(
            self.members
                .iter()
                .map(|(key, value)| (key.text(), value.to_json()))
                .collect(),
        )
    }
}
