// network-guard against moto's EC2: a new VPC's default security group
// loses exactly the rules EC2 gave it, a second run changes nothing, a rule
// someone added by hand is left for review, and an unknown group fails.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { coldStart, lambdaContext } from "./support/harness.mjs";

const ec2 = new EC2Client({});

async function newVpcDefaultGroup() {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.99.0.0/16" }));
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [Vpc.VpcId] },
        { Name: "group-name", Values: ["default"] },
      ],
    }),
  );
  assert.equal(SecurityGroups.length, 1);
  const group = SecurityGroups[0];
  // EC2 gives a default group an inbound rule from itself; moto_server
  // creates only the outbound one, so the test adds what EC2 would.
  if (!(group.IpPermissions ?? []).length) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: group.GroupId,
        IpPermissions: [{ IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: group.GroupId }] }],
      }),
    );
  }
  return group.GroupId;
}

async function rules(groupId) {
  const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return { ingress: SecurityGroups[0].IpPermissions ?? [], egress: SecurityGroups[0].IpPermissionsEgress ?? [] };
}

describe("network-guard", () => {
  it("revokes the default group's rules once, and nothing on the next run", async () => {
    const groupId = await newVpcDefaultGroup();
    const before = await rules(groupId);
    assert.ok(before.ingress.length > 0 && before.egress.length > 0, "EC2 gives a default group rules");
    const guard = await coldStart("network-guard", { SECURITY_GROUP_ID: groupId });
    const first = await guard.handler({ phase: "after_deploy" }, lambdaContext(30000));
    assert.equal(first.securityGroupId, groupId);
    assert.equal(first.revoked.ingress, 1);
    // 0.0.0.0/0, and ::/0 where moto (unlike EC2, which lists it in
    // UnknownIpPermissions) accepts revoking a rule the group never had.
    assert.ok(first.revoked.egress >= 1, JSON.stringify(first));
    assert.deepEqual(await rules(groupId), { ingress: [], egress: [] });
    const second = await guard.handler({ phase: "after_deploy" }, lambdaContext(30000));
    assert.equal(second.revoked.ingress, 0);
    assert.deepEqual(await rules(groupId), { ingress: [], egress: [] });
  });

  it("leaves a rule added by hand in place", async () => {
    const groupId = await newVpcDefaultGroup();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "192.0.2.0/24" }] }],
      }),
    );
    const guard = await coldStart("network-guard", { SECURITY_GROUP_ID: groupId });
    await guard.handler({}, lambdaContext(30000));
    const after = await rules(groupId);
    assert.equal(after.ingress.length, 1);
    assert.equal(after.ingress[0].FromPort, 22);
    assert.deepEqual(after.egress, []);
  });

  it("fails on a group that does not exist", async () => {
    const guard = await coldStart("network-guard", { SECURITY_GROUP_ID: "sg-0123456789abcdef0" });
    await assert.rejects(guard.handler({}, lambdaContext(30000)), /InvalidGroup|does not exist/);
  });
});
