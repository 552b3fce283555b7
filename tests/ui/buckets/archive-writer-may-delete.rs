// An archived bucket's records are appended, never deleted or overwritten.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}

    bucket audit_log { key: data, archive: profile(dev: 30d, prod: 2557d) }

    function auditor {
        code: "handlers/auditor",
        key: data,
        env: { AUDIT_BUCKET: audit_log.name },
        grants: { audit_log: write },
    }
}

fn main() {}
