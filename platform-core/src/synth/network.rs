//! The network construct: a VPC across 2 or 3 AZs with private and isolated
//! subnets (and public ones behind an internet gateway only when declared,
//! `public: on`), no NAT gateways, VPC endpoints so private functions reach
//! AWS services, security groups, and flow logs to an encrypted log group.
//!
//! Every endpoint carries a policy: only the platform's own account may use
//! it, on its own account's resources, and the gateway endpoints only on the
//! platform's own buckets and tables (see [`endpoint_policy`]). The
//! functions' security group sends only HTTPS to the interface endpoints'
//! group and to the gateway endpoints' prefix lists (see
//! [`GATEWAY_PREFIX_LISTS`]), and PostgreSQL to the clusters that admit it.
//!
//! Subnets are /20s carved from the region's /16 in a fixed layout (tier `t`,
//! AZ `i` -> the `4t + i`-th /20), so CIDRs never move when AZs are added.

use std::net::Ipv4Addr;

use crate::catalog::{ENDPOINT_SERVICES, EndpointType, Kind};
use crate::spec::NetworkSpec;
use crate::template::{RemovalPolicy, Resource, Value};

use super::iam::{self, Statement};
use super::{Context, SynthError};

/// The subnet tiers, in layout order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// Routed to the internet gateway; only with `public: on`, and holds
    /// nothing the platform declares.
    Public,
    /// Functions; reach AWS services only through endpoints.
    Private,
    /// Databases; no route out at all.
    Isolated,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::Public => "Public",
            Tier::Private => "Private",
            Tier::Isolated => "Isolated",
        }
    }

    fn index(self) -> u32 {
        match self {
            Tier::Public => 0,
            Tier::Private => 1,
            Tier::Isolated => 2,
        }
    }
}

/// Logical ids of the network's parts, shared with the constructs that
/// place resources in it.
pub(crate) struct NetworkIds {
    pub vpc: String,
}

impl NetworkIds {
    pub fn new(cx: &Context<'_>, name: &str) -> Self {
        NetworkIds {
            vpc: cx.logical_id(name),
        }
    }

    pub fn subnet(&self, tier: Tier, az: u32) -> String {
        format!("{}{}Subnet{}", self.vpc, tier.name(), az + 1)
    }

    pub fn subnets(&self, tier: Tier, azs: u32) -> Value {
        Value::list((0..azs).map(|i| Value::Ref(self.subnet(tier, i))))
    }

    /// The functions' security group.
    pub fn function_sg(&self) -> String {
        format!("{}FunctionSecurityGroup", self.vpc)
    }

    fn endpoint_sg(&self) -> String {
        format!("{}EndpointSecurityGroup", self.vpc)
    }
}

/// The `index`-th /20 of a /16.
pub(crate) fn subnet_cidr(vpc_cidr: &str, index: u32) -> Option<String> {
    let (addr, prefix) = vpc_cidr.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    if prefix != "16" || index >= 16 {
        return None;
    }
    let base = u32::from(addr) & 0xffff_0000;
    Some(format!("{}/20", Ipv4Addr::from(base + index * 4096)))
}

fn az(index: u32) -> Value {
    Value::Select(index, Box::new(Value::GetAzs(Box::new(Value::str("")))))
}

/// The `run: after_deploy` function granted `close_default_security_group`
/// on network `name`: what empties its default security group after every
/// deploy, since CloudFormation cannot.
fn default_group_guard<'p>(platform: &'p crate::spec::Platform, name: &str) -> Option<&'p str> {
    platform.resources.iter().find_map(|r| match &r.spec {
        crate::spec::Spec::Function(f)
            if f.run == Some(crate::spec::Run::AfterDeploy)
                && f.grants
                    .iter()
                    .any(|g| g.resource == name && g.access == "close_default_security_group") =>
        {
            Some(r.name.as_str())
        }
        _ => None,
    })
}

pub(crate) fn network(
    cx: &mut Context<'_>,
    name: &str,
    spec: &NetworkSpec,
) -> Result<(), SynthError> {
    let ids = NetworkIds::new(cx, name);
    let vpc_name = cx.physical_name("vpc", name);
    let cidr = spec
        .cidr
        .get(cx.profile)
        .get(cx.region)
        .cloned()
        .ok_or_else(|| {
            SynthError::Invalid(format!(
                "network `{name}` declares no CIDR for {} in profile {}",
                cx.region, cx.profile
            ))
        })?;
    let mut vpc = Resource::new("AWS::EC2::VPC")
        .prop("CidrBlock", cidr.as_str())
        .prop("EnableDnsHostnames", true)
        .prop("EnableDnsSupport", true)
        .prop("Tags", cx.name_tag_list(vpc_name.clone()));
    if let Some(guard) = default_group_guard(cx.platform, name) {
        super::nag_suppress(
            &mut vpc,
            super::compliance_rule("VPCDefaultSecurityGroupClosed", super::HIPAA_NIST_PCI),
            &format!(
                "The default security group is emptied after every deploy by `{guard}` (run: after_deploy, granted only the revocation of this group's rules). cdk-nag recognizes only AWS CDK's own construct for it, which an imported template cannot contain"
            ),
        );
    }
    cx.add(&ids.vpc, vpc)?;

    // Public tier, when declared: an internet gateway and one shared route
    // table with the only route out of the VPC.
    let public_rt = format!("{}PublicRouteTable", ids.vpc);
    if spec.public {
        let igw = format!("{}InternetGateway", ids.vpc);
        let attachment = format!("{}GatewayAttachment", ids.vpc);
        cx.add(
            &igw,
            Resource::new("AWS::EC2::InternetGateway")
                .prop("Tags", cx.name_tag_list(vpc_name.clone())),
        )?;
        cx.add(
            &attachment,
            Resource::new("AWS::EC2::VPCGatewayAttachment")
                .prop("VpcId", Value::Ref(ids.vpc.clone()))
                .prop("InternetGatewayId", Value::Ref(igw.clone())),
        )?;
        route_table(cx, &ids, &public_rt, format!("{vpc_name}-public"))?;
        cx.add(
            &format!("{}PublicDefaultRoute", ids.vpc),
            Resource::new("AWS::EC2::Route")
                .prop("RouteTableId", Value::Ref(public_rt.clone()))
                .prop("DestinationCidrBlock", "0.0.0.0/0")
                .prop("GatewayId", Value::Ref(igw))
                .depends_on(&attachment),
        )?;
    }

    // The subnets. Private and isolated ones: a route table per AZ, no
    // default route.
    let mut endpoint_route_tables = Vec::new();
    let tiers = [Tier::Public, Tier::Private, Tier::Isolated]
        .into_iter()
        .filter(|&tier| tier != Tier::Public || spec.public);
    for tier in tiers {
        for i in 0..spec.azs {
            let subnet = ids.subnet(tier, i);
            let subnet_cidr = subnet_cidr(&cidr, tier.index() * 4 + i).ok_or_else(|| {
                SynthError::Invalid(format!("network `{name}`: CIDR {cidr} is not a /16"))
            })?;
            cx.add(
                &subnet,
                Resource::new("AWS::EC2::Subnet")
                    .prop("VpcId", Value::Ref(ids.vpc.clone()))
                    .prop("CidrBlock", subnet_cidr)
                    .prop("AvailabilityZone", az(i))
                    .prop("MapPublicIpOnLaunch", false)
                    .prop(
                        "Tags",
                        cx.name_tag_list(format!(
                            "{vpc_name}-{}-{}",
                            tier.name().to_lowercase(),
                            i + 1
                        )),
                    ),
            )?;
            let rt = if tier == Tier::Public {
                public_rt.clone()
            } else {
                let rt = format!("{}{}RouteTable{}", ids.vpc, tier.name(), i + 1);
                route_table(
                    cx,
                    &ids,
                    &rt,
                    format!("{vpc_name}-{}-{}", tier.name().to_lowercase(), i + 1),
                )?;
                endpoint_route_tables.push(Value::Ref(rt.clone()));
                rt
            };
            cx.add(
                &format!("{subnet}RouteTableAssociation"),
                Resource::new("AWS::EC2::SubnetRouteTableAssociation")
                    .prop("SubnetId", Value::Ref(subnet))
                    .prop("RouteTableId", Value::Ref(rt)),
            )?;
        }
    }

    security_groups(cx, &ids, &vpc_name, &cidr, spec)?;
    endpoints(cx, &ids, spec, endpoint_route_tables)?;
    flow_logs(cx, &ids, name, spec)
}

fn route_table(
    cx: &mut Context<'_>,
    ids: &NetworkIds,
    id: &str,
    name: String,
) -> Result<(), SynthError> {
    cx.add(
        id,
        Resource::new("AWS::EC2::RouteTable")
            .prop("VpcId", Value::Ref(ids.vpc.clone()))
            .prop("Tags", cx.name_tag_list(name)),
    )
}

fn rule(protocol: &str, port: u32, description: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("IpProtocol", Value::str(protocol)),
        ("FromPort", Value::from(port)),
        ("ToPort", Value::from(port)),
        ("Description", Value::str(description)),
    ]
}

/// An egress rule that matches nothing, replacing a security group's default
/// allow-all egress (the convention AWS CDK uses for `allowAllOutbound: false`).
pub(crate) fn no_egress() -> Value {
    Value::map([
        ("IpProtocol", Value::str("icmp")),
        ("FromPort", Value::from(252u32)),
        ("ToPort", Value::from(86u32)),
        ("CidrIp", Value::str("255.255.255.255/32")),
        ("Description", Value::str("Disallow all traffic")),
    ])
}

/// The AWS-managed prefix lists of the gateway endpoints' services
/// (`com.amazonaws.<region>.s3`, `com.amazonaws.<region>.dynamodb`), per
/// region: `(region, s3, dynamodb)`.
///
/// CloudFormation has no way to look a managed prefix list up (no intrinsic
/// function, no attribute of `AWS::EC2::VPCEndpoint`, no public SSM
/// parameter), and a custom resource would put a Lambda function and an
/// `ec2:Describe*` role in every stack for ids that AWS never changes. So
/// the ids are checked in: what `aws ec2 describe-managed-prefix-lists
/// --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3`
/// answers in each region. A wrong id cannot widen the egress: CloudFormation
/// rejects a prefix list that does not exist, and a managed list only ever
/// holds its service's ranges. A region missing here fails the synth and
/// names this table.
pub const GATEWAY_PREFIX_LISTS: &[(&str, &str, &str)] = &[
    ("us-east-1", "pl-63a5400a", "pl-02cd2c6b"),
    ("us-east-2", "pl-7ba54012", "pl-4ca54025"),
    ("us-west-2", "pl-68a54001", "pl-00a54069"),
];

/// The managed prefix list of gateway endpoint `service` (`s3`,
/// `dynamodb`) in `region`.
pub(crate) fn gateway_prefix_list(region: &str, service: &str) -> Result<&'static str, SynthError> {
    let (_, s3, dynamodb) = GATEWAY_PREFIX_LISTS
        .iter()
        .find(|(r, _, _)| *r == region)
        .ok_or_else(|| {
            SynthError::Invalid(format!(
                "no managed prefix list ids for {region}: add the region's `com.amazonaws.{region}.s3` and `com.amazonaws.{region}.dynamodb` ids (aws ec2 describe-managed-prefix-lists --region {region}) to GATEWAY_PREFIX_LISTS in platform-core/src/synth/network.rs"
            ))
        })?;
    match service {
        "s3" => Ok(s3),
        "dynamodb" => Ok(dynamodb),
        other => Err(SynthError::Invalid(format!(
            "`{other}` is not a gateway endpoint service (s3, dynamodb)"
        ))),
    }
}

/// The endpoints' group admits HTTPS from inside the VPC; the functions'
/// group may only send HTTPS to the interface endpoints' group and to the
/// gateway endpoints' prefix lists (the only destinations the private
/// subnets have a route to); the clusters add their own port.
fn security_groups(
    cx: &mut Context<'_>,
    ids: &NetworkIds,
    vpc_name: &str,
    cidr: &str,
    spec: &NetworkSpec,
) -> Result<(), SynthError> {
    let mut ingress = rule(
        "tcp",
        443,
        "HTTPS from inside the VPC to the interface endpoints",
    );
    ingress.push(("CidrIp", Value::str(cidr)));
    // An explicit rule that matches nothing replaces the default allow-all
    // egress: endpoints only answer.
    let egress = no_egress();
    cx.add(
        &ids.endpoint_sg(),
        Resource::new("AWS::EC2::SecurityGroup")
            .prop(
                "GroupDescription",
                format!("Interface endpoints of {vpc_name}"),
            )
            .prop("VpcId", Value::Ref(ids.vpc.clone()))
            .prop("SecurityGroupIngress", Value::list([Value::map(ingress)]))
            .prop("SecurityGroupEgress", Value::list([egress]))
            .prop("Tags", cx.name_tag_list(format!("sg-endpoints-{vpc_name}"))),
    )?;
    let mut function_egress = Vec::new();
    let interface = spec
        .endpoints
        .iter()
        .any(|service| endpoint_type(service).is_ok_and(|t| matches!(t, EndpointType::Interface)));
    if interface {
        let mut https = rule("tcp", 443, "HTTPS to the interface endpoints");
        https.push(("DestinationSecurityGroupId", Value::Ref(ids.endpoint_sg())));
        function_egress.push(Value::map(https));
    }
    for service in &spec.endpoints {
        if matches!(endpoint_type(service)?, EndpointType::Gateway) {
            let mut https = vec![
                ("IpProtocol", Value::str("tcp")),
                ("FromPort", Value::from(443u32)),
                ("ToPort", Value::from(443u32)),
                (
                    "Description",
                    Value::Str(format!("HTTPS to {service} through its gateway endpoint")),
                ),
            ];
            https.push((
                "DestinationPrefixListId",
                Value::str(gateway_prefix_list(cx.region, service)?),
            ));
            function_egress.push(Value::map(https));
        }
    }
    if function_egress.is_empty() {
        function_egress.push(no_egress());
    }
    cx.add(
        &ids.function_sg(),
        Resource::new("AWS::EC2::SecurityGroup")
            .prop("GroupDescription", format!("Functions in {vpc_name}"))
            .prop("VpcId", Value::Ref(ids.vpc.clone()))
            .prop("SecurityGroupEgress", Value::List(function_egress))
            .prop("Tags", cx.name_tag_list(format!("sg-functions-{vpc_name}"))),
    )
}

fn endpoint_type(service: &str) -> Result<EndpointType, SynthError> {
    ENDPOINT_SERVICES
        .iter()
        .find(|(s, _, _)| *s == service)
        .map(|(_, t, _)| *t)
        .ok_or_else(|| SynthError::Invalid(format!("unknown endpoint service `{service}`")))
}

/// `aws:PrincipalAccount` (and `aws:ResourceAccount`) equal to the stack's
/// account.
fn own_account(resource_account: bool) -> Value {
    let account = || Value::Pseudo(crate::template::Pseudo::AccountId);
    let mut keys = vec![("aws:PrincipalAccount", account())];
    if resource_account {
        keys.push(("aws:ResourceAccount", account()));
    }
    Value::map([("StringEquals", Value::map(keys))])
}

fn endpoint_statement(sid: &str, actions: &str, resources: Value, condition: Value) -> Value {
    Value::map([
        ("Sid", Value::str(sid)),
        ("Effect", Value::str("Allow")),
        ("Principal", Value::str("*")),
        ("Action", Value::str(actions)),
        ("Resource", resources),
        ("Condition", condition),
    ])
}

/// The platform's declared resources of `kind`, as the ARNs an endpoint
/// policy names: each one's ARN and everything under it (objects; a
/// table's indexes and streams).
fn own_arns(cx: &Context<'_>, kind: Kind) -> Vec<Value> {
    cx.platform
        .resources
        .iter()
        .filter(|r| r.spec.kind() == kind)
        .flat_map(|r| {
            let id = cx.logical_id(&r.name);
            [
                Value::get_att(&id, "Arn"),
                Value::sub(format!("${{{id}.Arn}}/*")),
            ]
        })
        .collect()
}

/// An endpoint's policy. Every statement requires the caller to be a
/// principal of the platform's own account (`aws:PrincipalAccount`), so
/// credentials from another account cannot use the VPC's private path.
///
/// - `s3`, `dynamodb` (gateway): only the platform's own buckets and tables
///   (and their objects, indexes, streams), in its own account
///   (`aws:ResourceAccount`; S3 ARNs carry no account). Nothing in the VPC
///   reads the bootstrap asset bucket: Lambda fetches code outside it. A
///   platform without buckets (or tables) gets a policy denying everything.
/// - `monitoring`, `xray`: the functions' writes there
///   (`cloudwatch:PutMetricData`, `xray:PutTraceSegments`) name no
///   resource, so only the principal's account is required.
/// - every other interface endpoint: any action on resources of the
///   platform's own account (`aws:ResourceAccount`): a function cannot
///   send data to another account's queue, topic, bus, secret or key.
pub(crate) fn endpoint_policy(cx: &Context<'_>, service: &str) -> Value {
    let statements = match service {
        "s3" | "dynamodb" => {
            let (kind, actions, sid) = if service == "s3" {
                (Kind::Bucket, "s3:*", "PlatformBuckets")
            } else {
                (Kind::Table, "dynamodb:*", "PlatformTables")
            };
            let arns = own_arns(cx, kind);
            if arns.is_empty() {
                vec![Value::map([
                    ("Sid", Value::str("NothingDeclared")),
                    ("Effect", Value::str("Deny")),
                    ("Principal", Value::str("*")),
                    ("Action", Value::str("*")),
                    ("Resource", Value::str("*")),
                ])]
            } else {
                vec![endpoint_statement(
                    sid,
                    actions,
                    Value::List(arns),
                    own_account(true),
                )]
            }
        }
        "monitoring" | "xray" => vec![endpoint_statement(
            "OwnAccountPrincipals",
            "*",
            Value::str("*"),
            own_account(false),
        )],
        _ => vec![endpoint_statement(
            "OwnAccountOnly",
            "*",
            Value::str("*"),
            own_account(true),
        )],
    };
    Value::map([
        ("Version", Value::str("2012-10-17")),
        ("Statement", Value::List(statements)),
    ])
}

fn endpoints(
    cx: &mut Context<'_>,
    ids: &NetworkIds,
    spec: &NetworkSpec,
    route_tables: Vec<Value>,
) -> Result<(), SynthError> {
    for service in &spec.endpoints {
        let endpoint_type = endpoint_type(service)?;
        let id = format!("{}{}Endpoint", ids.vpc, crate::naming::pascal_case(service));
        let mut endpoint = Resource::new("AWS::EC2::VPCEndpoint")
            .prop("VpcId", Value::Ref(ids.vpc.clone()))
            .prop(
                "ServiceName",
                Value::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")),
            )
            .prop("PolicyDocument", endpoint_policy(cx, service))
            .prop("Tags", cx.tag_list());
        endpoint = match endpoint_type {
            EndpointType::Gateway => endpoint
                .prop("VpcEndpointType", "Gateway")
                .prop("RouteTableIds", Value::List(route_tables.clone())),
            EndpointType::Interface => endpoint
                .prop("VpcEndpointType", "Interface")
                .prop("PrivateDnsEnabled", true)
                .prop("SubnetIds", ids.subnets(Tier::Private, spec.azs))
                .prop(
                    "SecurityGroupIds",
                    Value::list([Value::Ref(ids.endpoint_sg())]),
                ),
        };
        cx.add(&id, endpoint)?;
    }
    Ok(())
}

fn flow_logs(
    cx: &mut Context<'_>,
    ids: &NetworkIds,
    name: &str,
    spec: &NetworkSpec,
) -> Result<(), SynthError> {
    let log_group = format!("{}FlowLogGroup", ids.vpc);
    let role = format!("{}FlowLogRole", ids.vpc);
    cx.add(
        &log_group,
        Resource::new("AWS::Logs::LogGroup")
            .prop(
                "LogGroupName",
                format!("/vpc/flow-logs/{}", cx.physical_name("vpc", name)),
            )
            .prop(
                "RetentionInDays",
                spec.flow_log_retention_days.get(cx.profile),
            )
            .prop("KmsKeyId", cx.key_arn(&spec.key))
            .prop("Tags", cx.tag_list())
            .removal(RemovalPolicy::Delete),
    )?;
    let statements = [Statement::allow(
        "WriteFlowLogs",
        &[
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ],
        vec![Value::get_att(&log_group, "Arn")],
    )];
    cx.add(
        &role,
        iam::bounded(Resource::new("AWS::IAM::Role"), cx.region)
            .prop("RoleName", cx.derived_name(Kind::Network, name))
            .prop(
                "AssumeRolePolicyDocument",
                iam::document(&[iam::service_trust(
                    "FlowLogsAssumeRole",
                    "vpc-flow-logs.amazonaws.com",
                )]),
            )
            .prop(
                "Policies",
                Value::list([Value::map([
                    ("PolicyName", Value::str("flow-logs")),
                    ("PolicyDocument", iam::document(&statements)),
                ])]),
            )
            .prop("Tags", cx.tag_list()),
    )?;
    cx.add(
        &format!("{}FlowLog", ids.vpc),
        Resource::new("AWS::EC2::FlowLog")
            .prop("ResourceId", Value::Ref(ids.vpc.clone()))
            .prop("ResourceType", "VPC")
            .prop("TrafficType", "ALL")
            .prop("LogDestinationType", "cloud-watch-logs")
            .prop("LogGroupName", Value::Ref(log_group))
            .prop("DeliverLogsPermissionArn", Value::get_att(&role, "Arn"))
            .prop("Tags", cx.tag_list()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_are_twentieths_in_a_fixed_layout() {
        assert_eq!(subnet_cidr("10.1.0.0/16", 0).unwrap(), "10.1.0.0/20");
        assert_eq!(subnet_cidr("10.1.0.0/16", 5).unwrap(), "10.1.80.0/20");
        assert_eq!(subnet_cidr("10.1.0.0/16", 15).unwrap(), "10.1.240.0/20");
        assert_eq!(subnet_cidr("10.1.0.0/16", 16), None);
        assert_eq!(subnet_cidr("10.1.0.0/24", 0), None);
    }
}
