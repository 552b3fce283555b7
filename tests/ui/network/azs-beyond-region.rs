platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core {
        cidr: region(us_east_1: "10.0.0.0/16", us_west_1: "10.1.0.0/16"),
        azs: 3,
        key: data,
    }
}

fn main() {}
