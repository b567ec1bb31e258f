// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are CloudFormation Fn::Sub syntax.
import { describe, expect, it } from 'vitest';
import type { CfnTemplate, StackAssembly } from '../../../local/cloud-assembly.ts';
import { dependencies, topologicalOrder } from '../../../local/dependency-graph.ts';
import { TemplateError } from '../../../local/errors.ts';
import { referencedIds } from '../../../local/intrinsics.ts';
import { PROVISIONERS } from '../../../local/provisioners/registry.ts';
import { planStack } from '../../../local/template.ts';
import { StackValues } from '../../../local/values.ts';

const FN_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:App-Fn';

function stackValues(template: CfnTemplate = {}): StackValues {
  const values = new StackValues(template, 'App', 'eu-west-1');
  values.register('Fn', 'AWS::Lambda::Function', { ref: 'App-Fn', attributes: { Arn: FN_ARN } });
  values.register('Table', 'AWS::DynamoDB::GlobalTable', {
    ref: 'App-Table',
    attributes: { StreamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/App-Table/stream/2026' },
  });
  values.register('Api', 'AWS::ApiGateway::RestApi', {
    ref: 'abc123',
    attributes: { RootResourceId: 'root1' },
  });
  return values;
}

function assembly(template: CfnTemplate): StackAssembly {
  return { stackName: 'App', directory: '/nowhere', template, assetPath: () => undefined };
}

describe('intrinsic resolution', () => {
  const values = stackValues({
    Parameters: {
      BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/version' },
    },
    Conditions: {
      IsEu: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
      NotEu: { 'Fn::Not': [{ Condition: 'IsEu' }] },
    },
    Mappings: { Sizes: { small: { memory: 128 } } },
  });

  it('resolves Ref, Fn::GetAtt (both forms) and pseudo parameters', () => {
    expect(values.resolve({ Ref: 'Fn' }, 'x')).toBe('App-Fn');
    expect(values.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] }, 'x')).toBe(FN_ARN);
    expect(values.resolve({ 'Fn::GetAtt': 'Table.StreamArn' }, 'x')).toContain('/stream/');
    expect(values.resolve({ Ref: 'AWS::AccountId' }, 'x')).toBe('000000000000');
    expect(values.resolve({ Ref: 'AWS::Partition' }, 'x')).toBe('aws');
    expect(values.resolve({ Ref: 'BootstrapVersion' }, 'x')).toBe('/cdk-bootstrap/version');
  });

  it('resolves the API integration URI the way CDK writes it (Fn::Join)', () => {
    const uri = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':apigateway:',
          { Ref: 'AWS::Region' },
          ':lambda:path/2015-03-31/functions/',
          { 'Fn::GetAtt': ['Fn', 'Arn'] },
          '/invocations',
        ],
      ],
    };
    expect(values.resolve(uri, 'x')).toBe(
      `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${FN_ARN}/invocations`,
    );
  });

  it('takes the region out of a function ARN with Fn::Select over Fn::Split (authorizer URI)', () => {
    const region = { 'Fn::Select': [3, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Fn', 'Arn'] }] }] };
    expect(values.resolve(region, 'x')).toBe('eu-west-1');
  });

  it('resolves Fn::Sub with pseudo parameters, resources, attributes, variables and ${!escapes}', () => {
    expect(values.resolve({ 'Fn::Sub': 'cdk-assets-${AWS::AccountId}-${AWS::Region}' }, 'x')).toBe(
      'cdk-assets-000000000000-eu-west-1',
    );
    expect(values.resolve({ 'Fn::Sub': '${Fn}|${Fn.Arn}|${!Literal}' }, 'x')).toBe(
      `App-Fn|${FN_ARN}|\${Literal}`,
    );
    expect(values.resolve({ 'Fn::Sub': ['${Greeting}, ${Fn}', { Greeting: { Ref: 'Api' } }] }, 'x')).toBe(
      'abc123, App-Fn',
    );
  });

  it('evaluates conditions, Fn::If with AWS::NoValue, and Fn::FindInMap', () => {
    expect(values.condition('IsEu', 'x')).toBe(true);
    expect(values.condition('NotEu', 'x')).toBe(false);
    const props = {
      A: { 'Fn::If': ['NotEu', 'yes', { Ref: 'AWS::NoValue' }] },
      B: [1, { Ref: 'AWS::NoValue' }, 2],
    };
    expect(values.resolve(props, 'x')).toEqual({ B: [1, 2] });
    expect(values.resolve({ 'Fn::FindInMap': ['Sizes', 'small', 'memory'] }, 'x')).toBe(128);
  });

  it('names the place and the problem for unknown references, attributes and intrinsics', () => {
    expect(() => values.resolve({ Ref: 'Missing' }, 'Fn.Properties.Environment')).toThrow(
      /Fn\.Properties\.Environment\.Ref: Ref Missing is not available/,
    );
    expect(() => values.resolve({ 'Fn::GetAtt': ['Fn', 'SnapStartResponse'] }, 'x')).toThrow(
      /Fn::GetAtt Fn\.SnapStartResponse is not supported locally for AWS::Lambda::Function \(known: Arn\)/,
    );
    expect(() => values.resolve({ 'Fn::ImportValue': 'Shared-Export' }, 'Fn.Properties.X')).toThrow(
      /Fn\.Properties\.X\.Fn::ImportValue: intrinsic function Fn::ImportValue is not supported/,
    );
  });

  it('finds references in Ref, GetAtt and Sub, but not pseudo parameters or Sub variables', () => {
    const found = referencedIds({
      a: { Ref: 'Fn' },
      b: { 'Fn::GetAtt': 'Table.StreamArn' },
      c: { 'Fn::Sub': ['${Queue.Arn}-${AWS::Region}-${Local}-${!Escaped}', { Local: { Ref: 'Api' } }] },
      d: { Ref: 'AWS::Region' },
    });
    expect([...found].sort()).toEqual(['Api', 'Fn', 'Queue', 'Table']);
  });
});

describe('dependency graph', () => {
  it('orders resources after their dependencies, DependsOn included', () => {
    const graph = dependencies(
      {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Environment: { Variables: { T: { Ref: 'Table' } } } },
        },
        Table: { Type: 'AWS::DynamoDB::Table', DependsOn: 'Role' },
        Role: { Type: 'AWS::IAM::Role' },
      },
      new Set(),
    );
    expect(topologicalOrder(graph)).toEqual(['Role', 'Table', 'Fn']);
  });

  it('fails on a cycle and names every resource in it (cdk synth only warns)', () => {
    const resources = {
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionSubstitutions: { Step: { 'Fn::GetAtt': ['StepFn', 'Arn'] } } },
      },
      StepFn: {
        Type: 'AWS::Lambda::Function',
        Properties: { Environment: { Variables: { MACHINE: { Ref: 'Machine' } } } },
      },
    };
    const plan = () => planStack(assembly({ Resources: resources }), () => true, PROVISIONERS);
    expect(plan).toThrow(TemplateError);
    expect(plan).toThrow(/dependency cycle: Machine -> StepFn -> Machine/);
  });

  it('fails on a reference to a resource that does not exist', () => {
    const resources = {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Gone', 'Arn'] } } },
    };
    expect(() => dependencies(resources, new Set())).toThrow(
      /Fn \(AWS::Lambda::Function\): references unknown resource Gone/,
    );
  });
});

describe('plan', () => {
  it('rejects an unsupported resource type, naming the logical id and the type', () => {
    const template = { Resources: { Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} } } };
    expect(() => planStack(assembly(template), () => true, PROVISIONERS)).toThrow(
      'Stream (AWS::Kinesis::Stream): resource type is not supported by the local runtime',
    );
  });

  it('rejects an unsupported property with the reason', () => {
    const template = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Layers: ['arn:aws:lambda:us-east-1:1:layer:x:1'] },
        },
      },
    };
    expect(() => planStack(assembly(template), () => true, PROVISIONERS)).toThrow(
      /Fn \(AWS::Lambda::Function\): property Layers is not supported: layers are not loaded locally/,
    );
  });

  it('rejects a property it does not know at all', () => {
    const template = { Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { Frobnicate: true } } } };
    expect(() => planStack(assembly(template), () => true, PROVISIONERS)).toThrow(
      /Q \(AWS::SQS::Queue\): property Frobnicate is not supported/,
    );
  });

  it('keeps skipped types for reference resolution, drops CDK metadata and false conditions', () => {
    const template: CfnTemplate = {
      Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
        Meta: { Type: 'AWS::CDK::Metadata', Properties: {}, Condition: 'CDKMetadataAvailable' },
        Q: { Type: 'AWS::SQS::Queue', Properties: {} },
        Maybe: { Type: 'AWS::SQS::Queue', Properties: {}, Condition: 'Never' },
      },
    };
    const values = new StackValues(template, 'App', 'us-east-1');
    const plan = planStack(assembly(template), (name, at) => values.condition(name, at), PROVISIONERS);
    expect(plan.map((r) => [r.logicalId, r.role])).toEqual([
      ['Q', 'build'],
      ['Role', 'skipped'],
    ]);
  });
});
