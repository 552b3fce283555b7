platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    parameter trading_hours {
        value: profile(dev: "00:00-24:00", prod: ""),
        description: "Window (UTC, HH:MM-HH:MM) in which orders are accepted",
    }
}

fn main() {}
