import { stableId } from '../naming.ts';
import type { Provisioner } from './provisioner.ts';

/**
 * `AWS::KMS::Key` and `AWS::KMS::Alias`: KMS is not emulated. DynamoDB Local and the SQS emulator
 * accept the tables' `SSESpecification` and the queues' `KmsMasterKeyId` and store data unencrypted,
 * so a key gets only the id and ARN references to it need.
 */
export const kmsKeyProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::KMS::Key': {
    skipped: 'KMS is not emulated: DynamoDB Local and the SQS emulator ignore encryption settings',
    provision(r, ctx) {
      const id = `${stableId(`${ctx.stackName}/${r.logicalId}`, 8)}-0000-4000-8000-${stableId(r.logicalId, 12)}`;
      const arn = `arn:aws:kms:${ctx.region}:000000000000:key/${id}`;
      return { ref: id, attributes: { Arn: arn, KeyId: id } };
    },
  },
  'AWS::KMS::Alias': {
    skipped: 'KMS is not emulated',
    provision(r) {
      const name =
        typeof r.properties.AliasName === 'string' ? r.properties.AliasName : `alias/${r.logicalId}`;
      return { ref: name, attributes: {} };
    },
  },
};
