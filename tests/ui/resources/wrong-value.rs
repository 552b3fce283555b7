platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bus orders { key: data }

    resource replay: "AWS::Events::Archive" {
        SourceArn: orders.arn,
        RetentionDays: profile(dev: "7", prod: -1),
        ArchiveName: "??",
    }
    resource delayed: "AWS::SQS::Queue" { DelaySeconds: 901, FifoQueue: "yes" }
}

fn main() {}
