import { arns } from '../naming.ts';
import { type Provisioner, resolvedProperties, resourceName } from './provisioner.ts';

/** `AWS::SecretsManager::Secret`: a secret of the local Secrets Manager endpoint. */
export const secretProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::SecretsManager::Secret': {
    properties: {
      allowed: ['Name', 'Description', 'GenerateSecretString', 'SecretString', 'KmsKeyId', 'Tags'],
      unsupported: { ReplicaRegions: 'secret replication is not emulated' },
    },
    provision(r, ctx) {
      const name = resourceName(ctx, r, 'Name', 512);
      const arn = arns.secret(ctx.region, name);
      const properties = resolvedProperties(ctx, r);
      ctx.services.secrets.register({ logicalId: r.logicalId, name, arn, properties });
      // CloudFormation: Ref and Fn::GetAtt Id both give the ARN.
      return { ref: arn, attributes: { Id: arn } };
    },
  },
};
