platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }

    aurora trades { engine: postgres "16.99", capacity: 0.5..=2, network: core, key: data }
    aurora history { engine: postgres "11.9", capacity: 0.5..=2, network: core, key: data }
}

fn main() {}
