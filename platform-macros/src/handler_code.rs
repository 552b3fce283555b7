//! What a function's handler code asks of AWS: every AWS SDK v3 command it
//! can send (`new GetItemCommand(..)` imported from `@aws-sdk/client-*`,
//! `lib-dynamodb`'s document commands), as IAM actions, with the
//! environment variables that name the resource each one acts on
//! (`TableName: env.SESSIONS_TABLE`). `grant-code` and `grant-unused`
//! compare this with the function's grants.
//!
//! The JavaScript is parsed with oxc's parser. The reading is static and
//! deliberately simple: a command counts wherever its class is referenced
//! (a handler may pass the class on, as `revoke(RevokeSecurityGroupIngressCommand)`
//! does), and its resource is whatever environment variable its argument
//! mentions, directly or through a variable declared in the same file
//! (`new TransactWriteItemsCommand(transaction)`). Files are followed
//! through relative imports, as the function's zip lays them out: the
//! `code:` directory at the root, each `include:` directory under its prefix.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, BindingPatternKind, ComputedMemberExpression, ExportAllDeclaration,
    ExportNamedDeclaration, Expression, IdentifierReference, ImportDeclaration,
    ImportDeclarationSpecifier, NewExpression, ObjectPropertyKind, PropertyKey,
    StaticMemberExpression, VariableDeclarator,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::SourceType;

/// One IAM action the code needs, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// `dynamodb:UpdateItem`.
    pub action: String,
    /// The SDK command that needs it (`TransactWriteItemsCommand`).
    pub command: String,
    /// Environment variables its request mentions (`SESSIONS_TABLE`);
    /// empty when the resource comes from elsewhere (a parameter).
    pub env: BTreeSet<String>,
    /// The call site, relative to the crate's directory.
    pub file: String,
    /// 1-based line of the call site.
    pub line: usize,
}

/// A function's code, read.
#[derive(Debug, Default)]
pub struct Code {
    pub uses: Vec<Use>,
    /// Every file read, relative to the crate's directory, so that the
    /// expansion can make cargo rebuild when one changes.
    pub files: Vec<String>,
    /// The same files by their paths in the function's zip (`lib/db.mjs`),
    /// the handler's first, in the order they were read.
    pub zip_files: Vec<String>,
    /// Files that do not parse: `(file, message)`.
    pub errors: Vec<(String, String)>,
    /// Whether any file imports an AWS SDK package: code that imports none
    /// is a placeholder (a test's stub handler), whose grants stand for
    /// code not written yet.
    pub uses_sdk: bool,
}

/// The IAM service prefix of each AWS SDK v3 client package whose
/// commands the platform's kinds can grant, as the service's API names it
/// (`@aws-sdk/client-eventbridge` is `events`).
pub const CLIENT_SERVICES: &[(&str, &str)] = &[
    ("@aws-sdk/client-cloudwatch", "cloudwatch"),
    ("@aws-sdk/client-cloudwatch-logs", "logs"),
    ("@aws-sdk/client-dynamodb", "dynamodb"),
    ("@aws-sdk/client-ec2", "ec2"),
    ("@aws-sdk/client-eventbridge", "events"),
    ("@aws-sdk/client-kms", "kms"),
    ("@aws-sdk/client-lambda", "lambda"),
    ("@aws-sdk/client-rds", "rds"),
    ("@aws-sdk/client-s3", "s3"),
    ("@aws-sdk/client-secrets-manager", "secretsmanager"),
    ("@aws-sdk/client-sns", "sns"),
    ("@aws-sdk/client-sqs", "sqs"),
    ("@aws-sdk/client-ssm", "ssm"),
    ("@aws-sdk/client-sts", "sts"),
    ("@aws-sdk/lib-dynamodb", "dynamodb"),
];

/// Commands whose IAM action is not the command's name.
const RENAMED: &[(&str, &str, &str)] = &[
    // `lib-dynamodb`'s document commands.
    ("@aws-sdk/lib-dynamodb", "Get", "GetItem"),
    ("@aws-sdk/lib-dynamodb", "Put", "PutItem"),
    ("@aws-sdk/lib-dynamodb", "Update", "UpdateItem"),
    ("@aws-sdk/lib-dynamodb", "Delete", "DeleteItem"),
    ("@aws-sdk/lib-dynamodb", "BatchGet", "BatchGetItem"),
    ("@aws-sdk/lib-dynamodb", "BatchWrite", "BatchWriteItem"),
    ("@aws-sdk/client-lambda", "Invoke", "InvokeFunction"),
    // S3's API operations that IAM authorizes under another action.
    ("@aws-sdk/client-s3", "HeadObject", "GetObject"),
    ("@aws-sdk/client-s3", "ListObjectsV2", "ListBucket"),
    ("@aws-sdk/client-s3", "ListObjects", "ListBucket"),
    ("@aws-sdk/client-s3", "HeadBucket", "ListBucket"),
];

/// DynamoDB's transactions: IAM authorizes each item's operation.
const TRANSACT_ITEMS: &[(&str, &str)] = &[
    ("Put", "PutItem"),
    ("Update", "UpdateItem"),
    ("Delete", "DeleteItem"),
    ("ConditionCheck", "ConditionCheckItem"),
    ("Get", "GetItem"),
];

/// The IAM action of `command` (without `Command`) from `package`.
pub fn action_of(package: &str, command: &str) -> Option<String> {
    let service = CLIENT_SERVICES
        .iter()
        .find(|(p, _)| *p == package)
        .map(|(_, s)| *s)?;
    let action = RENAMED
        .iter()
        .find(|(p, c, _)| *p == package && *c == command)
        .map_or(command, |(_, _, a)| *a);
    Some(format!("{service}:{action}"))
}

/// One file, read: its uses, its imports, or why it does not parse.
#[derive(Debug, Default, Clone)]
pub struct FileRead {
    uses: Vec<Use>,
    imports: Vec<String>,
    error: Option<String>,
}

/// Files already read, by path relative to the crate's directory: shared
/// code is parsed once for every function that includes it.
pub type Cache = HashMap<PathBuf, Option<FileRead>>;

/// Reads the handler code of a function whose `code:` directory is
/// `code` and whose `include:` maps prefixes to directories, all relative
/// to `manifest_dir`. `entry` is the handler's file (`index.mjs`).
pub fn read(
    manifest_dir: &Path,
    code: &str,
    include: &[(String, String)],
    entry: &str,
    cache: &mut Cache,
) -> Code {
    let mut out = Code::default();
    let mut pending = vec![PathBuf::from(entry)];
    let mut seen = BTreeSet::new();
    while let Some(zip_path) = pending.pop() {
        if !seen.insert(zip_path.clone()) {
            continue;
        }
        let real = on_disk(code, include, &zip_path);
        let shown = real.to_string_lossy().replace('\\', "/");
        let read = cache.entry(real.clone()).or_insert_with(|| {
            let source = std::fs::read_to_string(manifest_dir.join(&real)).ok()?;
            Some(read_file(&source, &shown))
        });
        let Some(read) = read else {
            continue;
        };
        out.files.push(shown.clone());
        out.zip_files
            .push(zip_path.to_string_lossy().replace('\\', "/"));
        out.uses.extend(read.uses.iter().cloned());
        if let Some(error) = &read.error {
            out.errors.push((shown, error.clone()));
        }
        for import in &read.imports {
            out.uses_sdk |= import.starts_with("@aws-sdk/");
            if let Some(next) = relative(&zip_path, import) {
                pending.push(next);
            }
        }
    }
    out.files.sort();
    out
}

/// Where a file of the zip comes from, relative to the crate's directory.
fn on_disk(code: &str, include: &[(String, String)], zip_path: &Path) -> PathBuf {
    for (prefix, dir) in include {
        if let Ok(rest) = zip_path.strip_prefix(prefix) {
            return Path::new(dir).join(rest);
        }
    }
    Path::new(code).join(zip_path)
}

/// The zip path `import` names from the file at `from`, for relative
/// JavaScript imports only (packages are not the platform's code).
fn relative(from: &Path, import: &str) -> Option<PathBuf> {
    if !(import.starts_with("./") || import.starts_with("../")) {
        return None;
    }
    if !(import.ends_with(".mjs") || import.ends_with(".js")) {
        return None;
    }
    let mut parts: Vec<String> = from
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for c in Path::new(import).components() {
        match c {
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            // Leaving the zip is not a file of the function.
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => {}
        }
    }
    Some(parts.iter().collect())
}

/// Parses one file: its uses and its imports.
fn read_file(source: &str, shown: &str) -> FileRead {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::mjs()).parse();
    if parsed.panicked || !parsed.errors.is_empty() {
        let message = parsed
            .errors
            .first()
            .map_or_else(|| "it does not parse".to_owned(), |e| e.to_string());
        return FileRead {
            error: Some(message),
            ..FileRead::default()
        };
    }
    // First the bindings (imports, declared objects), then the uses.
    let mut bindings = Bindings::default();
    bindings.visit_program(&parsed.program);
    let mut finder = Finder {
        bindings: &bindings,
        source,
        file: shown,
        uses: Vec::new(),
        callees: BTreeSet::new(),
    };
    finder.visit_program(&parsed.program);
    FileRead {
        uses: finder.uses,
        imports: bindings.imports,
        error: None,
    }
}

/// What a request object mentions: environment variable names (any
/// `x.NAME` or `x["NAME"]`) and, for transactions, each item's operation
/// with the names under it.
#[derive(Debug, Default, Clone)]
struct Mentions {
    env: BTreeSet<String>,
    transact: Vec<(&'static str, BTreeSet<String>)>,
}

fn mentions(expr: &Expression<'_>, declared: &HashMap<String, Mentions>) -> Mentions {
    let mut names = Names {
        declared,
        names: BTreeSet::new(),
    };
    names.visit_expression(expr);
    let mut out = Mentions {
        env: names.names,
        transact: Vec::new(),
    };
    transact_items(expr, declared, &mut out.transact);
    if let Expression::Identifier(id) = expr {
        if let Some(known) = declared.get(id.name.as_str()) {
            out.transact.extend(known.transact.iter().cloned());
        }
    }
    out
}

/// `{ TransactItems: [{ Put: {..} }, ..] }`: each item's operation.
fn transact_items(
    expr: &Expression<'_>,
    declared: &HashMap<String, Mentions>,
    out: &mut Vec<(&'static str, BTreeSet<String>)>,
) {
    let Expression::ObjectExpression(object) = expr else {
        return;
    };
    for property in &object.properties {
        let ObjectPropertyKind::ObjectProperty(property) = property else {
            continue;
        };
        if key_name(&property.key) != Some("TransactItems") {
            continue;
        }
        let Expression::ArrayExpression(items) = &property.value else {
            continue;
        };
        for item in &items.elements {
            let Some(Expression::ObjectExpression(item)) = item.as_expression() else {
                continue;
            };
            for op in &item.properties {
                let ObjectPropertyKind::ObjectProperty(op) = op else {
                    continue;
                };
                let Some(action) = key_name(&op.key)
                    .and_then(|k| TRANSACT_ITEMS.iter().find(|(name, _)| *name == k))
                    .map(|(_, action)| *action)
                else {
                    continue;
                };
                let mut names = Names {
                    declared,
                    names: BTreeSet::new(),
                };
                names.visit_expression(&op.value);
                out.push((action, names.names));
            }
        }
    }
}

fn key_name<'b>(key: &'b PropertyKey<'_>) -> Option<&'b str> {
    match key {
        PropertyKey::StaticIdentifier(id) => Some(id.name.as_str()),
        PropertyKey::StringLiteral(s) => Some(s.value.as_str()),
        _ => None,
    }
}

/// Whether `name` reads like an environment variable (`SESSIONS_TABLE`).
fn env_like(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Collects `x.NAME` / `x["NAME"]`, and what declared variables mention.
struct Names<'d> {
    declared: &'d HashMap<String, Mentions>,
    names: BTreeSet<String>,
}

impl<'a> Visit<'a> for Names<'_> {
    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if env_like(&it.property.name) {
            self.names.insert(it.property.name.to_string());
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_computed_member_expression(&mut self, it: &ComputedMemberExpression<'a>) {
        if let Expression::StringLiteral(s) = &it.expression {
            if env_like(&s.value) {
                self.names.insert(s.value.to_string());
            }
        }
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if let Some(known) = self.declared.get(it.name.as_str()) {
            self.names.extend(known.env.iter().cloned());
        }
    }
}

/// A file's imports: SDK commands by local name, relative imports, and
/// what each declared variable's initializer mentions.
#[derive(Default)]
struct Bindings {
    /// Local name → (package, command name without `Command`).
    commands: HashMap<String, (String, String)>,
    imports: Vec<String>,
    declared: HashMap<String, Mentions>,
}

impl<'a> Visit<'a> for Bindings {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let package = it.source.value.as_str();
        self.imports.push(package.to_owned());
        if !CLIENT_SERVICES.iter().any(|(p, _)| *p == package) {
            return;
        }
        for specifier in it.specifiers.iter().flatten() {
            let ImportDeclarationSpecifier::ImportSpecifier(s) = specifier else {
                continue;
            };
            let imported = s.imported.name();
            if let Some(command) = imported.strip_suffix("Command") {
                self.commands.insert(
                    s.local.name.to_string(),
                    (package.to_owned(), command.to_owned()),
                );
            }
        }
    }

    fn visit_export_named_declaration(&mut self, it: &ExportNamedDeclaration<'a>) {
        if let Some(source) = &it.source {
            self.imports.push(source.value.to_string());
        }
        walk::walk_export_named_declaration(self, it);
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        self.imports.push(it.source.value.to_string());
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPatternKind::BindingIdentifier(id), Some(init)) = (&it.id.kind, &it.init) {
            let found = mentions(init, &self.declared);
            self.declared.insert(id.name.to_string(), found);
        }
        walk::walk_variable_declarator(self, it);
    }
}

/// Finds every reference to an imported command.
struct Finder<'b> {
    bindings: &'b Bindings,
    source: &'b str,
    file: &'b str,
    uses: Vec<Use>,
    /// Callees of `new` already recorded, by offset.
    callees: BTreeSet<u32>,
}

impl Finder<'_> {
    fn line(&self, offset: u32) -> usize {
        let end = (offset as usize).min(self.source.len());
        self.source[..end].bytes().filter(|b| *b == b'\n').count() + 1
    }

    fn record(&mut self, local: &str, offset: u32, found: Mentions) {
        let Some((package, command)) = self.bindings.commands.get(local) else {
            return;
        };
        let line = self.line(offset);
        let mut push = |action: String, env: BTreeSet<String>| {
            self.uses.push(Use {
                action,
                command: format!("{command}Command"),
                env,
                file: self.file.to_owned(),
                line,
            });
        };
        let transaction = package == "@aws-sdk/client-dynamodb"
            && (command == "TransactWriteItems" || command == "TransactGetItems")
            || package == "@aws-sdk/lib-dynamodb"
                && (command == "TransactWrite" || command == "TransactGet");
        if transaction {
            // IAM has no action for the transaction itself: each item's.
            for (action, env) in found.transact {
                push(format!("dynamodb:{action}"), env);
            }
            return;
        }
        if let Some(action) = action_of(package, command) {
            push(action, found.env);
        }
    }
}

impl<'a> Visit<'a> for Finder<'_> {
    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        if let Expression::Identifier(callee) = &it.callee {
            if self.bindings.commands.contains_key(callee.name.as_str()) {
                let mut found = Mentions::default();
                for argument in &it.arguments {
                    if let Some(expr) = argument_expression(argument) {
                        let m = mentions(expr, &self.bindings.declared);
                        found.env.extend(m.env);
                        found.transact.extend(m.transact);
                    }
                }
                self.callees.insert(callee.span.start);
                self.record(&callee.name, it.span.start, found);
            }
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        // A class passed on (`revoke(RevokeSecurityGroupIngressCommand, ..)`)
        // is sent elsewhere, with a request this file does not show.
        if !self.callees.contains(&it.span.start) {
            self.record(&it.name, it.span.start, Mentions::default());
        }
    }
}

fn argument_expression<'b, 'a>(argument: &'b Argument<'a>) -> Option<&'b Expression<'a>> {
    argument.as_expression()
}
