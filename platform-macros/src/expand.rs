//! Expansion: parse, resolve, check, and only then emit tokens.
//!
//! The output is one function, `pub fn platform() -> ::platform_core::spec::Platform`,
//! that builds the declared platform with absolute paths only. Expansion
//! trusts the checks and validates nothing itself. On errors it emits them
//! all, plus a placeholder `platform()` of the same type, so that code using
//! the platform does not fail with errors of its own.

use platform_core::naming;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Ident, LitStr};

use crate::ast::{
    Body, BucketBody, Definition, Expiry, FunctionBody, KeyAttribute, KeyBody, ParameterBody,
    PerProfile, PlatformBlock, QueueBody, ResourceBlock, TableBody, TopicBody, Value,
};
use crate::check;
use crate::ctxt::Ctxt;
use crate::model::{Model, defaults};
use platform_core::spec::{KeyType, StreamView};

/// The whole macro: `platform! { ... }` in, `pub fn platform()` out.
pub fn platform(input: TokenStream) -> TokenStream {
    expand(input).unwrap_or_else(fallback)
}

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let definition: Definition = syn::parse2(input)?;
    let model = Model::resolve(&definition);
    let cx = Ctxt::new();
    check::check(&model, &cx);
    cx.check()?;
    Ok(emit(&model))
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
    let resources = model
        .resources
        .iter()
        .map(|resource| emit_resource(platform, resource));
    quote! {
        /// The platform declared with `platform!`.
        pub fn platform() -> ::platform_core::spec::Platform {
            ::platform_core::spec::Platform {
                name: #name,
                regions: ::std::vec![#(#regions),*],
                suffix_max: #suffix_max,
                tags: ::std::vec![#(#tags),*],
                profiles: ::std::vec![#(#profile_names),*],
                resources: ::std::vec![#(#resources),*],
            }
        }
    }
}

fn emit_resource(platform: &PlatformBlock, resource: &ResourceBlock) -> TokenStream {
    let name = resource.name.to_string();
    let profiles = platform.profiles.as_deref().unwrap_or_default();
    let spec = match &resource.body {
        Body::Key(body) => emit_key(&name, body),
        Body::Table(body) => emit_table(body),
        Body::Queue(body) => emit_queue(body, profiles),
        Body::Bucket(body) => emit_bucket(body, profiles),
        Body::Topic(body) => emit_topic(body),
        Body::Parameter(body) => emit_parameter(&name, body),
        Body::Function(body) => emit_function(body, profiles),
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
    let visibility = or_default(&body.visibility, defaults::QUEUE_VISIBILITY_SECS);
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
    let key = required_name(&body.key);
    let never = quote!(::core::option::Option::None);
    let expire = per_profile(&body.expire, profiles, never, |expiry| match expiry {
        Expiry::After(days) => quote!(::core::option::Option::Some(#days)),
        Expiry::Never => quote!(::core::option::Option::None),
    });
    let noncurrent = or_default(&body.noncurrent, defaults::BUCKET_NONCURRENT_DAYS);
    quote! {
        ::platform_core::spec::Spec::Bucket(::platform_core::spec::BucketSpec {
            key: ::core::option::Option::Some(#key),
            access_logs: ::core::option::Option::None,
            expire_days: #expire,
            noncurrent_days: #noncurrent,
        })
    }
}

fn emit_topic(body: &TopicBody) -> TokenStream {
    let key = required_name(&body.key);
    let display_name = option(body.display_name.as_ref().map(owned));
    quote! {
        ::platform_core::spec::Spec::Topic(::platform_core::spec::TopicSpec {
            key: #key,
            display_name: #display_name,
        })
    }
}

fn emit_parameter(name: &str, body: &ParameterBody) -> TokenStream {
    let value = value(body.value.as_ref().expect("checked: value declared"));
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
    let timeout = or_default(&body.timeout, defaults::FUNCTION_TIMEOUT_SECS);
    let logs = or_default(&body.logs, defaults::FUNCTION_LOG_DAYS);
    let key = required_name(&body.key);
    let env = body.env.iter().map(|(var, source)| {
        let var = string(&var.to_string());
        let source = value(source);
        quote!((#var, #source))
    });
    let grants = body.grants.iter().map(|(target, access)| {
        let target = string(&target.to_string());
        let access = string(&access.to_string());
        quote!(::platform_core::spec::Grant { resource: #target, access: #access })
    });
    let trigger = option(body.trigger.as_ref().map(|trigger| {
        let queue = string(&trigger.queue.to_string());
        let batch = or_default(&trigger.batch, defaults::TRIGGER_BATCH);
        let window = or_default(&trigger.window, defaults::TRIGGER_WINDOW_SECS);
        quote! {
            ::platform_core::spec::Trigger {
                queue: #queue,
                batch_size: #batch,
                max_batching_window_secs: #window,
            }
        }
    }));
    quote! {
        ::platform_core::spec::Spec::Function(::platform_core::spec::FunctionSpec {
            code: ::std::string::String::from(::core::concat!(
                ::core::env!("CARGO_MANIFEST_DIR"), "/", #code
            )),
            handler: #handler,
            memory_mb: #memory,
            timeout_secs: #timeout,
            log_retention_days: #logs,
            key: #key,
            env: ::std::vec![#(#env),*],
            grants: ::std::vec![#(#grants),*],
            trigger: #trigger,
            network: ::core::option::Option::None,
            reserved_concurrency: ::platform_core::spec::PerProfile::Same(::core::option::Option::None),
            dead_letter: ::core::option::Option::None,
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

fn required_name(name: &Option<Ident>) -> TokenStream {
    string(
        &name
            .as_ref()
            .expect("checked: required field declared")
            .to_string(),
    )
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
