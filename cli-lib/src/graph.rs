//! `tp graph`: the platform as a diagram, so a reviewer sees the
//! architecture and who may touch what.
//!
//! Nodes are declared resources, grouped by network placement (a network
//! with the functions and databases inside it; everything else by layer) or
//! by kind. Arrows are references: grants labelled with their access level
//! (`read_write`, `send`), and the other references labelled with what they
//! are (`trigger`, `env`, `dead letter`, `notifies`). References to KMS keys
//! are dotted, since almost everything has one. Output is Mermaid (for
//! Markdown) or Graphviz DOT, and SVG through Graphviz's `dot`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;

use platform_core::catalog::Kind;
use platform_core::spec::{
    GenericSpec, GenericValue, Platform, Resource, Spec, TargetRef, ValueSource,
};

/// Exit code of `tp graph --format svg` when Graphviz is not installed.
pub const EXIT_DOT_MISSING: u8 = crate::exit::TOOL_MISSING;

/// What `tp graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
    Svg,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "mermaid" => Ok(Format::Mermaid),
            "dot" => Ok(Format::Dot),
            "svg" => Ok(Format::Svg),
            _ => Err(format!("`{s}` is not one of mermaid, dot, svg")),
        }
    }
}

/// How nodes are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Each network with what runs inside it; the rest by layer.
    Network,
    /// One group per kind.
    Kind,
}

impl FromStr for Grouping {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "network" => Ok(Grouping::Network),
            "kind" => Ok(Grouping::Kind),
            _ => Err(format!("`{s}` is not one of network, kind")),
        }
    }
}

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Style {
    /// A grant: the label is the access level.
    Grant,
    /// Any other reference.
    Reference,
    /// Encryption by a KMS key.
    Key,
}

/// One arrow: `from` refers to `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub style: Style,
}

/// The graph of a platform: groups of nodes, and arrows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub title: String,
    /// Group label -> member resource names, in declaration order.
    pub groups: Vec<(String, Vec<String>)>,
    /// Resource name -> its kind's keyword.
    pub kinds: BTreeMap<String, &'static str>,
    /// Sorted and without duplicates.
    pub edges: Vec<Edge>,
}

/// The references of one resource, labelled.
fn edges_of(resource: &Resource) -> Vec<Edge> {
    let mut out = Vec::new();
    let mut add = |to: &str, label: &str, style: Style| {
        out.push(Edge {
            from: resource.name.clone(),
            to: to.to_owned(),
            label: label.to_owned(),
            style,
        })
    };
    // The bootstrap's key (`key: bootstrap`) is no declared resource: no node.
    let key = |add: &mut dyn FnMut(&str, &str, Style), key: &str| {
        if key != platform_core::spec::BOOTSTRAP_KEY {
            add(key, "key", Style::Key)
        }
    };
    match &resource.spec {
        Spec::Key(_) | Spec::Bus(_) => {}
        Spec::Table(t) => key(&mut add, &t.key),
        Spec::Queue(q) => {
            key(&mut add, &q.key);
            if let Some(d) = &q.dead_letter {
                add(&d.queue, "dead letter", Style::Reference);
            }
        }
        Spec::Bucket(b) => {
            if let Some(k) = &b.key {
                key(&mut add, k);
            }
            if let Some(logs) = &b.access_logs {
                add(logs, "access logs", Style::Reference);
            }
        }
        Spec::Topic(t) => {
            key(&mut add, &t.key);
            let lists: Vec<&Vec<platform_core::spec::Subscriber>> = match &t.subscribers {
                platform_core::spec::PerProfile::Same(list) => vec![list],
                platform_core::spec::PerProfile::ByProfile(values) => {
                    values.iter().map(|(_, list)| list).collect()
                }
            };
            for subscriber in lists.into_iter().flatten() {
                if let platform_core::spec::Subscriber::Sqs { queue, .. } = subscriber {
                    add(queue, "delivers", Style::Reference);
                }
            }
        }
        Spec::Parameter(p) => {
            for value in p.value.values() {
                if let ValueSource::Attr(a) = value {
                    add(&a.resource, &a.attribute, Style::Reference);
                }
            }
        }
        Spec::Function(f) => {
            key(&mut add, &f.key);
            for g in &f.grants {
                add(&g.resource, &g.access, Style::Grant);
            }
            if let Some(t) = &f.trigger {
                add(&t.queue, "trigger", Style::Reference);
            }
            if let Some(n) = &f.network {
                add(n, "runs in", Style::Reference);
            }
            if let Some(d) = &f.dead_letter {
                add(d, "dead letter", Style::Reference);
            }
        }
        Spec::Network(n) => key(&mut add, &n.key),
        Spec::Aurora(a) => {
            key(&mut add, &a.key);
            add(&a.network, "runs in", Style::Reference);
        }
        Spec::DbUser(u) => {
            key(&mut add, &u.key);
            add(&u.cluster, "user of", Style::Reference);
        }
        Spec::Api(a) => {
            key(&mut add, &a.key);
            for route in &a.routes {
                add(
                    &route.function,
                    &format!("{} {}", route.method, route.path),
                    Style::Reference,
                );
            }
            if let Some(domain) = &a.domain {
                add(&domain.zone, "served in", Style::Reference);
            }
        }
        Spec::Rule(r) => {
            if let Some(bus) = &r.bus {
                add(bus, "listens", Style::Reference);
            }
            for t in &r.targets {
                let (TargetRef::Function(to) | TargetRef::LogGroup(to)) = t;
                add(to, "target", Style::Reference);
            }
            add(&r.dead_letter, "dead letter", Style::Reference);
            if let Some(topic) = &r.notify {
                add(topic, "not running", Style::Reference);
            }
        }
        Spec::LogGroup(l) => key(&mut add, &l.key),
        Spec::Alarm(a) => {
            add(&a.metric.resource, &a.metric.metric, Style::Reference);
            add(&a.notify, "notifies", Style::Reference);
        }
        Spec::HealthCheck(h) => add(&h.api, "checks", Style::Reference),
        Spec::Zone(_) => {}
        Spec::Dashboard(d) => {
            let sections = d.sections.iter().flat_map(|s| &s.metrics);
            for m in d.metrics.iter().chain(sections) {
                add(&m.resource, "shows", Style::Reference);
            }
        }
    }
    out
}

/// The references of one `resource` block, labelled with the property
/// that makes them.
fn generic_edges(spec: &GenericSpec) -> Vec<Edge> {
    fn walk(value: &GenericValue, out: &mut Vec<String>) {
        match value {
            GenericValue::Attr(a) => out.push(a.resource.clone()),
            GenericValue::GenericAttr { resource, .. } => out.push(resource.clone()),
            GenericValue::List(items) => items.iter().for_each(|v| walk(v, out)),
            GenericValue::Map(entries) | GenericValue::ByProfile(entries) => {
                entries.iter().for_each(|(_, v)| walk(v, out))
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (property, value) in &spec.properties {
        let mut targets = Vec::new();
        walk(value, &mut targets);
        for to in targets {
            out.push(Edge {
                from: spec.name.clone(),
                to,
                label: property.clone(),
                style: Style::Reference,
            });
        }
    }
    out
}

/// The layer a kind is drawn in when grouping by network placement.
fn layer(kind: Kind) -> &'static str {
    match kind {
        Kind::Key => "security",
        Kind::Network => "network",
        Kind::Table | Kind::Queue | Kind::Bucket | Kind::Topic | Kind::Aurora | Kind::DbUser => {
            "data"
        }
        Kind::Bus | Kind::Rule | Kind::LogGroup => "events",
        Kind::Function | Kind::Api => "compute",
        Kind::Parameter => "configuration",
        Kind::Alarm | Kind::HealthCheck | Kind::Dashboard => "monitoring",
        Kind::Zone => "network",
    }
}

/// The network a resource runs in, if any.
fn placement(resource: &Resource) -> Option<&str> {
    match &resource.spec {
        Spec::Function(f) => f.network.as_deref(),
        Spec::Aurora(a) => Some(&a.network),
        Spec::Network(_) => Some(&resource.name),
        _ => None,
    }
}

impl Graph {
    pub fn new(platform: &Platform, grouping: Grouping) -> Self {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut push =
            |group: String, name: &str| match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, members)) => members.push(name.to_owned()),
                None => groups.push((group, vec![name.to_owned()])),
            };
        for r in &platform.resources {
            let kind = r.spec.kind().info().keyword;
            let group = match (grouping, placement(r)) {
                (Grouping::Network, Some(network)) => format!("network {network}"),
                (Grouping::Network, None) => layer(r.spec.kind()).to_owned(),
                (Grouping::Kind, _) => kind.to_owned(),
            };
            push(group, &r.name);
        }
        for g in &platform.generic {
            let group = match grouping {
                Grouping::Network => "resources".to_owned(),
                Grouping::Kind => g.cfn_type.clone(),
            };
            push(group, &g.name);
        }
        let mut edges: Vec<Edge> = platform
            .resources
            .iter()
            .flat_map(edges_of)
            .chain(platform.generic.iter().flat_map(generic_edges))
            // A function's `runs in` is already said by its group.
            .filter(|e| !(grouping == Grouping::Network && e.label == "runs in"))
            .collect();
        edges.sort();
        edges.dedup();
        Graph {
            title: platform.name.clone(),
            groups,
            kinds: platform
                .resources
                .iter()
                .map(|r| (r.name.clone(), r.spec.kind().info().keyword))
                .chain(
                    platform
                        .generic
                        .iter()
                        .map(|g| (g.name.clone(), "resource")),
                )
                .collect(),
            edges,
        }
    }

    /// A Mermaid flowchart, for Markdown.
    pub fn mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for (i, (group, members)) in self.groups.iter().enumerate() {
            writeln!(s, "  subgraph g{i}[\"{group}\"]").unwrap();
            for m in members {
                writeln!(s, "    {}[\"{} {m}\"]", node_id(m), self.kinds[m]).unwrap();
            }
            s.push_str("  end\n");
        }
        for e in &self.edges {
            let arrow = match e.style {
                Style::Grant => "==>",
                Style::Reference => "-->",
                Style::Key => "-.->",
            };
            writeln!(
                s,
                "  {} {arrow}|\"{}\"| {}",
                node_id(&e.from),
                e.label.replace('"', "'"),
                node_id(&e.to)
            )
            .unwrap();
        }
        s
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut s = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
            self.title
        );
        for (i, (group, members)) in self.groups.iter().enumerate() {
            writeln!(s, "  subgraph cluster_{i} {{\n    label=\"{group}\";").unwrap();
            for m in members {
                writeln!(s, "    {} [label=\"{} {m}\"];", node_id(m), self.kinds[m]).unwrap();
            }
            s.push_str("  }\n");
        }
        for e in &self.edges {
            let style = match e.style {
                Style::Grant => ", style=bold, color=\"#1f6feb\"",
                Style::Reference => "",
                Style::Key => ", style=dotted, color=gray",
            };
            writeln!(
                s,
                "  {} -> {} [label=\"{}\"{style}];",
                node_id(&e.from),
                node_id(&e.to),
                e.label.replace('"', "'")
            )
            .unwrap();
        }
        s.push_str("}\n");
        s
    }
}

/// A node id no diagram language reserves (Mermaid treats `end` specially).
fn node_id(name: &str) -> String {
    format!("r_{name}")
}

/// Why no SVG could be drawn.
#[derive(Debug)]
pub enum SvgError {
    /// Graphviz's `dot` is not on the PATH.
    DotMissing,
    /// `dot` ran and failed.
    Failed(String),
}

impl std::fmt::Display for SvgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SvgError::DotMissing => f.write_str(
                "Graphviz `dot` is not installed, so no SVG can be drawn; install Graphviz (Debian: `apt-get install graphviz`), or print `--format dot` or `--format mermaid` instead",
            ),
            SvgError::Failed(message) => write!(f, "Graphviz `dot` failed: {message}"),
        }
    }
}

impl std::error::Error for SvgError {}

/// Renders DOT source to SVG with the Graphviz program `dot`.
pub fn svg(dot_source: &str, dot: &Path) -> Result<String, SvgError> {
    let mut child = Command::new(dot)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SvgError::DotMissing,
            _ => SvgError::Failed(e.to_string()),
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(dot_source.as_bytes())
        .map_err(|e| SvgError::Failed(e.to_string()))?;
    let output = child
        .wait_with_output()
        .map_err(|e| SvgError::Failed(e.to_string()))?;
    if !output.status.success() {
        return Err(SvgError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| SvgError::Failed(e.to_string()))
}

/// What `tp graph` prints for `format`.
pub fn render(platform: &Platform, format: Format, grouping: Grouping) -> Result<String, SvgError> {
    let graph = Graph::new(platform, grouping);
    match format {
        Format::Mermaid => Ok(graph.mermaid()),
        Format::Dot => Ok(graph.dot()),
        Format::Svg => svg(&graph.dot(), Path::new("dot")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Platform {
        // Any prefix of a generated cell is a valid platform: a key, two
        // queues, a table, a bucket, a topic and a function with grants.
        platform_core::generate::platform(7, "us-east-1", "/code")
    }

    #[test]
    fn grants_are_arrows_labelled_with_their_access_level() {
        let g = Graph::new(&platform(), Grouping::Network);
        let grant = |to: &str, access: &str| Edge {
            from: "c00000_worker".into(),
            to: to.into(),
            label: access.into(),
            style: Style::Grant,
        };
        assert!(g.edges.contains(&grant("c00000_sessions", "read_write")));
        assert!(g.edges.contains(&grant("c00000_archive", "write")));
        assert!(g.edges.contains(&grant("c00000_alerts", "publish")));
        let mermaid = g.mermaid();
        assert!(
            mermaid.contains("r_c00000_worker ==>|\"read_write\"| r_c00000_sessions"),
            "{mermaid}"
        );
        assert!(mermaid.contains("r_c00000_orders -.->|\"key\"| r_data"));
        assert!(mermaid.contains("r_c00000_worker -->|\"trigger\"| r_c00000_orders"));
        let dot = g.dot();
        assert!(
            dot.contains("r_c00000_worker -> r_c00000_sessions [label=\"read_write\", style=bold"),
            "{dot}"
        );
    }

    #[test]
    fn resources_are_grouped_by_layer_or_by_kind() {
        let by_layer = Graph::new(&platform(), Grouping::Network);
        let names: Vec<&str> = by_layer.groups.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, ["security", "data", "compute"]);
        assert_eq!(
            by_layer.groups[1].1,
            [
                "c00000_dlq",
                "c00000_orders",
                "c00000_sessions",
                "c00000_archive",
                "c00000_alerts"
            ]
        );
        let by_kind = Graph::new(&platform(), Grouping::Kind);
        let names: Vec<&str> = by_kind.groups.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(
            names,
            ["key", "queue", "table", "bucket", "topic", "function"]
        );
        // Every node is in exactly one group.
        let members: usize = by_kind.groups.iter().map(|(_, m)| m.len()).sum();
        assert_eq!(members, 7);
    }

    #[test]
    fn functions_in_a_network_are_drawn_inside_it() {
        let mut p = platform();
        p.resources.insert(
            1,
            Resource {
                name: "core".into(),
                spec: Spec::Network(platform_core::spec::NetworkSpec {
                    cidr: platform_core::spec::PerProfile::Same(platform_core::spec::PerRegion(
                        vec![("us-east-1".into(), "10.0.0.0/16".into())],
                    )),
                    azs: 2,
                    endpoints: vec![],
                    flow_log_retention_days: platform_core::spec::PerProfile::Same(30),
                    key: "data".into(),
                    public: false,
                }),
            },
        );
        if let Spec::Function(f) = &mut p.resources[7].spec {
            f.network = Some("core".into());
        }
        let g = Graph::new(&p, Grouping::Network);
        let (_, members) = g.groups.iter().find(|(n, _)| n == "network core").unwrap();
        assert_eq!(members, &["core", "c00000_worker"]);
        assert!(!g.edges.iter().any(|e| e.label == "runs in"));
        let by_kind = Graph::new(&p, Grouping::Kind);
        assert!(by_kind.edges.iter().any(|e| e.label == "runs in"));
    }

    #[test]
    fn resource_blocks_are_nodes_with_their_references() {
        let mut p = platform();
        p.generic.push(GenericSpec {
            name: "replay".into(),
            cfn_type: "AWS::Events::Archive".into(),
            short_type: "archive".into(),
            name_property: Some("ArchiveName".into()),
            tags: None,
            properties: vec![(
                "SourceArn".into(),
                GenericValue::Attr(platform_core::spec::AttrRef::new("c00000_orders", "arn")),
            )],
        });
        let g = Graph::new(&p, Grouping::Network);
        assert!(
            g.groups
                .iter()
                .any(|(group, m)| group == "resources" && m == &["replay"])
        );
        assert!(g.mermaid().contains("r_replay[\"resource replay\"]"));
        assert!(g.edges.contains(&Edge {
            from: "replay".into(),
            to: "c00000_orders".into(),
            label: "SourceArn".into(),
            style: Style::Reference,
        }));
    }

    #[test]
    fn output_is_deterministic_and_node_ids_are_safe() {
        let a = render(&platform(), Format::Mermaid, Grouping::Network).unwrap();
        let b = render(&platform(), Format::Mermaid, Grouping::Network).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with("flowchart LR\n"));
        assert_eq!(node_id("end"), "r_end");
        let dot = render(&platform(), Format::Dot, Grouping::Kind).unwrap();
        assert!(dot.starts_with("digraph \"generated\" {"));
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    }

    #[test]
    fn a_missing_dot_is_reported_as_such() {
        let err = svg("digraph {}", Path::new("/nonexistent/dot")).unwrap_err();
        assert!(matches!(err, SvgError::DotMissing));
        assert!(err.to_string().contains("apt-get install graphviz"));
        assert_eq!(
            "png".parse::<Format>().unwrap_err(),
            "`png` is not one of mermaid, dot, svg"
        );
    }
}
