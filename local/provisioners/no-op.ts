import { arns, physicalName, stableId } from '../naming.ts';
import type { PlannedResource } from '../template.ts';
import type { ResourceValues } from '../values.ts';
import type { ProvisionContext, Provisioner } from './provisioner.ts';

type Attributes = (name: string, r: PlannedResource, region: string) => ResourceValues;

/** A type with no local meaning: it gets the id, ARNs and names CloudFormation would give it, nothing else. */
function skipped(reason: string, values?: Attributes): Provisioner {
  return {
    skipped: reason,
    provision: (r: PlannedResource, ctx: ProvisionContext) => {
      const name = physicalName(ctx.stackName, r.logicalId, 64);
      return values ? values(name, r, ctx.region) : { ref: name, attributes: {} };
    },
  };
}

const NO_IAM = 'no IAM locally';
const NO_METRICS = 'no metrics locally';

/** Permissions, logging, alarms and deployment bookkeeping. */
export const noOpProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::IAM::Role': skipped(NO_IAM, (name) => ({
    ref: name,
    attributes: { Arn: arns.role(name), RoleId: stableId(name, 21).toUpperCase() },
  })),
  'AWS::IAM::Policy': skipped(NO_IAM),
  'AWS::IAM::ManagedPolicy': skipped(NO_IAM, (name) => ({
    ref: arns.policy(name),
    attributes: { PolicyArn: arns.policy(name) },
  })),
  'AWS::Lambda::Permission': skipped(NO_IAM),
  'AWS::SQS::QueuePolicy': skipped(NO_IAM),
  'AWS::Logs::LogGroup': skipped('function logs go to the console', (name, r, region) => {
    const groupName = typeof r.properties.LogGroupName === 'string' ? r.properties.LogGroupName : name;
    return { ref: groupName, attributes: { Arn: arns.logGroup(region, groupName) } };
  }),
  'AWS::CloudWatch::Alarm': skipped(NO_METRICS, (name, _r, region) => ({
    ref: name,
    attributes: { Arn: arns.alarm(region, name) },
  })),
  'AWS::CloudWatch::Dashboard': skipped(NO_METRICS),
  'AWS::CDK::Metadata': skipped('CDK bookkeeping'),
  'AWS::ApiGateway::Deployment': skipped('the local API serves the template as is'),
  'AWS::ApiGateway::Account': skipped('API Gateway logging role'),
  'Custom::LogRetention': skipped('log retention'),
};
