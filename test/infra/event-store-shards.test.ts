import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/env-names.ts';
import { CEILING_CONTEXT, EventStore, SHARD_CONTEXT } from '../../lib/event-store.ts';

function synth(context: Record<string, unknown>) {
  const stack = new Stack(new App({ context }), 'Shards');
  const store = new EventStore(stack, 'EventStore');
  const fn = new LambdaFunction(stack, 'Fn', {
    runtime: Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: Code.fromInline('export const handler = () => {};'),
  });
  store.grantAppend(fn);
  return Template.fromStack(stack);
}

describe('the shard layout per stage', () => {
  it('tells every function that reads or appends events, from the context', () => {
    const template = synth({ [SHARD_CONTEXT.systemShards]: '64', [SHARD_CONTEXT.hotShards]: '8' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.systemShards]: '64', [ENV.hotShards]: '8' }) },
    });
  });

  it('defaults to 64 system shards and 16 replicas', () => {
    synth({}).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.systemShards]: '64', [ENV.hotShards]: '16' }) },
    });
  });

  it('refuses a layout outside the ceilings at synth', () => {
    expect(() => synth({ [SHARD_CONTEXT.hotShards]: '49' })).toThrow(SHARD_CONTEXT.hotShards);
    expect(() => synth({ [SHARD_CONTEXT.systemShards]: '0' })).toThrow(SHARD_CONTEXT.systemShards);
  });
});

describe('the per-transfer amount ceiling per stage', () => {
  it('tells every function that appends the default and the tenants’ own, from the context', () => {
    synth({
      [CEILING_CONTEXT.defaultMinor]: '5000000',
      [CEILING_CONTEXT.perTenant]: { 'tenant-big': 900_000_000 },
    }).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.amountCeiling]: '5000000',
          [ENV.tenantAmountCeilings]: '{"tenant-big":900000000}',
        }),
      },
    });
    synth({}).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.amountCeiling]: '100000000000' }) },
    });
  });

  it('refuses a ceiling that is not a whole number of minor units at synth', () => {
    expect(() => synth({ [CEILING_CONTEXT.defaultMinor]: '0' })).toThrow(CEILING_CONTEXT.defaultMinor);
    expect(() => synth({ [CEILING_CONTEXT.perTenant]: '{"t":1.5}' })).toThrow(CEILING_CONTEXT.perTenant);
  });
});
