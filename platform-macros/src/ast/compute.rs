//! Blocks that run or connect things: `function`, `network`, `aurora`,
//! `db_user`, `api`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token, braced, token};

use super::{
    Count, Days, Fields, List, Number, PerProfile, PerRegion, Secs, Value, kw, map, unlisted,
};

/// ```text
/// function NAME {
///     code: "DIR", include: { "PREFIX": "DIR", ... }, exclude: ["PATTERN", ...], handler: "FILE.EXPORT", memory: MB | profile(..), timeout: 3s, logs: 30d | profile(..), key: KEY, log_key: KEY,
///     env: { VAR: REF.ATTR | "literal", ... }, grants: { REF: ACCESS | [ACCESS, ...], ... },
///     trigger: QUEUE { batch: N, window: 0s, max_concurrency: N | profile(..) }, network: NET,
///     concurrency: N | profile(..), dead_letter: QUEUE, async: { retries: N, max_age: 1h },
///     metrics: "NAMESPACE", statements: [allow "SERVICE:Action" | ["..", ..] on REF | * | "ARN", ...],
///     run: after_deploy,
/// }
/// ```
#[derive(Default)]
pub struct FunctionBody {
    pub code: Option<LitStr>,
    /// `include: { "PREFIX": "DIR", ... }`: directories zipped with the code.
    pub include: Option<IncludeMap>,
    /// `exclude: ["PATTERN", ...]`: zip paths left out of the asset.
    pub exclude: Option<List<LitStr>>,
    pub handler: Option<LitStr>,
    pub memory: Option<PerProfile<Count>>,
    pub timeout: Option<PerProfile<Secs>>,
    pub logs: Option<PerProfile<Days>>,
    /// Encrypts the environment (and the log group, without `log_key:`).
    pub key: Option<Ident>,
    /// Encrypts the log group; `key:` when not given.
    pub log_key: Option<Ident>,
    pub env: Vec<(Ident, Value)>,
    pub grants: Vec<(Ident, Levels)>,
    /// Boxed: its per-profile fields would otherwise make every `Body`
    /// as large as a function's.
    pub trigger: Option<Box<Trigger>>,
    pub network: Option<Ident>,
    pub concurrency: Option<PerProfile<Count>>,
    pub dead_letter: Option<Ident>,
    /// `async: { .. }`: how Lambda retries asynchronous invocations.
    pub async_invoke: Option<AsyncInvoke>,
    /// The CloudWatch namespace the function may publish custom metrics to.
    pub metrics: Option<LitStr>,
    /// Raw IAM statements, for calls no access level covers.
    pub statements: Option<List<RawStatement>>,
    /// `run: after_deploy`: a deploy step `tp deploy` invokes.
    pub run: Option<Ident>,
}

/// `include: { "lib": "handlers/shared", ... }`: each directory (relative to
/// the crate's directory) is zipped into the function's asset under its
/// prefix, beside the files of `code:`.
pub struct IncludeMap {
    pub brace: token::Brace,
    /// `(prefix, directory)`, as written.
    pub entries: Vec<(LitStr, LitStr)>,
}

impl Parse for IncludeMap {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let brace = braced!(content in input);
        let entries =
            Punctuated::<(LitStr, LitStr), Token![,]>::parse_terminated_with(&content, |input| {
                let prefix = input.parse()?;
                input.parse::<Token![:]>()?;
                Ok((prefix, input.parse()?))
            })?;
        Ok(IncludeMap {
            brace,
            entries: entries.into_iter().collect(),
        })
    }
}

/// The values `run:` takes.
pub const RUN_PHASES: &[&str] = &["after_deploy"];

/// `allow "dynamodb:DescribeTable" on sessions`, `allow ["a:B", "a:C"] on *`,
/// `allow "cloudformation:DescribeStacks" on "arn:..."`.
pub struct RawStatement {
    pub actions: Vec<LitStr>,
    pub resource: RawResource,
}

/// What a raw statement is scoped to.
pub enum RawResource {
    /// `*`.
    All(Token![*]),
    /// A declared resource.
    Declared(Ident),
    /// A literal ARN.
    Arn(LitStr),
}

impl Parse for RawStatement {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<kw::allow>().map_err(|e: syn::Error| {
            crate::rules::Rule::GrammarSyntax.error_at(
                e.span(),
                "expected `allow \"service:Action\" on RESOURCE`: statements only allow, everything else stays denied",
            )
        })?;
        let actions = if input.peek(token::Bracket) {
            let list: List<LitStr> = input.parse()?;
            list.items
        } else {
            vec![input.parse()?]
        };
        input.parse::<kw::on>()?;
        let resource = if input.peek(Token![*]) {
            RawResource::All(input.parse()?)
        } else if input.peek(LitStr) {
            RawResource::Arn(input.parse()?)
        } else {
            RawResource::Declared(input.parse()?)
        };
        Ok(RawStatement { actions, resource })
    }
}

/// The access levels of one grant: `read_write`, or several as
/// `[connect, read_secret]`.
pub struct Levels(pub Vec<Ident>);

impl Parse for Levels {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(token::Bracket) {
            let list: List<Ident> = input.parse()?;
            Ok(Levels(list.items))
        } else {
            Ok(Levels(vec![input.parse()?]))
        }
    }
}

/// `trade_orders { batch: 10, window: 0s, max_concurrency: 4 }`; the braces
/// are optional.
pub struct Trigger {
    pub queue: Ident,
    pub batch: Option<PerProfile<Count>>,
    pub window: Option<PerProfile<Secs>>,
    /// The event source mapping's `ScalingConfig.MaximumConcurrency`.
    pub max_concurrency: Option<PerProfile<Count>>,
}

impl Trigger {
    const FIELDS: &[&str] = &["batch", "window", "max_concurrency"];

    fn parse(input: ParseStream) -> syn::Result<Self> {
        let queue: Ident = input.parse()?;
        let mut trigger = Trigger {
            queue,
            batch: None,
            window: None,
            max_concurrency: None,
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
                    "max_concurrency" => trigger.max_concurrency = Some(content.parse()?),
                    other => unlisted(other),
                }
            }
        }
        Ok(trigger)
    }
}

/// `{ retries: 0, max_age: 1h }`: how many times Lambda retries an
/// asynchronous invocation that failed, and how long it keeps an event
/// waiting to be tried.
pub struct AsyncInvoke {
    pub retries: Option<Count>,
    pub max_age: Option<Secs>,
}

impl AsyncInvoke {
    const FIELDS: &[&str] = &["retries", "max_age"];
}

impl Parse for AsyncInvoke {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        braced!(content in input);
        let mut invoke = AsyncInvoke {
            retries: None,
            max_age: None,
        };
        let mut fields = Fields::new(&content, "`async`", Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "retries" => invoke.retries = Some(content.parse()?),
                "max_age" => invoke.max_age = Some(content.parse()?),
                other => unlisted(other),
            }
        }
        Ok(invoke)
    }
}

impl FunctionBody {
    const FIELDS: &[&str] = &[
        "code",
        "include",
        "exclude",
        "handler",
        "memory",
        "timeout",
        "logs",
        "key",
        "log_key",
        "env",
        "grants",
        "trigger",
        "network",
        "concurrency",
        "dead_letter",
        "async",
        "metrics",
        "statements",
        "run",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = FunctionBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "code" => body.code = Some(input.parse()?),
                "include" => body.include = Some(input.parse()?),
                "exclude" => body.exclude = Some(input.parse()?),
                "handler" => body.handler = Some(input.parse()?),
                "memory" => body.memory = Some(input.parse()?),
                "timeout" => body.timeout = Some(input.parse()?),
                "logs" => body.logs = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "log_key" => body.log_key = Some(input.parse()?),
                "env" => body.env = map(input)?,
                "grants" => body.grants = map(input)?,
                "trigger" => body.trigger = Some(Box::new(Trigger::parse(input)?)),
                "network" => body.network = Some(input.parse()?),
                "concurrency" => body.concurrency = Some(input.parse()?),
                "dead_letter" => body.dead_letter = Some(input.parse()?),
                "async" => body.async_invoke = Some(input.parse()?),
                "metrics" => body.metrics = Some(input.parse()?),
                "statements" => body.statements = Some(input.parse()?),
                "run" => {
                    let phase: Ident = input.parse()?;
                    if !RUN_PHASES.contains(&phase.to_string().as_str()) {
                        let hint =
                            crate::suggest::hint(&phase.to_string(), RUN_PHASES, "`run:` takes");
                        return Err(crate::rules::Rule::GrammarSyntax
                            .error(&phase, format_args!("unknown `run:` value `{phase}`{hint}")));
                    }
                    body.run = Some(phase);
                }
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `network NAME { cidr: region(..) | profile(PROFILE: region(..), ..), azs: 3, endpoints: [s3, ...], flow_logs: 365d | profile(..), key: KEY, public: on | off }`
#[derive(Default)]
pub struct NetworkBody {
    /// One /16 per region, the same in every profile or one set per profile.
    pub cidr: Option<PerProfile<PerRegion<LitStr>>>,
    pub azs: Option<Count>,
    pub endpoints: Option<List<Ident>>,
    pub flow_logs: Option<PerProfile<Days>>,
    pub key: Option<Ident>,
    /// `public: on`: a public tier routed to an internet gateway; off by default.
    pub public: Option<super::Toggle>,
}

impl NetworkBody {
    const FIELDS: &[&str] = &["cidr", "azs", "endpoints", "flow_logs", "key", "public"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = NetworkBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "cidr" => body.cidr = Some(input.parse()?),
                "azs" => body.azs = Some(input.parse()?),
                "endpoints" => body.endpoints = Some(input.parse()?),
                "flow_logs" => body.flow_logs = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "public" => body.public = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// ```text
/// aurora NAME {
///     engine: postgres "16.10", database: "trading", capacity: 0.5..=16 | profile(..), readers: 1,
///     network: NET, backup: 7d | profile(..), logs: 365d | profile(..), key: KEY, log_key: KEY, removal: delete | snapshot | profile(..),
/// }
/// ```
#[derive(Default)]
pub struct AuroraBody {
    pub engine: Option<Engine>,
    pub database: Option<LitStr>,
    pub capacity: Option<PerProfile<CapacityRange>>,
    pub readers: Option<Count>,
    pub network: Option<Ident>,
    pub backup: Option<PerProfile<Days>>,
    pub logs: Option<PerProfile<Days>>,
    /// Encrypts the storage, the master secret and Performance Insights
    /// (and the exported logs, without `log_key:`).
    pub key: Option<Ident>,
    /// Encrypts the log group the PostgreSQL logs are exported to.
    pub log_key: Option<Ident>,
    pub removal: Option<PerProfile<Removal>>,
    /// `deletion_protection: on | off`; `policy-removal` rejects `on`.
    pub deletion_protection: Option<super::Toggle>,
}

/// `postgres "16.10"`: the engine (PostgreSQL, the one the platform
/// builds) and its version.
pub struct Engine {
    pub version: LitStr,
}

impl Parse for Engine {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<kw::postgres>()?;
        Ok(Engine {
            version: input.parse()?,
        })
    }
}

/// `0.5..=16`: Aurora Serverless v2 capacity in ACUs.
pub struct CapacityRange {
    pub min: Number,
    pub dots: Token![..=],
    pub max: Number,
}

impl Parse for CapacityRange {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(CapacityRange {
            min: input.parse()?,
            dots: input.parse()?,
            max: input.parse()?,
        })
    }
}

/// `delete | snapshot`: what removing or replacing the cluster keeps
/// (`retain`, keeping the cluster itself, is rejected by `policy-removal`).
pub enum Removal {
    Delete,
    Snapshot,
    Retain(kw::retain),
}

impl Parse for Removal {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::delete) {
            input.parse::<kw::delete>()?;
            Ok(Removal::Delete)
        } else if lookahead.peek(kw::snapshot) {
            input.parse::<kw::snapshot>()?;
            Ok(Removal::Snapshot)
        } else if lookahead.peek(kw::retain) {
            input.parse().map(Removal::Retain)
        } else {
            Err(lookahead.error())
        }
    }
}

impl AuroraBody {
    const FIELDS: &[&str] = &[
        "engine",
        "database",
        "capacity",
        "readers",
        "network",
        "backup",
        "logs",
        "key",
        "log_key",
        "removal",
        "deletion_protection",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = AuroraBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "engine" => body.engine = Some(input.parse()?),
                "database" => body.database = Some(input.parse()?),
                "capacity" => body.capacity = Some(input.parse()?),
                "readers" => body.readers = Some(input.parse()?),
                "network" => body.network = Some(input.parse()?),
                "backup" => body.backup = Some(input.parse()?),
                "logs" => body.logs = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "log_key" => body.log_key = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
                "deletion_protection" => body.deletion_protection = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `db_user NAME { cluster: AURORA, privileges: dml | read_only | owner, key: KEY,
/// rotation: 30d | profile(..) }`
#[derive(Default)]
pub struct DbUserBody {
    pub cluster: Option<Ident>,
    pub privileges: Option<Ident>,
    pub key: Option<Ident>,
    /// Days between rotations of the password.
    pub rotation: Option<PerProfile<Days>>,
}

/// The values `privileges:` takes, as `platform_core::spec::DbPrivileges`
/// spells them.
pub fn db_privileges(word: &str) -> Option<platform_core::spec::DbPrivileges> {
    platform_core::spec::DbPrivileges::ALL
        .into_iter()
        .find(|p| p.as_str() == word)
}

impl DbUserBody {
    const FIELDS: &[&str] = &["cluster", "privileges", "key", "rotation"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = DbUserBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "cluster" => body.cluster = Some(input.parse()?),
                "privileges" => {
                    let word: Ident = input.parse()?;
                    if db_privileges(&word.to_string()).is_none() {
                        let names: Vec<&str> = platform_core::spec::DbPrivileges::ALL
                            .iter()
                            .map(|p| p.as_str())
                            .collect();
                        let hint =
                            crate::suggest::hint(&word.to_string(), &names, "expected one of");
                        return Err(crate::rules::Rule::GrammarSyntax.error(
                            &word,
                            format_args!("unknown privileges `{word}` in {what}{hint}"),
                        ));
                    }
                    body.privileges = Some(word);
                }
                "key" => body.key = Some(input.parse()?),
                "rotation" => body.rotation = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// ```text
/// api NAME {
///     stage: v1, throttle: RATE burst N | profile(..), logs: 365d | profile(..), key: KEY,
///     routes: { METHOD "PATH" => FUNCTION { auth: none ["WHY"] | iam, body: "SCHEMA.json", throttle: RATE burst N | profile(..) }, ... },
///     waf: { rate: N | profile(..) },
///     domain: "DOMAIN" | profile(..), zone: ZONE,
/// }
/// ```
#[derive(Default)]
pub struct ApiBody {
    pub stage: Option<Ident>,
    pub throttle: Option<PerProfile<ThrottleValue>>,
    pub logs: Option<PerProfile<Days>>,
    pub key: Option<Ident>,
    pub routes: Option<Routes>,
    /// The web ACL in front of the stage; none without `waf:`.
    pub waf: Option<WafDecl>,
    /// `domain: "api.example.com" | profile(..)`: the custom domain.
    pub domain: Option<PerProfile<LitStr>>,
    /// `zone: ZONE`: the declared zone of the domain.
    pub zone: Option<Ident>,
}

/// `{ rate: 2000 | profile(..) }`: a WAFv2 web ACL with AWS's managed rule
/// groups and a per-IP rate limit, requests per 5 minutes.
pub struct WafDecl {
    pub rate: Option<PerProfile<Count>>,
}

impl Parse for WafDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        braced!(content in input);
        let mut waf = WafDecl { rate: None };
        let mut fields = Fields::new(&content, "`waf`", &["rate"]);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "rate" => waf.rate = Some(content.parse()?),
                other => unlisted(other),
            }
        }
        Ok(waf)
    }
}

/// `100 burst 200`: requests per second, and the burst above that rate.
pub struct ThrottleValue {
    pub rate: Number,
    pub burst: Count,
}

impl Parse for ThrottleValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let rate = input.parse()?;
        input.parse::<kw::burst>()?;
        Ok(ThrottleValue {
            rate,
            burst: input.parse()?,
        })
    }
}

/// `{ ROUTE, ... }`, keeping the braces' span for an empty list.
pub struct Routes {
    pub brace: token::Brace,
    pub routes: Vec<RouteDecl>,
}

impl Parse for Routes {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let brace = braced!(content in input);
        let routes = Punctuated::<RouteDecl, Token![,]>::parse_terminated(&content)?;
        Ok(Routes {
            brace,
            routes: routes.into_iter().collect(),
        })
    }
}

/// `POST "/trades" => trade_api { auth: iam, body: "schemas/trade-order.json" }`;
/// the braces are optional.
pub struct RouteDecl {
    pub method: Ident,
    pub path: LitStr,
    pub function: Ident,
    pub auth: Option<AuthValue>,
    /// Where `auth:`'s value is written, for errors about it.
    pub auth_span: Option<proc_macro2::Span>,
    /// `auth: none "why"`: why a state-changing route is public.
    pub public_reason: Option<LitStr>,
    pub body: Option<LitStr>,
    /// The route's own method throttle, below the stage's.
    pub throttle: Option<PerProfile<ThrottleValue>>,
}

/// `none | iam`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AuthValue {
    None,
    Iam,
}

impl Parse for AuthValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::none) {
            input.parse::<kw::none>()?;
            Ok(AuthValue::None)
        } else if lookahead.peek(kw::iam) {
            input.parse::<kw::iam>()?;
            Ok(AuthValue::Iam)
        } else {
            Err(lookahead.error())
        }
    }
}

impl RouteDecl {
    const FIELDS: &[&str] = &["auth", "body", "throttle"];
}

impl Parse for RouteDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let method = input.parse()?;
        let path = input.parse()?;
        input.parse::<Token![=>]>()?;
        let mut route = RouteDecl {
            method,
            path,
            function: input.parse()?,
            auth: None,
            auth_span: None,
            public_reason: None,
            body: None,
            throttle: None,
        };
        if input.peek(token::Brace) {
            let content;
            braced!(content in input);
            let what = format!("route `{} {:?}`", route.method, route.path.value());
            let mut fields = Fields::new(&content, &what, Self::FIELDS);
            while let Some(field) = fields.next()? {
                match field.as_str() {
                    "auth" => {
                        route.auth_span = Some(content.span());
                        route.auth = Some(content.parse()?);
                        if route.auth == Some(AuthValue::None) && content.peek(LitStr) {
                            route.public_reason = Some(content.parse()?);
                        }
                    }
                    "body" => route.body = Some(content.parse()?),
                    "throttle" => route.throttle = Some(content.parse()?),
                    other => unlisted(other),
                }
            }
        }
        Ok(route)
    }
}

impl ApiBody {
    const FIELDS: &[&str] = &[
        "stage", "throttle", "logs", "key", "routes", "waf", "domain", "zone",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = ApiBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "stage" => body.stage = Some(input.parse()?),
                "throttle" => body.throttle = Some(input.parse()?),
                "logs" => body.logs = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "routes" => body.routes = Some(input.parse()?),
                "waf" => body.waf = Some(input.parse()?),
                "domain" => body.domain = Some(input.parse()?),
                "zone" => body.zone = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }

    /// The declared routes, none when `routes:` is missing.
    pub fn routes(&self) -> &[RouteDecl] {
        self.routes.as_ref().map_or(&[], |r| &r.routes)
    }
}
