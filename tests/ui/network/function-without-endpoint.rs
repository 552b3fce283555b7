// A function in a network without NAT reaches AWS only through the
// network's endpoints: its grants need them.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    network core { cidr: region(us_east_1: "10.0.0.0/16"), endpoints: [dynamodb, kms], key: data }
    table sessions { partition: session_id: string, key: data }
    topic alerts { key: data, subscribe: email "oncall@example.com" }

    function health_monitor {
        code: "handlers/health-monitor",
        key: data,
        network: core,
        grants: { sessions: read, alerts: publish },
    }
}

fn main() {}
