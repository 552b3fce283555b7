//! Physical and logical names.
//!
//! Every physical name follows `{type}-{purpose}-{region}-{suffix}`:
//!
//! | kind      | type     | example                                  |
//! |-----------|----------|------------------------------------------|
//! | key       | `kms`    | `alias/kms-data-us-east-1-dev` (alias)   |
//! | table     | `ddb`    | `ddb-sessions-us-east-1-dev`             |
//! | queue     | `sqs`    | `sqs-trade-orders-us-east-1-dev`         |
//! | bucket    | `s3`     | `s3-audit-log-us-east-1-dev-111111111111`|
//! | topic     | `sns`    | `sns-alerts-us-east-1-dev`               |
//! | function  | `lambda` | `lambda-trade-api-us-east-1-dev`         |
//! | its role  | `role`   | `role-trade-api-us-east-1-dev`           |
//! | parameter | (path)   | `/trading/dev/us-east-1/sessions-table`  |
//!
//! Bucket names are global across every AWS account, so they end with the
//! account id too ([`bucket_name`]): nobody else can create
//! `s3-config-us-east-1-dev-111111111111` before the platform does.
//!
//! SSM parameter names are hierarchical paths, so that a function can read
//! all of one deployment's parameters by path; they still carry the suffix
//! and the region.
//!
//! The purpose is the declared name with `_` turned into `-`. Logical ids are
//! the declared name in PascalCase plus the kind (`trade_orders` ->
//! `TradeOrdersQueue`), so renaming nothing keeps every resource.

use std::fmt;

use crate::catalog::{KindInfo, NameLimit};

/// AWS regions the platform can be declared in, by DSL identifier.
pub static REGIONS: &[(&str, &str)] = &[
    ("us_east_1", "us-east-1"),
    ("us_east_2", "us-east-2"),
    ("us_west_1", "us-west-1"),
    ("us_west_2", "us-west-2"),
    ("ca_central_1", "ca-central-1"),
    ("eu_west_1", "eu-west-1"),
    ("eu_west_2", "eu-west-2"),
    ("eu_west_3", "eu-west-3"),
    ("eu_central_1", "eu-central-1"),
    ("eu_central_2", "eu-central-2"),
    ("eu_north_1", "eu-north-1"),
    ("eu_south_1", "eu-south-1"),
    ("eu_south_2", "eu-south-2"),
    ("ap_south_1", "ap-south-1"),
    ("ap_south_2", "ap-south-2"),
    ("ap_northeast_1", "ap-northeast-1"),
    ("ap_northeast_2", "ap-northeast-2"),
    ("ap_northeast_3", "ap-northeast-3"),
    ("ap_southeast_1", "ap-southeast-1"),
    ("ap_southeast_2", "ap-southeast-2"),
    ("ap_southeast_3", "ap-southeast-3"),
    ("ap_southeast_4", "ap-southeast-4"),
    ("sa_east_1", "sa-east-1"),
    ("me_south_1", "me-south-1"),
    ("me_central_1", "me-central-1"),
    ("af_south_1", "af-south-1"),
    ("il_central_1", "il-central-1"),
];

/// The region code (`us-east-1`) for a DSL identifier (`us_east_1`).
pub fn region_code(ident: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(i, _)| *i == ident)
        .map(|(_, code)| *code)
}

/// Whether `code` is a region the platform knows.
pub fn is_known_region(code: &str) -> bool {
    REGIONS.iter().any(|(_, c)| *c == code)
}

/// The longest suffix any platform may declare.
pub const SUFFIX_HARD_MAX: usize = 32;

/// The suffix rule of a platform declaring `suffix: max {max}`, for help
/// texts.
pub fn suffix_rule(max: usize) -> String {
    format!(
        "1 to {max} lowercase letters a-z and digits 0-9 (the platform declares `suffix: max {max}`; no platform may declare more than {SUFFIX_HARD_MAX})"
    )
}

/// An environment suffix: lowercase ASCII letters and digits, from one
/// character up to the maximum the platform declares. It cannot hold anything
/// else, so every name built from it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Suffix(String);

/// Why a suffix was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuffixError {
    Empty,
    TooLong { len: usize, max: usize },
    BadChar { ch: char, at: usize },
}

impl fmt::Display for SuffixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuffixError::Empty => write!(
                f,
                "the suffix is empty; it must be 1 or more lowercase letters or digits"
            ),
            SuffixError::TooLong { len, max } => write!(
                f,
                "the suffix is {len} characters long; the platform declares `suffix: max {max}`, so use at most {max}"
            ),
            SuffixError::BadChar { ch, at } => write!(
                f,
                "the suffix has {ch:?} at position {}; only lowercase letters a-z and digits 0-9 are allowed, because the suffix ends every physical name (S3 bucket names are lowercase)",
                at + 1
            ),
        }
    }
}

impl std::error::Error for SuffixError {}

impl Suffix {
    /// Validates `value` against the suffix rule with at most `max` characters.
    pub fn new(value: &str, max: usize) -> Result<Self, SuffixError> {
        if value.is_empty() {
            return Err(SuffixError::Empty);
        }
        if let Some((at, ch)) = value
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        {
            return Err(SuffixError::BadChar { ch, at });
        }
        let len = value.chars().count();
        if len > max {
            return Err(SuffixError::TooLong { len, max });
        }
        Ok(Suffix(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Suffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a declared name cannot be a purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurposeError {
    Empty,
    StartsWithDigitOrUnderscore,
    BadChar(char),
    DoubleUnderscore,
    TrailingUnderscore,
}

impl fmt::Display for PurposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PurposeError::Empty => f.write_str("the name is empty"),
            PurposeError::StartsWithDigitOrUnderscore => {
                f.write_str("the name must start with a lowercase letter")
            }
            PurposeError::BadChar(c) => write!(
                f,
                "the name has {c:?}; names are lowercase letters, digits and single underscores, because they become part of physical names such as S3 buckets"
            ),
            PurposeError::DoubleUnderscore => {
                f.write_str("the name has `__`, which would become `--` in physical names")
            }
            PurposeError::TrailingUnderscore => f.write_str("the name ends with `_`"),
        }
    }
}

/// Checks that a declared name can be a purpose: `[a-z][a-z0-9]*(_[a-z0-9]+)*`.
pub fn check_purpose(name: &str) -> Result<(), PurposeError> {
    let first = name.chars().next().ok_or(PurposeError::Empty)?;
    if !first.is_ascii_lowercase() {
        return Err(if first.is_ascii_alphabetic() {
            PurposeError::BadChar(first)
        } else {
            PurposeError::StartsWithDigitOrUnderscore
        });
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(PurposeError::BadChar(c));
    }
    if name.contains("__") {
        return Err(PurposeError::DoubleUnderscore);
    }
    if name.ends_with('_') {
        return Err(PurposeError::TrailingUnderscore);
    }
    Ok(())
}

/// Longest PostgreSQL identifier, in bytes (`NAMEDATALEN - 1`): a longer
/// role name is silently truncated.
pub const POSTGRES_IDENTIFIER_MAX: usize = 63;

/// Role names a database user may not take: the platform's master user
/// (`postgres`), the roles RDS keeps for itself, and names PostgreSQL
/// reads as keywords or pseudo-roles in `GRANT`.
pub const RESERVED_DB_USERS: &[&str] = &[
    "postgres",
    "rdsadmin",
    "rdsrepladmin",
    "rdstopmgr",
    "rdsproxyadmin",
    "public",
    "none",
    "all",
    "user",
    "current_user",
    "current_role",
    "session_user",
    "system_user",
];

/// Prefixes PostgreSQL (`pg_`) and RDS (`rds_`) reserve for their own roles.
pub const RESERVED_DB_USER_PREFIXES: &[&str] = &["pg_", "rds_"];

/// Why `name` cannot be a database user's PostgreSQL role name, if it
/// cannot. The charset is a declared name's (`check_purpose`): lowercase
/// letters, digits and underscores, so the role needs no quoting.
pub fn db_user_name_problem(name: &str) -> Option<String> {
    if let Err(e) = check_purpose(name) {
        return Some(e.to_string());
    }
    if name.len() > POSTGRES_IDENTIFIER_MAX {
        return Some(format!(
            "it is {} bytes; PostgreSQL role names are at most {POSTGRES_IDENTIFIER_MAX} (longer ones are truncated)",
            name.len()
        ));
    }
    if RESERVED_DB_USERS.contains(&name) {
        return Some(format!(
            "`{name}` is reserved (the master user, an RDS role or a PostgreSQL keyword)"
        ));
    }
    if let Some(prefix) = RESERVED_DB_USER_PREFIXES
        .iter()
        .find(|p| name.starts_with(**p))
    {
        return Some(format!(
            "names starting with `{prefix}` are reserved for PostgreSQL's and RDS's own roles"
        ));
    }
    None
}

/// `trade_orders` -> `trade-orders`.
pub fn purpose(name: &str) -> String {
    name.replace('_', "-")
}

/// `trade_orders` -> `TradeOrders`.
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(['_', '-']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// The logical id of a declared resource's primary CloudFormation resource.
pub fn logical_id(kind: &KindInfo, name: &str) -> String {
    let mut id = pascal_case(name);
    id.push_str(kind.logical_suffix);
    id
}

/// `{type}-{purpose}-{region}-{suffix}`.
pub fn physical_name(short_type: &str, name: &str, region: &str, suffix: &str) -> String {
    format!("{short_type}-{}-{region}-{suffix}", purpose(name))
}

/// The length of an AWS account id, which ends every bucket name.
pub const ACCOUNT_ID_LEN: usize = 12;

/// `s3-{purpose}-{region}-{suffix}-{account}`: S3 bucket names are global
/// across all of AWS, and only the account id keeps another account from
/// taking a platform's bucket name first.
pub fn bucket_name(name: &str, region: &str, suffix: &str, account: &str) -> String {
    format!(
        "{}-{account}",
        physical_name(
            crate::catalog::Kind::Bucket.info().short_type,
            name,
            region,
            suffix
        )
    )
}

/// The SSM parameter path `/{platform}/{suffix}/{region}/{purpose}`.
pub fn parameter_path(platform: &str, name: &str, region: &str, suffix: &str) -> String {
    format!("/{}/{suffix}/{region}/{}", purpose(platform), purpose(name))
}

/// The longest name a kind's resource can get: with the longest declared
/// region and a suffix of the declared maximum length, plus whatever the
/// platform adds around it.
pub fn longest_name_len(
    short_type: &str,
    name: &str,
    longest_region: usize,
    suffix_max: usize,
    limit: &NameLimit,
) -> usize {
    short_type.len() + 1 + name.len() + 1 + longest_region + 1 + suffix_max + limit.extra_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_accepts_lowercase_and_digits_up_to_the_declared_max() {
        assert_eq!(Suffix::new("dev", 12).unwrap().as_str(), "dev");
        assert_eq!(Suffix::new("pr1234", 6).unwrap().as_str(), "pr1234");
        assert_eq!(
            Suffix::new("pr12345", 6),
            Err(SuffixError::TooLong { len: 7, max: 6 })
        );
        assert_eq!(Suffix::new("", 6), Err(SuffixError::Empty));
        assert_eq!(
            Suffix::new("Dev!", 12),
            Err(SuffixError::BadChar { ch: 'D', at: 0 })
        );
        assert_eq!(
            Suffix::new("dev-1", 12),
            Err(SuffixError::BadChar { ch: '-', at: 3 })
        );
    }

    #[test]
    fn purposes_are_snake_case_that_maps_to_kebab_case() {
        assert!(check_purpose("trade_orders").is_ok());
        assert!(check_purpose("dlq2").is_ok());
        assert_eq!(check_purpose("Trade"), Err(PurposeError::BadChar('T')));
        assert_eq!(
            check_purpose("_x"),
            Err(PurposeError::StartsWithDigitOrUnderscore)
        );
        assert_eq!(check_purpose("a__b"), Err(PurposeError::DoubleUnderscore));
        assert_eq!(check_purpose("a_"), Err(PurposeError::TrailingUnderscore));
        assert_eq!(purpose("trade_orders"), "trade-orders");
        assert_eq!(pascal_case("trade_orders_dlq"), "TradeOrdersDlq");
    }

    #[test]
    fn bucket_names_end_with_the_account_id() {
        let name = bucket_name("config", "us-east-1", "dev", "111111111111");
        assert_eq!(name, "s3-config-us-east-1-dev-111111111111");
        assert_eq!(
            name.len(),
            physical_name("s3", "config", "us-east-1", "dev").len() + 1 + ACCOUNT_ID_LEN
        );
    }

    #[test]
    fn physical_names_follow_the_convention() {
        assert_eq!(
            physical_name("sqs", "trade_orders", "us-east-1", "dev"),
            "sqs-trade-orders-us-east-1-dev"
        );
        assert_eq!(
            parameter_path("trading", "sessions_table", "us-east-1", "dev"),
            "/trading/dev/us-east-1/sessions-table"
        );
        let limit = NameLimit {
            what: "x",
            max_len: 80,
            extra_len: 5,
        };
        let longest = longest_name_len("sqs", "trade_orders", 9, 12, &limit);
        assert_eq!(
            longest,
            physical_name("sqs", "trade_orders", "us-east-1", "abcdefghijkl").len() + 5
        );
    }
}
