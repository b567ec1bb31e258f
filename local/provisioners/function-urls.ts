import { functionNameFromArnOrName } from '../naming.ts';
import { fail, type Provisioner, property } from './provisioner.ts';

/** `AWS::Lambda::Url`: an HTTP endpoint of its own in front of a function of the stack. */
export const functionUrlProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::Lambda::Url': {
    properties: {
      allowed: ['AuthType', 'TargetFunctionArn', 'Cors', 'InvokeMode'],
      unsupported: { Qualifier: 'function aliases and versions are not emulated' },
    },
    async provision(r, ctx) {
      const target =
        property<string>(ctx, r, 'TargetFunctionArn') ?? fail(r, 'TargetFunctionArn is required');
      const functionName = functionNameFromArnOrName(target);
      if (!ctx.services.pool.find(functionName))
        fail(r, `TargetFunctionArn ${target} is not a function of this stack`);
      const url = await ctx.services.functionUrls.add({
        logicalId: r.logicalId,
        functionName,
        authType: property<string>(ctx, r, 'AuthType') === 'AWS_IAM' ? 'AWS_IAM' : 'NONE',
      });
      ctx.log(`function URL ${r.logicalId} → ${functionName} at ${url}`);
      // CloudFormation: Fn::GetAtt FunctionUrl is the URL (with a trailing slash), FunctionArn the target.
      return { ref: target, attributes: { FunctionUrl: url, FunctionArn: target } };
    },
  },
};
