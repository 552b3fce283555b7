platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    bus orders { key: data }

    resource replay: "AWS::Event::Archive" { SourceArn: orders.arn }
}

fn main() {}
