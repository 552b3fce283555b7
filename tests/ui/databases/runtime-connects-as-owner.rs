// Only the after-deploy migration connects as the owner or the master user:
// a request handler cannot run DDL.
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
    db_user trading_owner { cluster: trades, privileges: owner, key: data }
    function trade_processor {
        code: "handlers/trade-processor",
        key: data,
        network: core,
        grants: { trading_owner: connect, trades: read_secret },
    }
}

fn main() {}
