//! Syntax: the `platform!` input as written. Every name and value keeps its
//! tokens, so that later phases can put errors on the exact token.
//!
//! Parsing stops at the first syntax error. Everything that parses but is
//! wrong (an unknown reference, a missing field, a name that is too long) is
//! left to `check`, which reports all of it at once.

//!
//! One submodule per group of blocks: `data` (key, table, queue, bucket,
//! topic, parameter), `compute` (function, network, aurora, api), `events`
//! (bus, rule, log_group), `monitoring` (alarm, health_check, dashboard);
//! `values` holds the value syntax they share (durations, numbers,
//! per-profile and per-region values, references).

mod backup;
mod compute;
mod data;
mod dns;
mod events;
mod generic;
mod monitoring;
mod pipeline;
pub(crate) mod place;
mod policy;
mod values;

pub use backup::*;
pub use compute::*;
pub use data::*;
pub use dns::*;
pub use events::*;
pub use generic::*;
pub use monitoring::*;
pub use pipeline::*;
pub use policy::*;
pub use values::*;

use platform_core::catalog::{self, Kind, KindInfo};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitInt, LitStr, Token, braced, bracketed, token};

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
    syn::custom_keyword!(region);
    syn::custom_keyword!(postgres);
    syn::custom_keyword!(delete);
    syn::custom_keyword!(snapshot);
    syn::custom_keyword!(burst);
    syn::custom_keyword!(none);
    syn::custom_keyword!(iam);
    syn::custom_keyword!(kms);
    syn::custom_keyword!(s3_managed);
    syn::custom_keyword!(null);
    syn::custom_keyword!(retain);
    syn::custom_keyword!(allow);
    syn::custom_keyword!(pipeline);
    syn::custom_keyword!(repository);
    syn::custom_keyword!(branch);
    syn::custom_keyword!(bucket);
    syn::custom_keyword!(backup);
    syn::custom_keyword!(resource);
}

/// The whole input: `block*`, where a block is the `platform` header or a
/// resource declaration. Doc comments on blocks are allowed and ignored.
pub struct Definition {
    pub blocks: Vec<Block>,
}

pub enum Block {
    Platform(PlatformBlock),
    Pipeline(PipelineBlock),
    Backup(BackupBlock),
    /// `resource NAME: "AWS::Service::Type" { .. }`.
    Generic(Box<GenericBlock>),
    /// `override NAME { "Part.Property": value }`.
    Override(OverrideBlock),
    /// Boxed: resource bodies are several times the size of the header.
    Resource(Box<ResourceBlock>),
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
        if input.peek(kw::pipeline) {
            return input.parse().map(Block::Pipeline);
        }
        if input.peek(kw::backup) {
            return input.parse().map(Block::Backup);
        }
        if input.peek(kw::resource) {
            return input.parse().map(|b| Block::Generic(Box::new(b)));
        }
        if input.peek(Token![override]) {
            return input.parse().map(Block::Override);
        }
        let keyword: Ident = input
            .parse()
            .map_err(|_| unknown_block_error(input.span(), None))?;
        let info = catalog::kind_by_keyword(&keyword.to_string())
            .ok_or_else(|| unknown_block_error(keyword.span(), Some(&keyword)))?;
        let name: Ident = input.parse().map_err(|error| {
            Rule::GrammarSyntax.error_at(
                error.span(),
                format_args!(
                    "expected the name of the {keyword} after `{keyword}`: letters, digits and `_`, starting with a letter, like `{keyword} trades {{ .. }}`"
                ),
            )
        })?;
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
            Kind::Network => Body::Network(NetworkBody::parse(&content, &what)?),
            Kind::Aurora => Body::Aurora(AuroraBody::parse(&content, &what)?),
            Kind::DbUser => Body::DbUser(DbUserBody::parse(&content, &what)?),
            Kind::Api => Body::Api(ApiBody::parse(&content, &what)?),
            Kind::Bus => Body::Bus(BusBody::parse(&content, &what)?),
            Kind::Rule => Body::Rule(RuleBody::parse(&content, &what)?),
            Kind::LogGroup => Body::LogGroup(LogGroupBody::parse(&content, &what)?),
            Kind::Alarm => Body::Alarm(AlarmBody::parse(&content, &what)?),
            Kind::HealthCheck => Body::HealthCheck(HealthCheckBody::parse(&content, &what)?),
            Kind::Dashboard => Body::Dashboard(DashboardBody::parse(&content, &what)?),
            Kind::Zone => Body::Zone(ZoneBody::parse(&content, &what)?),
        };
        Ok(Block::Resource(Box::new(ResourceBlock {
            info,
            name,
            body,
        })))
    }
}

/// "unknown block `tabel`; did you mean `table`?", or the list of blocks.
fn unknown_block_error(span: Span, keyword: Option<&Ident>) -> syn::Error {
    let mut valid = vec!["platform", "pipeline", "backup", "resource", "override"];
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
/// once, with optional commas after the last. A flag (`guard`) is a field
/// written alone, without `:` and a value.
struct Fields<'a> {
    input: ParseStream<'a>,
    /// "queue `trade_orders`", for messages.
    what: &'a str,
    allowed: &'static [&'static str],
    flags: &'static [&'static str],
    seen: Vec<Ident>,
}

impl<'a> Fields<'a> {
    fn new(input: ParseStream<'a>, what: &'a str, allowed: &'static [&'static str]) -> Self {
        place::enter(what);
        Fields {
            input,
            what,
            allowed,
            flags: &[],
            seen: Vec::new(),
        }
    }

    /// Fields of `allowed` that are flags.
    fn with_flags(mut self, flags: &'static [&'static str]) -> Self {
        self.flags = flags;
        self
    }

    /// The name of the field `next` returned last.
    fn current(&self) -> &Ident {
        self.seen.last().expect("called after `next`")
    }

    /// The next field's name, after its `:`; `None` at the closing brace.
    /// Only names in `allowed` are returned.
    fn next(&mut self) -> syn::Result<Option<String>> {
        if self.input.is_empty() {
            place::leave();
            return Ok(None);
        }
        if !self.seen.is_empty() {
            self.input.parse::<Token![,]>()?;
            if self.input.is_empty() {
                place::leave();
                return Ok(None);
            }
        }
        // Any identifier, keywords included: `async:` is a field, and a
        // misspelt field that happens to be a keyword is reported as an
        // unknown field like any other.
        let name = Ident::parse_any(self.input)?;
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
        if !self.flags.contains(&text.as_str()) {
            self.input.parse::<Token![:]>()?;
        }
        let profile = (self.input.peek(kw::profile) && self.input.peek2(token::Paren))
            .then(|| self.input.span());
        place::field(&text, profile, value_words(self.input));
        self.seen.push(name);
        Ok(Some(text))
    }
}

/// The identifiers a field's value is written with, up to the next `,` at
/// its level, for suggestions when the value does not parse.
fn value_words(input: ParseStream) -> Vec<String> {
    let mut words = Vec::new();
    let mut cursor = input.cursor();
    while let Some((tree, next)) = cursor.token_tree() {
        match &tree {
            proc_macro2::TokenTree::Punct(punct) if punct.as_char() == ',' => break,
            proc_macro2::TokenTree::Ident(ident) => words.push(ident.to_string()),
            _ => {}
        }
        cursor = next;
    }
    words
}

/// Reached only when a block's `match` forgets a name from its field list.
fn unlisted(field: &str) -> ! {
    unreachable!("field `{field}` is allowed but not parsed")
}

/// `platform NAME { regions: [REGION, ...], suffix: max N, profiles: [NAME, ...], tags: { KEY: "VALUE", ... }, accounts: profile(NAME: "ACCOUNT", ...), lambda_concurrency_quota: N | profile(..) }`
pub struct PlatformBlock {
    pub keyword: kw::platform,
    pub name: Ident,
    pub regions: Option<Vec<Ident>>,
    pub suffix: Option<SuffixMax>,
    pub profiles: Option<Vec<Ident>>,
    pub tags: Vec<(Ident, LitStr)>,
    /// `rollback_window: 10m | profile(..)`: how long CloudFormation watches
    /// the guard alarms after a deploy.
    pub rollback_window: Option<PerProfile<Secs>>,
    /// `drift_check: { notify: TOPIC, every: 24h }`.
    pub drift_check: Option<DriftCheck>,
    /// `accounts: profile(dev: "111111111111", ..) | "111111111111"`: the
    /// AWS account each profile deploys into.
    pub accounts: Option<PerProfile<LitStr>>,
    /// `lambda_concurrency_quota: 5000 | profile(..)`: the Lambda concurrent
    /// executions quota of each profile's account, when raised above
    /// Lambda's default of 1,000.
    pub lambda_concurrency_quota: Option<PerProfile<Count>>,
}

/// `{ notify: alerts, every: 24h }`: scheduled drift detection of each
/// region's stack, alerting a topic.
pub struct DriftCheck {
    pub brace: token::Brace,
    pub notify: Option<Ident>,
    pub every: Option<Secs>,
}

impl Parse for DriftCheck {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let brace = braced!(content in input);
        let mut check = DriftCheck {
            brace,
            notify: None,
            every: None,
        };
        let mut fields = Fields::new(&content, "`drift_check`", &["notify", "every"]);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "notify" => check.notify = Some(content.parse()?),
                "every" => check.every = Some(content.parse()?),
                other => unlisted(other),
            }
        }
        Ok(check)
    }
}

/// `max N`: the longest suffix a deployment may use.
pub struct SuffixMax {
    pub lit: LitInt,
    pub value: usize,
}

pub const PLATFORM_FIELDS: &[&str] = &[
    "regions",
    "suffix",
    "profiles",
    "tags",
    "rollback_window",
    "drift_check",
    "accounts",
    "lambda_concurrency_quota",
];

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
            rollback_window: None,
            drift_check: None,
            accounts: None,
            lambda_concurrency_quota: None,
        };
        let mut fields = Fields::new(&content, &what, PLATFORM_FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "regions" => block.regions = Some(ident_list(&content)?),
                "suffix" => {
                    content.parse::<kw::max>()?;
                    let lit: LitInt = content.parse()?;
                    let value = values::plain_number(&lit)?;
                    block.suffix = Some(SuffixMax { lit, value });
                }
                "profiles" => block.profiles = Some(ident_list(&content)?),
                "tags" => block.tags = map(&content)?,
                "rollback_window" => block.rollback_window = Some(content.parse()?),
                "drift_check" => block.drift_check = Some(content.parse()?),
                "accounts" => block.accounts = Some(content.parse()?),
                "lambda_concurrency_quota" => {
                    block.lambda_concurrency_quota = Some(content.parse()?)
                }
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

/// `[a, b, c]` of any item, keeping the brackets' span so that an empty list
/// can be pointed at.
pub struct List<T> {
    pub bracket: token::Bracket,
    pub items: Vec<T>,
}

impl<T: Parse> Parse for List<T> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = bracketed!(content in input);
        let items = Punctuated::<T, Token![,]>::parse_terminated(&content)?;
        Ok(List {
            bracket,
            items: items.into_iter().collect(),
        })
    }
}

impl<T> List<T> {
    /// The whole list, brackets included.
    pub fn span(&self) -> Span {
        self.bracket.span.join()
    }
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
    Network(NetworkBody),
    Aurora(AuroraBody),
    DbUser(DbUserBody),
    Api(ApiBody),
    Bus(BusBody),
    Rule(RuleBody),
    LogGroup(LogGroupBody),
    Alarm(AlarmBody),
    HealthCheck(HealthCheckBody),
    Dashboard(DashboardBody),
    Zone(ZoneBody),
}

impl Body {
    /// The `key:` field, for the kinds that are encrypted with a declared key.
    pub fn key(&self) -> Option<&Ident> {
        match self {
            Body::Key(_)
            | Body::Parameter(_)
            | Body::Rule(_)
            | Body::Alarm(_)
            | Body::HealthCheck(_)
            | Body::Dashboard(_)
            | Body::Zone(_) => None,
            Body::Table(table) => table.key.as_ref(),
            Body::Queue(queue) => queue.key.as_ref(),
            Body::Bucket(bucket) => bucket.key.as_ref(),
            Body::Topic(topic) => topic.key.as_ref(),
            Body::Function(function) => function.key.as_ref(),
            Body::Network(network) => network.key.as_ref(),
            Body::Aurora(aurora) => aurora.key.as_ref(),
            Body::DbUser(user) => user.key.as_ref(),
            Body::Api(api) => api.key.as_ref(),
            Body::LogGroup(log_group) => log_group.key.as_ref(),
            Body::Bus(bus) => bus.key.as_ref(),
        }
    }

    /// The `log_key:` of a block whose logs may use a key of their own.
    pub fn log_key(&self) -> Option<&Ident> {
        match self {
            Body::Function(function) => function.log_key.as_ref(),
            Body::Aurora(aurora) => aurora.log_key.as_ref(),
            _ => None,
        }
    }
}
