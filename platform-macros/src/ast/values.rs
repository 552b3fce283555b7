//! Value syntax shared by the blocks: references, per-profile and per-region
//! values, counts, numbers and durations.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitFloat, LitInt, LitStr, Token, parenthesized, token};

use super::kw;
use crate::rules::Rule;

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

/// `trade_api.errors`: a metric of a declared resource, from the catalog.
pub struct MetricRef {
    pub resource: Ident,
    pub dot: Token![.],
    pub metric: Ident,
}

impl Parse for MetricRef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let resource: Ident = input.parse()?;
        if !input.peek(Token![.]) {
            return Err(Rule::GrammarSyntax.error(
                &resource,
                format_args!("expected a metric after `{resource}`, like `{resource}.errors`"),
            ));
        }
        Ok(MetricRef {
            resource,
            dot: input.parse()?,
            metric: input.parse()?,
        })
    }
}

/// Metric references are equal when they name the same metric.
impl PartialEq for MetricRef {
    fn eq(&self, other: &Self) -> bool {
        self.resource == other.resource && self.metric == other.metric
    }
}

impl ToTokens for MetricRef {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.resource.to_tokens(tokens);
        self.dot.to_tokens(tokens);
        self.metric.to_tokens(tokens);
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

impl<T> PerProfile<T> {
    /// Every value written, whether one for all profiles or one per profile.
    pub fn values(&self) -> Vec<&T> {
        match self {
            PerProfile::Same(value) => vec![value],
            PerProfile::ByProfile { values, .. } => values.iter().map(|(_, v)| v).collect(),
        }
    }

    /// Every value written, with the profile it is written for (`None`: the
    /// one value of every profile).
    pub fn entries(&self) -> Vec<(Option<&Ident>, &T)> {
        match self {
            PerProfile::Same(value) => vec![(None, value)],
            PerProfile::ByProfile { values, .. } => {
                values.iter().map(|(p, v)| (Some(p), v)).collect()
            }
        }
    }

    /// The value in `profile`; `None` when a `profile(...)` leaves it out
    /// (which `ref-profile` reports).
    pub fn in_profile(&self, profile: &str) -> Option<&T> {
        match self {
            PerProfile::Same(value) => Some(value),
            PerProfile::ByProfile { values, .. } => values
                .iter()
                .find(|(name, _)| name == profile)
                .map(|(_, value)| value),
        }
    }

    /// Whether the value is written per profile.
    pub fn is_per_profile(&self) -> bool {
        matches!(self, PerProfile::ByProfile { .. })
    }
}

impl<T: Parse> Parse for PerProfile<T> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(kw::profile) && input.peek2(token::Paren)) {
            return input.parse().map(PerProfile::Same);
        }
        super::place::per_profile();
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

pub(super) fn plain_number<N>(lit: &LitInt) -> syn::Result<N>
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
pub(super) fn duration_secs(lit: &LitInt) -> syn::Result<u64> {
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

/// `region(REGION: VALUE, ...)`: one value per declared region.
pub struct PerRegion<T> {
    pub keyword: kw::region,
    pub values: Vec<(Ident, T)>,
}

impl<T: Parse> Parse for PerRegion<T> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(kw::region) && input.peek2(token::Paren)) {
            return Err(Rule::GrammarSyntax.error_at(
                input.span(),
                "expected one value per region, like `region(us_east_1: \"10.0.0.0/16\")`",
            ));
        }
        let keyword = input.parse()?;
        let content;
        parenthesized!(content in input);
        let values =
            Punctuated::<(Ident, T), Token![,]>::parse_terminated_with(&content, |input| {
                let region = input.parse()?;
                input.parse::<Token![:]>()?;
                Ok((region, input.parse()?))
            })?;
        Ok(PerRegion {
            keyword,
            values: values.into_iter().collect(),
        })
    }
}

/// A number as written, whole or not, optionally negative: `80`, `0.5`, `-1`.
pub struct Number {
    /// The tokens as written, for spans.
    pub tokens: TokenStream,
    /// The number as JSON writes it (`-2.5`).
    pub text: String,
    pub value: f64,
}

impl Parse for Number {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let minus: Option<Token![-]> = input.parse()?;
        let lookahead = input.lookahead1();
        let (lit, digits, suffix) = if lookahead.peek(LitInt) {
            let lit: LitInt = input.parse()?;
            let digits = lit.base10_digits().to_owned();
            let suffix = lit.suffix().to_owned();
            (lit.into_token_stream(), digits, suffix)
        } else if lookahead.peek(LitFloat) {
            let lit: LitFloat = input.parse()?;
            let digits = lit.base10_digits().to_owned();
            let suffix = lit.suffix().to_owned();
            (lit.into_token_stream(), digits, suffix)
        } else {
            return Err(lookahead.error());
        };
        let negative = minus.is_some();
        let mut tokens = minus.into_token_stream();
        tokens.extend(lit);
        if !suffix.is_empty() {
            return Err(Rule::GrammarSyntax.error(
                &tokens,
                format_args!(
                    "expected a plain number, found `{}`; write it without a suffix, like `{digits}`",
                    tokens
                ),
            ));
        }
        let text = if negative {
            format!("-{digits}")
        } else {
            digits
        };
        let value = text.parse().map_err(|_| {
            Rule::GrammarSyntax.error(&tokens, format_args!("`{text}` is not a number"))
        })?;
        Ok(Number {
            tokens,
            text,
            value,
        })
    }
}

impl ToTokens for Number {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.tokens.to_tokens(tokens);
    }
}

/// `value` as an `f64` expression with the span of `at`.
pub fn f64_tokens(value: f64, at: &impl ToTokens) -> TokenStream {
    let span = at
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(proc_macro2::Span::call_site, |t| t.span());
    let mut literal = proc_macro2::Literal::f64_suffixed(value.abs());
    literal.set_span(span);
    if value < 0.0 {
        quote::quote!(-#literal)
    } else {
        literal.into_token_stream()
    }
}
