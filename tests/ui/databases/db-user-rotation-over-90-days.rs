// A database password rotates every 1 to 90 days (AWS takes up to 1000;
// PCI DSS 8.3.9 asks for 90 at most), by the one function granted `rotate`.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
    aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    db_user trading_app { cluster: trades, privileges: dml, key: data, rotation: profile(dev: 365d, prod: 1001d) }
    db_user trading_monitor { cluster: trades, privileges: read_only, key: data, rotation: 30d }
    db_user trading_owner { cluster: trades, privileges: owner, key: data }
    function db_rotation {
        code: "handlers/trade-api",
        key: data,
        network: core,
        grants: { trading_app: rotate, trading_owner: rotate },
    }
    function second_rotation {
        code: "handlers/trade-api",
        key: data,
        network: core,
        grants: { trading_app: rotate },
    }
}

fn main() {}
