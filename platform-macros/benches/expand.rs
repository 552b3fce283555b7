//! `platform!` expansion, timed in-process: parse, resolve, check and emit,
//! on the trading platform's definition and on generated definitions of
//! 100 and 1,000 resources. Prints a Markdown table.
//!
//! A proc-macro crate exports nothing but its macros, so this benchmark
//! compiles the macro's modules into itself (`#[path]`) and calls
//! `expand_in` directly, as the unit tests do; `proc_macro2` runs on its
//! fallback implementation outside the compiler, which is what a unit test
//! sees too. `--print-generated N` prints a generated definition of `N`
//! resources instead, for compiling it with cargo.

// The macro's modules are compiled here for one entry point; what only the
// proc macro or the unit tests use is unused.
#![allow(dead_code, unused_imports)]

#[path = "../src/ast/mod.rs"]
mod ast;
#[path = "../src/check/mod.rs"]
mod check;
#[path = "../src/ctxt.rs"]
mod ctxt;
#[path = "../src/expand.rs"]
mod expand;
#[path = "../src/handler_code.rs"]
mod handler_code;
#[path = "../src/json.rs"]
mod json;
#[path = "../src/model.rs"]
mod model;
#[path = "../src/rules.rs"]
mod rules;
#[path = "../src/suggest.rs"]
mod suggest;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use proc_macro2::{TokenStream, TokenTree};

/// The tokens inside `platform_macros::platform! { ... }` of a source file.
fn macro_input(source: &str) -> TokenStream {
    let tokens: Vec<TokenTree> = TokenStream::from_str(source)
        .expect("the definition lexes")
        .into_iter()
        .collect();
    tokens
        .windows(3)
        .find_map(|w| match w {
            [
                TokenTree::Ident(name),
                TokenTree::Punct(bang),
                TokenTree::Group(body),
            ] if name == "platform" && bang.as_char() == '!' => Some(body.stream()),
            _ => None,
        })
        .expect("a platform! { ... } invocation")
}

/// A definition of `n` resources: a key, then cells of ten shaped like
/// `platform_core::generate` builds them.
fn generated_definition(n: usize) -> String {
    let mut s = String::from(
        "platform_macros::platform! {\n    platform generated {\n        regions: [us_east_1],\n        suffix: max 8,\n        profiles: [dev, prod],\n        tags: { Project: \"generated\" },\n    }\n    key data { description: \"Generated platform data at rest\", rotation: on }\n",
    );
    let mut count = 1;
    let mut cell = 0;
    while count < n {
        let c = format!("c{cell:05}");
        let blocks = [
            format!("queue {c}_dlq {{ retention: 14d, key: data }}"),
            format!(
                "queue {c}_orders {{ visibility: 180s, retention: profile(dev: 4d, prod: 13d), dead_letter: {c}_dlq after 5, key: data }}"
            ),
            format!("table {c}_sessions {{ partition: id: string, ttl: expires_at, key: data }}"),
            format!("bucket {c}_archive {{ key: data, expire: 90d, noncurrent: 30d }}"),
            format!("topic {c}_alerts {{ key: data, subscribe: email \"oncall@example.com\" }}"),
            // The stub handler: it imports no SDK, so its grants stand for
            // code not written (`grant-unused`), as in the tests' platforms.
            format!(
                "function {c}_worker {{ code: \"../platform-core/tests/fixtures/handler\", memory: profile(dev: 256, prod: 1024), timeout: 30s, logs: profile(dev: 30d, prod: 365d), key: data, trigger: {c}_orders {{ batch: 10 }}, dead_letter: {c}_dlq, env: {{ TABLE: {c}_sessions.name, ARCHIVE: {c}_archive.name, ALERTS: {c}_alerts.arn }}, grants: {{ {c}_sessions: read_write, {c}_archive: write, {c}_alerts: publish }} }}"
            ),
            format!(
                "parameter {c}_table_name {{ value: {c}_sessions.name, description: \"Table of cell {cell}\" }}"
            ),
            format!(
                "alarm {c}_errors {{ metric: {c}_worker.errors, above: 0, period: 60s, evaluations: 5, datapoints: 3, notify: {c}_alerts }}"
            ),
            format!(
                "log_group {c}_audit {{ retention: profile(dev: 90d, prod: 365d), key: data }}"
            ),
            format!(
                "rule {c}_schedule {{ schedule: \"rate(1 hour)\", targets: [{c}_worker], dead_letter: {c}_dlq }}"
            ),
        ];
        for block in blocks.iter().take(n - count) {
            writeln!(s, "    {block}").unwrap();
            count += 1;
        }
        cell += 1;
    }
    s.push_str("}\n");
    s
}

/// `input` without its `resource` and `override` blocks: the definition as
/// it would be without the schema tables' work.
fn without_schema_blocks(input: &TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let skip = match &tokens[i] {
            TokenTree::Ident(word) if word == "resource" => 5,
            TokenTree::Ident(word) if word == "override" => 3,
            _ => 0,
        };
        if skip == 0 {
            out.push(tokens[i].clone());
            i += 1;
        } else {
            i += skip;
        }
    }
    out.into_iter().collect()
}

/// The trading platform's header and `n` `resource` blocks over a few
/// types, each read by the schema check.
fn generic_definition(n: usize) -> String {
    let mut s = String::from(
        "platform_macros::platform! {\n    platform generated {\n        regions: [us_east_1],\n        suffix: max 8,\n        profiles: [dev, prod],\n    }\n    key data { description: \"Generated platform data at rest\", rotation: on }\n    bus events { key: data }\n",
    );
    for i in 0..n {
        let block = match i % 4 {
            0 => format!(
                "resource r{i:04}: \"AWS::Events::Archive\" {{ SourceArn: events.arn, RetentionDays: profile(dev: 7, prod: 365), ArchiveName: \"a{i}\" }}"
            ),
            1 => format!(
                "resource r{i:04}: \"AWS::SQS::Queue\" {{ DelaySeconds: 5, VisibilityTimeout: 60, KmsMasterKeyId: data.arn }}"
            ),
            2 => format!(
                "resource r{i:04}: \"AWS::SSM::Parameter\" {{ Type: \"String\", Value: \"v{i}\" }}"
            ),
            _ => format!(
                "resource r{i:04}: \"AWS::Logs::LogGroup\" {{ RetentionInDays: 30, KmsKeyId: data.arn }}"
            ),
        };
        writeln!(s, "    {block}").unwrap();
    }
    s.push_str("}\n");
    s
}

struct Timing {
    parse: Duration,
    resolve_check: Duration,
    emit: Duration,
    total: Duration,
    output_bytes: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Each phase's median over `runs`, and the size of the emitted code.
fn time_phases(input: &TokenStream, manifest_dir: &Path, runs: usize) -> Timing {
    let (mut parse, mut check, mut emit, mut total) = (vec![], vec![], vec![], vec![]);
    let mut output_bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let definition: ast::Definition =
            syn::parse2(input.clone()).expect("the definition parses");
        let parsed = Instant::now();
        let model = model::Model::resolve(&definition, manifest_dir.to_path_buf());
        let cx = ctxt::Ctxt::new();
        check::check(&model, &cx);
        if let Err(e) = cx.check() {
            panic!("the definition breaks a rule: {e}");
        }
        let checked = Instant::now();
        // The whole entry point, as the compiler calls it; emitting is what
        // it spends beyond parsing and checking.
        let out = expand::expand_in(input.clone(), manifest_dir.to_path_buf())
            .expect("the definition expands");
        let whole = checked.elapsed();
        output_bytes = out.to_string().len();
        parse.push(parsed - start);
        check.push(checked - parsed);
        emit.push(whole.saturating_sub(checked - start));
        total.push(whole);
    }
    Timing {
        parse: median(parse),
        resolve_check: median(check),
        emit: median(emit),
        total: median(total),
        output_bytes,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--print-generated") {
        let n = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("--print-generated N");
        print!("{}", generated_definition(n));
        return;
    }
    let runs = 11;
    let def_dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../platform-def");
    let real = std::fs::read_to_string(def_dir.join("src/lib.rs")).expect("platform-def source");
    let real_input = macro_input(&real);
    let cold = Instant::now();
    let archive = platform_core::cfn_schema::lookup("AWS::Events::Archive");
    let first_lookup = cold.elapsed();
    let warm = Instant::now();
    let _ = platform_core::cfn_schema::lookup("AWS::Lambda::Function");
    let next_lookup = warm.elapsed();
    assert!(archive.is_some());
    let cases = [
        (
            "trading platform, without `resource` and `override` blocks".to_owned(),
            without_schema_blocks(&real_input),
        ),
        ("trading platform".to_owned(), real_input),
        (
            "100 `resource` blocks of 4 types".to_owned(),
            macro_input(&generic_definition(100)),
        ),
        (
            "generated, 100 resources".to_owned(),
            macro_input(&generated_definition(100)),
        ),
        (
            "generated, 1,000 resources".to_owned(),
            macro_input(&generated_definition(1_000)),
        ),
    ];
    println!(
        "`platform!` expansion in-process (median of {runs}; proc-macro2 fallback, optimized build):"
    );
    println!();
    println!(
        "| definition | input tokens | parse ms | resolve + check ms | emit ms | whole macro ms | emitted code bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, input) in &cases {
        let tokens = count_tokens(input.clone());
        let t = time_phases(input, &def_dir, runs);
        println!(
            "| {name} | {tokens} | {} | {} | {} | {} | {} |",
            ms(t.parse),
            ms(t.resolve_check),
            ms(t.emit),
            ms(t.total),
            t.output_bytes
        );
    }
    println!();
    println!(
        "CloudFormation schema table: {} bytes, {} types; first lookup (indexing the lines, parsing one) {} ms, a further lookup {} ms.",
        platform_core::cfn_schema::TABLE.len(),
        platform_core::cfn_schema::type_names().count(),
        ms(first_lookup),
        ms(next_lookup)
    );
    println!();
}

fn count_tokens(stream: TokenStream) -> usize {
    stream
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => 2 + count_tokens(g.stream()),
            _ => 1,
        })
        .sum()
}
