//! Where the parser is, so that a bare syn error ("expected identifier")
//! can say which field of which block it is in and what the grammar takes
//! there, with a rule id like every other error.
//!
//! Parsing stops at the first error, so the innermost block whose fields
//! are still being read when it happens is the place of that error. The
//! places live in a thread-local stack because syn's `Parse` impls take no
//! context; [`reset`] clears it before each expansion.

use std::cell::RefCell;

use proc_macro2::Span;

use crate::rules::Rule;

/// A block whose fields are being read.
struct Place {
    /// "queue `trade_orders`".
    what: String,
    /// The field being read, if any yet.
    field: Option<String>,
    /// The `profile` keyword, when the field's value starts with
    /// `profile(`.
    profile: Option<Span>,
    /// Whether the field's value was parsed as a per-profile value.
    per_profile: bool,
    /// The identifiers the value is written with.
    words: Vec<String>,
}

thread_local! {
    static PLACES: RefCell<Vec<Place>> = const { RefCell::new(Vec::new()) };
}

/// Forgets every place: a new expansion starts.
pub fn reset() {
    PLACES.with(|places| places.borrow_mut().clear());
}

/// The fields of `what` start being read.
pub fn enter(what: &str) {
    PLACES.with(|places| {
        places.borrow_mut().push(Place {
            what: what.to_owned(),
            field: None,
            profile: None,
            per_profile: false,
            words: Vec::new(),
        });
    });
}

/// The innermost block's fields are all read.
pub fn leave() {
    PLACES.with(|places| {
        places.borrow_mut().pop();
    });
}

/// The innermost block's `field:` is being read; `profile` is the
/// `profile` keyword its value starts with, if it does; `words` the
/// identifiers its value is written with.
pub fn field(field: &str, profile: Option<Span>, words: Vec<String>) {
    PLACES.with(|places| {
        if let Some(place) = places.borrow_mut().last_mut() {
            place.field = Some(field.to_owned());
            place.profile = profile;
            place.per_profile = false;
            place.words = words;
        }
    });
}

/// The value being read is one that may differ per profile.
pub fn per_profile() {
    PLACES.with(|places| {
        if let Some(place) = places.borrow_mut().last_mut() {
            place.per_profile = true;
        }
    });
}

/// `error` with a rule id on each of its messages: messages that already
/// carry one are kept; syn's own say where they are and what the grammar
/// expected there.
pub fn tag(error: syn::Error) -> syn::Error {
    let place = PLACES.with(|places| {
        places
            .borrow()
            .last()
            .map(|p| (p.what.clone(), p.field.clone(), p.profile, p.per_profile))
    });
    let words = PLACES.with(|places| {
        places
            .borrow()
            .last()
            .map(|p| p.words.clone())
            .unwrap_or_default()
    });
    let mut out: Option<syn::Error> = None;
    for message in error {
        let text = message.to_string();
        let tagged = if has_rule_id(&text) {
            message
        } else {
            match &place {
                Some((what, Some(field), Some(profile), false)) => Rule::GrammarProfile.error_at(
                    *profile,
                    format_args!(
                        "`{field}:` in {what} takes one value for all profiles, not `profile(..)`; write the one value that holds in every profile"
                    ),
                ),
                Some((what, Some(field), _, _)) => Rule::GrammarSyntax.error_at(
                    message.span(),
                    format_args!(
                        "in `{field}:` of {what}: {}{}",
                        explain(&text),
                        did_you_mean(&text, &words)
                    ),
                ),
                Some((what, None, _, _)) => Rule::GrammarSyntax.error_at(
                    message.span(),
                    format_args!("in {what}: {}; fields are written `name: value`, separated by commas", explain(&text)),
                ),
                None => Rule::GrammarSyntax.error_at(message.span(), explain(&text)),
            }
        };
        match &mut out {
            Some(out) => out.combine(tagged),
            None => out = Some(tagged),
        }
    }
    out.unwrap_or(error_without_messages())
}

/// Unreachable in practice: a `syn::Error` has at least one message.
fn error_without_messages() -> syn::Error {
    Rule::GrammarSyntax.error_at(Span::call_site(), "invalid input")
}

/// Whether `message` ends with a rule id (`... [grammar-field]`).
fn has_rule_id(message: &str) -> bool {
    message
        .strip_suffix(']')
        .and_then(|rest| rest.rsplit_once(" ["))
        .is_some_and(|(_, id)| {
            !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
}

/// "; did you mean `off`?" when syn's message lists the keywords it
/// expected (`expected `on` or `off``, `expected one of: `a`, `b``) and a
/// word of the value is close to one of them.
fn did_you_mean(message: &str, words: &[String]) -> String {
    let Some(listed) = message.strip_prefix("expected ") else {
        return String::new();
    };
    let keywords: Vec<&str> = listed
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    words
        .iter()
        .filter(|word| !keywords.contains(&word.as_str()))
        .find_map(|word| crate::suggest::closest(word, keywords.iter().copied()))
        .map(|best| format!("; did you mean `{best}`?"))
        .unwrap_or_default()
}

/// syn's "expected identifier" in the DSL's words.
fn explain(message: &str) -> String {
    let said = match message {
        "expected identifier" => {
            "expected a name here: letters, digits and `_`, starting with a letter (`trades`, not `1trades`)"
        }
        "expected boolean literal" => "expected `true` or `false` here",
        "expected string literal" => "expected a string in double quotes here",
        "expected integer literal" => "expected a whole number here, like `5`",
        "expected `,`" => "expected `,` here, between two fields or items",
        "expected `:`" => "expected `:` here, between a field's name and its value",
        "unexpected end of input, expected curly braces" => {
            "expected `{ .. }` here, with the block's fields"
        }
        "expected curly braces" => "expected `{ .. }` here",
        "expected square brackets" => "expected a list in `[ .. ]` here",
        "expected parentheses" => "expected `( .. )` here",
        "unexpected token" => "unexpected token here; a field ends at the next `,` or `}`",
        other => return other.to_owned(),
    };
    said.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_a_rule_id_are_recognised() {
        assert!(has_rule_id(
            "unknown field `x` in queue `q` [grammar-field]"
        ));
        assert!(!has_rule_id("expected identifier"));
        assert!(!has_rule_id("expected `]` [ or ]"));
    }
}
