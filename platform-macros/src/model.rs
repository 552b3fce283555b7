//! The resolved model: declarations by name, and every reference one
//! declaration makes to another together with the slot it sits in, so that
//! the checks can ask "what does this name point at, and what must it be?".

use std::collections::BTreeMap;

use platform_core::catalog::Kind;
use platform_core::naming;
use syn::Ident;

use crate::ast::{
    AttrRef, Block, Body, Definition, PerProfile, PlatformBlock, ResourceBlock, Value, kw,
};

/// The DSL's defaults for optional fields.
pub mod defaults {
    /// `rotation: on`.
    pub const KEY_ROTATION: bool = true;
    /// `pending_window: 7d`, the shortest window KMS allows.
    pub const KEY_PENDING_WINDOW_DAYS: u32 = 7;
    /// `visibility: 30s`, SQS's own default.
    pub const QUEUE_VISIBILITY_SECS: u32 = 30;
    /// `retention: 4d`, SQS's own default.
    pub const QUEUE_RETENTION_SECS: u32 = 4 * 86_400;
    /// `noncurrent: 30d`.
    pub const BUCKET_NONCURRENT_DAYS: u32 = 30;
    /// `handler: "index.handler"`.
    pub const FUNCTION_HANDLER: &str = "index.handler";
    /// `memory: 128`, Lambda's smallest size.
    pub const FUNCTION_MEMORY_MB: u32 = 128;
    /// `timeout: 3s`, Lambda's own default.
    pub const FUNCTION_TIMEOUT_SECS: u32 = 3;
    /// `logs: 30d`.
    pub const FUNCTION_LOG_DAYS: u32 = 30;
    /// `trigger: QUEUE { batch: 10 }`, SQS event sources' own default.
    pub const TRIGGER_BATCH: u32 = 10;
    /// `trigger: QUEUE { window: 0s }`.
    pub const TRIGGER_WINDOW_SECS: u32 = 0;
}

/// The input, resolved.
pub struct Model<'a> {
    /// Every `platform` block; exactly one is expected.
    pub platform_blocks: Vec<&'a PlatformBlock>,
    /// Every resource block, in declaration order, duplicates included.
    pub resources: Vec<&'a ResourceBlock>,
    /// The first declaration of each name.
    by_name: BTreeMap<String, &'a ResourceBlock>,
    /// Every reference from one declaration to another.
    pub references: Vec<Reference<'a>>,
    /// Every `profile(...)` value.
    pub per_profile: Vec<ProfileValues<'a>>,
}

/// A name used where a declared resource is expected.
pub struct Reference<'a> {
    pub slot: Slot<'a>,
    /// The referenced name.
    pub target: &'a Ident,
    /// `sessions.name`, when the reference reads an attribute.
    pub attr: Option<&'a AttrRef>,
}

/// Where a reference is written, which decides the kinds it may name.
#[derive(Clone, Copy)]
pub enum Slot<'a> {
    /// `key: data`.
    Key,
    /// `dead_letter: trade_orders_dlq after 3`.
    DeadLetter,
    /// `trigger: trade_orders`.
    Trigger,
    /// `env: { VAR: sessions.name }`.
    Env,
    /// `grants: { sessions: read_write }`, with the access level.
    Grant { access: &'a Ident },
    /// `parameter x { value: sessions.name }`.
    ParameterValue,
}

impl Slot<'_> {
    /// The kind the slot requires, if it requires one.
    pub fn required_kind(self) -> Option<Kind> {
        match self {
            Slot::Key => Some(Kind::Key),
            Slot::DeadLetter | Slot::Trigger => Some(Kind::Queue),
            Slot::Env | Slot::Grant { .. } | Slot::ParameterValue => None,
        }
    }

    /// The field as the user wrote it.
    pub fn field(self) -> &'static str {
        match self {
            Slot::Key => "key",
            Slot::DeadLetter => "dead_letter",
            Slot::Trigger => "trigger",
            Slot::Env => "env",
            Slot::Grant { .. } => "grants",
            Slot::ParameterValue => "value",
        }
    }
}

/// `profile(dev: 4d, prod: 14d)`: the `profile` keyword and the profiles named.
pub struct ProfileValues<'a> {
    pub keyword: &'a kw::profile,
    pub profiles: Vec<&'a Ident>,
}

impl<'a> Model<'a> {
    pub fn resolve(definition: &'a Definition) -> Self {
        let mut model = Model {
            platform_blocks: Vec::new(),
            resources: Vec::new(),
            by_name: BTreeMap::new(),
            references: Vec::new(),
            per_profile: Vec::new(),
        };
        for block in &definition.blocks {
            match block {
                Block::Platform(platform) => model.platform_blocks.push(platform),
                Block::Resource(resource) => model.add(resource),
            }
        }
        model
    }

    fn add(&mut self, resource: &'a ResourceBlock) {
        self.resources.push(resource);
        self.by_name
            .entry(resource.name.to_string())
            .or_insert(resource);
        if let Some(key) = resource.body.key() {
            self.refer(Slot::Key, key);
        }
        match &resource.body {
            Body::Key(_) | Body::Table(_) | Body::Topic(_) => {}
            Body::Queue(queue) => {
                if let Some(dead_letter) = &queue.dead_letter {
                    self.refer(Slot::DeadLetter, &dead_letter.queue);
                }
                self.add_per_profile(&queue.retention);
            }
            Body::Bucket(bucket) => self.add_per_profile(&bucket.expire),
            Body::Parameter(parameter) => {
                if let Some(value) = &parameter.value {
                    self.add_value(Slot::ParameterValue, value);
                }
            }
            Body::Function(function) => {
                if let Some(trigger) = &function.trigger {
                    self.refer(Slot::Trigger, &trigger.queue);
                }
                for (target, access) in &function.grants {
                    self.refer(Slot::Grant { access }, target);
                }
                for (_, value) in &function.env {
                    self.add_value(Slot::Env, value);
                }
                self.add_per_profile(&function.memory);
            }
        }
    }

    fn refer(&mut self, slot: Slot<'a>, target: &'a Ident) {
        self.references.push(Reference {
            slot,
            target,
            attr: None,
        });
    }

    fn add_value(&mut self, slot: Slot<'a>, value: &'a Value) {
        if let Value::Attr(attr) = value {
            self.references.push(Reference {
                slot,
                target: &attr.resource,
                attr: Some(attr),
            });
        }
    }

    fn add_per_profile<T>(&mut self, value: &'a Option<PerProfile<T>>) {
        if let Some(PerProfile::ByProfile { keyword, values }) = value {
            let profiles = values.iter().map(|(profile, _)| profile).collect();
            self.per_profile.push(ProfileValues { keyword, profiles });
        }
    }

    /// The platform block, when there is one (the first, if repeated).
    pub fn platform(&self) -> Option<&'a PlatformBlock> {
        self.platform_blocks.first().copied()
    }

    /// The first declaration called `name`.
    pub fn resource(&self, name: &Ident) -> Option<&'a ResourceBlock> {
        self.by_name.get(&name.to_string()).copied()
    }

    /// The declared names, optionally only those of one kind, for suggestions.
    pub fn names(&self, kind: Option<Kind>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for resource in &self.resources {
            let name = resource.name.to_string();
            if kind.is_none_or(|kind| resource.info.kind == kind) && !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// The declared profiles' names.
    pub fn profiles(&self) -> Vec<String> {
        let profiles = self
            .platform()
            .and_then(|platform| platform.profiles.as_ref());
        profiles
            .into_iter()
            .flatten()
            .map(Ident::to_string)
            .collect()
    }

    /// The codes of the declared regions that exist.
    pub fn region_codes(&self) -> Vec<&'static str> {
        let regions = self
            .platform()
            .and_then(|platform| platform.regions.as_ref());
        regions
            .into_iter()
            .flatten()
            .filter_map(|region| naming::region_code(&region.to_string()))
            .collect()
    }
}
