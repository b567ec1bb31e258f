// The provisioner registry on its own: no services run, so these stay fast.
import { describe, expect, it } from 'vitest';
import type { CfnTemplate, StackAssembly } from '../../../local/cloud-assembly.ts';
import { arns, physicalName, stableId } from '../../../local/naming.ts';
import { provisionStack } from '../../../local/provisioners/provision-stack.ts';
import { type Provisioner, property } from '../../../local/provisioners/provisioner.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import type { LocalServices } from '../../../local/services.ts';
import { planStack } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

const REGION = 'eu-west-1';

/** Plans and provisions `template` with `provisioners`; no service is running (none is needed here). */
async function provision(template: CfnTemplate, provisioners: Readonly<Record<string, Provisioner>>) {
  const assembly: StackAssembly = {
    stackName: 'App',
    directory: '/nowhere',
    template,
    assetPath: () => undefined,
  };
  const values = new StackValues(template, 'App', REGION);
  const plan = planStack(assembly, (name, at) => values.condition(name, at), provisioners);
  const logs: string[] = [];
  await provisionStack(plan, provisioners, {
    stackName: 'App',
    region: REGION,
    assembly,
    values,
    services: { dynamo: undefined } as unknown as LocalServices,
    providers: new Set(),
    log: (line) => logs.push(line),
  });
  return { values, logs };
}

describe('provisioner registry', () => {
  it('supports a new resource type as soon as the registry has a provisioner for it', async () => {
    const template: CfnTemplate = {
      Resources: {
        Echo: { Type: 'Test::Echo', Properties: { Value: { 'Fn::GetAtt': ['Bucket', 'Arn'] } } },
        Bucket: { Type: 'Test::Bucket', Properties: { BucketName: 'receipts' } },
      },
    };
    await expect(provision(template, PROVISIONERS)).rejects.toThrow(
      /\(Test::Bucket\): resource type is not supported by the local runtime/,
    );
    const extended: Record<string, Provisioner> = {
      ...PROVISIONERS,
      'Test::Bucket': {
        properties: { allowed: ['BucketName'] },
        provision: (r, ctx) => {
          const name = property<string>(ctx, r, 'BucketName') ?? r.logicalId;
          return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}` } };
        },
      },
      'Test::Echo': {
        properties: { allowed: ['Value'] },
        provision: (r, ctx) => ({ ref: String(property(ctx, r, 'Value')), attributes: {} }),
      },
    };
    const { values } = await provision(template, extended);
    expect(values.get('Bucket')?.ref).toBe('receipts');
    // Built after the bucket (it depends on it), so the bucket's attribute resolved.
    expect(values.get('Echo')?.ref).toBe('arn:aws:s3:::receipts');
  });

  it('gives skipped resources the names and ARNs CloudFormation would', async () => {
    const template: CfnTemplate = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
        Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: {} },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/app/logs' } },
        Unnamed: { Type: 'AWS::Logs::LogGroup', Properties: {} },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        Permission: { Type: 'AWS::Lambda::Permission', Properties: {} },
      },
    };
    const { values } = await provision(template, PROVISIONERS);
    const name = (id: string) => physicalName('App', id, 64);
    expect(values.get('Role')).toMatchObject({
      ref: name('Role'),
      attributes: { Arn: arns.role(name('Role')), RoleId: stableId(name('Role'), 21).toUpperCase() },
    });
    expect(values.get('Managed')).toMatchObject({
      ref: arns.policy(name('Managed')),
      attributes: { PolicyArn: arns.policy(name('Managed')) },
    });
    expect(values.get('Logs')).toMatchObject({
      ref: '/app/logs',
      attributes: { Arn: arns.logGroup(REGION, '/app/logs') },
    });
    expect(values.get('Unnamed')?.ref).toBe(name('Unnamed'));
    expect(values.get('Alarm')).toMatchObject({
      ref: name('Alarm'),
      attributes: { Arn: arns.alarm(REGION, name('Alarm')) },
    });
    expect(values.get('Permission')).toMatchObject({ ref: name('Permission'), attributes: {} });
  });

  it('names the resource whose required property is missing', async () => {
    const template: CfnTemplate = {
      Resources: {
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: 'x' } },
      },
    };
    await expect(provision(template, PROVISIONERS)).rejects.toThrow(
      'Mapping (AWS::Lambda::EventSourceMapping): FunctionName is required',
    );
  });
});
