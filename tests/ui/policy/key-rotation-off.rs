// The platform's keys rotate every year.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    key archive { description: "Archive", rotation: off }
}

fn main() {}
