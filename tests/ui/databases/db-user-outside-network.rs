// The cluster admits PostgreSQL only from its own network's functions.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
    aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    db_user trading_app { cluster: trades, privileges: dml, key: data }
    function trade_api {
        code: "handlers/trade-api",
        key: data,
        grants: { trading_app: connect },
    }
}

fn main() {}
