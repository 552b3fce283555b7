//! Messages: a rule id on every parse error, no knock-on errors after a
//! duplicate name, did-you-mean on fields and values, errors relating two
//! declarations at both, and CloudFormation's constraints on DSL values.

use quote::quote;

use super::{all_errors, platform};

#[test]
fn explore() {
    for input in [
        platform(quote! {
            queue trade_orders { dead_letter: trade_orders_dlq after 5, key: data }
            queue trade_orders { retention: 14d, key: data }
            function f { code: "f", key: data, env: { DLQ: trade_orders_dlq.url }, grants: { trade_orders_dlq: read_write }, trigger: trade_orders { batch: 5 } }
            alarm a { metric: trade_orders_dlq.visible, above: 1, notify: t }
        }),
        platform(quote! { aurora 1trades { } }),
        platform(quote! { queue q { fifo: profile(dev: true, prod: false), key: data } }),
        platform(
            quote! { table t { partition: id: string, key: data, point_in_time_recovery: on } },
        ),
        platform(quote! {
            queue orders { visibility: 30s, dead_letter: orders_dlq after 3, key: data }
            queue orders_dlq { retention: 14d, key: data }
            queue orders { retention: 1d, key: data }
            function f { code: "f", key: data, trigger: orders { batch: 5 } }
        }),
        platform(quote! {
            queue orders { visibility: 30s, dead_letter: orders_dlq after 3, key: data }
            queue orders_dlq { retention: 14d, key: data }
            function f { code: "f", key: data, timeout: 60s, trigger: orders { batch: 5 } }
        }),
        platform(quote! {
            queue orders { fifo: true, dead_letter: orders_dlq after 3, key: data }
            queue orders_dlq { retention: 14d, key: data }
        }),
    ] {
        eprintln!("{:#?}", all_errors(input));
    }
}
