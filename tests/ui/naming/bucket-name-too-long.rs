platform_macros::platform! {
    platform trading {
        regions: [us_east_1, ap_southeast_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    bucket trade_confirmation_archive_backups { key: data }
}

fn main() {}
