platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bus orders { key: data }

    resource replay: "AWS::Events::Archive" { SourceArn: orders.arn }
    resource copy: "AWS::Events::Archive" { SourceArn: replay.SourceArn }
}

fn main() {}
