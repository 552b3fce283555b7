//! Syntax: the `platform!` input as written. Every name and value keeps its
//! tokens, so that later phases can put errors on the exact token.
//!
//! Parsing stops at the first syntax error. Everything that parses but is
//! wrong (an unknown reference, a missing field, a name that is too long) is
//! left to `check`, which reports all of it at once.

use platform_core::catalog::{self, Kind, KindInfo};
use platform_core::spec::{KeyType, StreamView};
use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Ident, LitBool, LitInt, LitStr, Token, braced, bracketed, parenthesized, token,
};

use crate::rules::Rule;
use crate::suggest;

/// The DSL's keywords. Block keywords other than `platform` are not here: they
/// come from the catalog (`catalog::kind_by_keyword`).
pub mod kw {
    syn::custom_keyword!(platform);
    syn::custom_keyword!(max);
    syn::custom_keyword!(after);
    syn::custom_keyword!(profile);
    syn::custom_keyword!(never);
    syn::custom_keyword!(on);
    syn::custom_keyword!(off);
    syn::custom_keyword!(string);
    syn::custom_keyword!(number);
    syn::custom_keyword!(binary);
    syn::custom_keyword!(keys_only);
    syn::custom_keyword!(new);
    syn::custom_keyword!(old);
    syn::custom_keyword!(new_and_old);
}

/// The whole input: `block*`, where a block is the `platform` header or a
/// resource declaration. Doc comments on blocks are allowed and ignored.
pub struct Definition {
    pub blocks: Vec<Block>,
}

pub enum Block {
    Platform(PlatformBlock),
    Resource(ResourceBlock),
}

impl Parse for Definition {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut blocks = Vec::new();
        while !input.is_empty() {
            input.call(doc_comments)?;
            blocks.push(input.parse()?);
        }
        Ok(Definition { blocks })
    }
}

/// Outer attributes before a block, which may only be doc comments.
fn doc_comments(input: ParseStream) -> syn::Result<()> {
    for attr in input.call(Attribute::parse_outer)? {
        if !attr.path().is_ident("doc") {
            return Err(Rule::GrammarSyntax.error(
                attr,
                "attributes are not supported on blocks; only doc comments (`///`) are",
            ));
        }
    }
    Ok(())
}

impl Parse for Block {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(kw::platform) {
            return input.parse().map(Block::Platform);
        }
        let keyword: Ident = input
            .parse()
            .map_err(|_| unknown_block_error(input.span(), None))?;
        let info = catalog::kind_by_keyword(&keyword.to_string())
            .ok_or_else(|| unknown_block_error(keyword.span(), Some(&keyword)))?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let what = format!("{} `{name}`", info.keyword);
        let body = match info.kind {
            Kind::Key => Body::Key(KeyBody::parse(&content, &what)?),
            Kind::Table => Body::Table(TableBody::parse(&content, &what)?),
            Kind::Queue => Body::Queue(QueueBody::parse(&content, &what)?),
            Kind::Bucket => Body::Bucket(BucketBody::parse(&content, &what)?),
            Kind::Topic => Body::Topic(TopicBody::parse(&content, &what)?),
            Kind::Parameter => Body::Parameter(ParameterBody::parse(&content, &what)?),
            Kind::Function => Body::Function(FunctionBody::parse(&content, &what)?),
            // The catalog may list kinds before the grammar can declare them.
            _ => {
                return Err(Rule::GrammarSyntax.error(
                    &keyword,
                    format_args!("`{keyword}` blocks are in the catalog but not yet in the `platform!` grammar"),
                ));
            }
        };
        Ok(Block::Resource(ResourceBlock { info, name, body }))
    }
}

/// "unknown block `tabel`; did you mean `table`?", or the list of blocks.
fn unknown_block_error(span: Span, keyword: Option<&Ident>) -> syn::Error {
    let mut valid = vec!["platform"];
    valid.extend(catalog::KINDS.iter().map(|k| k.keyword));
    let list = suggest::list(&valid);
    let message = match keyword {
        Some(keyword) => match suggest::closest(&keyword.to_string(), valid.iter().copied()) {
            Some(best) => format!("unknown block `{keyword}`; did you mean `{best}`?"),
            None => format!("unknown block `{keyword}`; expected one of {list}"),
        },
        None => format!("expected a block: one of {list}"),
    };
    Rule::GrammarSyntax.error_at(span, message)
}

/// Parses the `name: value` fields of one block, in any order, each at most
/// once, with optional commas after the last.
struct Fields<'a> {
    input: ParseStream<'a>,
    /// "queue `trade_orders`", for messages.
    what: &'a str,
    allowed: &'static [&'static str],
    seen: Vec<Ident>,
}

impl<'a> Fields<'a> {
    fn new(input: ParseStream<'a>, what: &'a str, allowed: &'static [&'static str]) -> Self {
        Fields {
            input,
            what,
            allowed,
            seen: Vec::new(),
        }
    }

    /// The next field's name, after its `:`; `None` at the closing brace.
    /// Only names in `allowed` are returned.
    fn next(&mut self) -> syn::Result<Option<String>> {
        if self.input.is_empty() {
            return Ok(None);
        }
        if !self.seen.is_empty() {
            self.input.parse::<Token![,]>()?;
            if self.input.is_empty() {
                return Ok(None);
            }
        }
        let name: Ident = self.input.parse()?;
        let text = name.to_string();
        if !self.allowed.contains(&text.as_str()) {
            let hint = suggest::hint(&text, self.allowed, "expected one of");
            return Err(Rule::GrammarField.error(
                &name,
                format_args!("unknown field `{text}` in {}{hint}", self.what),
            ));
        }
        if self.seen.contains(&name) {
            return Err(Rule::GrammarField.error(
                &name,
                format_args!(
                    "duplicate field `{text}` in {}; give each field once",
                    self.what
                ),
            ));
        }
        self.input.parse::<Token![:]>()?;
        self.seen.push(name);
        Ok(Some(text))
    }
}

/// Reached only when a block's `match` forgets a name from its field list.
fn unlisted(field: &str) -> ! {
    unreachable!("field `{field}` is allowed but not parsed")
}

/// `platform NAME { regions: [REGION, ...], suffix: max N, profiles: [NAME, ...], tags: { KEY: "VALUE", ... } }`
pub struct PlatformBlock {
    pub keyword: kw::platform,
    pub name: Ident,
    pub regions: Option<Vec<Ident>>,
    pub suffix: Option<SuffixMax>,
    pub profiles: Option<Vec<Ident>>,
    pub tags: Vec<(Ident, LitStr)>,
}

/// `max N`: the longest suffix a deployment may use.
pub struct SuffixMax {
    pub lit: LitInt,
    pub value: usize,
}

pub const PLATFORM_FIELDS: &[&str] = &["regions", "suffix", "profiles", "tags"];

impl Parse for PlatformBlock {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword = input.parse()?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let what = format!("platform `{name}`");
        let mut block = PlatformBlock {
            keyword,
            name,
            regions: None,
            suffix: None,
            profiles: None,
            tags: Vec::new(),
        };
        let mut fields = Fields::new(&content, &what, PLATFORM_FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "regions" => block.regions = Some(ident_list(&content)?),
                "suffix" => {
                    content.parse::<kw::max>()?;
                    let lit: LitInt = content.parse()?;
                    let value = plain_number(&lit)?;
                    block.suffix = Some(SuffixMax { lit, value });
                }
                "profiles" => block.profiles = Some(ident_list(&content)?),
                "tags" => block.tags = map(&content)?,
                other => unlisted(other),
            }
        }
        Ok(block)
    }
}

/// `[a, b, c]`
fn ident_list(input: ParseStream) -> syn::Result<Vec<Ident>> {
    let content;
    bracketed!(content in input);
    Ok(Punctuated::<Ident, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// `{ NAME: VALUE, ... }`
fn map<T: Parse>(input: ParseStream) -> syn::Result<Vec<(Ident, T)>> {
    let content;
    braced!(content in input);
    let entries = Punctuated::<(Ident, T), Token![,]>::parse_terminated_with(&content, |input| {
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        Ok((name, input.parse()?))
    })?;
    Ok(entries.into_iter().collect())
}

/// `KEYWORD NAME { ... }` for one of the catalog's kinds.
pub struct ResourceBlock {
    pub info: &'static KindInfo,
    pub name: Ident,
    pub body: Body,
}

pub enum Body {
    Key(KeyBody),
    Table(TableBody),
    Queue(QueueBody),
    Bucket(BucketBody),
    Topic(TopicBody),
    Parameter(ParameterBody),
    Function(FunctionBody),
}

impl Body {
    /// The `key:` field, for the kinds that are encrypted with a declared key.
    pub fn key(&self) -> Option<&Ident> {
        match self {
            Body::Key(_) | Body::Parameter(_) => None,
            Body::Table(table) => table.key.as_ref(),
            Body::Queue(queue) => queue.key.as_ref(),
            Body::Bucket(bucket) => bucket.key.as_ref(),
            Body::Topic(topic) => topic.key.as_ref(),
            Body::Function(function) => function.key.as_ref(),
        }
    }
}

/// `key NAME { description: "..", rotation: on|off, pending_window: 7d }`
#[derive(Default)]
pub struct KeyBody {
    pub description: Option<LitStr>,
    pub rotation: Option<bool>,
    pub pending_window: Option<Days>,
}

impl KeyBody {
    const FIELDS: &[&str] = &["description", "rotation", "pending_window"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = KeyBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "description" => body.description = Some(input.parse()?),
                "rotation" => {
                    let lookahead = input.lookahead1();
                    body.rotation = Some(if lookahead.peek(kw::on) {
                        input.parse::<kw::on>()?;
                        true
                    } else if lookahead.peek(kw::off) {
                        input.parse::<kw::off>()?;
                        false
                    } else {
                        return Err(lookahead.error());
                    });
                }
                "pending_window" => body.pending_window = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `table NAME { partition: ATTR: TYPE, sort: ATTR: TYPE, ttl: ATTR, stream: VIEW, key: KEY }`
#[derive(Default)]
pub struct TableBody {
    pub partition: Option<KeyAttribute>,
    pub sort: Option<KeyAttribute>,
    pub ttl: Option<Ident>,
    pub stream: Option<StreamView>,
    pub key: Option<Ident>,
}

/// `session_id: string`: a key attribute and its type.
pub struct KeyAttribute {
    pub name: Ident,
    pub ty: KeyType,
}

impl Parse for KeyAttribute {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let lookahead = input.lookahead1();
        let ty = if lookahead.peek(kw::string) {
            input.parse::<kw::string>()?;
            KeyType::String
        } else if lookahead.peek(kw::number) {
            input.parse::<kw::number>()?;
            KeyType::Number
        } else if lookahead.peek(kw::binary) {
            input.parse::<kw::binary>()?;
            KeyType::Binary
        } else {
            return Err(lookahead.error());
        };
        Ok(KeyAttribute { name, ty })
    }
}

/// `keys_only | new | old | new_and_old`
fn stream_view(input: ParseStream) -> syn::Result<StreamView> {
    let lookahead = input.lookahead1();
    if lookahead.peek(kw::keys_only) {
        input.parse::<kw::keys_only>()?;
        Ok(StreamView::KeysOnly)
    } else if lookahead.peek(kw::new_and_old) {
        input.parse::<kw::new_and_old>()?;
        Ok(StreamView::NewAndOldImages)
    } else if lookahead.peek(kw::new) {
        input.parse::<kw::new>()?;
        Ok(StreamView::NewImage)
    } else if lookahead.peek(kw::old) {
        input.parse::<kw::old>()?;
        Ok(StreamView::OldImage)
    } else {
        Err(lookahead.error())
    }
}

impl TableBody {
    const FIELDS: &[&str] = &["partition", "sort", "ttl", "stream", "key"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = TableBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "partition" => body.partition = Some(input.parse()?),
                "sort" => body.sort = Some(input.parse()?),
                "ttl" => body.ttl = Some(input.parse()?),
                "stream" => body.stream = Some(stream_view(input)?),
                "key" => body.key = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `queue NAME { visibility: 30s, retention: 4d | profile(..), dead_letter: QUEUE after N, fifo: BOOL, key: KEY }`
#[derive(Default)]
pub struct QueueBody {
    pub visibility: Option<Secs>,
    pub retention: Option<PerProfile<Secs>>,
    pub dead_letter: Option<DeadLetter>,
    pub fifo: Option<LitBool>,
    pub key: Option<Ident>,
}

/// `trade_orders_dlq after 3`
pub struct DeadLetter {
    pub queue: Ident,
    pub max_receive_count: Count,
}

impl Parse for DeadLetter {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let queue = input.parse()?;
        input.parse::<kw::after>()?;
        Ok(DeadLetter {
            queue,
            max_receive_count: input.parse()?,
        })
    }
}

impl QueueBody {
    const FIELDS: &[&str] = &["visibility", "retention", "dead_letter", "fifo", "key"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = QueueBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "visibility" => body.visibility = Some(input.parse()?),
                "retention" => body.retention = Some(input.parse()?),
                "dead_letter" => body.dead_letter = Some(input.parse()?),
                "fifo" => body.fifo = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `bucket NAME { key: KEY, expire: 30d | never | profile(..), noncurrent: 30d }`
#[derive(Default)]
pub struct BucketBody {
    pub key: Option<Ident>,
    pub expire: Option<PerProfile<Expiry>>,
    pub noncurrent: Option<Days>,
}

/// `30d | never`
pub enum Expiry {
    After(Days),
    Never,
}

impl Parse for Expiry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::never) {
            input.parse::<kw::never>()?;
            Ok(Expiry::Never)
        } else if lookahead.peek(LitInt) {
            input.parse().map(Expiry::After)
        } else {
            Err(lookahead.error())
        }
    }
}

impl BucketBody {
    const FIELDS: &[&str] = &["key", "expire", "noncurrent"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = BucketBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "key" => body.key = Some(input.parse()?),
                "expire" => body.expire = Some(input.parse()?),
                "noncurrent" => body.noncurrent = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `topic NAME { key: KEY, display_name: ".." }`
#[derive(Default)]
pub struct TopicBody {
    pub key: Option<Ident>,
    pub display_name: Option<LitStr>,
}

impl TopicBody {
    const FIELDS: &[&str] = &["key", "display_name"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = TopicBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "key" => body.key = Some(input.parse()?),
                "display_name" => body.display_name = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `parameter NAME { value: REF.ATTR | "literal", description: ".." }`
#[derive(Default)]
pub struct ParameterBody {
    pub value: Option<Value>,
    pub description: Option<LitStr>,
}

impl ParameterBody {
    const FIELDS: &[&str] = &["value", "description"];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = ParameterBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "value" => body.value = Some(input.parse()?),
                "description" => body.description = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `"literal" | REF.ATTR`
pub enum Value {
    Literal(LitStr),
    Attr(AttrRef),
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(LitStr) {
            input.parse().map(Value::Literal)
        } else if lookahead.peek(Ident) {
            input.parse().map(Value::Attr)
        } else {
            Err(lookahead.error())
        }
    }
}

/// `sessions.name`: an attribute of a declared resource.
pub struct AttrRef {
    pub resource: Ident,
    pub dot: Token![.],
    pub attribute: Ident,
}

impl Parse for AttrRef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let resource: Ident = input.parse()?;
        if !input.peek(Token![.]) {
            return Err(Rule::GrammarSyntax.error(
                &resource,
                format_args!(
                    "expected an attribute after `{resource}`, like `{resource}.arn`, or a string literal"
                ),
            ));
        }
        Ok(AttrRef {
            resource,
            dot: input.parse()?,
            attribute: input.parse()?,
        })
    }
}

impl ToTokens for AttrRef {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        self.resource.to_tokens(tokens);
        self.dot.to_tokens(tokens);
        self.attribute.to_tokens(tokens);
    }
}

/// ```text
/// function NAME {
///     code: "DIR", handler: "FILE.EXPORT", memory: MB | profile(..), timeout: 3s, logs: 30d, key: KEY,
///     env: { VAR: REF.ATTR | "literal", ... }, grants: { REF: ACCESS, ... }, trigger: QUEUE { batch: N, window: 0s },
/// }
/// ```
#[derive(Default)]
pub struct FunctionBody {
    pub code: Option<LitStr>,
    pub handler: Option<LitStr>,
    pub memory: Option<PerProfile<Count>>,
    pub timeout: Option<Secs>,
    pub logs: Option<Days>,
    pub key: Option<Ident>,
    pub env: Vec<(Ident, Value)>,
    pub grants: Vec<(Ident, Ident)>,
    pub trigger: Option<Trigger>,
}

/// `trade_orders { batch: 10, window: 0s }`; the braces are optional.
pub struct Trigger {
    pub queue: Ident,
    pub batch: Option<Count>,
    pub window: Option<Secs>,
}

impl Trigger {
    const FIELDS: &[&str] = &["batch", "window"];

    fn parse(input: ParseStream) -> syn::Result<Self> {
        let queue: Ident = input.parse()?;
        let mut trigger = Trigger {
            queue,
            batch: None,
            window: None,
        };
        if input.peek(token::Brace) {
            let content;
            braced!(content in input);
            let what = format!("the trigger on `{}`", trigger.queue);
            let mut fields = Fields::new(&content, &what, Self::FIELDS);
            while let Some(field) = fields.next()? {
                match field.as_str() {
                    "batch" => trigger.batch = Some(content.parse()?),
                    "window" => trigger.window = Some(content.parse()?),
                    other => unlisted(other),
                }
            }
        }
        Ok(trigger)
    }
}

impl FunctionBody {
    const FIELDS: &[&str] = &[
        "code", "handler", "memory", "timeout", "logs", "key", "env", "grants", "trigger",
    ];

    fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = FunctionBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "code" => body.code = Some(input.parse()?),
                "handler" => body.handler = Some(input.parse()?),
                "memory" => body.memory = Some(input.parse()?),
                "timeout" => body.timeout = Some(input.parse()?),
                "logs" => body.logs = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "env" => body.env = map(input)?,
                "grants" => body.grants = map(input)?,
                "trigger" => body.trigger = Some(Trigger::parse(input)?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `VALUE | profile(PROFILE: VALUE, ...)`
pub enum PerProfile<T> {
    Same(T),
    ByProfile {
        keyword: kw::profile,
        values: Vec<(Ident, T)>,
    },
}

impl<T: Parse> Parse for PerProfile<T> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(kw::profile) && input.peek2(token::Paren)) {
            return input.parse().map(PerProfile::Same);
        }
        let keyword = input.parse()?;
        let content;
        parenthesized!(content in input);
        let values =
            Punctuated::<(Ident, T), Token![,]>::parse_terminated_with(&content, |input| {
                let profile = input.parse()?;
                input.parse::<Token![:]>()?;
                Ok((profile, input.parse()?))
            })?;
        Ok(PerProfile::ByProfile {
            keyword,
            values: values.into_iter().collect(),
        })
    }
}

/// A plain number: `512`, `10`.
pub struct Count {
    pub lit: LitInt,
    pub value: u32,
}

impl Parse for Count {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lit: LitInt = input.parse()?;
        let value = plain_number(&lit)?;
        Ok(Count { lit, value })
    }
}

fn plain_number<N>(lit: &LitInt) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    if !lit.suffix().is_empty() {
        return Err(Rule::GrammarSyntax.error(
            lit,
            format_args!(
                "expected a plain number, found `{lit}`; write it without a unit, like `{}`",
                lit.base10_digits()
            ),
        ));
    }
    lit.base10_parse()
}

/// A duration counted in seconds: `180s`, `5m`, `1h`, `14d`.
pub struct Secs {
    pub lit: LitInt,
    pub value: u32,
}

impl Parse for Secs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lit: LitInt = input.parse()?;
        let secs = duration_secs(&lit)?;
        let value = u32::try_from(secs).map_err(|_| {
            Rule::GrammarSyntax.error(&lit, format_args!("`{lit}` is too long a duration"))
        })?;
        Ok(Secs { lit, value })
    }
}

/// A duration counted in whole days: `30d` (or `48h`).
pub struct Days {
    pub lit: LitInt,
    pub value: u32,
}

impl Parse for Days {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lit: LitInt = input.parse()?;
        let secs = duration_secs(&lit)?;
        if secs % SECS_PER_DAY != 0 {
            return Err(Rule::GrammarSyntax.error(
                &lit,
                format_args!(
                    "`{lit}` is not a whole number of days; this field counts days, like `30d`"
                ),
            ));
        }
        let value = u32::try_from(secs / SECS_PER_DAY).map_err(|_| {
            Rule::GrammarSyntax.error(&lit, format_args!("`{lit}` is too long a duration"))
        })?;
        Ok(Days { lit, value })
    }
}

const SECS_PER_DAY: u64 = 86_400;

/// Numbers expand as `u32` literals with the user's span, so that a type
/// error in the expansion would point at the value as written.
fn u32_tokens(value: u32, lit: &LitInt, tokens: &mut proc_macro2::TokenStream) {
    LitInt::new(&format!("{value}u32"), lit.span()).to_tokens(tokens);
}

impl ToTokens for Count {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        u32_tokens(self.value, &self.lit, tokens);
    }
}

impl ToTokens for Secs {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        u32_tokens(self.value, &self.lit, tokens);
    }
}

impl ToTokens for Days {
    fn to_tokens(&self, tokens: &mut proc_macro2::TokenStream) {
        u32_tokens(self.value, &self.lit, tokens);
    }
}

/// The seconds in `180s`, `5m`, `1h` or `14d`.
fn duration_secs(lit: &LitInt) -> syn::Result<u64> {
    let unit = match lit.suffix() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => SECS_PER_DAY,
        "" => {
            return Err(Rule::GrammarSyntax.error(
                lit,
                format_args!("`{lit}` has no unit; write a duration like `{lit}s`, `{lit}m`, `{lit}h` or `{lit}d`"),
            ));
        }
        other => {
            return Err(Rule::GrammarSyntax.error(
                lit,
                format_args!("unknown unit `{other}` in `{lit}`; use `s`, `m`, `h` or `d`"),
            ));
        }
    };
    let count: u64 = lit.base10_parse()?;
    count.checked_mul(unit).ok_or_else(|| {
        Rule::GrammarSyntax.error(lit, format_args!("`{lit}` is too long a duration"))
    })
}
