platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    // A bus's events are encrypted with a declared key, as every store is.
    bus trading_events { description: "Trading platform events" }
}

fn main() {}
