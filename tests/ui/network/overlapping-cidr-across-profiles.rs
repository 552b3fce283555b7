platform_macros::platform! {
    platform trading {
        regions: [us_east_1, us_west_2],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core {
        cidr: profile(
            dev: region(us_east_1: "10.0.0.0/16", us_west_2: "10.1.0.0/16"),
            prod: region(us_east_1: "10.20.0.0/16", us_west_2: "10.0.0.0/16"),
        ),
        key: data,
    }
}

fn main() {}
