// The declared name is the PostgreSQL role's: not one RDS or PostgreSQL
// keeps for itself, and at most 63 bytes.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [secretsmanager, kms], key: data }
    aurora trades { engine: postgres "16.10", capacity: 0.5..=2, network: core, key: data }
    db_user postgres { cluster: trades, privileges: dml, key: data }
    db_user rds_app { cluster: trades, privileges: dml, key: data }
    db_user pg_reader { cluster: trades, privileges: read_only, key: data }
    db_user trading_application_user_whose_name_is_far_too_long_for_postgresql_roles { cluster: trades, privileges: dml, key: data }
}

fn main() {}
