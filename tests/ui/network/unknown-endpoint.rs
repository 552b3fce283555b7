platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    network core {
        cidr: region(us_east_1: "10.0.0.0/16"),
        endpoints: [s3, dynamo_db, sqs, execute_api],
        key: data,
    }
}

fn main() {}
