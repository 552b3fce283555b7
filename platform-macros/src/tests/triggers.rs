//! SQS triggers that cannot starve themselves (`trigger-concurrency`,
//! `trigger-redrive`) and asynchronous invocations with explicit retries
//! (`async:`), without rustc.

use quote::quote;

use super::{all_errors, error, errors, platform};
use crate::ast::{Body, Definition, PerProfile};

/// A platform with three profiles, a key and a trigger queue that redrives
/// after `receives`, then `rest`.
fn with_queue(receives: u32, rest: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let receives = proc_macro2::Literal::u32_unsuffixed(receives);
    quote! {
        platform demo { regions: [us_east_1], suffix: max 12, profiles: [dev, staging, prod] }
        key data {}
        queue orders { visibility: 180s, dead_letter: orders_dlq after #receives, key: data }
        queue orders_dlq { retention: 14d, key: data }
        #rest
    }
}

#[test]
fn a_trigger_takes_a_maximum_concurrency_and_a_function_its_async_retries() {
    let input = platform(quote! {
        queue orders { key: data }
        function f {
            code: "f", key: data,
            trigger: orders { batch: 5, max_concurrency: profile(dev: 2, prod: 40) },
            async: { retries: 1, max_age: 15m },
        }
    });
    let definition: Definition = syn::parse2(input).unwrap();
    let function = definition
        .blocks
        .iter()
        .find_map(|block| match block {
            crate::ast::Block::Resource(r) => match &r.body {
                Body::Function(f) => Some(f),
                _ => None,
            },
            _ => None,
        })
        .unwrap();
    let trigger = function.trigger.as_ref().unwrap();
    let Some(PerProfile::ByProfile { values, .. }) = &trigger.max_concurrency else {
        panic!("by profile")
    };
    assert_eq!(values[0].0, "dev");
    assert_eq!(values[0].1.value, 2);
    assert_eq!(values[1].1.value, 40);
    let invoke = function.async_invoke.as_ref().unwrap();
    assert_eq!(invoke.retries.as_ref().unwrap().value, 1);
    assert_eq!(invoke.max_age.as_ref().unwrap().value, 900);
}

#[test]
fn the_expansion_carries_the_maximum_concurrency_and_async_retries() {
    let expanded = super::expand(with_queue(
        5,
        quote! {
            function f {
                code: "f", key: data, timeout: 30s,
                concurrency: profile(dev: 5, staging: 20, prod: 100),
                trigger: orders { max_concurrency: profile(dev: 4, staging: 18, prod: 90) },
                async: { retries: 0 },
            }
            function g { code: "g", key: data, dead_letter: orders_dlq }
        },
    ))
    .unwrap_or_else(|e| {
        panic!(
            "{:?}",
            e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>()
        )
    })
    .to_string()
    .replace(' ', "");
    assert!(
        expanded.contains(
            "max_concurrency:::platform_core::spec::PerProfile::ByProfile(::std::vec![(::std::string::String::from(\"dev\"),::core::option::Option::Some(4u32)),(::std::string::String::from(\"staging\"),::core::option::Option::Some(18u32)),(::std::string::String::from(\"prod\"),::core::option::Option::Some(90u32))])"
        ),
        "{expanded}"
    );
    // `max_age:` left out takes the default; `g` declares no `async:`.
    assert!(
        expanded.contains(
            "async_invoke:::core::option::Option::Some(::platform_core::spec::AsyncInvoke{max_retries:0u32,max_event_age_secs:3600u32,})"
        ),
        "{expanded}"
    );
    assert!(
        expanded.contains("async_invoke:::core::option::Option::None"),
        "{expanded}"
    );
}

#[test]
fn async_is_a_field_and_its_fields_are_checked_like_any_other() {
    let message = error(platform(quote! {
        function f { code: "f", key: data, async: { retry: 1 } }
    }));
    assert_eq!(
        message,
        "unknown field `retry` in `async`; did you mean `retries`? [grammar-field]"
    );
    // A keyword where a field is expected is an unknown field, not a
    // syntax error.
    let message = error(platform(quote! {
        function f { code: "f", key: data, fn: 1 }
    }));
    assert!(
        message.starts_with("unknown field `fn` in function `f`"),
        "{message}"
    );
}

#[test]
fn trigger_concurrency_a_reserved_function_caps_its_trigger() {
    let message = error(with_queue(
        5,
        quote! {
            function f {
                code: "f", key: data, timeout: 30s,
                concurrency: profile(dev: 5, staging: 20, prod: 100),
                trigger: orders,
            }
        },
    ));
    assert_eq!(
        message,
        "function `f` has reserved concurrency and is triggered by queue `orders`, but the trigger sets no `max_concurrency`, so Lambda's poller can receive more batches than the function may run; their invocations are throttled and each receive counts toward `orders`'s redrive, sending healthy messages to its dead-letter queue; add `max_concurrency: profile(dev: 4, staging: 18, prod: 90)` to the trigger, below the reserved concurrency [trigger-concurrency]"
    );
    let message = error(with_queue(
        5,
        quote! {
            function f { code: "f", key: data, timeout: 30s, concurrency: 10, trigger: orders }
        },
    ));
    assert!(
        message.ends_with("add `max_concurrency: 9` to the trigger, below the reserved concurrency [trigger-concurrency]"),
        "{message}"
    );
    // Without reserved concurrency the trigger scales with the account's
    // pool and needs no cap.
    assert!(
        errors(with_queue(
            5,
            quote! { function f { code: "f", key: data, timeout: 30s, trigger: orders } }
        ))
        .is_empty()
    );
}

#[test]
fn trigger_concurrency_the_cap_is_below_the_reservation_in_every_profile() {
    let errors = errors(with_queue(
        5,
        quote! {
            function f {
                code: "f", key: data, timeout: 30s,
                concurrency: profile(dev: 5, staging: 20, prod: 100),
                trigger: orders { max_concurrency: profile(dev: 5, staging: 18, prod: 120) },
            }
            function g {
                code: "g", key: data, timeout: 30s,
                concurrency: profile(dev: 10, staging: 20, prod: 30),
                trigger: orders { max_concurrency: 20 },
            }
        },
    ));
    assert_eq!(
        errors,
        [
            "`max_concurrency: 5` in `dev` is not below the reserved concurrency 5 of function `f`, so the poller can receive batches whose invocations are throttled, and each receive counts toward `orders`'s redrive; use a value from 2 to 4, like 4 [trigger-concurrency]",
            "`max_concurrency: 120` in `prod` is not below the reserved concurrency 100 of function `f`, so the poller can receive batches whose invocations are throttled, and each receive counts toward `orders`'s redrive; use a value from 2 to 99, like 90 [trigger-concurrency]",
            // One value for every profile is reported once, for the first
            // profile it fails in.
            "`max_concurrency: 20` in `dev` is not below the reserved concurrency 10 of function `g`, so the poller can receive batches whose invocations are throttled, and each receive counts toward `orders`'s redrive; use a value from 2 to 9, like 9 [trigger-concurrency]",
        ]
    );
}

#[test]
fn trigger_concurrency_a_reservation_of_two_leaves_no_valid_cap() {
    let errors = errors(with_queue(
        5,
        quote! {
            function f {
                code: "f", key: data, timeout: 30s,
                concurrency: profile(dev: 2, staging: 3, prod: 3),
                trigger: orders { max_concurrency: 2 },
            }
            function g { code: "g", key: data, timeout: 30s, concurrency: 1, trigger: orders }
        },
    ));
    assert_eq!(
        errors,
        [
            "`concurrency: 2` in `dev` leaves no room for the SQS trigger of function `f`: its `max_concurrency` must be below the reserved concurrency, and SQS takes at least 2; raise `concurrency:` to at least 3 [trigger-concurrency]",
            "function `g` has reserved concurrency and is triggered by queue `orders`, but the trigger sets no `max_concurrency`, so Lambda's poller can receive more batches than the function may run; their invocations are throttled and each receive counts toward `orders`'s redrive, sending healthy messages to its dead-letter queue; raise `concurrency:` to at least 3 and give the trigger a `max_concurrency:` below it (SQS takes at least 2) [trigger-concurrency]",
        ]
    );
}

#[test]
fn trigger_redrive_a_trigger_queue_allows_five_receives() {
    let errors = all_errors(with_queue(
        3,
        quote! {
            function f { code: "f", key: data, timeout: 30s, trigger: orders }
            function g { code: "g", key: data, timeout: 30s, trigger: orders }
        },
    ));
    // Reported once, however many functions the queue triggers.
    assert_eq!(
        errors,
        [
            "queue `orders` triggers function `f` but moves a message to `orders_dlq` after 3 receives; Lambda's poller receives batches it may return unprocessed (throttling, scaling up), and each receive counts, so healthy messages would reach the dead-letter queue: write `after 5` or more, AWS's guidance for Lambda sources [trigger-redrive]",
        ]
    );
    assert!(
        all_errors(with_queue(
            5,
            quote! { function f { code: "f", key: data, timeout: 30s, trigger: orders } }
        ))
        .is_empty()
    );
    // A queue no function reads may redrive sooner.
    assert!(all_errors(with_queue(1, quote! {})).is_empty());
    // Outside SQS's range, only `queue-dead-letter` speaks.
    let errors = all_errors(with_queue(
        0,
        quote! { function f { code: "f", key: data, timeout: 30s, trigger: orders } },
    ));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].ends_with("[queue-dead-letter]"), "{errors:#?}");
}

#[test]
fn value_range_trigger_concurrency_and_async_retries_are_what_lambda_takes() {
    let errors = errors(platform(quote! {
        queue orders { key: data }
        function f {
            code: "f", key: data,
            trigger: orders { max_concurrency: profile(dev: 1, prod: 1001) },
            async: { retries: 3, max_age: 30s },
        }
        function g { code: "g", key: data, async: { retries: 2, max_age: 7h } }
        function h { code: "h", key: data, async: { retries: 0, max_age: 6h } }
    }));
    assert_eq!(
        errors,
        [
            "`retries: 3` is out of range: Lambda retries an asynchronous invocation 0 to 2 times [value-range]",
            "`max_age: 30s` is out of range: Lambda keeps an asynchronous event 1m to 6h [value-range]",
            "`max_concurrency: 1` is out of range: an SQS trigger runs 2 to 1000 invocations at once [value-range]",
            "`max_concurrency: 1001` is out of range: an SQS trigger runs 2 to 1000 invocations at once [value-range]",
            "`max_age: 7h` is out of range: Lambda keeps an asynchronous event 1m to 6h [value-range]",
        ]
    );
}
