//! The library behind `tp`; its command line is [`tp`]. What needs no AWS: what a deploy would change
//! ([`diff`], [`changeset`]), what it refuses to do unless told to
//! ([`guards`]), how `tp` exits ([`exit`]), and the platform as a diagram
//! ([`graph`]). The deploy engine, which calls AWS: the commands
//! ([`commands`]; [`release::deploy_platform`] deploys any
//! [`platform_core::spec::Platform`] and records its release), one stack's
//! CloudFormation operations
//! ([`stacks`]), the AWS clients ([`aws`]), post-deploy validation
//! ([`verify`]), releases promoted between environments ([`release`]) and
//! environments deployed as a build left them ([`artifact`]), the order
//! stacks deploy in with the values their parameters take ([`waves`]),
//! what is checked before the first AWS call ([`preflight`]), change sets
//! reviewed earlier executed as they are ([`reviewed`]), the stacks'
//! outputs ([`outputs`]) and the `--json` documents ([`report`]). What a
//! deploy shows: the review of its changes ([`review`]) and its progress
//! while CloudFormation works ([`progress`]).

pub mod artifact;
pub mod aws;
pub mod changeset;
pub mod commands;
pub mod diff;
pub mod exit;
pub mod graph;
pub mod guards;
pub mod local;
pub mod outputs;
pub mod preflight;
pub mod progress;
pub mod release;
pub mod report;
pub mod review;
pub mod reviewed;
pub mod stacks;
pub mod tp;
pub mod verify;
pub mod waves;
