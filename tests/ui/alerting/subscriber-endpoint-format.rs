// An e-mail address has an `@` and a domain; a URL starts `https://`, with no credentials.
platform_macros::platform! {
    platform trading {
        regions: [us_east_1],
        suffix: max 12,
        profiles: [dev, prod],
    }

    key data {}
    topic alerts {
        key: data,
        subscribe: profile(
            dev: email "oncall.example.com",
            prod: [https "http://pager.example.com/hook", https "https://user:secret@pager.example.com/hook"],
        ),
    }
}

fn main() {}
