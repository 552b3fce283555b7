//! Expansion: parse, resolve, check, and only then emit tokens.
//!
//! The output is one function, `pub fn platform() -> ::platform_core::spec::Platform`,
//! that builds the declared platform with absolute paths only. Expansion
//! trusts the checks and validates nothing itself. On errors it emits them
//! all, plus a placeholder `platform()` of the same type, so that code using
//! the platform does not fail with errors of its own.

use std::path::PathBuf;

use platform_core::catalog::Kind;
use platform_core::naming;
use platform_core::spec::{Comparison, KeyType, StreamView};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Ident, LitStr};

use crate::ast::{
    APPROVE, AlarmBody, ApiBody, AuroraBody, AuthValue, Body, BucketBody, BusBody, DashboardBody,
    DbUserBody, Definition, Expiry, FunctionBody, HealthCheckBody, KeyAttribute, KeyBody,
    LogGroupBody, MetricRef, NetworkBody, ParameterBody, PerProfile, QueueBody, RawResource,
    Removal, ResourceBlock, RuleBody, Source, SubscriberDecl, TableBody, TopicBody, Value,
    ZoneBody, f64_tokens,
};
use crate::check;
use crate::ctxt::Ctxt;
use crate::model::{Model, defaults};

/// The whole macro: `platform! { ... }` in, `pub fn platform()` out.
pub fn platform(input: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let (expanded, tracked) = expand_tracked(input, manifest_dir);
    let expanded = expanded.unwrap_or_else(fallback);
    quote!(#expanded #tracked)
}

/// Expands `input` as if compiling the crate in `manifest_dir`.
// The unit tests' and the expand bench's entry point.
#[allow(dead_code)]
pub(crate) fn expand_in(input: TokenStream, manifest_dir: PathBuf) -> syn::Result<TokenStream> {
    expand_tracked(input, manifest_dir).0
}

/// Expands `input`, and includes every file the checks read (handler
/// code) with `include_bytes!`, whether or not it has errors, so that
/// cargo rebuilds when one changes.
pub(crate) fn expand_tracked(
    input: TokenStream,
    manifest_dir: PathBuf,
) -> (syn::Result<TokenStream>, TokenStream) {
    crate::ast::place::reset();
    let definition: Definition = match syn::parse2(input).map_err(crate::ast::place::tag) {
        Ok(definition) => definition,
        Err(e) => return (Err(e), TokenStream::new()),
    };
    let model = Model::resolve(&definition, manifest_dir);
    let cx = Ctxt::new();
    check::check(&model, &cx);
    let tracked = cx.tracked().into_iter().filter_map(|path| {
        let path = path.to_str()?.to_owned();
        Some(quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        ))
    });
    let tracked = quote!(#(#tracked)*);
    match cx.check() {
        Ok(()) => (Ok(emit(&model)), tracked),
        Err(e) => (Err(e), tracked),
    }
}

/// Every error, and a placeholder `platform()` so that callers still compile
/// (thiserror's `fallback.rs`).
fn fallback(errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    quote! {
        #errors
        /// Placeholder: the platform definition has errors.
        pub fn platform() -> ::platform_core::spec::Platform {
            ::core::unimplemented!()
        }
    }
}

/// Each function's handler file, included so that cargo rebuilds, and
/// `function-code` checks again, when one changes or goes.
fn tracked_handlers(model: &Model) -> TokenStream {
    let files = model.resources.iter().filter_map(|resource| {
        let Body::Function(function) = &resource.body else {
            return None;
        };
        let handler = function
            .handler
            .as_ref()
            .map_or_else(|| defaults::FUNCTION_HANDLER.to_owned(), LitStr::value);
        let code = function.code.as_ref()?.value();
        crate::check::code::handler_file(&model.manifest_dir, &code, &handler).ok()
    });
    let files: Vec<String> = files.collect();
    if files.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #(const _: &[u8] = ::core::include_bytes!(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"), "/", #files
        ));)*
    }
}

fn emit(model: &Model) -> TokenStream {
    let platform = model.platform().expect("checked: one platform block");
    let profiles = platform
        .profiles
        .as_deref()
        .expect("checked: profiles declared");
    let name = string(&platform.name.to_string());
    let regions = platform.regions.iter().flatten().map(|region| {
        string(naming::region_code(&region.to_string()).expect("checked: known region"))
    });
    let suffix_max = platform
        .suffix
        .as_ref()
        .expect("checked: suffix declared")
        .value;
    let tags = platform.tags.iter().map(|(key, value)| {
        let key = string(&key.to_string());
        quote!((#key, ::std::string::String::from(#value)))
    });
    let profile_names = profiles.iter().map(|profile| string(&profile.to_string()));
    // One small function per resource rather than one literal of them all:
    // the compiler's back end takes far longer on one huge function than on
    // many small ones (see `scripts/bench`).
    let builders = model.resources.iter().enumerate().map(|(i, resource)| {
        let builder = quote::format_ident!("resource_{}", i);
        let body = emit_resource(model, profiles, resource);
        quote! {
            fn #builder() -> ::platform_core::spec::Resource { #body }
        }
    });
    let resources = (0..model.resources.len()).map(|i| quote::format_ident!("resource_{}", i));
    let resources = quote!(#(#resources()),*);
    let pipeline = emit_pipeline(model);
    let drift_check = match &platform.drift_check {
        None => quote!(::core::option::Option::None),
        Some(check) => {
            let notify = string(
                &check
                    .notify
                    .as_ref()
                    .expect("checked: notify declared")
                    .to_string(),
            );
            let hours = check
                .every
                .as_ref()
                .map_or(defaults::DRIFT_CHECK_HOURS, |every| every.value / 3600);
            quote! {
                ::core::option::Option::Some(::platform_core::spec::DriftCheck {
                    notify: #notify,
                    every_hours: #hours,
                })
            }
        }
    };
    let rollback_window = per_profile(&platform.rollback_window, profiles, 0u32, |secs| {
        let minutes = secs.value / 60;
        quote!(#minutes)
    });
    let accounts = option(
        platform
            .accounts
            .is_some()
            .then(|| per_profile(&platform.accounts, profiles, quote!(), owned)),
    );
    let backups = model.backup_blocks.iter().map(|block| {
        let name = string(&block.name.to_string());
        let resources = block.resources().iter().map(|r| string(&r.to_string()));
        let schedule = owned(block.schedule.as_ref().expect("checked: schedule declared"));
        let retention = per_profile(&block.retention, profiles, 0u32, |days| {
            let days = days.value;
            quote!(#days)
        });
        let copy_to = block
            .copy_to
            .as_ref()
            .expect("checked: copy_to declared")
            .values
            .iter()
            .map(|(from, to)| {
                let code = |r: &Ident| {
                    string(naming::region_code(&r.to_string()).expect("checked: known region"))
                };
                let (from, to) = (code(from), code(to));
                quote!((#from, #to))
            });
        quote! {
            ::platform_core::spec::BackupSpec {
                name: #name,
                resources: ::std::vec![#(#resources),*],
                schedule: #schedule,
                retention_days: #retention,
                copy_to: ::platform_core::spec::PerRegion(::std::vec![#(#copy_to),*]),
            }
        }
    });
    let generic = emit_generic(model);
    let overrides = emit_overrides(model);
    let tracked = tracked_handlers(model);
    quote! {
        /// The platform declared with `platform!`.
        pub fn platform() -> ::platform_core::spec::Platform {
            #tracked
            #(#builders)*
            ::platform_core::spec::Platform {
                name: #name,
                regions: ::std::vec![#(#regions),*],
                suffix_max: #suffix_max,
                tags: ::std::vec![#(#tags),*],
                profiles: ::std::vec![#(#profile_names),*],
                resources: ::std::vec![#resources],
                pipeline: #pipeline,
                rollback_window_minutes: #rollback_window,
                drift_check: #drift_check,
                accounts: #accounts,
                backups: ::std::vec![#(#backups),*],
                generic: #generic,
                overrides: #overrides,
            }
        }
    }
}

/// `Some(PipelineSpec { .. })` for the `pipeline` block, if any.
fn emit_pipeline(model: &Model) -> TokenStream {
    let Some(block) = model.pipeline() else {
        return quote!(::core::option::Option::None);
    };
    let name = string(&block.name.to_string());
    let region = block.region.as_ref().expect("checked: region declared");
    let region = string(naming::region_code(&region.to_string()).expect("checked: known region"));
    let source = match block.source.as_ref().expect("checked: source declared") {
        Source::Repository { repository, branch } => quote! {
            ::platform_core::spec::PipelineSource::Repository {
                repository: ::std::string::String::from(#repository),
                branch: ::std::string::String::from(#branch),
            }
        },
        Source::Bucket => quote!(::platform_core::spec::PipelineSource::Bucket),
    };
    let stages = block
        .stages
        .iter()
        .flat_map(|list| &list.items)
        .map(|stage| {
            if stage == APPROVE {
                quote!(::platform_core::spec::PipelineStage::Approve)
            } else {
                let profile = string(&stage.to_string());
                quote!(::platform_core::spec::PipelineStage::Deploy { profile: #profile })
            }
        });
    let logs = or_default(&block.logs, defaults::PIPELINE_LOG_DAYS);
    let account = option(block.account.as_ref().map(owned));
    let notify = optional_name(&block.notify);
    quote! {
        ::core::option::Option::Some(::platform_core::spec::PipelineSpec {
            name: #name,
            region: #region,
            source: #source,
            stages: ::std::vec![#(#stages),*],
            log_retention_days: #logs,
            account: #account,
            notify: #notify,
        })
    }
}

fn emit_resource(model: &Model, profiles: &[Ident], resource: &ResourceBlock) -> TokenStream {
    let name = resource.name.to_string();
    let spec = match &resource.body {
        Body::Key(body) => emit_key(&name, body),
        Body::Table(body) => emit_table(body),
        Body::Queue(body) => emit_queue(body, profiles),
        Body::Bucket(body) => emit_bucket(body, profiles),
        Body::Topic(body) => emit_topic(body, profiles),
        Body::Parameter(body) => emit_parameter(&name, body, profiles),
        Body::Function(body) => emit_function(body, profiles),
        Body::Network(body) => emit_network(model, body, profiles),
        Body::Aurora(body) => emit_aurora(&name, body, profiles),
        Body::DbUser(body) => emit_db_user(body, profiles),
        Body::Api(body) => emit_api(body, profiles),
        Body::Bus(body) => emit_bus(&name, body),
        Body::Rule(body) => emit_rule(model, body),
        Body::LogGroup(body) => emit_log_group(body, profiles),
        Body::Alarm(body) => emit_alarm(body),
        Body::HealthCheck(body) => emit_health_check(body),
        Body::Dashboard(body) => emit_dashboard(body),
        Body::Zone(body) => emit_zone(body, profiles),
    };
    let name = string(&name);
    quote! {
        ::platform_core::spec::Resource { name: #name, spec: #spec }
    }
}

fn emit_key(name: &str, body: &KeyBody) -> TokenStream {
    let description = match &body.description {
        Some(description) => quote!(::std::string::String::from(#description)),
        None => string(&format!("{name} key")),
    };
    let rotation = body.rotation.unwrap_or(defaults::KEY_ROTATION);
    let pending = or_default(&body.pending_window, defaults::KEY_PENDING_WINDOW_DAYS);
    quote! {
        ::platform_core::spec::Spec::Key(::platform_core::spec::KeySpec {
            description: #description,
            rotation: #rotation,
            pending_window_days: #pending,
        })
    }
}

fn emit_table(body: &TableBody) -> TokenStream {
    let partition = key_attribute(
        body.partition
            .as_ref()
            .expect("checked: partition declared"),
    );
    let sort = option(body.sort.as_ref().map(key_attribute));
    let ttl = option(body.ttl.as_ref().map(|ttl| string(&ttl.to_string())));
    let stream = option(body.stream.map(|view| {
        let view = match view {
            StreamView::KeysOnly => quote!(KeysOnly),
            StreamView::NewImage => quote!(NewImage),
            StreamView::OldImage => quote!(OldImage),
            StreamView::NewAndOldImages => quote!(NewAndOldImages),
        };
        quote!(::platform_core::spec::StreamView::#view)
    }));
    let key = required_name(&body.key);
    quote! {
        ::platform_core::spec::Spec::Table(::platform_core::spec::TableSpec {
            partition: #partition,
            sort: #sort,
            ttl: #ttl,
            stream: #stream,
            key: #key,
        })
    }
}

fn key_attribute(attribute: &KeyAttribute) -> TokenStream {
    let name = string(&attribute.name.to_string());
    let ty = match attribute.ty {
        KeyType::String => quote!(String),
        KeyType::Number => quote!(Number),
        KeyType::Binary => quote!(Binary),
    };
    quote!((#name, ::platform_core::spec::KeyType::#ty))
}

fn emit_queue(body: &QueueBody, profiles: &[Ident]) -> TokenStream {
    let visibility = per_profile(
        &body.visibility,
        profiles,
        defaults::QUEUE_VISIBILITY_SECS,
        |secs| quote!(#secs),
    );
    let retention = per_profile(
        &body.retention,
        profiles,
        defaults::QUEUE_RETENTION_SECS,
        |secs| quote!(#secs),
    );
    let fifo = body.fifo.as_ref().is_some_and(|fifo| fifo.value);
    let dead_letter = option(body.dead_letter.as_ref().map(|dead_letter| {
        let queue = string(&dead_letter.queue.to_string());
        let count = &dead_letter.max_receive_count;
        quote! {
            ::platform_core::spec::DeadLetter { queue: #queue, max_receive_count: #count }
        }
    }));
    let key = required_name(&body.key);
    quote! {
        ::platform_core::spec::Spec::Queue(::platform_core::spec::QueueSpec {
            visibility_timeout_secs: #visibility,
            retention_secs: #retention,
            fifo: #fifo,
            dead_letter: #dead_letter,
            key: #key,
        })
    }
}

fn emit_bucket(body: &BucketBody, profiles: &[Ident]) -> TokenStream {
    // Without `key:`, the checks have made sure of `encryption: s3_managed`.
    let key = optional_name(&body.key);
    let access_logs = optional_name(&body.access_logs);
    let never = quote!(::core::option::Option::None);
    let expire = per_profile(&body.expire, profiles, &never, |expiry| match expiry {
        Expiry::After(days) => quote!(::core::option::Option::Some(#days)),
        Expiry::Never => quote!(::core::option::Option::None),
    });
    let noncurrent = or_default(&body.noncurrent, defaults::BUCKET_NONCURRENT_DAYS);
    let archive = per_profile(
        &body.archive,
        profiles,
        &never,
        |days| quote!(::core::option::Option::Some(#days)),
    );
    quote! {
        ::platform_core::spec::Spec::Bucket(::platform_core::spec::BucketSpec {
            key: #key,
            access_logs: #access_logs,
            expire_days: #expire,
            noncurrent_days: #noncurrent,
            archive_days: #archive,
        })
    }
}

fn emit_topic(body: &TopicBody, profiles: &[Ident]) -> TokenStream {
    let key = required_name(&body.key);
    let display_name = option(body.display_name.as_ref().map(owned));
    let email = body.email_subscription.is_some();
    let none = quote!(::std::vec::Vec::new());
    let subscribers = per_profile(&body.subscribe, profiles, &none, |subscribers| {
        let items = subscribers.items.iter().map(|subscriber| match subscriber {
            SubscriberDecl::Email(address) => {
                quote!(::platform_core::spec::Subscriber::Email(::std::string::String::from(#address)))
            }
            SubscriberDecl::Https(url) => {
                quote!(::platform_core::spec::Subscriber::Https(::std::string::String::from(#url)))
            }
            SubscriberDecl::Sqs { queue, raw } => {
                let queue = string(&queue.to_string());
                let raw = raw.is_some();
                quote!(::platform_core::spec::Subscriber::Sqs { queue: #queue, raw: #raw })
            }
        });
        quote!(::std::vec![#(#items),*])
    });
    quote! {
        ::platform_core::spec::Spec::Topic(::platform_core::spec::TopicSpec {
            key: #key,
            display_name: #display_name,
            email_subscription: #email,
            subscribers: #subscribers,
        })
    }
}

fn emit_parameter(name: &str, body: &ParameterBody, profiles: &[Ident]) -> TokenStream {
    let value = per_profile(
        &body.value,
        profiles,
        quote!(unreachable!("checked: value declared")),
        value,
    );
    let description = body
        .description
        .as_ref()
        .map_or_else(|| string(name), owned);
    quote! {
        ::platform_core::spec::Spec::Parameter(::platform_core::spec::ParameterSpec {
            value: #value,
            description: #description,
        })
    }
}

fn emit_function(body: &FunctionBody, profiles: &[Ident]) -> TokenStream {
    let code = body.code.as_ref().expect("checked: code declared");
    let include = body
        .include
        .iter()
        .flat_map(|map| &map.entries)
        .map(|(prefix, dir)| {
            quote! {
                ::platform_core::spec::Include {
                    prefix: ::std::string::String::from(#prefix),
                    dir: ::std::string::String::from(::core::concat!(
                        ::core::env!("CARGO_MANIFEST_DIR"), "/", #dir
                    )),
                }
            }
        });
    let exclude = body
        .exclude
        .iter()
        .flat_map(|list| &list.items)
        .map(|pattern| quote! { ::std::string::String::from(#pattern) });
    let handler = body
        .handler
        .as_ref()
        .map_or_else(|| string(defaults::FUNCTION_HANDLER), owned);
    let memory = per_profile(
        &body.memory,
        profiles,
        defaults::FUNCTION_MEMORY_MB,
        |mb| quote!(#mb),
    );
    let timeout = per_profile(
        &body.timeout,
        profiles,
        defaults::FUNCTION_TIMEOUT_SECS,
        |secs| quote!(#secs),
    );
    let logs = per_profile(
        &body.logs,
        profiles,
        defaults::FUNCTION_LOG_DAYS,
        |d| quote!(#d),
    );
    let key = required_name(&body.key);
    let log_key = log_key(&body.log_key, &body.key);
    let env = body.env.iter().map(|(var, source)| {
        let var = string(&var.to_string());
        let source = value(source);
        quote!((#var, #source))
    });
    let grants = body.grants.iter().flat_map(|(target, levels)| {
        levels.0.iter().map(move |access| {
            let target = string(&target.to_string());
            let access = string(&access.to_string());
            quote!(::platform_core::spec::Grant { resource: #target, access: #access })
        })
    });
    let trigger = option(body.trigger.as_ref().map(|trigger| {
        let queue = string(&trigger.queue.to_string());
        let batch = per_profile(
            &trigger.batch,
            profiles,
            defaults::TRIGGER_BATCH,
            |n| quote!(#n),
        );
        let window = per_profile(
            &trigger.window,
            profiles,
            defaults::TRIGGER_WINDOW_SECS,
            |secs| quote!(#secs),
        );
        let max_concurrency = per_profile(
            &trigger.max_concurrency,
            profiles,
            quote!(::core::option::Option::None),
            |n| quote!(::core::option::Option::Some(#n)),
        );
        quote! {
            ::platform_core::spec::Trigger {
                queue: #queue,
                batch_size: #batch,
                max_batching_window_secs: #window,
                max_concurrency: #max_concurrency,
            }
        }
    }));
    let async_invoke = option(body.async_invoke.as_ref().map(|invoke| {
        let retries = or_default(&invoke.retries, defaults::ASYNC_RETRIES);
        let max_age = or_default(&invoke.max_age, defaults::ASYNC_MAX_AGE_SECS);
        quote! {
            ::platform_core::spec::AsyncInvoke {
                max_retries: #retries,
                max_event_age_secs: #max_age,
            }
        }
    }));
    let network = optional_name(&body.network);
    let none = quote!(::core::option::Option::None);
    let concurrency = per_profile(
        &body.concurrency,
        profiles,
        none,
        |n| quote!(::core::option::Option::Some(#n)),
    );
    let dead_letter = optional_name(&body.dead_letter);
    let metrics = option(body.metrics.as_ref().map(owned));
    // `after_deploy`, the one value the parser accepts.
    let run = option(
        body.run
            .as_ref()
            .map(|_| quote!(::platform_core::spec::Run::AfterDeploy)),
    );
    let statements = body
        .statements
        .iter()
        .flat_map(|list| &list.items)
        .map(|statement| {
            let actions = statement.actions.iter().map(owned);
            let resource = match &statement.resource {
                RawResource::All(_) => quote!(::platform_core::spec::StatementResource::All),
                RawResource::Declared(name) => {
                    let name = string(&name.to_string());
                    quote!(::platform_core::spec::StatementResource::Declared(#name))
                }
                RawResource::Arn(arn) => {
                    let arn = owned(arn);
                    quote!(::platform_core::spec::StatementResource::Arn(#arn))
                }
            };
            quote! {
                ::platform_core::spec::PolicyStatement {
                    actions: ::std::vec![#(#actions),*],
                    resource: #resource,
                }
            }
        });
    quote! {
        ::platform_core::spec::Spec::Function(::platform_core::spec::FunctionSpec {
            code: ::std::string::String::from(::core::concat!(
                ::core::env!("CARGO_MANIFEST_DIR"), "/", #code
            )),
            include: ::std::vec![#(#include),*],
            exclude: ::std::vec![#(#exclude),*],
            handler: #handler,
            memory_mb: #memory,
            timeout_secs: #timeout,
            log_retention_days: #logs,
            key: #key,
            log_key: #log_key,
            env: ::std::vec![#(#env),*],
            grants: ::std::vec![#(#grants),*],
            statements: ::std::vec![#(#statements),*],
            trigger: #trigger,
            network: #network,
            reserved_concurrency: #concurrency,
            dead_letter: #dead_letter,
            async_invoke: #async_invoke,
            metric_namespace: #metrics,
            run: #run,
        })
    }
}

fn emit_network(model: &Model, body: &NetworkBody, profiles: &[Ident]) -> TokenStream {
    let regions = model
        .platform()
        .and_then(|platform| platform.regions.as_ref());
    // In the platform's region order; the checks made sure each has one.
    let cidr = per_profile(&body.cidr, profiles, quote!(), |declared| {
        let cidrs = regions.into_iter().flatten().filter_map(|region| {
            let (_, cidr) = declared.values.iter().find(|(r, _)| r == region)?;
            let code = string(naming::region_code(&region.to_string())?);
            Some(quote!((#code, ::std::string::String::from(#cidr))))
        });
        quote!(::platform_core::spec::PerRegion(::std::vec![#(#cidrs),*]))
    });
    let azs = or_default(&body.azs, defaults::NETWORK_AZS);
    let endpoints = body
        .endpoints
        .iter()
        .flat_map(|list| &list.items)
        .map(|endpoint| string(&endpoint.to_string().replace('_', "-")));
    let flow_logs = per_profile(
        &body.flow_logs,
        profiles,
        defaults::NETWORK_FLOW_LOG_DAYS,
        |d| quote!(#d),
    );
    let key = required_name(&body.key);
    let public = body.public.as_ref().is_some_and(|toggle| toggle.on);
    quote! {
        ::platform_core::spec::Spec::Network(::platform_core::spec::NetworkSpec {
            cidr: #cidr,
            azs: #azs,
            endpoints: ::std::vec![#(#endpoints),*],
            flow_log_retention_days: #flow_logs,
            key: #key,
            public: #public,
        })
    }
}

fn emit_aurora(name: &str, body: &AuroraBody, profiles: &[Ident]) -> TokenStream {
    let engine = body.engine.as_ref().expect("checked: engine declared");
    let version = owned(&engine.version);
    let database = body.database.as_ref().map_or_else(|| string(name), owned);
    let capacity = per_profile(
        &body.capacity,
        profiles,
        quote!(::core::unreachable!()),
        |range| {
            let min = f64_tokens(range.min.value, &range.min);
            let max = f64_tokens(range.max.value, &range.max);
            quote!(::platform_core::spec::Capacity { min: #min, max: #max })
        },
    );
    let readers = or_default(&body.readers, defaults::AURORA_READERS);
    let network = required_name(&body.network);
    let backup = per_profile(
        &body.backup,
        profiles,
        defaults::AURORA_BACKUP_DAYS,
        |days| quote!(#days),
    );
    let key = required_name(&body.key);
    let logs = per_profile(
        &body.logs,
        profiles,
        defaults::AURORA_LOG_DAYS,
        |d| quote!(#d),
    );
    let log_key = log_key(&body.log_key, &body.key);
    let snapshot = per_profile(
        &body.removal,
        profiles,
        defaults::AURORA_SNAPSHOT_ON_REMOVAL,
        |removal| match removal {
            Removal::Delete => quote!(false),
            Removal::Snapshot => quote!(true),
            // Rejected by `policy-removal` before expansion.
            Removal::Retain(_) => quote!(true),
        },
    );
    quote! {
        ::platform_core::spec::Spec::Aurora(::platform_core::spec::AuroraSpec {
            engine_version: #version,
            database: #database,
            capacity: #capacity,
            readers: #readers,
            network: #network,
            backup_days: #backup,
            key: #key,
            log_retention_days: #logs,
            log_key: #log_key,
            snapshot_on_removal: #snapshot,
        })
    }
}

fn emit_db_user(body: &DbUserBody, profiles: &[Ident]) -> TokenStream {
    let cluster = required_name(&body.cluster);
    let privileges = match body
        .privileges
        .as_ref()
        .and_then(|word| crate::ast::db_privileges(&word.to_string()))
        .expect("checked: privileges declared")
    {
        platform_core::spec::DbPrivileges::Dml => quote!(Dml),
        platform_core::spec::DbPrivileges::ReadOnly => quote!(ReadOnly),
        platform_core::spec::DbPrivileges::Owner => quote!(Owner),
    };
    let key = required_name(&body.key);
    let rotation = option(
        body.rotation
            .as_ref()
            .map(|_| per_profile(&body.rotation, profiles, 0u32, |d| quote!(#d))),
    );
    quote! {
        ::platform_core::spec::Spec::DbUser(::platform_core::spec::DbUserSpec {
            cluster: #cluster,
            privileges: ::platform_core::spec::DbPrivileges::#privileges,
            key: #key,
            rotation_days: #rotation,
        })
    }
}

fn emit_api(body: &ApiBody, profiles: &[Ident]) -> TokenStream {
    let stage = body
        .stage
        .as_ref()
        .map_or_else(|| defaults::API_STAGE.to_owned(), Ident::to_string);
    let stage = string(&stage);
    let routes = body.routes().iter().map(|route| {
        let method = string(&route.method.to_string());
        let path = owned(&route.path);
        let function = string(&route.function.to_string());
        let auth = match route.auth {
            Some(AuthValue::Iam) => quote!(Iam),
            Some(AuthValue::None) | None => quote!(None),
        };
        // `include_str!` so that cargo rebuilds when the schema changes.
        let body_schema = option(route.body.as_ref().map(|path| {
            quote! {
                ::std::string::String::from(::core::include_str!(::core::concat!(
                    ::core::env!("CARGO_MANIFEST_DIR"), "/", #path
                )))
            }
        }));
        let throttle = option(route.throttle.as_ref().map(|_| {
            per_profile(&route.throttle, profiles, quote!(), |value| {
                throttle(
                    f64_tokens(value.rate.value, &value.rate),
                    value.burst.to_token_stream(),
                )
            })
        }));
        quote! {
            ::platform_core::spec::Route {
                method: #method,
                path: #path,
                function: #function,
                auth: ::platform_core::spec::Auth::#auth,
                body_schema: #body_schema,
                throttle: #throttle,
            }
        }
    });
    let default_throttle = throttle(
        f64_tokens(defaults::API_THROTTLE_RATE, &quote!()),
        defaults::API_THROTTLE_BURST.to_token_stream(),
    );
    let throttle = per_profile(&body.throttle, profiles, default_throttle, |value| {
        throttle(
            f64_tokens(value.rate.value, &value.rate),
            value.burst.to_token_stream(),
        )
    });
    let logs = per_profile(&body.logs, profiles, defaults::API_LOG_DAYS, |d| quote!(#d));
    let key = required_name(&body.key);
    let waf = option(body.waf.as_ref().map(|waf| {
        let rate = per_profile(
            &waf.rate,
            profiles,
            defaults::WAF_RATE_LIMIT,
            |n| quote!(#n),
        );
        quote!(::platform_core::spec::WafSpec { rate_limit: #rate })
    }));
    let domain = option(body.domain.as_ref().map(|_| {
        let name = per_profile(&body.domain, profiles, quote!(), owned);
        let zone = required_name(&body.zone);
        quote!(::platform_core::spec::ApiDomain { name: #name, zone: #zone })
    }));
    quote! {
        ::platform_core::spec::Spec::Api(::platform_core::spec::ApiSpec {
            stage: #stage,
            routes: ::std::vec![#(#routes),*],
            throttle: #throttle,
            log_retention_days: #logs,
            key: #key,
            waf: #waf,
            domain: #domain,
        })
    }
}

fn emit_zone(body: &ZoneBody, profiles: &[Ident]) -> TokenStream {
    let domain = per_profile(&body.domain, profiles, quote!(), owned);
    let created = quote!(::platform_core::spec::ZoneSource::Created);
    let source = if body.id.is_some() {
        per_profile(&body.id, profiles, quote!(), |id| {
            let id = owned(id);
            quote!(::platform_core::spec::ZoneSource::Id(#id))
        })
    } else {
        per_profile(&body.existing, profiles, &created, |existing| {
            if existing.value {
                quote!(::platform_core::spec::ZoneSource::Lookup)
            } else {
                created.clone()
            }
        })
    };
    quote! {
        ::platform_core::spec::Spec::Zone(::platform_core::spec::ZoneSpec {
            domain: #domain,
            source: #source,
        })
    }
}

fn throttle(rate: TokenStream, burst: TokenStream) -> TokenStream {
    quote!(::platform_core::spec::Throttle { rate_per_sec: #rate, burst: #burst })
}

fn emit_bus(name: &str, body: &BusBody) -> TokenStream {
    let description = body
        .description
        .as_ref()
        .map_or_else(|| string(&format!("{name} event bus")), owned);
    let key = required_name(&body.key);
    quote! {
        ::platform_core::spec::Spec::Bus(::platform_core::spec::BusSpec {
            description: #description,
            key: #key,
        })
    }
}

fn emit_rule(model: &Model, body: &RuleBody) -> TokenStream {
    let bus = optional_name(&body.bus);
    // The pattern is data: serialized once, here, to the JSON EventBridge takes.
    let pattern = option(
        body.pattern
            .as_ref()
            .map(|pattern| string(&pattern.to_json().to_string())),
    );
    let schedule = option(body.schedule.as_ref().map(owned));
    let targets = body.targets().iter().map(|target| {
        let kind = model.resource(target).map(|r| r.info.kind);
        let variant = match kind {
            Some(Kind::LogGroup) => quote!(LogGroup),
            _ => quote!(Function),
        };
        let target = string(&target.to_string());
        quote!(::platform_core::spec::TargetRef::#variant(#target))
    });
    let dead_letter = required_name(&body.dead_letter);
    let retries = or_default(&body.retries, defaults::RULE_RETRIES);
    let max_age = or_default(&body.max_age, defaults::RULE_MAX_AGE_SECS);
    // The topic the rule names, or the one its dead-man alarms default to.
    let notify = option(
        check::alerting::dead_man_topic(model, body)
            .ok()
            .flatten()
            .map(|topic| string(&topic)),
    );
    quote! {
        ::platform_core::spec::Spec::Rule(::platform_core::spec::RuleSpec {
            bus: #bus,
            pattern: #pattern,
            schedule: #schedule,
            targets: ::std::vec![#(#targets),*],
            dead_letter: #dead_letter,
            max_retries: #retries,
            max_event_age_secs: #max_age,
            notify: #notify,
        })
    }
}

fn emit_log_group(body: &LogGroupBody, profiles: &[Ident]) -> TokenStream {
    let retention = per_profile(
        &body.retention,
        profiles,
        defaults::LOG_GROUP_RETENTION_DAYS,
        |d| quote!(#d),
    );
    let key = required_name(&body.key);
    quote! {
        ::platform_core::spec::Spec::LogGroup(::platform_core::spec::LogGroupSpec {
            retention_days: #retention,
            key: #key,
        })
    }
}

fn metric_ref(metric: &MetricRef) -> TokenStream {
    let resource = string(&metric.resource.to_string());
    let name = string(&metric.metric.to_string());
    quote!(::platform_core::spec::MetricRef { resource: #resource, metric: #name })
}

fn emit_alarm(body: &AlarmBody) -> TokenStream {
    let metric = body.metric.as_ref().expect("checked: metric declared");
    let (field, comparison, threshold) = body
        .comparisons
        .first()
        .expect("checked: one comparison declared");
    let description = body.description.as_ref().map_or_else(
        || {
            string(&format!(
                "{}.{} {} {}",
                metric.resource,
                metric.metric,
                field.to_string().replace('_', " "),
                threshold.text
            ))
        },
        owned,
    );
    let comparison = match comparison {
        Comparison::Above => quote!(Above),
        Comparison::AtOrAbove => quote!(AtOrAbove),
        Comparison::Below => quote!(Below),
        Comparison::AtOrBelow => quote!(AtOrBelow),
    };
    let metric = metric_ref(metric);
    let threshold = f64_tokens(threshold.value, threshold);
    let period = or_default(&body.period, defaults::ALARM_PERIOD_SECS);
    let evaluations = or_default(&body.evaluations, defaults::ALARM_EVALUATIONS);
    let datapoints = match &body.datapoints {
        Some(datapoints) => datapoints.to_token_stream(),
        None => evaluations.clone(),
    };
    let notify = required_name(&body.notify);
    let guard = body.guard.is_some();
    quote! {
        ::platform_core::spec::Spec::Alarm(::platform_core::spec::AlarmSpec {
            metric: #metric,
            comparison: ::platform_core::spec::Comparison::#comparison,
            threshold: #threshold,
            period_secs: #period,
            evaluation_periods: #evaluations,
            datapoints_to_alarm: #datapoints,
            notify: #notify,
            guard: #guard,
            description: #description,
        })
    }
}

fn emit_health_check(body: &HealthCheckBody) -> TokenStream {
    let api = required_name(&body.api);
    let path = owned(body.path.as_ref().expect("checked: path declared"));
    let interval = or_default(&body.interval, defaults::HEALTH_CHECK_INTERVAL_SECS);
    let threshold = or_default(&body.threshold, defaults::HEALTH_CHECK_THRESHOLD);
    quote! {
        ::platform_core::spec::Spec::HealthCheck(::platform_core::spec::HealthCheckSpec {
            api: #api,
            path: #path,
            interval_secs: #interval,
            failure_threshold: #threshold,
        })
    }
}

fn emit_dashboard(body: &DashboardBody) -> TokenStream {
    let metrics = body
        .metrics
        .iter()
        .flat_map(|list| &list.items)
        .map(metric_ref);
    let sections = body
        .sections
        .iter()
        .flat_map(|sections| &sections.entries)
        .map(|(title, list)| {
            let metrics = list.items.iter().map(metric_ref);
            quote! {
                ::platform_core::spec::DashboardSection {
                    title: ::std::string::String::from(#title),
                    metrics: ::std::vec![#(#metrics),*],
                }
            }
        });
    quote! {
        ::platform_core::spec::Spec::Dashboard(::platform_core::spec::DashboardSpec {
            metrics: ::std::vec![#(#metrics),*],
            sections: ::std::vec![#(#sections),*],
        })
    }
}

/// `PerProfile::Same(default)` when absent, `Same(v)` for one value, and one
/// value per declared profile, in the platform's profile order, otherwise.
fn per_profile<T>(
    value: &Option<PerProfile<T>>,
    profiles: &[Ident],
    default: impl ToTokens,
    each: impl Fn(&T) -> TokenStream,
) -> TokenStream {
    match value {
        None => quote!(::platform_core::spec::PerProfile::Same(#default)),
        Some(PerProfile::Same(value)) => {
            let value = each(value);
            quote!(::platform_core::spec::PerProfile::Same(#value))
        }
        Some(PerProfile::ByProfile { values, .. }) => {
            let values = profiles.iter().map(|profile| {
                let (_, value) = values
                    .iter()
                    .find(|(name, _)| name == profile)
                    .expect("checked: every profile has a value");
                let profile = string(&profile.to_string());
                let value = each(value);
                quote!((#profile, #value))
            });
            quote!(::platform_core::spec::PerProfile::ByProfile(
                ::std::vec![#(#values),*]
            ))
        }
    }
}

fn value(value: &Value) -> TokenStream {
    match value {
        Value::Literal(literal) => {
            quote!(::platform_core::spec::ValueSource::Literal(::std::string::String::from(#literal)))
        }
        Value::Attr(attr) => {
            let resource = attr.resource.to_string();
            let attribute = attr.attribute.to_string();
            quote! {
                ::platform_core::spec::ValueSource::Attr(
                    ::platform_core::spec::AttrRef::new(#resource, #attribute)
                )
            }
        }
    }
}

/// `Some(String::from("name"))` or `None`.
fn optional_name(name: &Option<Ident>) -> TokenStream {
    option(name.as_ref().map(|name| string(&name.to_string())))
}

fn required_name(name: &Option<Ident>) -> TokenStream {
    string(
        &name
            .as_ref()
            .expect("checked: required field declared")
            .to_string(),
    )
}

/// `log_key:` as written, or `key:` (checked declared).
fn log_key(log_key: &Option<Ident>, key: &Option<Ident>) -> TokenStream {
    match log_key {
        Some(_) => required_name(log_key),
        None => required_name(key),
    }
}

/// The value as written, or the default.
fn or_default<T: ToTokens>(value: &Option<T>, default: u32) -> TokenStream {
    match value {
        Some(value) => value.to_token_stream(),
        None => default.to_token_stream(),
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

/// `String::from("text")`.
fn string(text: &str) -> TokenStream {
    quote!(::std::string::String::from(#text))
}

/// `String::from(<the user's literal>)`, keeping its span.
fn owned(literal: &LitStr) -> TokenStream {
    quote!(::std::string::String::from(#literal))
}

/// `resource` blocks: `vec![GenericSpec { .. }, ..]`, with the name and tag
/// properties from the type's schema.
fn emit_generic(model: &Model) -> TokenStream {
    let specs = model.generic_blocks.iter().map(|block| {
        let cfn_type = block.cfn_type.value();
        let schema = platform_core::cfn_schema::lookup(&cfn_type).expect("checked: a known type");
        let name = string(&block.name.to_string());
        let short_type = string(&check::generic::short_type(&cfn_type));
        let name_property = option(
            schema
                .name_property
                .as_ref()
                .filter(|n| schema.property(n).is_some())
                .map(|n| string(n)),
        );
        let tags = option(schema.tags.as_ref().map(|(property, style)| {
            let property = string(property);
            let style = match style {
                platform_core::catalog::TagStyle::Map => quote!(Map),
                _ => quote!(List),
            };
            quote!((#property, ::platform_core::catalog::TagStyle::#style))
        }));
        let mut properties: Vec<_> = block.properties.iter().collect();
        properties.sort_by_key(|(n, _)| n.to_string());
        let properties = properties.into_iter().map(|(n, v)| {
            let n = string(&n.to_string());
            let v = generic_value(model, v);
            quote!((#n, #v))
        });
        let cfn_type = string(&cfn_type);
        quote! {
            ::platform_core::spec::GenericSpec {
                name: #name,
                cfn_type: #cfn_type,
                short_type: #short_type,
                name_property: #name_property,
                tags: #tags,
                properties: ::std::vec![#(#properties),*],
            }
        }
    });
    quote!(::std::vec![#(#specs),*])
}

/// `override` blocks: one `OverrideSpec` per path, its logical id the
/// declared resource's PascalCase name and the part.
fn emit_overrides(model: &Model) -> TokenStream {
    let specs = model.override_blocks.iter().flat_map(|block| {
        block.entries.iter().map(move |(path, value)| {
            let text = path.value();
            let mut segments = text.split('.');
            let part = segments.next().expect("checked: a part");
            let logical_id = string(&format!(
                "{}{part}",
                naming::pascal_case(&block.name.to_string())
            ));
            let segments = segments.map(string);
            let resource = string(&block.name.to_string());
            let value = generic_value(model, value);
            quote! {
                ::platform_core::spec::OverrideSpec {
                    resource: #resource,
                    logical_id: #logical_id,
                    path: ::std::vec![#(#segments),*],
                    value: #value,
                }
            }
        })
    });
    quote!(::std::vec![#(#specs),*])
}

fn generic_value(model: &Model, value: &crate::ast::GValue) -> TokenStream {
    use crate::ast::GValue;
    let path = quote!(::platform_core::spec::GenericValue);
    match value {
        GValue::Str(s) => {
            let s = owned(s);
            quote!(#path::Str(#s))
        }
        GValue::Int(_, i) => quote!(#path::Int(#i)),
        GValue::Float(lit, f) => {
            let f = f64_tokens(*f, lit);
            quote!(#path::Float(#f))
        }
        GValue::Bool(b) => quote!(#path::Bool(#b)),
        GValue::List(_, items) => {
            let items = items.iter().map(|v| generic_value(model, v));
            quote!(#path::List(::std::vec![#(#items),*]))
        }
        GValue::Map(_, entries) => {
            let entries = entries.iter().map(|(k, v)| {
                let k = string(&k.text());
                let v = generic_value(model, v);
                quote!((#k, #v))
            });
            quote!(#path::Map(::std::vec![#(#entries),*]))
        }
        GValue::ByProfile(_, values) => {
            let values = values.iter().map(|(p, v)| {
                let p = string(&p.to_string());
                let v = generic_value(model, v);
                quote!((#p, #v))
            });
            quote!(#path::ByProfile(::std::vec![#(#values),*]))
        }
        GValue::Attr(resource, attrs) => {
            let attribute = attrs
                .iter()
                .map(Ident::to_string)
                .collect::<Vec<_>>()
                .join(".");
            let name = string(&resource.to_string());
            let attribute = string(&attribute);
            if model.resource(resource).is_some() {
                quote!(#path::Attr(::platform_core::spec::AttrRef {
                    resource: #name,
                    attribute: #attribute,
                }))
            } else {
                quote!(#path::GenericAttr {
                    resource: #name,
                    attribute: #attribute,
                })
            }
        }
    }
}
