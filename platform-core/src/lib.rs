//! The construct library behind `platform!`.
//!
//! - [`catalog`]: every AWS fact the platform relies on: resource kinds, their
//!   attributes and access levels, IAM actions, name limits. The macro checks
//!   against it at compile time; synthesis reads it at run time.
//! - [`cfn_facts`]: per CloudFormation type, the properties whose change
//!   replaces a resource and how it takes tags, generated from cfn-lint's
//!   schemas; [`cfn_permissions`]: the IAM actions their CloudFormation
//!   handlers call, from the same schemas; [`cfn_schema`]: every
//!   CloudFormation type's schema, for `resource` blocks and `override`s.
//! - [`iam`]: IAM action facts generated from pinned package data
//!   ([`iam_data`]), for checking that every action the platform grants exists.
//! - [`naming`]: physical names, logical ids and the [`naming::Suffix`] type.
//! - [`spec`]: the declared platform, which the macro expands into;
//!   [`exclude`]: the patterns of a function's `exclude:`.
//! - [`zones`]: the availability zones each region offers a new account,
//!   generated from the pinned cfn-lint's zone lists.
//! - [`aurora_versions`]: the Aurora PostgreSQL versions that exist and run
//!   Serverless v2, generated from the pinned cfn-lint's RDS data.
//! - [`generate`]: synthetic platforms of any size, for benchmarks and scale
//!   tests.
//! - [`template`], [`synth`] (feature `synth`): the CloudFormation template
//!   model and the synthesis of a platform into stacks, assets and a manifest.

pub mod accounts;
#[rustfmt::skip]
pub mod aurora_versions;
mod aurora_versions_data;
pub mod catalog;
pub mod cfn_schema;
pub mod exclude;
pub mod generate;
pub mod heartbeat;
#[rustfmt::skip]
pub mod cfn_facts;
#[rustfmt::skip]
pub mod cfn_permissions;
pub mod iam;
#[rustfmt::skip]
pub mod iam_data;
pub mod naming;
pub mod spec;
pub mod zones;
mod zones_data;

#[cfg(feature = "synth")]
pub mod template;

#[cfg(feature = "synth")]
pub mod synth;
