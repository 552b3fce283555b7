//! Messages: a rule id on every parse error, no knock-on errors after a
//! duplicate name, did-you-mean on fields and values, errors relating two
//! declarations at both, and CloudFormation's constraints on DSL values.

use quote::quote;

use super::{all_errors, error, errors, platform};

#[test]
fn a_block_name_that_is_not_an_identifier_says_what_a_name_is() {
    let message = error(platform(quote! { aurora 1trades { } }));
    assert_eq!(
        message,
        "expected the name of the aurora after `aurora`: letters, digits and `_`, starting with a letter, like `aurora trades { .. }` [grammar-syntax]"
    );
}

#[test]
fn syn_errors_name_the_field_and_what_it_takes() {
    let message = error(platform(quote! { queue q { retention: "4d", key: data } }));
    assert!(
        message.starts_with("in `retention:` of queue `q`: ")
            && message.ends_with("[grammar-syntax]"),
        "{message}"
    );
    // Between blocks, no field is being read.
    let message = error(platform(quote! { queue q { key: data } , }));
    assert!(message.ends_with("[grammar-syntax]"), "{message}");
    assert!(!message.contains("of queue"), "{message}");
}

#[test]
fn grammar_profile_a_field_without_per_profile_values() {
    let message = error(platform(quote! {
        queue q { fifo: profile(dev: true, prod: false), key: data }
    }));
    assert_eq!(
        message,
        "`fifo:` in queue `q` takes one value for all profiles, not `profile(..)`; write the one value that holds in every profile [grammar-profile]"
    );
    // A field that takes them parses them, and a mistake inside one is a
    // syntax error, not this one.
    let message = error(platform(quote! {
        queue q { retention: profile(dev: 1d, prod: x), key: data }
    }));
    assert!(message.ends_with("[grammar-syntax]"), "{message}");
}

#[test]
fn keyword_values_suggest_the_closest_keyword() {
    assert_eq!(
        error(platform(quote! { key k { rotation: of } })),
        "in `rotation:` of key `k`: expected `on` or `off`; did you mean `off`? [grammar-syntax]"
    );
    assert_eq!(
        error(platform(
            quote! { table t { partition: id: strin, key: data } }
        )),
        "in `partition:` of table `t`: expected one of: `string`, `number`, `binary`; did you mean `string`? [grammar-syntax]"
    );
}

#[test]
fn an_unknown_field_suggests_its_abbreviation() {
    assert_eq!(
        error(platform(quote! {
            table t { partition: id: string, key: data, point_in_time_recovery: on }
        })),
        "unknown field `point_in_time_recovery` in table `t`; did you mean `pitr`? [grammar-field]"
    );
}

#[test]
fn a_duplicate_name_absorbs_the_uses_of_the_name_it_was_meant_to_have() {
    let errors = errors(platform(quote! {
        topic alerts { key: data }
        queue trade_orders { dead_letter: trade_orders_dlq after 5, key: data }
        queue trade_orders { retention: 14d, key: data }
        function f {
            code: "f", key: data,
            env: { DLQ: trade_orders_dlq.url },
            grants: { trade_orders_dlq: read_write },
            trigger: trade_orders { batch: 5 },
        }
        alarm a { metric: trade_orders_dlq.visible, above: 1, notify: alert }
    }));
    assert_eq!(
        errors,
        [
            "unknown resource `alert`; did you mean `alerts`? [ref-unknown]",
            "duplicate name `trade_orders`: a queue is already called `trade_orders`; names are unique across all kinds, `trade_orders_dlq` is used but never declared: if this block declares it, rename it `trade_orders_dlq` [ref-duplicate]",
            "the first `trade_orders` is here [ref-duplicate]",
        ]
    );
}

#[test]
fn an_unknown_name_closer_to_another_declaration_is_still_reported() {
    let errors = all_errors(platform(quote! {
        queue orders { dead_letter: orders_dlq after 5, key: data }
        queue orders_dlq { retention: 14d, key: data }
        queue orders_dlq { retention: 14d, key: data }
        function f { code: "f", key: data, env: { Q: order.url } }
    }));
    assert!(
        errors
            .iter()
            .any(|e| e == "unknown resource `order`; did you mean `orders`? [ref-unknown]"),
        "{errors:#?}"
    );
}

#[test]
fn visibility_against_timeout_is_reported_at_the_trigger_and_at_the_queue() {
    // The queue keeps SQS's default: the second error is on its name.
    let at_default = errors(platform(quote! {
        queue orders { dead_letter: orders_dlq after 5, key: data }
        queue orders_dlq { retention: 14d, key: data }
        function f { code: "f", key: data, timeout: 60s, trigger: orders { batch: 5 } }
    }));
    assert_eq!(
        at_default,
        [
            "queue `orders` hides a received message for 30s, less than 6 times the 60s timeout of function `f` it triggers, so messages still being processed are delivered again; give the queue `visibility: 360s` or more [value-range]",
            "queue `orders` keeps SQS's default visibility of 30s, which is less than 6 times the 60s timeout of function `f`, which queue `orders` triggers (`trigger: orders` in function `f`), so messages still being processed are delivered again; give the queue `visibility: 360s` or more [value-range]",
        ]
    );
    // Per profile, at the visibility written for the profile and at the
    // trigger.
    let per_profile = errors(platform(quote! {
        queue orders { visibility: profile(dev: 30s, prod: 600s), dead_letter: orders_dlq after 5, key: data }
        queue orders_dlq { retention: 14d, key: data }
        function f { code: "f", key: data, timeout: 60s, trigger: orders { batch: 5 } }
    }));
    assert_eq!(
        per_profile,
        [
            "in profile `dev`, queue `orders` hides a received message for 30s, less than 6 times the 60s timeout of function `f` it triggers, so messages still being processed are delivered again; give the queue `visibility: 360s` or more in `dev` [value-range]",
            "function `f`'s timeout in profile `dev` is 60s, and the visibility of queue `orders` it is triggered by is 30s there, less than 6 times that; give the queue `visibility: 360s` or more in `dev` [value-range]",
        ]
    );
}

#[test]
fn value_schema_a_dsl_value_meets_the_property_it_lands_in() {
    let long = "x".repeat(1025);
    let errors = errors(platform(quote! {
        topic t { key: data, subscribe: email "ops@example.com" }
        function f { code: "f", key: data, handler: "index. handler" }
        alarm a { metric: f.errors, above: 1, notify: t, description: #long }
        function g { code: "g", key: data, handler: "index.handler" }
    }));
    assert_eq!(
        errors,
        [
            "`Handler` `index. handler` does not match the pattern `^[^\\s]+$` of `AWS::Lambda::Function`; `handler:` of function `f` becomes it, so shorten or correct the value [value-schema]",
            "`AlarmDescription` is 1025 characters; `AWS::CloudWatch::Alarm` takes 0 to 1024 characters; `description:` of alarm `a` becomes it, so shorten or correct the value [value-schema]",
        ]
    );
}

#[test]
fn a_redeclared_block_is_not_checked_as_if_it_were_the_first() {
    let errors = all_errors(platform(quote! {
        queue orders { visibility: 360s, dead_letter: orders_dlq after 5, key: data }
        queue orders_dlq { retention: 14d, key: data }
        queue orders { retention: 1d, key: data }
        function f { code: "f", key: data, timeout: 60s, trigger: orders { batch: 5 } }
    }));
    assert_eq!(
        errors,
        [
            "duplicate name `orders`: a queue is already called `orders`; names are unique across all kinds, so rename one [ref-duplicate]",
            "the first `orders` is here [ref-duplicate]",
        ]
    );
}
