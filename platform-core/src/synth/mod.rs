//! Synthesis: a [`Platform`] and a [`Deployment`] become an [`Assembly`] of
//! stack templates, code assets and a manifest.
//!
//! One stack per region of the deployment. Logical ids derive from declared
//! names only; maps are sorted; asset zips carry fixed timestamps: the same
//! input gives byte-identical output.

mod api;
mod assets;
mod aurora;
mod backup;
pub mod bootstrap;
mod constructs;
mod dns;
mod drift;
mod events;
pub mod execution;
mod generic;
mod iam;
mod index;
mod monitoring;
mod nag;
mod network;
pub mod pipeline;
mod split;
mod waf;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::catalog::{AttrSource, Kind};
use crate::naming::{self, Suffix, SuffixError};
use crate::spec::{AttrRef, Platform, ValueSource};
use crate::template::{Parameter, Template, Value};

pub use assets::{
    ASSET_CACHE_FILE, Asset, AssetCache, package_directory, package_function, sha256_hex,
};
pub use pipeline::{pipeline_stack_name, staged_stacks, synth_pipeline};
pub use split::{NestedStack, ROOT_STACK_NAME_PARAMETER};

/// CloudFormation's documented template and stack limits.
pub mod limits {
    /// Resources in one stack.
    pub const MAX_RESOURCES: usize = 500;
    /// Outputs in one stack.
    pub const MAX_OUTPUTS: usize = 200;
    /// Template body passed inline to the API.
    pub const MAX_INLINE_BODY: usize = 51_200;
    /// Template body uploaded to S3.
    pub const MAX_S3_BODY: usize = 1_000_000;
    /// Parameters in one template.
    pub const MAX_PARAMETERS: usize = 200;
}

/// The template parameter naming the bootstrap asset bucket, resolved from
/// SSM so a deploy needs no extra arguments.
pub const ASSET_BUCKET_PARAMETER: &str = "AssetBucket";
/// Where `tp bootstrap` records the asset bucket's name.
pub const ASSET_BUCKET_SSM_NAME: &str = "/tp/bootstrap/asset-bucket";

/// The template parameter holding the ARN of the bootstrap-owned data key
/// (`key: bootstrap`), resolved from the SSM parameter `tp bootstrap`
/// writes ([`crate::accounts::RETAINED_DATA_KEY_SSM_NAME`]).
pub const RETAINED_DATA_KEY_PARAMETER: &str = "RetainedDataKeyArn";
/// The template parameter with the ARN of the key the bootstrap's archive
/// bucket encrypts with, resolved from SSM: replicas of archived buckets
/// are encrypted with it.
pub const ARCHIVE_KEY_PARAMETER: &str = "ArchiveKeyArn";
/// Where `tp bootstrap` records the archive key's ARN.
pub const ARCHIVE_KEY_SSM_NAME: &str = "/tp/bootstrap/archive-key-arn";
/// The archive bucket of the account and region a stack is in
/// ([`crate::accounts::archive_bucket_name`]), as `Fn::Sub` text.
pub const ARCHIVE_BUCKET_NAME: &str = "tp-audit-archive-${AWS::AccountId}-${AWS::Region}";

/// Which environment to synthesize: a validated suffix, a declared profile
/// and declared regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub suffix: Suffix,
    pub profile: String,
    pub regions: Vec<String>,
}

/// Why a deployment cannot be made for a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentError {
    Suffix(SuffixError),
    UnknownProfile {
        profile: String,
        declared: Vec<String>,
    },
    UnknownRegion {
        region: String,
        declared: Vec<String>,
    },
}

impl fmt::Display for DeploymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeploymentError::Suffix(e) => write!(f, "invalid --suffix: {e} [name-suffix]"),
            DeploymentError::UnknownProfile { profile, declared } => write!(
                f,
                "unknown --profile `{profile}`; the platform declares {} [ref-profile]",
                quoted_list(declared)
            ),
            DeploymentError::UnknownRegion { region, declared } => write!(
                f,
                "--region `{region}` is not one of the platform's regions ({}); declare it in `regions: [...]` [name-region]",
                quoted_list(declared)
            ),
        }
    }
}

impl std::error::Error for DeploymentError {}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Deployment {
    /// Validates a deployment against `platform` with the same rules the
    /// macro applies at compile time. `profile` defaults to the first declared
    /// profile and `regions` to every declared region.
    pub fn new(
        platform: &Platform,
        suffix: &str,
        profile: Option<&str>,
        regions: &[String],
    ) -> Result<Self, DeploymentError> {
        let suffix = Suffix::new(suffix, platform.suffix_max).map_err(DeploymentError::Suffix)?;
        let profile = match profile {
            Some(p) if platform.profiles.iter().any(|d| d == p) => p.to_owned(),
            Some(p) => {
                return Err(DeploymentError::UnknownProfile {
                    profile: p.to_owned(),
                    declared: platform.profiles.clone(),
                });
            }
            None => platform
                .profiles
                .first()
                .cloned()
                .unwrap_or_else(|| "default".into()),
        };
        for r in regions {
            if !platform.regions.contains(r) {
                return Err(DeploymentError::UnknownRegion {
                    region: r.clone(),
                    declared: platform.regions.clone(),
                });
            }
        }
        let regions = if regions.is_empty() {
            platform.regions.clone()
        } else {
            regions.to_vec()
        };
        Ok(Deployment {
            suffix,
            profile,
            regions,
        })
    }
}

/// A value a stack takes from the environment's global stack (see
/// [`Platform::global_region`]): a `String` parameter of this stack that
/// `tp deploy` fills with an output of that stack, so the global stack is
/// deployed first. CloudFormation's own exports do not cross regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The parameter of the importing stack.
    pub parameter: String,
    /// The stack whose output fills it.
    pub stack: String,
    /// That stack's region.
    pub region: String,
    /// The output's key.
    pub output: String,
}

/// An existing Route 53 hosted zone the definition names by domain only:
/// a `String` parameter of the stack that `tp deploy` fills with the id of
/// the account's one public hosted zone of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneLookup {
    /// The parameter of the stack.
    pub parameter: String,
    /// The zone's domain, without the trailing dot.
    pub domain: String,
}

/// One synthesized stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    pub region: String,
    pub template: Template,
    /// The serialized template, exactly as written and deployed.
    pub body: String,
    /// Ids of the assets the template references (its nested stacks' too).
    pub assets: Vec<String>,
    /// The nested stacks the template was split into, when one template
    /// would break CloudFormation's limits; empty for most platforms.
    pub nested: Vec<NestedStack>,
    /// The guard alarms the stack holds: a deploy passes them to
    /// CloudFormation as rollback triggers.
    pub guard_alarms: Vec<GuardAlarm>,
    /// How long CloudFormation watches them after the last resource changes.
    pub rollback_window_minutes: u32,
    /// The `run: after_deploy` functions of the stack, in declaration order:
    /// `tp deploy` invokes each once the stacks are complete.
    pub after_deploy: Vec<AfterDeploy>,
    /// The values the stack reads from the global stack, sorted by
    /// parameter: a stack with imports deploys after the global stack.
    pub imports: Vec<Import>,
    /// The hosted zones named by domain whose ids `tp deploy` looks up,
    /// sorted by parameter.
    pub zone_lookups: Vec<ZoneLookup>,
}

/// A function declared with `run: after_deploy`, as synthesized into a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterDeploy {
    /// The declared name (`migrate`).
    pub declared: String,
    /// The function's physical name (`lambda-migrate-us-east-1-dev`), what
    /// `Invoke` takes.
    pub function_name: String,
}

impl AfterDeploy {
    /// The payload the function is invoked with once `stack` in `region`
    /// is complete.
    pub fn payload(stack: &str, region: &str) -> Json {
        json!({
            "phase": crate::spec::Run::AfterDeploy.phase(),
            "stack": stack,
            "region": region,
        })
    }
}

/// An alarm declared with `guard`, as synthesized into a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardAlarm {
    pub logical_id: String,
    /// The alarm's name (`alarm-api-errors-us-east-1-dev`).
    pub name: String,
}

impl Stack {
    pub fn template_file(&self) -> String {
        format!("{}.template.json", self.name)
    }

    /// What a deploy of this stack needs beside its template, as the
    /// manifest (`tp deploy --from`) and a release record it: the rollback
    /// triggers, the functions invoked once the stack is complete, and the
    /// parameters filled from the global stack and from hosted-zone
    /// lookups.
    pub fn deploy_metadata(&self) -> Json {
        json!({
            "guard_alarms": self.guard_alarms.iter().map(|g| json!({
                "logical_id": g.logical_id,
                "name": g.name,
            })).collect::<Vec<_>>(),
            "rollback_window_minutes": self.rollback_window_minutes,
            "after_deploy": self.after_deploy.iter().map(|a| json!({
                "declared": a.declared,
                "function_name": a.function_name,
            })).collect::<Vec<_>>(),
            // Filled from the global stack's outputs: it deploys first.
            "imports": self.imports.iter().map(|i| json!({
                "parameter": i.parameter,
                "stack": i.stack,
                "region": i.region,
                "output": i.output,
            })).collect::<Vec<_>>(),
            // Filled with the id of a hosted zone looked up by its domain.
            "zone_lookups": self.zone_lookups.iter().map(|z| json!({
                "parameter": z.parameter,
                "domain": z.domain,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Everything a synth produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembly {
    pub platform: String,
    pub deployment: Deployment,
    pub stacks: Vec<Stack>,
    pub assets: Vec<Asset>,
}

/// Why synthesis failed.
#[derive(Debug)]
pub enum SynthError {
    /// A function's code directory could not be packaged.
    Asset {
        function: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A reference names no resource (only possible for hand-built platforms).
    Dangling(Vec<(String, String)>),
    /// A template would break a CloudFormation limit.
    Limit { stack: String, what: String },
    /// Two resources got the same logical id.
    DuplicateId(String),
    /// A hand-built platform holds a value the macro would have rejected.
    Invalid(String),
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::Asset {
                function,
                path,
                source,
            } => write!(
                f,
                "cannot package the code of function `{function}` from {}: {source}",
                path.display()
            ),
            SynthError::Dangling(refs) => {
                write!(f, "references to undeclared resources:")?;
                for (from, to) in refs {
                    write!(f, " `{from}` -> `{to}`;")?;
                }
                Ok(())
            }
            SynthError::Limit { stack, what } => write!(f, "stack `{stack}` {what}"),
            SynthError::DuplicateId(id) => write!(f, "logical id `{id}` is produced twice"),
            SynthError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for SynthError {}

/// The name of the stack for `region`: `{platform}-{region}-{suffix}`.
pub fn stack_name(platform: &Platform, region: &str, suffix: &Suffix) -> String {
    format!("{}-{region}-{suffix}", naming::purpose(&platform.name))
}

/// Synthesizes every stack of `deployment`.
pub fn synth(platform: &Platform, deployment: &Deployment) -> Result<Assembly, SynthError> {
    synth_cached(platform, deployment, &AssetCache::none())
}

/// [`synth`], taking from `cache` the zips of code directories that have
/// not changed since they were packaged (see [`AssetCache`]).
pub fn synth_cached(
    platform: &Platform,
    deployment: &Deployment,
    cache: &AssetCache,
) -> Result<Assembly, SynthError> {
    platform
        .validate_references()
        .map_err(SynthError::Dangling)?;
    platform
        .validate_attributes()
        .map_err(SynthError::Invalid)?;
    let functions = distinct_functions(platform);
    let index = index::Index::new(platform);
    // Each region's stack is its own: they are synthesized side by side and
    // kept in the deployment's order, so the first error is the first
    // region's.
    let stacks_with = |assets: &[Asset]| {
        par_map(&deployment.regions, |region| {
            synth_stack(platform, deployment, region, assets, &index)
        })
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
    };
    // Checking that the code is unchanged means a `stat` of every file.
    // While that runs, the stacks are synthesized with the ids the cache
    // recorded; they are kept only if the check finds the same ids, and
    // then they are what synthesis after the check would have made.
    let guess: Option<Vec<Asset>> = functions
        .iter()
        .map(|&(_, code, include, exclude)| {
            let id = cache.last_id(Path::new(code), include, exclude)?;
            Some(Asset {
                id: id.to_owned(),
                source_name: String::new(),
                source: PathBuf::from(code),
                include: include.to_vec(),
                exclude: exclude.to_vec(),
                bytes: None,
                size: 0,
                fingerprint: None,
                cached: None,
            })
        })
        .collect();
    let (packaged, stacks) = match guess {
        Some(guess) if !guess.is_empty() => {
            let (packaged, speculative) = std::thread::scope(|s| {
                let packaging = s.spawn(|| package_functions(&functions, cache));
                let speculative = stacks_with(&guess);
                let packaged = packaging
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (packaged, speculative)
            });
            let packaged = packaged?;
            let same = packaged.len() == guess.len()
                && packaged.iter().zip(&guess).all(|(p, g)| p.id == g.id);
            let stacks = if same {
                speculative?
            } else {
                stacks_with(&packaged)?
            };
            (packaged, stacks)
        }
        _ => {
            let packaged = package_functions(&functions, cache)?;
            let stacks = stacks_with(&packaged)?;
            (packaged, stacks)
        }
    };
    // Directories holding the same code make the same zip: it is written
    // and uploaded once.
    let mut assets: Vec<Asset> = Vec::with_capacity(packaged.len());
    for asset in packaged {
        if !assets.iter().any(|a| a.id == asset.id) {
            assets.push(asset);
        }
    }
    Ok(Assembly {
        platform: platform.name.clone(),
        deployment: deployment.clone(),
        stacks,
        assets,
    })
}

/// A hash map keyed by logical ids and names: synthesis looks one up for
/// every reference in a template. The keys are the definition's own, not
/// an adversary's, so a fast hash with a fixed seed serves, and the same
/// input hashes alike in every run.
pub(crate) type IdMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
/// The set kept like [`IdMap`].
pub(crate) type IdSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// How many threads run at once: the cores this process may use.
fn cores() -> usize {
    // Asked once: the answer reads the process's CPU affinity and cgroup.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// `f` of each of `items`, in their order, computed on as many threads as
/// the machine has cores, the calling thread one of them: each takes the
/// next item no thread has taken, so a long item does not hold up the
/// items behind it, and the result does not depend on who computed what.
/// A `par_map` inside an item of another runs on that item's thread.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    par_map_owned(items.iter().collect(), |_, item| f(item))
}

/// [`par_map`] for many small items: each thread takes a run of items at
/// a time, so handing them out costs little beside `f`.
pub(crate) fn par_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // A few runs per core, so that a slow run does not hold up the rest,
    // and none so short that starting a thread for it costs more than it
    // saves: a stack of the trading platform's size (under 200 resources)
    // is one run.
    let per_run = items.len().div_ceil(cores() * 4).max(256);
    let runs: Vec<&[T]> = items.chunks(per_run).collect();
    par_map_owned(runs, |_, run| run.iter().map(&f).collect::<Vec<R>>())
        .into_iter()
        .flatten()
        .collect()
}

/// [`par_map`] over owned items: `f` gets each item's index and the item.
pub(crate) fn par_map_owned<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(usize, T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    thread_local! {
        /// Whether this thread computes items of a `par_map` already.
        static WORKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    // Items of an item are computed where it is: the cores are busy with
    // its siblings, and more threads than cores only take turns.
    let threads = if WORKING.get() {
        1
    } else {
        cores().min(items.len())
    };
    if threads <= 1 {
        return items
            .into_iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect();
    }
    let count = items.len();
    // Each item is taken once: the counter hands out its index.
    let queue: Vec<std::sync::Mutex<Option<T>>> = items
        .into_iter()
        .map(|item| std::sync::Mutex::new(Some(item)))
        .collect();
    let next = AtomicUsize::new(0);
    /// Puts back what the thread was doing, also when `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            WORKING.set(self.0);
        }
    }
    let work = || {
        let _restore = Restore(WORKING.replace(true));
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = queue.get(i) else {
                return done;
            };
            let item = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .expect("each index is handed out once");
            done.push((i, f(i, item)));
        }
    };
    let mut slots: Vec<Option<R>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut results = vec![work()];
        for helper in helpers {
            results.push(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        for (i, result) in results.into_iter().flatten() {
            slots[i] = Some(result);
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.expect("every item was computed"))
        .collect()
}

/// Packages each function's code directory (with its `include:`) once, in
/// declaration order: functions sharing both share the asset, and each
/// function finds its own by directory and `include:` even when another
/// directory made the same zip. Every directory is listed once, however
/// many functions include it, then the functions are packaged side by
/// side ([`par_map`]).
fn package_functions(distinct: &[Code<'_>], cache: &AssetCache) -> Result<Vec<Asset>, SynthError> {
    let listings =
        assets::Listings::of(distinct.iter().flat_map(|&(_, code, include, exclude)| {
            assets::sources_of(Path::new(code), include, exclude)
        }));
    let packaged = par_map(distinct, |&(function, code, include, exclude)| {
        let path = PathBuf::from(code);
        assets::package_listed(&path, include, exclude, &listings, cache).map_err(|source| {
            SynthError::Asset {
                function: function.to_owned(),
                path,
                source,
            }
        })
    });
    packaged.into_iter().collect()
}

/// A function's code: the function's name, its `code:` directory, its
/// `include:` and its `exclude:`.
type Code<'a> = (&'a str, &'a str, &'a [crate::spec::Include], &'a [String]);

/// Each distinct code directory, `include:` and `exclude:` of the
/// platform's functions, with the first function that has it, in
/// declaration order.
fn distinct_functions(platform: &Platform) -> Vec<Code<'_>> {
    let mut distinct: Vec<Code<'_>> = Vec::new();
    for r in &platform.resources {
        if let crate::spec::Spec::Function(f) = &r.spec
            && !distinct.iter().any(|(_, code, include, exclude)| {
                *code == f.code && *include == f.include.as_slice() && *exclude == f.exclude
            })
        {
            distinct.push((
                r.name.as_str(),
                f.code.as_str(),
                f.include.as_slice(),
                f.exclude.as_slice(),
            ));
        }
    }
    distinct
}

/// Records checkov checks a resource skips, each with its justification, in
/// the resource's `Metadata` where checkov and reviewers read them.
pub(crate) fn checkov_skip(resource: &mut crate::template::Resource, skips: &[(&str, &str)]) {
    resource.metadata.insert(
        "checkov".into(),
        Value::map([(
            "skip",
            Value::list(skips.iter().map(|(id, comment)| {
                Value::map([("id", Value::str(*id)), ("comment", Value::str(*comment))])
            })),
        )]),
    );
}

/// Records cdk-nag findings a resource is exempt from, each rule id (as
/// cdk-nag 3 names the finding: `HIPAA.Security-LambdaDLQ`,
/// `AwsSolutions-IAM4[Policy::...]`) with the reason, in the resource's
/// `Metadata.cdk_nag.rules_to_suppress` where cdk-nag's tooling and
/// reviewers read them. Appends to what the resource already records.
pub(crate) fn nag_suppress<I, S>(resource: &mut crate::template::Resource, ids: I, reason: &str)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let entry = resource.metadata.get_or_insert_with("cdk_nag", || {
        Value::map([("rules_to_suppress", Value::List(Vec::new()))])
    });
    if let Value::Map(m) = entry {
        if let Some(Value::List(rules)) = m.get_mut("rules_to_suppress") {
            for id in ids {
                rules.push(Value::map([
                    ("id", Value::str(id.as_ref())),
                    ("reason", Value::str(reason)),
                ]));
            }
        }
    }
}

/// The rule ids of `rule` in the compliance packs that have it
/// (`HIPAA.Security`, `NIST.800.53.R5`, `PCI.DSS.321`, as `packs` says).
/// Whether a table or cluster is encrypted with the bootstrap-owned key.
fn uses_bootstrap_key(platform: &Platform) -> bool {
    platform.resources.iter().any(|r| match &r.spec {
        crate::spec::Spec::Table(t) => t.key == crate::spec::BOOTSTRAP_KEY,
        crate::spec::Spec::Aurora(a) => a.key == crate::spec::BOOTSTRAP_KEY,
        _ => false,
    })
}

pub(crate) fn compliance_rule(rule: &str, packs: &[&str]) -> Vec<String> {
    packs.iter().map(|p| format!("{p}-{rule}")).collect()
}

/// The three compliance packs.
pub(crate) const HIPAA_NIST_PCI: &[&str] = &["HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"];
/// The two compliance packs with rules PCI DSS 3.2.1 does not have.
pub(crate) const HIPAA_NIST: &[&str] = &["HIPAA.Security", "NIST.800.53.R5"];

/// Every role with an inline policy is exempt from the packs' rule against
/// inline policies, with why; run once a template is complete.
pub(crate) fn suppress_inline_policy_findings(template: &mut Template) {
    for resource in template.resources.values_mut() {
        if resource.cfn_type == "AWS::IAM::Role" && resource.properties.contains_key("Policies") {
            nag_suppress(
                resource,
                compliance_rule("IAMNoInlinePolicy", HIPAA_NIST_PCI),
                "The role's policy is generated from its own grants for this role alone and is created and deleted with it; a managed policy could be attached to other principals. The role also carries the permissions boundary, a managed policy",
            );
        }
    }
}

/// What constructs see while building one stack.
pub(crate) struct Context<'a> {
    pub platform: &'a Platform,
    pub region: &'a str,
    pub suffix: &'a Suffix,
    pub profile: &'a str,
    pub assets: &'a [Asset],
    pub index: &'a index::Index<'a>,
    pub template: Template,
    /// Which declared resource (index in `platform.resources`) made each
    /// logical id, for splitting along the definition.
    pub owners: IdMap<String, usize>,
    /// The declared resource being built.
    pub current: usize,
    /// What this stack reads from the global stack, by parameter.
    pub imports: std::collections::BTreeMap<String, Import>,
    /// The hosted zones whose ids `tp deploy` looks up, by parameter.
    pub zone_lookups: std::collections::BTreeMap<String, ZoneLookup>,
    /// The `guard` alarms added so far, in declaration order: the stack's
    /// rollback triggers.
    pub guard_alarms: Vec<GuardAlarm>,
}

impl<'a> Context<'a> {
    /// A context building into an empty template.
    pub fn new(
        platform: &'a Platform,
        region: &'a str,
        suffix: &'a Suffix,
        profile: &'a str,
        assets: &'a [Asset],
        index: &'a index::Index<'a>,
    ) -> Self {
        Context {
            platform,
            region,
            suffix,
            profile,
            assets,
            index,
            template: Template::default(),
            owners: IdMap::with_capacity_and_hasher(
                platform.resources.len() * 2,
                Default::default(),
            ),
            current: 0,
            imports: std::collections::BTreeMap::new(),
            zone_lookups: std::collections::BTreeMap::new(),
            guard_alarms: Vec::new(),
        }
    }

    /// The declared resource called `name`.
    pub fn resource(&self, name: &str) -> Option<&'a crate::spec::Resource> {
        self.index.resource(name)
    }

    /// `{type}-{purpose}-{region}-{suffix}`.
    pub fn physical_name(&self, short_type: &str, name: &str) -> String {
        naming::physical_name(short_type, name, self.region, self.suffix.as_str())
    }

    /// The physical name of bucket `name` as text for `Fn::Sub`:
    /// [`naming::bucket_name`] with the account the profile deploys into,
    /// or `${AWS::AccountId}` when the definition names none.
    pub fn bucket_name_sub(&self, name: &str) -> String {
        let account = self
            .platform
            .account(self.profile)
            .unwrap_or_else(|| "${AWS::AccountId}".into());
        naming::bucket_name(name, self.region, self.suffix.as_str(), &account)
    }

    /// The physical name of bucket `name` (see [`Self::bucket_name_sub`]):
    /// a string when the account is known, an `Fn::Sub` otherwise.
    pub fn bucket_name(&self, name: &str) -> Value {
        let text = self.bucket_name_sub(name);
        if text.contains("${") {
            Value::sub(text)
        } else {
            Value::Str(text)
        }
    }

    /// The name `kind`'s resource `name` gives to what it creates beside
    /// itself (the catalog's [`crate::catalog::DERIVED_NAMES`]).
    pub fn derived_name(&self, kind: crate::catalog::Kind, name: &str) -> String {
        let derived = crate::catalog::derived_names(kind)
            .next()
            .expect("a derived name of this kind");
        self.physical_name(
            derived.short_type,
            &format!("{name}{}", derived.purpose_suffix),
        )
    }

    /// Logical id of the declared resource `name`.
    pub fn logical_id(&self, name: &str) -> String {
        let resource = self.resource(name).expect("references are validated");
        naming::logical_id(resource.spec.kind().info(), name)
    }

    /// The template value of `reference`.
    pub fn attr(&self, reference: &AttrRef) -> Value {
        let resource = self.resource(&reference.resource).expect("validated");
        let info = resource.spec.kind().info();
        let id = naming::logical_id(info, &resource.name);
        match info.attribute(&reference.attribute).map(|a| a.source) {
            Some(AttrSource::Ref) => Value::Ref(id),
            Some(AttrSource::GetAtt(att)) => Value::get_att(&id, att),
            Some(AttrSource::Computed) => match (&resource.spec, reference.attribute.as_str()) {
                (crate::spec::Spec::Api(api), "url") => api::url(&id, &api.stage),
                (crate::spec::Spec::DbUser(_), "name") => Value::str(resource.name.clone()),
                (crate::spec::Spec::DbUser(user), "privileges") => {
                    Value::str(user.privileges.as_str())
                }
                _ => unreachable!("every computed attribute is built here"),
            },
            None => unreachable!("attributes are validated before synthesis"),
        }
    }

    /// `${Id.Attr}` or `${Id}` for use inside `Fn::Sub`.
    pub fn sub_var(&self, name: &str, attribute: &str) -> String {
        match self.attr(&AttrRef::new(name, attribute)) {
            Value::Ref(id) => format!("${{{id}}}"),
            Value::GetAtt(id, att) => format!("${{{id}.{att}}}"),
            _ => unreachable!(),
        }
    }

    pub fn value(&self, source: &ValueSource) -> Value {
        match source {
            ValueSource::Literal(s) => Value::str(s.clone()),
            ValueSource::Attr(a) => self.attr(a),
        }
    }

    /// The ARN of the key `name`: a declared key's, or the bootstrap-owned
    /// data key's ([`crate::spec::BOOTSTRAP_KEY`]) from its template parameter.
    pub fn key_arn(&self, name: &str) -> Value {
        if name == crate::spec::BOOTSTRAP_KEY {
            return Value::Ref(RETAINED_DATA_KEY_PARAMETER.into());
        }
        self.attr(&AttrRef::new(name, "arn"))
    }

    /// Tags every taggable resource carries: the platform's own, then the
    /// environment suffix, the profile and the region.
    pub fn tags(&self) -> Vec<(String, String)> {
        let mut tags = self.platform.tags.clone();
        // In the order of `catalog::ADDED_TAG_KEYS`, which the macro counts
        // against AWS's tag limits.
        let [suffix, profile, region] = crate::catalog::ADDED_TAG_KEYS else {
            unreachable!("tp adds three tags")
        };
        tags.push(((*suffix).into(), self.suffix.to_string()));
        tags.push(((*profile).into(), self.profile.to_owned()));
        tags.push(((*region).into(), self.region.to_owned()));
        tags
    }

    pub fn tag_list(&self) -> Value {
        Value::list(
            self.tags()
                .into_iter()
                .map(|(k, v)| Value::map([("Key", Value::Str(k)), ("Value", Value::Str(v))])),
        )
    }

    /// A `Name` tag of `name` followed by [`Self::tag_list`], for the
    /// types the console lists by their `Name` tag.
    pub fn name_tag_list(&self, name: String) -> Value {
        let mut tags = vec![Value::map([
            ("Key", Value::str("Name")),
            ("Value", Value::Str(name)),
        ])];
        if let Value::List(rest) = self.tag_list() {
            tags.extend(rest);
        }
        Value::List(tags)
    }

    pub fn tag_map(&self) -> Value {
        Value::map(self.tags().into_iter().map(|(k, v)| (k, Value::Str(v))))
    }

    /// Whether this stack is the environment's global stack
    /// ([`Platform::global_region`]).
    pub fn is_global(&self) -> bool {
        self.region == self.platform.global_region()
    }

    /// The region of the environment's global stack.
    pub fn global_region(&self) -> &'a str {
        self.platform.global_region()
    }

    /// A value of the global stack, named `output` (a logical id: letters
    /// and digits). In the global stack: `value()`, also given as the
    /// output `output` so other regions can read it. In every other
    /// stack: a reference to the `String` parameter `output`, which `tp
    /// deploy` fills from that output ([`Import`]).
    pub fn global_value(
        &mut self,
        output: &str,
        description: &str,
        value: impl FnOnce(&Self) -> Value,
    ) -> Value {
        if self.is_global() {
            let value = value(self);
            self.template.outputs.insert(
                output.to_owned(),
                crate::template::Output {
                    value: value.clone(),
                    description: description.to_owned(),
                    export: None,
                },
            );
            return value;
        }
        let region = self.global_region();
        self.template.parameters.insert(
            output.to_owned(),
            Parameter {
                param_type: "String".into(),
                default: None,
                description: format!(
                    "{description}: output `{output}` of this environment's stack in {region}, filled by `tp deploy`"
                ),
            },
        );
        self.imports.insert(
            output.to_owned(),
            Import {
                parameter: output.to_owned(),
                stack: stack_name(self.platform, region, self.suffix),
                region: region.to_owned(),
                output: output.to_owned(),
            },
        );
        Value::Ref(output.to_owned())
    }

    /// The id of the existing hosted zone of `domain`, as the `String`
    /// parameter `parameter` that `tp deploy` fills ([`ZoneLookup`]).
    pub fn zone_lookup(&mut self, parameter: &str, domain: &str) -> Value {
        self.template.parameters.insert(
            parameter.to_owned(),
            Parameter {
                param_type: "String".into(),
                default: None,
                description: format!(
                    "Id of the public hosted zone `{domain}`, looked up by `tp deploy`"
                ),
            },
        );
        self.zone_lookups.insert(
            parameter.to_owned(),
            ZoneLookup {
                parameter: parameter.to_owned(),
                domain: domain.to_owned(),
            },
        );
        Value::Ref(parameter.to_owned())
    }

    pub fn add(&mut self, id: &str, resource: crate::template::Resource) -> Result<(), SynthError> {
        self.template
            .add(id, resource)
            .map_err(|e| SynthError::DuplicateId(e.0))?;
        self.owners.insert(id.to_owned(), self.current);
        Ok(())
    }
}

fn synth_stack(
    platform: &Platform,
    deployment: &Deployment,
    region: &str,
    assets: &[Asset],
    index: &index::Index<'_>,
) -> Result<Stack, SynthError> {
    let name = stack_name(platform, region, &deployment.suffix);
    let mut cx = Context::new(
        platform,
        region,
        &deployment.suffix,
        &deployment.profile,
        assets,
        index,
    );
    cx.template.description = format!(
        "{} platform: profile {}, suffix {}, region {region}",
        platform.name, deployment.profile, deployment.suffix
    );
    let has_functions = platform
        .resources
        .iter()
        .any(|r| r.spec.kind() == Kind::Function);
    if has_functions {
        cx.template.parameters.insert(
            ASSET_BUCKET_PARAMETER.into(),
            Parameter {
                param_type: "AWS::SSM::Parameter::Value<String>".into(),
                default: Some(ASSET_BUCKET_SSM_NAME.into()),
                description: "Bucket holding code assets; recorded in SSM by `tp bootstrap`".into(),
            },
        );
    }
    if uses_bootstrap_key(platform) {
        cx.template.parameters.insert(
            RETAINED_DATA_KEY_PARAMETER.into(),
            Parameter {
                param_type: "AWS::SSM::Parameter::Value<String>".into(),
                default: Some(crate::accounts::RETAINED_DATA_KEY_SSM_NAME.into()),
                description: "ARN of the bootstrap-owned data key that outlives environments; recorded in SSM by `tp bootstrap`".into(),
            },
        );
    }
    build_declared(&mut cx)?;
    if let Some(drift_check) = &platform.drift_check {
        drift::build(&mut cx, drift_check)?;
    }
    for spec in &platform.backups {
        backup::build(&mut cx, spec)?;
    }
    for spec in &platform.generic {
        generic::build(&mut cx, spec)?;
    }
    for spec in &platform.overrides {
        generic::apply(&mut cx, spec)?;
    }
    // A stack split by its resource count is checked stack by stack once
    // split (`split_stack`): a reference no stack holds dangles there too.
    if !split::needed(&cx.template, None) {
        let dangling = cx.template.dangling_references();
        if !dangling.is_empty() {
            return Err(SynthError::Dangling(dangling));
        }
    }
    let tags = cx.tag_list();
    let after_deploy: Vec<AfterDeploy> = platform
        .resources
        .iter()
        .filter(|r| {
            matches!(&r.spec, crate::spec::Spec::Function(f)
                if f.run == Some(crate::spec::Run::AfterDeploy))
        })
        .filter(|r| cx.template.resources.contains_key(&cx.logical_id(&r.name)))
        .map(|r| AfterDeploy {
            declared: r.name.clone(),
            function_name: cx.physical_name(Kind::Function.info().short_type, &r.name),
        })
        .collect();
    let Context {
        mut template,
        owners,
        imports,
        zone_lookups,
        guard_alarms,
        ..
    } = cx;
    suppress_inline_policy_findings(&mut template);
    nag::suppress_wildcard_findings(
        &mut template,
        &nag::NagScope {
            region,
            suffixes: &[deployment.suffix.as_str().to_owned()],
        },
    );
    // Serializing a template that is already too large is wasted work.
    let (template, body, nested) = if split::needed(&template, None) {
        split_stack(&name, platform, template, &owners, tags)?
    } else {
        let body = template.to_string_pretty();
        if split::needed(&template, Some(&body)) {
            split_stack(&name, platform, template, &owners, tags)?
        } else {
            (template, body, Vec::new())
        }
    };
    check_limits(&name, &template)?;
    if body.len() > limits::MAX_S3_BODY {
        return Err(SynthError::Limit {
            stack: name,
            what: format!(
                "template is {} bytes; CloudFormation accepts at most {}",
                body.len(),
                limits::MAX_S3_BODY
            ),
        });
    }
    let mut used: Vec<String> = Vec::new();
    for a in assets {
        let key = a.s3_key();
        if !used.contains(&a.id)
            && (body.contains(&key) || nested.iter().any(|n| n.body.contains(&key)))
        {
            used.push(a.id.clone());
        }
    }
    Ok(Stack {
        name,
        region: region.to_owned(),
        template,
        body,
        assets: used,
        nested,
        guard_alarms,
        rollback_window_minutes: platform.rollback_window_minutes.get(&deployment.profile),
        after_deploy,
        imports: imports.into_values().collect(),
        zone_lookups: zone_lookups.into_values().collect(),
    })
}

/// Fewest declared resources worth building on more than one thread.
const PARALLEL_BUILD_MIN: usize = 64;

/// Builds every declared resource into `cx`, in declaration order.
///
/// A large platform is built in contiguous runs of its resources, one per
/// core, each into a context of its own, merged in order: a construct
/// writes only what its own resource makes, and reads of the template
/// are of its own resources, so the merge is what building them one after
/// another makes (what two runs both set is the later run's, as a later
/// write would be). Should any run fail, or two runs add the same logical
/// id, the whole is built again one by one, so an error is the one that
/// building in order meets first.
fn build_declared(cx: &mut Context<'_>) -> Result<(), SynthError> {
    let resources = &cx.platform.resources;
    let runs = cores().min(resources.len() / (PARALLEL_BUILD_MIN / 2));
    // Runs build into empty templates: one already holding resources
    // would have to be checked against every run's.
    if runs <= 1 || resources.len() < PARALLEL_BUILD_MIN || !cx.template.resources.is_empty() {
        return build_run(cx, 0..resources.len());
    }
    let per_run = resources.len().div_ceil(runs);
    let ranges: Vec<std::ops::Range<usize>> = (0..runs)
        .map(|r| r * per_run..((r + 1) * per_run).min(resources.len()))
        .collect();
    let (platform, region, suffix, profile, assets, index) = (
        cx.platform,
        cx.region,
        cx.suffix,
        cx.profile,
        cx.assets,
        cx.index,
    );
    let parts = par_map_owned(ranges, |_, range| {
        let mut part = Context::new(platform, region, suffix, profile, assets, index);
        build_run(&mut part, range).ok().map(|()| part)
    });
    let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() else {
        return build_run(cx, 0..resources.len());
    };
    let added: usize = parts.iter().map(|p| p.template.resources.len()).sum();
    let mut parts = parts.into_iter();
    let mut merged = parts.next().expect("two runs or more");
    for mut part in parts {
        merged
            .template
            .resources
            .append(&mut part.template.resources);
        merged
            .template
            .parameters
            .append(&mut part.template.parameters);
        merged.template.outputs.append(&mut part.template.outputs);
        merged
            .template
            .conditions
            .append(&mut part.template.conditions);
        merged.owners.extend(part.owners);
        merged.imports.append(&mut part.imports);
        merged.zone_lookups.append(&mut part.zone_lookups);
        merged.guard_alarms.append(&mut part.guard_alarms);
    }
    if merged.template.resources.len() != added {
        return build_run(cx, 0..resources.len());
    }
    let template = &mut cx.template;
    template.resources = merged.template.resources;
    template.parameters.append(&mut merged.template.parameters);
    template.outputs.append(&mut merged.template.outputs);
    template.conditions.append(&mut merged.template.conditions);
    cx.owners = merged.owners;
    cx.imports.append(&mut merged.imports);
    cx.zone_lookups.append(&mut merged.zone_lookups);
    cx.guard_alarms.append(&mut merged.guard_alarms);
    cx.current = resources.len().saturating_sub(1);
    Ok(())
}

/// Builds the declared resources `range` into `cx`, one after another.
fn build_run(cx: &mut Context<'_>, range: std::ops::Range<usize>) -> Result<(), SynthError> {
    let platform = cx.platform;
    for i in range {
        cx.current = i;
        constructs::build(cx, &platform.resources[i])?;
    }
    Ok(())
}

/// The parent template, its body and its nested stacks.
fn split_stack(
    name: &str,
    platform: &Platform,
    template: Template,
    owners: &IdMap<String, usize>,
    tags: Value,
) -> Result<(Template, String, Vec<NestedStack>), SynthError> {
    // The split checks each nested template for dangling references.
    let (parent, nested) = split::split(name, platform, template, owners, tags)?;
    let body = parent.to_string_pretty();
    Ok((parent, body, nested))
}

fn check_limits(stack: &str, template: &Template) -> Result<(), SynthError> {
    if template.resources.len() > limits::MAX_RESOURCES {
        return Err(SynthError::Limit {
            stack: stack.to_owned(),
            what: format!(
                "has {} resources; CloudFormation accepts at most {}",
                template.resources.len(),
                limits::MAX_RESOURCES
            ),
        });
    }
    if template.outputs.len() > limits::MAX_OUTPUTS {
        return Err(SynthError::Limit {
            stack: stack.to_owned(),
            what: format!(
                "has {} outputs; CloudFormation accepts at most {}",
                template.outputs.len(),
                limits::MAX_OUTPUTS
            ),
        });
    }
    Ok(())
}

impl Assembly {
    /// The manifest: what was synthesized, for whom, and where each file is.
    pub fn manifest(&self) -> Json {
        let stacks: Vec<Json> = self
            .stacks
            .iter()
            .map(|s| {
                let mut stack = json!({
                    "name": s.name,
                    "region": s.region,
                    "template": s.template_file(),
                    "resources": s.template.resources.len(),
                    "bytes": s.body.len(),
                    "sha256": assets::sha256_hex(s.body.as_bytes()),
                    "assets": s.assets,
                });
                if let (Json::Object(stack), Json::Object(metadata)) =
                    (&mut stack, s.deploy_metadata())
                {
                    stack.extend(metadata);
                }
                if !s.nested.is_empty() {
                    // Uploaded to the asset bucket at `s3_key` before the
                    // parent is deployed.
                    stack["nested"] = s
                        .nested
                        .iter()
                        .map(|n| {
                            json!({
                                "logical_id": n.logical_id,
                                "template": n.file_name(&s.name),
                                "s3_key": n.s3_key(),
                                "resources": n.template.resources.len(),
                                "bytes": n.body.len(),
                                "sha256": n.sha256,
                                "outputs": n.outputs,
                            })
                        })
                        .collect();
                }
                stack
            })
            .collect();
        let assets: Vec<Json> = self
            .assets
            .iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "file": a.file_name(),
                    "s3_key": a.s3_key(),
                    "source": a.source_name,
                    "bytes": a.size(),
                    "packaging": "zip",
                })
            })
            .collect();
        json!({
            "version": 1,
            "platform": self.platform,
            "suffix": self.deployment.suffix.as_str(),
            "profile": self.deployment.profile,
            "regions": self.deployment.regions,
            "stacks": stacks,
            "assets": assets,
        })
    }

    /// Writes templates, asset zips and `manifest.json` into `dir`.
    ///
    /// Only what `tp` wrote there is replaced: the files the previous
    /// manifest lists (see [`OutputDir`]). What a deploy or a local
    /// environment keeps beside a synth ([`is_beside_synth`]) stays, and a
    /// directory holding anything else is refused before anything is
    /// written. Files are written to a temporary directory beside `dir`
    /// first, so a failure to write never leaves half an assembly behind;
    /// a file that already holds exactly its bytes is left as it is.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        let previous = OutputDir::check(dir)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::AlreadyExists, e))?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let staging = parent.join(format!(
            ".{}.staging-{}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("tp.out"),
            std::process::id()
        ));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        let mut manifest = serde_json::to_string_pretty(&self.manifest())?;
        manifest.push('\n');
        let cache = AssetCache::document(&self.assets);
        // What the directory must hold; the manifest last.
        let mut wanted: Vec<(String, Content<'_>)> = Vec::new();
        for stack in &self.stacks {
            wanted.push((stack.template_file(), Content::Bytes(stack.body.as_bytes())));
            for nested in &stack.nested {
                wanted.push((
                    nested.file_name(&stack.name),
                    Content::Bytes(nested.body.as_bytes()),
                ));
            }
        }
        for asset in &self.assets {
            let name = asset.file_name();
            // A zip taken from this directory's cache is there already.
            if asset.cached.as_deref() == Some(dir.join(&name).as_path())
                && previous.written.contains(&name)
            {
                wanted.push((name, Content::Kept));
            } else {
                wanted.push((name, Content::Zip(asset)));
            }
        }
        wanted.push((
            ASSET_CACHE_FILE.to_owned(),
            Content::Bytes(cache.as_bytes()),
        ));
        // A file of the previous synth holding exactly these bytes stays
        // as it is: an unchanged synth writes, renames and removes
        // nothing. The manifest stays only if everything it lists does,
        // so it never lists a file that is being replaced.
        let unchanged = |name: &str, bytes: &[u8]| {
            (previous.written.iter().any(|n| n == name) || name == ASSET_CACHE_FILE)
                && holds(&dir.join(name), bytes).unwrap_or(false)
        };
        let mut kept: Vec<String> = Vec::new();
        let mut staged: Vec<String> = Vec::new();
        let result = (|| {
            let stage = |staged: &mut Vec<String>, name: &str, bytes: &[u8]| {
                if staged.is_empty() {
                    std::fs::create_dir_all(&staging)?;
                }
                std::fs::write(staging.join(name), bytes)?;
                staged.push(name.to_owned());
                std::io::Result::Ok(())
            };
            for (name, content) in &wanted {
                match content {
                    Content::Kept => kept.push(name.clone()),
                    Content::Bytes(bytes) if unchanged(name, bytes) => kept.push(name.clone()),
                    Content::Bytes(bytes) => stage(&mut staged, name, bytes)?,
                    Content::Zip(asset) => {
                        let zip = asset.zip()?;
                        if unchanged(name, &zip) {
                            kept.push(name.clone());
                        } else {
                            stage(&mut staged, name, &zip)?;
                        }
                    }
                }
            }
            let listed_replaced = staged.iter().any(|n| n != ASSET_CACHE_FILE);
            if !listed_replaced && unchanged(MANIFEST_FILE, manifest.as_bytes()) {
                kept.push(MANIFEST_FILE.to_owned());
            } else {
                stage(&mut staged, MANIFEST_FILE, manifest.as_bytes())?;
            }
            // The previous synth goes, the new one moves in, its manifest
            // last: a manifest never lists a file that is not there yet.
            for name in previous.written.iter().filter(|n| !kept.contains(n)) {
                match std::fs::remove_file(dir.join(name)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            if staged.is_empty() {
                return Ok(());
            }
            std::fs::create_dir_all(dir)?;
            for name in &staged {
                std::fs::rename(staging.join(name), dir.join(name))?;
            }
            std::fs::remove_dir(&staging)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }
}

/// Whether the file at `path` holds exactly `bytes`, read in pieces into
/// one small buffer (a whole template read at once is as many fresh pages
/// as writing it would take).
fn holds(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    if file.metadata()?.len() != bytes.len() as u64 {
        return Ok(false);
    }
    let mut buffer = [0u8; 16 * 1024];
    let mut rest = bytes;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(rest.is_empty());
        }
        match rest.split_at_checked(n) {
            Some((piece, tail)) if piece == &buffer[..n] => rest = tail,
            _ => return Ok(false),
        }
    }
}

/// What a file of an output directory is to hold.
enum Content<'a> {
    Bytes(&'a [u8]),
    /// An asset's zip, read only if it must be written.
    Zip(&'a Asset),
    /// A zip the directory holds already.
    Kept,
}

/// The manifest a synth writes beside its templates.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Whether `name`, in an output directory, is what `tp` keeps beside the
/// files a manifest lists, never deployed: a deploy's outputs file
/// (`outputs-<suffix>.json`) or a local environment's state
/// (`local-<suffix>/`, `local-<suffix>.env`), which a synth leaves alone,
/// and the asset cache ([`ASSET_CACHE_FILE`]), which each synth rewrites.
pub fn is_beside_synth(name: &str) -> bool {
    (name.starts_with("outputs-") && name.ends_with(".json"))
        || name.starts_with("local-")
        || name == ASSET_CACHE_FILE
}

/// What an output directory holds before a synth writes into it.
#[derive(Debug, Default)]
pub struct OutputDir {
    /// The files of the previous synth: its manifest and every file it lists.
    pub written: Vec<String>,
}

impl OutputDir {
    /// Checks that a synth may write into `dir`: absent, or a directory
    /// holding only a previous synth (the files its manifest lists) and
    /// what `tp` keeps beside one ([`is_beside_synth`]). The error names
    /// what is in the way.
    pub fn check(dir: &Path) -> Result<OutputDir, String> {
        if !dir.exists() {
            return Ok(OutputDir::default());
        }
        if !dir.is_dir() {
            return Err(format!(
                "{} exists and is not a directory; choose another --out",
                dir.display()
            ));
        }
        let mut written = Vec::new();
        let manifest = dir.join(MANIFEST_FILE);
        if manifest.exists() {
            let listed = std::fs::read_to_string(&manifest)
                .ok()
                .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                .map(|m| manifest_files(&m))
                .ok_or_else(|| {
                    format!(
                        "{} is not a manifest `tp synth` wrote; choose another --out",
                        manifest.display()
                    )
                })?;
            written.push(MANIFEST_FILE.to_owned());
            written.extend(listed);
        }
        let mut foreign = Vec::new();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot list {}: {e}; choose another --out", dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !written.contains(&name) && !is_beside_synth(&name) {
                foreign.push(name);
            }
        }
        if !foreign.is_empty() {
            foreign.sort();
            return Err(format!(
                "{} holds files `tp synth` did not write ({}); tp replaces only its own: move them, or choose another --out",
                dir.display(),
                foreign.join(", ")
            ));
        }
        Ok(OutputDir { written })
    }
}

/// The files a manifest lists: templates, nested templates, asset zips.
fn manifest_files(manifest: &Json) -> Vec<String> {
    let mut files = Vec::new();
    // Only plain names in the directory itself: a manifest never makes a
    // synth remove anything elsewhere.
    let name = |v: &Json| {
        v.as_str()
            .filter(|n| Path::new(n).file_name().and_then(|f| f.to_str()) == Some(*n))
            .map(str::to_owned)
    };
    for stack in manifest["stacks"].as_array().into_iter().flatten() {
        files.extend(name(&stack["template"]));
        for nested in stack["nested"].as_array().into_iter().flatten() {
            files.extend(name(&nested["template"]));
        }
    }
    for asset in manifest["assets"].as_array().into_iter().flatten() {
        files.extend(name(&asset["file"]));
    }
    files
}

#[cfg(test)]
mod tests;
