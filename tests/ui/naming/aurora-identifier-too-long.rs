platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core { cidr: region(us_east_1: "10.0.0.0/16"), key: data }

    aurora trading_ledger_history_primary_cluster {
        engine: postgres "16.10",
        capacity: 0.5..=4,
        readers: 1,
        network: core,
        key: data,
    }
}

fn main() {}
