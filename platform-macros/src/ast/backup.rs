//! The `backup` block: an AWS Backup plan of each environment, a
//! header-like block beside `platform` rather than a resource (its vault is
//! the bootstrap's, in every account and region).

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, braced};

use super::{Days, Fields, List, PerProfile, PerRegion, kw, unlisted};

/// ```text
/// backup NAME {
///     resources: [TABLE | AURORA, ...],                   // required: what it backs up
///     schedule: "cron(0 3 * * ? *)",                      // required: when (UTC)
///     retention: 35d | profile(dev: 7d, .., prod: 35d),   // required: production at least 35d
///     copy_to: region(us_east_1: us_west_2, ...),         // required: every region, another
/// }
/// ```
pub struct BackupBlock {
    pub name: Ident,
    pub resources: Option<List<Ident>>,
    pub schedule: Option<LitStr>,
    pub retention: Option<PerProfile<Days>>,
    pub copy_to: Option<PerRegion<Ident>>,
}

pub const BACKUP_FIELDS: &[&str] = &["resources", "schedule", "retention", "copy_to"];

impl BackupBlock {
    /// The declared resources, none when `resources:` is missing.
    pub fn resources(&self) -> &[Ident] {
        self.resources.as_ref().map_or(&[], |r| &r.items)
    }
}

impl Parse for BackupBlock {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<kw::backup>()?;
        let name: Ident = input.parse()?;
        let content;
        braced!(content in input);
        let what = format!("backup `{name}`");
        let mut block = BackupBlock {
            name,
            resources: None,
            schedule: None,
            retention: None,
            copy_to: None,
        };
        let mut fields = Fields::new(&content, &what, BACKUP_FIELDS);
        while let Some(field) = fields.next()? {
            match field.as_str() {
                "resources" => block.resources = Some(content.parse()?),
                "schedule" => block.schedule = Some(content.parse()?),
                "retention" => block.retention = Some(content.parse()?),
                "copy_to" => block.copy_to = Some(content.parse()?),
                other => unlisted(other),
            }
        }
        Ok(block)
    }
}
