// A function's timeout and a queue's visibility, per profile, reach the spec
// one value per declared profile, in the platform's profile order.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders {
        visibility: profile(prod: 5m, dev: 60s),
        dead_letter: trade_orders_dlq after 5,
        key: data,
    }
    queue trade_orders_dlq { retention: 14d, key: data }
    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        timeout: profile(dev: 10s, prod: 50s),
        trigger: trade_orders,
    }
}

fn main() {
    use platform_core::spec::{PerProfile, Spec};

    let platform = platform();
    let Spec::Queue(queue) = &platform.resource("trade_orders").expect("queue").spec else {
        panic!("a queue")
    };
    assert_eq!(
        queue.visibility_timeout_secs,
        PerProfile::ByProfile(vec![("dev".into(), 60), ("prod".into(), 300)])
    );
    let Spec::Function(function) = &platform.resource("trade_processor").expect("function").spec
    else {
        panic!("a function")
    };
    assert_eq!(
        function.timeout_secs,
        PerProfile::ByProfile(vec![("dev".into(), 10), ("prod".into(), 50)])
    );
    assert_eq!(function.timeout_secs.get("prod"), 50);
}
