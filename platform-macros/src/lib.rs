//! The `platform!` macro: a whole platform declared in one block, checked by
//! `cargo build`.
//!
//! `platform! { ... }` expands to one function,
//! `pub fn platform() -> ::platform_core::spec::Platform`, which the `tp` CLI
//! synthesizes into CloudFormation. Before it expands, the macro checks every
//! compile-time rule (unknown or mistyped references, names too long for AWS
//! once the suffix is appended, grants the target cannot have, ...) and
//! reports *all* violations at once, each on the offending token and ending
//! with its rule id (`[ref-unknown]`), which `docs/rules.md` explains.
//!
//! The kinds, their attributes, their access levels and their name limits
//! come from [`platform_core::catalog`]; region identifiers from
//! [`platform_core::naming::REGIONS`].
//!
//! # Grammar
//!
//! ```text
//! input      = block*                         // exactly one `platform` block
//! block      = "platform" NAME "{" fields "}"
//!            | KIND NAME "{" fields "}"       // KIND: key table queue bucket topic parameter function
//! fields     = (FIELD ":" value ("," FIELD ":" value)* ","?)?   // any order, each field once
//! duration   = INTEGER ("s" | "m" | "h" | "d")                  // 180s, 5m, 1h, 14d
//! per_profile(v) = v | "profile" "(" PROFILE ":" v ("," PROFILE ":" v)* ","? ")"
//! value      = STRING | NAME "." ATTRIBUTE   // "literal" or sessions.name
//! ```
//!
//! Names are lowercase snake case (`trade_orders`); they become the
//! `purpose` in physical names `{type}-{purpose}-{region}-{suffix}`. Names
//! are unique across all kinds. Doc comments (`///`) on blocks are allowed;
//! `//` comments anywhere.
//!
//! Durations in seconds (`visibility`, `retention`, `timeout`, `window`)
//! take any unit; durations in days (`logs`, `expire`, `noncurrent`,
//! `pending_window`) must be whole days.
//!
//! ## `platform`
//!
//! ```text
//! platform NAME {
//!     regions: [REGION, ...],           // required; us_east_1, eu_west_1, ...; the first is the primary
//!     suffix: max N,                    // required; every --suffix is 1..=N characters, N <= 32
//!     profiles: [PROFILE, ...],         // required; the first is the default
//!     tags: { KEY: "VALUE", ... },      // optional; applied to every taggable resource
//! }
//! ```
//!
//! ```
//! platform_macros::platform! {
//!     platform trading {
//!         regions: [us_east_1, us_west_2],
//!         suffix: max 12,
//!         profiles: [dev, staging, prod],
//!         tags: { Project: "trading-platform", Owner: "platform-team" },
//!     }
//! }
//!
//! let platform = platform();
//! assert_eq!(platform.regions, ["us-east-1", "us-west-2"]);
//! assert_eq!(platform.profiles, ["dev", "staging", "prod"]);
//! ```
//!
//! ## `key`: a customer-managed KMS key
//!
//! ```text
//! key NAME {
//!     description: "..",                // default "<name> key"
//!     rotation: on | off,               // default on
//!     pending_window: DAYS,             // default 7d
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! key data { description: "Data at rest", rotation: on, pending_window: 30d }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `table`: a DynamoDB table (on demand, point-in-time recovery, encrypted)
//!
//! ```text
//! table NAME {
//!     partition: ATTR: string | number | binary,   // required
//!     sort: ATTR: string | number | binary,        // optional
//!     ttl: ATTR,                                    // optional: enables TTL on ATTR
//!     stream: keys_only | new | old | new_and_old,  // optional
//!     key: KEY,                                     // required: a declared key
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! table sessions {
//!     partition: session_id: string,
//!     sort: created_at: number,
//!     ttl: expires_at,
//!     stream: new_and_old,
//!     key: data,
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `queue`: an SQS queue
//!
//! ```text
//! queue NAME {
//!     visibility: DURATION,                  // default 30s
//!     retention: per_profile(DURATION),      // default 4d
//!     dead_letter: QUEUE after N,            // optional: a declared queue, after N receives
//!     fifo: true | false,                    // default false
//!     key: KEY,                              // required
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, staging, prod] }
//! # key data {}
//! queue trade_orders {
//!     visibility: 180s,
//!     retention: profile(dev: 4d, staging: 10d, prod: 14d),
//!     dead_letter: trade_orders_dlq after 3,
//!     key: data,
//! }
//! queue trade_orders_dlq { retention: 14d, key: data }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `bucket`: an S3 bucket (versioned, encrypted, TLS only, no public access)
//!
//! ```text
//! bucket NAME {
//!     key: KEY,                                  // required
//!     expire: per_profile(DAYS | never),         // default never
//!     noncurrent: DAYS,                          // default 30d: noncurrent versions are removed
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! bucket audit_log { key: data, expire: profile(dev: 30d, prod: never), noncurrent: 90d }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `topic`: an SNS topic
//!
//! ```text
//! topic NAME {
//!     key: KEY,               // required
//!     display_name: "..",     // optional
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! topic alerts { key: data, display_name: "Trading platform alerts" }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `parameter`: an SSM String parameter at `/{platform}/{suffix}/{region}/{name}`
//!
//! ```text
//! parameter NAME {
//!     value: RESOURCE.ATTRIBUTE | "literal",   // required
//!     description: "..",                       // default: the name
//! }
//! ```
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//! # key data {}
//! # table sessions { partition: id: string, key: data }
//! parameter sessions_table { value: sessions.name, description: "Sessions table name" }
//! parameter api_version { value: "v1" }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! ## `function`: a Lambda function (Node.js) with its role and log group
//!
//! ```text
//! function NAME {
//!     code: "DIR",                             // required: relative to the crate's Cargo.toml
//!     handler: "FILE.EXPORT",                  // default "index.handler"
//!     memory: per_profile(MB),                 // default 128
//!     timeout: DURATION,                       // default 3s
//!     logs: DAYS,                              // default 30d: log retention
//!     key: KEY,                                // required: encrypts the log group
//!     env: { VAR: RESOURCE.ATTRIBUTE | "literal", ... },
//!     grants: { RESOURCE: ACCESS, ... },       // ACCESS from the target kind's levels
//!     trigger: QUEUE { batch: N, window: DURATION },   // braces optional; defaults 10 and 0s
//! }
//! ```
//!
//! A resource in `env` needs a grant (a trigger queue counts as `consume`).
//!
//! ```
//! # platform_macros::platform! {
//! # platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev, prod] }
//! # key data {}
//! # table sessions { partition: id: string, key: data }
//! # queue trade_orders { key: data }
//! function trade_processor {
//!     code: "handlers/trade-processor",
//!     memory: profile(dev: 512, prod: 2048),
//!     timeout: 30s,
//!     logs: 30d,
//!     key: data,
//!     trigger: trade_orders { batch: 10, window: 0s },
//!     env: { SESSIONS_TABLE: sessions.name, STAGE: "live" },
//!     grants: { sessions: read_write },
//! }
//! # }
//! # fn main() { platform(); }
//! ```
//!
//! Mistakes fail the build with the error on the offending token:
//!
//! ```compile_fail
//! platform_macros::platform! {
//!     platform demo { regions: [us_east_1], suffix: max 8, profiles: [dev] }
//!     key data {}
//!     table sessions { partition: id: string, key: data }
//!     function api {
//!         code: "handlers/api",
//!         key: data,
//!         env: { SESSIONS_TABLE: sesions.name }, // unknown resource `sesions`; did you mean `sessions`?
//!     }
//! }
//! # fn main() {}
//! ```

mod ast;
mod check;
mod ctxt;
mod expand;
mod model;
mod rules;
mod suggest;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Declares the platform. See the [crate documentation](crate) for the grammar.
#[proc_macro]
pub fn platform(input: TokenStream) -> TokenStream {
    expand::platform(input.into()).into()
}
