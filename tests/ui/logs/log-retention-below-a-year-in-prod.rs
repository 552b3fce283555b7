// Production keeps every log at least a year (PCI DSS 10.7); production is
// what the pipeline deploys after its approval. Staging may keep less.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, staging, prod],
        accounts: profile(dev: "111111111111", staging: "222222222222", prod: "333333333333"),
    }

    pipeline release {
        region: us_east_1,
        source: bucket,
        stages: [dev, staging, approve, prod],
        account: "444444444444",
    }

    key logs {}
    log_group audit_events { retention: profile(dev: 30d, staging: 90d, prod: 90d), key: logs }
    network core { cidr: region(us_east_1: "10.0.0.0/16"), flow_logs: 30d, key: logs }
}

fn main() {}
