platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bus orders { key: data }

    override orders {
        "Bus.Descriptin": "events",
        "EventBus.Description": "events",
        "Bus.DeadLetterConfig.Ar": "arn",
        "Bus.Description": 7,
    }
}

fn main() {}
