//! `zone` blocks, and the domain fields of an `api`.

use syn::parse::ParseStream;
use syn::{LitBool, LitStr};

use super::{Fields, PerProfile, unlisted};

/// ```text
/// zone NAME { domain: "DOMAIN" | profile(..) }                        // created with the environment
/// zone NAME { domain: "DOMAIN" | profile(..), id: "Z.." | profile(..) } // an existing zone, by id
/// zone NAME { domain: "DOMAIN" | profile(..), existing: true | profile(..) } // an existing zone, looked up
/// ```
///
/// `existing: profile(dev: false, prod: true)`: dev's environments create
/// their zone, production's use the one its DNS team owns.
#[derive(Default)]
pub struct ZoneBody {
    pub domain: Option<PerProfile<LitStr>>,
    /// The id of an existing zone.
    pub id: Option<PerProfile<LitStr>>,
    /// `existing: true`: an existing zone `tp deploy` finds by its domain.
    pub existing: Option<PerProfile<LitBool>>,
}

impl ZoneBody {
    const FIELDS: &[&str] = &["domain", "id", "existing"];

    pub(super) fn parse(input: ParseStream, what: &str) -> syn::Result<Self> {
        let mut body = ZoneBody::default();
        let mut fields = Fields::new(input, what, Self::FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "domain" => body.domain = Some(input.parse()?),
                "id" => body.id = Some(input.parse()?),
                "existing" => body.existing = Some(input.parse()?),
                other => unlisted(other),
            }
        }
        Ok(body)
    }
}
