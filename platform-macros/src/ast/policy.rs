//! Values of the fields that could only weaken a secure default
//! (`encryption: none`, `pitr: off`, `removal: retain`, ...). The grammar
//! accepts them so that `check::policy` can say what the platform always
//! does instead; the secure value is accepted and changes nothing.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};

use super::kw;

/// `on | off`, keeping the keyword's span.
pub struct Toggle {
    pub on: bool,
    pub span: Span,
}

impl Parse for Toggle {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::on) {
            let keyword = input.parse::<kw::on>()?;
            Ok(Toggle {
                on: true,
                span: keyword.span,
            })
        } else if lookahead.peek(kw::off) {
            let keyword = input.parse::<kw::off>()?;
            Ok(Toggle {
                on: false,
                span: keyword.span,
            })
        } else {
            Err(lookahead.error())
        }
    }
}

/// `kms | none`: how a table, queue, topic or log group is encrypted at
/// rest. Only `kms` (with the declared `key:`, the default) is accepted.
pub enum AtRest {
    Kms,
    None(kw::none),
}

impl Parse for AtRest {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::kms) {
            input.parse::<kw::kms>()?;
            Ok(AtRest::Kms)
        } else if lookahead.peek(kw::none) {
            input.parse().map(AtRest::None)
        } else {
            Err(lookahead.error())
        }
    }
}

/// `delete | retain`: what removing a resource from the stack does to it.
/// Only `delete` (the default) is accepted.
pub enum RemovalPolicy {
    Delete,
    Retain(kw::retain),
}

impl Parse for RemovalPolicy {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::delete) {
            input.parse::<kw::delete>()?;
            Ok(RemovalPolicy::Delete)
        } else if lookahead.peek(kw::retain) {
            input.parse().map(RemovalPolicy::Retain)
        } else {
            Err(lookahead.error())
        }
    }
}
