//! `resource` blocks and `override`s against CloudFormation's schemas.

use quote::quote;

use super::{error, errors, platform};

#[test]
fn a_valid_resource_and_override_expand() {
    let input = platform(quote! {
        bus orders { key: data }
        resource replay: "AWS::Events::Archive" {
            SourceArn: orders.arn,
            RetentionDays: profile(dev: 7, prod: 365),
            EventPattern: { source: ["trading"] },
        }
        resource copy: "AWS::Events::Archive" { SourceArn: replay.Arn }
        override data { "Key.Description": "data at rest", "KeyAlias.AliasName": "alias/data" }
    });
    assert_eq!(errors(input), Vec::<String>::new());
}

#[test]
fn unknown_types_and_properties_suggest_the_closest() {
    let type_error = error(platform(quote! {
        resource replay: "AWS::Events::Archiv" { SourceArn: "arn" }
    }));
    assert_eq!(
        type_error,
        "`AWS::Events::Archiv` is not a CloudFormation resource type; did you mean `AWS::Events::Archive`? [resource-type]"
    );
    let property = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", RetentionDay: 3 }
    }));
    assert_eq!(
        property,
        "`AWS::Events::Archive` has no property `RetentionDay`; did you mean `RetentionDays`? [resource-property]"
    );
    let read_only = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", Arn: "x" }
    }));
    assert!(read_only.contains("`Arn` is read-only"), "{read_only}");
}

#[test]
fn required_types_enums_lengths_ranges_and_patterns() {
    let missing = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { RetentionDays: 3 }
    }));
    assert_eq!(
        missing,
        "`AWS::Events::Archive` requires `SourceArn`; add it [resource-required]"
    );
    let wrong_type = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", RetentionDays: "3" }
    }));
    assert_eq!(
        wrong_type,
        "`RetentionDays` is an integer, not a string [resource-value]"
    );
    let range = error(platform(quote! {
        resource q: "AWS::SQS::Queue" { DelaySeconds: 901 }
    }));
    assert_eq!(
        range,
        "`DelaySeconds` is 901; `AWS::SQS::Queue` takes 0 to 900 [resource-value]"
    );
    let length = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", ArchiveName: "" }
    }));
    assert!(
        length.contains("is 0 characters; `AWS::Events::Archive` takes 1 to 48 characters"),
        "{length}"
    );
    let pattern = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", ArchiveName: "??" }
    }));
    assert_eq!(
        pattern,
        r"`ArchiveName` `??` does not match the pattern `[\.\-_A-Za-z0-9]+` of `AWS::Events::Archive` [resource-value]"
    );
    let allowed = error(platform(quote! {
        resource f: "AWS::Lambda::Function" {
            Role: "arn:aws:iam::111111111111:role/demo",
            Code: { ZipFile: "exports.handler = async () => {}" },
            LoggingConfig: { SystemLogLevel: "WARNING" },
        }
    }));
    assert_eq!(
        allowed,
        "`LoggingConfig.SystemLogLevel` cannot be `WARNING`; did you mean `WARN`? [resource-value]"
    );
}

#[test]
fn references_read_attributes_that_exist() {
    let declared = error(platform(quote! {
        bus orders { key: data }
        resource replay: "AWS::Events::Archive" { SourceArn: orders.url }
    }));
    assert!(
        declared.starts_with("bus `orders` has no attribute `url`"),
        "{declared}"
    );
    assert!(declared.ends_with("[ref-attribute]"), "{declared}");
    let generic = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn" }
        resource copy: "AWS::Events::Archive" { SourceArn: replay.Ar }
    }));
    assert_eq!(
        generic,
        "`Ar` is not a read-only attribute of `AWS::Events::Archive` (resource `replay`); did you mean `Arn`? [resource-attribute]"
    );
    let unknown = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: nowhere.arn }
    }));
    assert!(unknown.ends_with("[ref-unknown]"), "{unknown}");
}

#[test]
fn profile_values_cover_every_profile() {
    let missing = error(platform(quote! {
        resource replay: "AWS::Events::Archive" { SourceArn: "arn", RetentionDays: profile(dev: 7) }
    }));
    assert_eq!(
        missing,
        "`profile(..)` gives no value for `prod`; give every profile one [ref-profile]"
    );
}

#[test]
fn the_physical_name_fits_the_name_property() {
    let long = error(platform(quote! {
        resource a_very_long_archive_name_here: "AWS::Events::Archive" { SourceArn: "arn" }
    }));
    assert!(long.ends_with("[name-length]"), "{long}");
}

#[test]
fn overrides_name_parts_and_properties_the_schema_has() {
    let part = error(platform(
        quote! { override data { "Keys.Description": "x" } },
    ));
    assert_eq!(
        part,
        "key `data` generates no `Keys`; did you mean `Key`? write `\"PART.Property\"` [override-path]"
            .replace("? write", "?; write")
    );
    let property = error(platform(quote! { override data { "Key.Descripton": "x" } }));
    assert_eq!(
        property,
        "`AWS::KMS::Key` has no property `Descripton`; did you mean `Description`? [override-path]"
    );
    let value = error(platform(
        quote! { override data { "Key.PendingWindowInDays": 3 } },
    ));
    assert_eq!(
        value,
        "`Key.PendingWindowInDays` is 3; `AWS::KMS::Key` takes 7 to 30 [resource-value]"
    );
    let unknown = error(platform(quote! { override dat { "Key.Description": "x" } }));
    assert!(unknown.ends_with("[ref-unknown]"), "{unknown}");
}
