//! Blocks that hold data or configuration: `key`, `table`, `queue`,
//! `bucket`, `topic`, `parameter`.

use platform_core::spec::{KeyType, StreamView};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitInt, LitStr, Token};

use crate::rules::Rule;

use super::{
    AtRest, Count, Days, Fields, PerProfile, RemovalPolicy, Secs, Toggle, Value, kw, unlisted,
};

/// `key NAME { description: "..", rotation: on|off, pending_window: 7d }`
#[derive(Default)]
pub struct KeyBody {
    pub description: Option<LitStr>,
    pub rotation: Option<bool>,
    pub pending_window: Option<Days>,
    /// `rotation: off`, which `policy-encryption` rejects.
    pub rotation_off: Option<kw::off>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<RemovalPolicy>,
}

impl KeyBody {
    const FIELDS: &[&str] = &["description", "rotation", "pending_window", "removal"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
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
                        body.rotation_off = Some(input.parse::<kw::off>()?);
                        false
                    } else {
                        return Err(lookahead.error());
                    });
                }
                "pending_window" => body.pending_window = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
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
    /// `encryption: kms | none`; `policy-encryption` rejects `none`.
    pub encryption: Option<AtRest>,
    /// `pitr: on | off`; `policy-pitr` rejects `off`.
    pub pitr: Option<Toggle>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<RemovalPolicy>,
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
    const FIELDS: &[&str] = &[
        "partition",
        "sort",
        "ttl",
        "stream",
        "key",
        "encryption",
        "pitr",
        "removal",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = TableBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "partition" => body.partition = Some(input.parse()?),
                "sort" => body.sort = Some(input.parse()?),
                "ttl" => body.ttl = Some(input.parse()?),
                "stream" => body.stream = Some(stream_view(input)?),
                "key" => body.key = Some(input.parse()?),
                "encryption" => body.encryption = Some(input.parse()?),
                "pitr" => body.pitr = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `queue NAME { visibility: 30s, retention: 4d | profile(..), dead_letter: QUEUE after N, fifo: BOOL, key: KEY }`
#[derive(Default)]
pub struct QueueBody {
    pub visibility: Option<PerProfile<Secs>>,
    pub retention: Option<PerProfile<Secs>>,
    pub dead_letter: Option<DeadLetter>,
    pub fifo: Option<LitBool>,
    pub key: Option<Ident>,
    /// `encryption: kms | none`; `policy-encryption` rejects `none`.
    pub encryption: Option<AtRest>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<RemovalPolicy>,
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
    const FIELDS: &[&str] = &[
        "visibility",
        "retention",
        "dead_letter",
        "fifo",
        "key",
        "encryption",
        "removal",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = QueueBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "visibility" => body.visibility = Some(input.parse()?),
                "retention" => body.retention = Some(input.parse()?),
                "dead_letter" => body.dead_letter = Some(input.parse()?),
                "fifo" => body.fifo = Some(input.parse()?),
                "key" => body.key = Some(input.parse()?),
                "encryption" => body.encryption = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `bucket NAME { key: KEY, encryption: kms | s3_managed, expire: 30d | never | profile(..), noncurrent: 30d, access_logs: BUCKET, archive: 2557d | profile(..) }`
#[derive(Default)]
pub struct BucketBody {
    pub key: Option<Ident>,
    pub encryption: Option<Encryption>,
    pub expire: Option<PerProfile<Expiry>>,
    pub noncurrent: Option<Days>,
    pub access_logs: Option<Ident>,
    /// `archive: 2557d | profile(..)`: replicated to the account's
    /// write-once archive, kept that many days; `archive-retention` wants
    /// seven years in production.
    pub archive: Option<PerProfile<Days>>,
    /// `versioning: on | off`; `policy-bucket` rejects `off`.
    pub versioning: Option<Toggle>,
    /// `public: true | false`; `policy-bucket` rejects `true`.
    pub public: Option<LitBool>,
    /// `block_public_access: on | off`; `policy-bucket` rejects `off`.
    pub block_public_access: Option<Toggle>,
    /// `tls_only: on | off`; `policy-bucket` rejects `off`.
    pub tls_only: Option<Toggle>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<RemovalPolicy>,
}

/// `kms | s3_managed`: how a bucket encrypts objects at rest.
pub enum Encryption {
    /// With the declared `key:` (the default).
    Kms,
    /// With S3's own keys, which S3 requires of buckets receiving server
    /// access logs.
    S3Managed(kw::s3_managed),
    /// Unencrypted, which `policy-encryption` rejects.
    None(kw::none),
}

impl Parse for Encryption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::kms) {
            input.parse::<kw::kms>()?;
            Ok(Encryption::Kms)
        } else if lookahead.peek(kw::s3_managed) {
            input.parse().map(Encryption::S3Managed)
        } else if lookahead.peek(kw::none) {
            input.parse().map(Encryption::None)
        } else {
            Err(lookahead.error())
        }
    }
}

impl BucketBody {
    /// Whether objects are encrypted with S3-managed keys rather than `key:`.
    pub fn s3_managed(&self) -> Option<&kw::s3_managed> {
        match &self.encryption {
            Some(Encryption::S3Managed(keyword)) => Some(keyword),
            _ => None,
        }
    }
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
    const FIELDS: &[&str] = &[
        "key",
        "encryption",
        "expire",
        "noncurrent",
        "access_logs",
        "archive",
        "versioning",
        "public",
        "block_public_access",
        "tls_only",
        "removal",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = BucketBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "key" => body.key = Some(input.parse()?),
                "encryption" => body.encryption = Some(input.parse()?),
                "expire" => body.expire = Some(input.parse()?),
                "noncurrent" => body.noncurrent = Some(input.parse()?),
                "access_logs" => body.access_logs = Some(input.parse()?),
                "archive" => body.archive = Some(input.parse()?),
                "versioning" => body.versioning = Some(input.parse()?),
                "public" => body.public = Some(input.parse()?),
                "block_public_access" => body.block_public_access = Some(input.parse()?),
                "tls_only" => body.tls_only = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
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
    /// `email_subscription`: a flag.
    pub email_subscription: Option<Ident>,
    /// `encryption: kms | none`; `policy-encryption` rejects `none`.
    pub encryption: Option<AtRest>,
    /// `removal: delete | retain`; `policy-removal` rejects `retain`.
    pub removal: Option<RemovalPolicy>,
    /// `subscribe: SUBSCRIBERS | profile(..)`.
    pub subscribe: Option<PerProfile<Subscribers>>,
}

/// One subscriber, or `[SUBSCRIBER, ...]` (`[]`: none).
pub struct Subscribers {
    pub items: Vec<SubscriberDecl>,
}

impl Parse for Subscribers {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let list: super::List<SubscriberDecl> = input.parse()?;
            return Ok(Subscribers { items: list.items });
        }
        Ok(Subscribers {
            items: vec![input.parse()?],
        })
    }
}

/// `email "ADDRESS"`, `https "URL"`, `sqs QUEUE` or `sqs QUEUE raw`.
pub enum SubscriberDecl {
    Email(LitStr),
    Https(LitStr),
    Sqs { queue: Ident, raw: Option<Ident> },
}

impl Parse for SubscriberDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let protocol: Ident = input.parse()?;
        match protocol.to_string().as_str() {
            "email" => Ok(SubscriberDecl::Email(input.parse()?)),
            "https" => Ok(SubscriberDecl::Https(input.parse()?)),
            "sqs" => {
                let queue = input.parse()?;
                let raw = if input.peek(Ident) {
                    let raw: Ident = input.parse()?;
                    if raw != "raw" {
                        return Err(Rule::GrammarSyntax.error(
                            &raw,
                            format_args!("expected `raw` or nothing after `sqs {queue}`, found `{raw}`"),
                        ));
                    }
                    Some(raw)
                } else {
                    None
                };
                Ok(SubscriberDecl::Sqs { queue, raw })
            }
            other => Err(Rule::GrammarSyntax.error(
                &protocol,
                format_args!(
                    "unknown subscriber `{other}`; write `email \"ADDRESS\"`, `https \"URL\"` or `sqs QUEUE`"
                ),
            )),
        }
    }
}

impl TopicBody {
    const FIELDS: &[&str] = &[
        "key",
        "display_name",
        "email_subscription",
        "encryption",
        "removal",
        "subscribe",
    ];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = TopicBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS).with_flags(&["email_subscription"]);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "key" => body.key = Some(input.parse()?),
                "display_name" => body.display_name = Some(input.parse()?),
                "email_subscription" => body.email_subscription = Some(fields.current().clone()),
                "encryption" => body.encryption = Some(input.parse()?),
                "removal" => body.removal = Some(input.parse()?),
                "subscribe" => body.subscribe = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}

/// `parameter NAME { value: REF.ATTR | "literal" | profile(PROFILE: "literal", ...), description: ".." }`
#[derive(Default)]
pub struct ParameterBody {
    pub value: Option<PerProfile<Value>>,
    pub description: Option<LitStr>,
}

impl ParameterBody {
    const FIELDS: &[&str] = &["value", "description"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
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
