//! IAM for `tp local`: which action and resource an AWS request is
//! ([`classify`]), the identity policies of the emulator's roles and users
//! evaluated by npm `@cloud-copilot/iam-simulate` in a long-running Node
//! sidecar ([`PolicyAuthorizer`]), and the principals `tp local` creates in
//! moto with the keys it accepts ([`Identities`], [`MemoryKeyStore`],
//! [`EmulatorKeyStore`]), and the KMS permissions AWS checks implicitly on
//! encrypted resources ([`kms`]).

pub mod classify;
mod identities;
pub mod kms;
mod policy;

pub use classify::{AwsRequest, Classified, Need, Protocol, Unclassified, classify};
pub use identities::{EmulatorKeyStore, Identities, MemoryKeyStore};
pub use kms::{KeyMap, cluster_secret_key, key_map_from_template, key_needs};
pub(crate) use policy::rfc3339;
pub use policy::{NamedPolicy, PolicyAuthorizer, default_node_package, sdk_config};
