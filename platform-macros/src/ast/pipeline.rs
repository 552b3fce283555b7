//! The `pipeline` block: the promotion pipeline, a header-like block beside
//! `platform` rather than a resource (it has its own stack).

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, braced};

use super::{Days, Fields, List, kw, unlisted};

/// ```text
/// pipeline NAME {
///     region: REGION,                                   // required: where it runs
///     source: repository "OWNER/REPO" branch "BRANCH" | bucket,   // required
///     stages: [PROFILE, ..., approve, PROFILE],        // required: the last after `approve`
///     logs: 365d,                                       // default 365d: build log retention
///     account: "444444444444",                          // optional: the tooling account it runs in
///     notify: TOPIC,                                    // optional: the topic the approval notifies
/// }
/// ```
pub struct PipelineBlock {
    pub keyword: kw::pipeline,
    pub name: Ident,
    pub region: Option<Ident>,
    pub source: Option<Source>,
    pub stages: Option<List<Ident>>,
    pub logs: Option<Days>,
    /// The tooling account the pipeline runs in.
    pub account: Option<LitStr>,
    /// The declared topic the approval before production notifies.
    pub notify: Option<Ident>,
}

/// Where the pipeline's source comes from.
pub enum Source {
    /// `repository "acme/trading-platform" branch "main"`.
    Repository { repository: LitStr, branch: LitStr },
    /// `bucket`: `source.zip` in a bucket the pipeline stack creates.
    Bucket,
}

impl Parse for Source {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(kw::bucket) {
            input.parse::<kw::bucket>()?;
            return Ok(Source::Bucket);
        }
        input.parse::<kw::repository>().map_err(|e| {
            crate::rules::Rule::GrammarSyntax.error_at(
                e.span(),
                "expected `repository \"OWNER/REPO\" branch \"BRANCH\"` (through a CodeStar connection) or `bucket`",
            )
        })?;
        let repository = input.parse()?;
        input.parse::<kw::branch>()?;
        let branch = input.parse()?;
        Ok(Source::Repository { repository, branch })
    }
}

/// The stage keyword for a manual approval.
pub const APPROVE: &str = "approve";

pub const PIPELINE_FIELDS: &[&str] = &["region", "source", "stages", "logs", "account", "notify"];

impl Parse for PipelineBlock {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword = input.parse()?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let what = format!("pipeline `{name}`");
        let mut block = PipelineBlock {
            keyword,
            name,
            region: None,
            source: None,
            stages: None,
            logs: None,
            account: None,
            notify: None,
        };
        let mut fields = Fields::new(&content, &what, PIPELINE_FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "region" => block.region = Some(content.parse()?),
                "source" => block.source = Some(content.parse()?),
                "stages" => block.stages = Some(content.parse()?),
                "logs" => block.logs = Some(content.parse()?),
                "account" => block.account = Some(content.parse()?),
                "notify" => block.notify = Some(content.parse()?),
                other => unlisted(other),
            }
        }
        Ok(block)
    }
}
