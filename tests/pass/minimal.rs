// The smallest useful platform: the header, a key, a queue and its
// dead-letter queue, with every default filled in.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    queue trade_orders { dead_letter: trade_orders_dlq after 3, key: data }
    queue trade_orders_dlq { retention: 14d, key: data }
}

fn main() {
    use platform_core::spec::{PerProfile, Spec};

    let platform = platform();
    assert_eq!(platform.name, "trading");
    assert_eq!(platform.regions, ["us-east-1"]);
    assert_eq!(platform.suffix_max, 12);
    assert_eq!(platform.profiles, ["dev", "prod"]);
    let Spec::Key(key) = &platform.resources[0].spec else { panic!("a key") };
    assert_eq!(key.description, "data key");
    assert!(key.rotation);
    // A key scheduled for deletion can be recovered for 30 days.
    assert_eq!(key.pending_window_days, 30);
    let Spec::Queue(queue) = &platform.resources[1].spec else { panic!("a queue") };
    assert_eq!(queue.visibility_timeout_secs, PerProfile::Same(30));
    assert_eq!(queue.retention_secs, PerProfile::Same(4 * 86_400));
    assert_eq!(queue.key, "data");
    assert_eq!(platform.validate_references(), Ok(()));
}
