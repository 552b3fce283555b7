//! The rule ids every error carries, so that a message can be looked up in
//! `docs/rules.md`.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// One compile-time rule. Its id ends every message it produces (`... [ref-unknown]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    GrammarSyntax,
    GrammarField,
    GrammarRequired,
    GrammarPlatform,
    RefUnknown,
    RefKind,
    RefAttribute,
    RefMetric,
    RefDuplicate,
    RefProfile,
    RefCycle,
    IamAccess,
    IamEnvWithoutGrant,
    IamAction,
    IamWildcard,
    IamResource,
    IamResourceStar,
    NameCharset,
    NameLength,
    NameRegion,
    NameSuffix,
    NameCollision,
    NetworkCidr,
    NetworkEndpoint,
    ApiRoute,
    ApiBodySchema,
    BucketAccessLogs,
    FunctionEnv,
    FunctionInclude,
    PipelineStage,
    PipelineApproval,
    AccountId,
    AccountSeparation,
    ValueRange,
    ValueFormat,
    LogRetentionProd,
    ArchiveRetention,
    ArchiveAppend,
    QueueDeadLetter,
    TriggerConcurrency,
    TriggerRedrive,
    DbUserName,
    DbUserRole,
    DbUserNetwork,
    RunAfterDeploy,
    PolicyEncryption,
    PolicyPitr,
    PolicyBucket,
    PolicyRemoval,
}

impl Rule {
    /// Every rule, in the order `docs/rules.md` lists them.
    #[cfg(test)]
    pub const ALL: &[Rule] = &[
        Rule::GrammarSyntax,
        Rule::GrammarField,
        Rule::GrammarRequired,
        Rule::GrammarPlatform,
        Rule::RefUnknown,
        Rule::RefKind,
        Rule::RefAttribute,
        Rule::RefMetric,
        Rule::RefDuplicate,
        Rule::RefProfile,
        Rule::RefCycle,
        Rule::IamAccess,
        Rule::IamEnvWithoutGrant,
        Rule::IamAction,
        Rule::IamWildcard,
        Rule::IamResource,
        Rule::IamResourceStar,
        Rule::NameCharset,
        Rule::NameLength,
        Rule::NameRegion,
        Rule::NameSuffix,
        Rule::NameCollision,
        Rule::NetworkCidr,
        Rule::NetworkEndpoint,
        Rule::ApiRoute,
        Rule::ApiBodySchema,
        Rule::BucketAccessLogs,
        Rule::FunctionEnv,
        Rule::FunctionInclude,
        Rule::PipelineStage,
        Rule::PipelineApproval,
        Rule::AccountId,
        Rule::AccountSeparation,
        Rule::ValueRange,
        Rule::ValueFormat,
        Rule::LogRetentionProd,
        Rule::ArchiveRetention,
        Rule::ArchiveAppend,
        Rule::QueueDeadLetter,
        Rule::TriggerConcurrency,
        Rule::TriggerRedrive,
        Rule::DbUserName,
        Rule::DbUserRole,
        Rule::DbUserNetwork,
        Rule::RunAfterDeploy,
        Rule::PolicyEncryption,
        Rule::PolicyPitr,
        Rule::PolicyBucket,
        Rule::PolicyRemoval,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::GrammarSyntax => "grammar-syntax",
            Rule::GrammarField => "grammar-field",
            Rule::GrammarRequired => "grammar-required",
            Rule::GrammarPlatform => "grammar-platform",
            Rule::RefUnknown => "ref-unknown",
            Rule::RefKind => "ref-kind",
            Rule::RefAttribute => "ref-attribute",
            Rule::RefMetric => "ref-metric",
            Rule::RefDuplicate => "ref-duplicate",
            Rule::RefProfile => "ref-profile",
            Rule::RefCycle => "ref-cycle",
            Rule::IamAccess => "iam-access",
            Rule::IamEnvWithoutGrant => "iam-env-without-grant",
            Rule::IamAction => "iam-action",
            Rule::IamWildcard => "iam-wildcard",
            Rule::IamResource => "iam-resource",
            Rule::IamResourceStar => "iam-resource-star",
            Rule::NameCharset => "name-charset",
            Rule::NameLength => "name-length",
            Rule::NameRegion => "name-region",
            Rule::NameSuffix => "name-suffix",
            Rule::NameCollision => "name-collision",
            Rule::NetworkCidr => "network-cidr",
            Rule::NetworkEndpoint => "network-endpoint",
            Rule::ApiRoute => "api-route",
            Rule::ApiBodySchema => "api-body-schema",
            Rule::BucketAccessLogs => "bucket-access-logs",
            Rule::FunctionEnv => "function-env",
            Rule::FunctionInclude => "function-include",
            Rule::PipelineStage => "pipeline-stage",
            Rule::PipelineApproval => "pipeline-approval",
            Rule::AccountId => "account-id",
            Rule::AccountSeparation => "account-separation",
            Rule::ValueRange => "value-range",
            Rule::ValueFormat => "value-format",
            Rule::LogRetentionProd => "log-retention-prod",
            Rule::ArchiveRetention => "archive-retention",
            Rule::ArchiveAppend => "archive-append",
            Rule::QueueDeadLetter => "queue-dead-letter",
            Rule::TriggerConcurrency => "trigger-concurrency",
            Rule::TriggerRedrive => "trigger-redrive",
            Rule::DbUserName => "db-user-name",
            Rule::DbUserRole => "db-user-role",
            Rule::DbUserNetwork => "db-user-network",
            Rule::RunAfterDeploy => "run-after-deploy",
            Rule::PolicyEncryption => "policy-encryption",
            Rule::PolicyPitr => "policy-pitr",
            Rule::PolicyBucket => "policy-bucket",
            Rule::PolicyRemoval => "policy-removal",
        }
    }

    /// An error on `tokens` (first to last token), tagged with this rule.
    pub fn error(self, tokens: impl ToTokens, message: impl Display) -> syn::Error {
        syn::Error::new_spanned(tokens, self.message(message))
    }

    /// An error at `span`, tagged with this rule.
    pub fn error_at(self, span: Span, message: impl Display) -> syn::Error {
        syn::Error::new(span, self.message(message))
    }

    fn message(self, message: impl Display) -> String {
        format!("{message} [{}]", self.id())
    }
}
