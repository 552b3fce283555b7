// Privileges are one of dml, read_only, owner.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
    aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    db_user trading_app { cluster: trades, privileges: read_write, key: data }
}

fn main() {}
