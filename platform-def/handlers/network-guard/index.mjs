// network-guard: empties a VPC's default security group.
//
// EC2 creates a default security group with every VPC, allowing all traffic
// between its members and all outbound traffic. Nothing the platform runs
// uses it (the functions, the endpoints and the cluster each have a
// security group of their own), but anything launched into the VPC without
// one would get it. CloudFormation cannot change it, so the deploy runs this
// function after every stack change (`run: after_deploy`), before the
// migration. It revokes exactly the rules EC2 creates: inbound from the
// group itself, outbound to 0.0.0.0/0 and ::/0. Idempotent: a rule already
// gone is not an error, so every deploy after the first revokes nothing.
//
//   -> { securityGroupId, revoked: { ingress, egress } }
//
// Environment: SECURITY_GROUP_ID (required: the VPC's default security
// group), LOG_LEVEL (optional).

import {
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import { clientConfig, requireEnv } from "./lib/aws.mjs";
import { createLogger } from "./lib/logger.mjs";

const env = requireEnv(["SECURITY_GROUP_ID"]);
const ec2 = new EC2Client(clientConfig());
const baseLog = createLogger();

/** The rules EC2 gives a default security group. */
export function defaultRules(groupId) {
  return {
    ingress: [{ IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: groupId }] }],
    egress: [
      { IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
      { IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
    ],
  };
}

// One rule per call: EC2 rejects a whole call when one of its rules does
// not exist (InvalidPermission.NotFound), and reports it in
// UnknownIpPermissions where it accepts the call.
async function revoke(Command, groupId, rules) {
  let revoked = 0;
  for (const rule of rules) {
    try {
      const out = await ec2.send(new Command({ GroupId: groupId, IpPermissions: [rule] }));
      if (out.Return !== false && !(out.UnknownIpPermissions ?? []).length) revoked += 1;
    } catch (err) {
      if (err?.name !== "InvalidPermission.NotFound" && err?.Code !== "InvalidPermission.NotFound") throw err;
    }
  }
  return revoked;
}

export const handler = async (event, context = {}) => {
  const log = baseLog.child({ requestId: context.awsRequestId });
  const groupId = env.SECURITY_GROUP_ID;
  const rules = defaultRules(groupId);
  const ingress = await revoke(RevokeSecurityGroupIngressCommand, groupId, rules.ingress);
  const egress = await revoke(RevokeSecurityGroupEgressCommand, groupId, rules.egress);
  log.info("default security group closed", { securityGroupId: groupId, ingress, egress, stack: event?.stack });
  return { securityGroupId: groupId, revoked: { ingress, egress } };
};
