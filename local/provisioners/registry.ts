import { apiGatewayProvisioners } from './api-gateway.ts';
import { dynamoDbTableProvisioners } from './dynamodb-tables.ts';
import { eventRuleProvisioners } from './event-rules.ts';
import { eventSourceMappingProvisioners } from './event-source-mappings.ts';
import { functionUrlProvisioners } from './function-urls.ts';
import { lambdaFunctionProvisioners } from './lambda-functions.ts';
import { noOpProvisioners } from './no-op.ts';
import type { Provisioner } from './provisioner.ts';
import { s3BucketProvisioners } from './s3-buckets.ts';
import { secretProvisioners } from './secrets.ts';
import { sqsQueueProvisioners } from './sqs-queues.ts';
import { stateMachineProvisioners } from './state-machines.ts';

/**
 * Every CloudFormation type the local runtime knows, keyed by type: what it accepts and how it builds it.
 * A type missing here is refused with a clear error when the stack is planned.
 */
export const PROVISIONERS: Readonly<Record<string, Provisioner>> = {
  ...noOpProvisioners,
  ...dynamoDbTableProvisioners,
  ...sqsQueueProvisioners,
  ...s3BucketProvisioners,
  ...lambdaFunctionProvisioners,
  ...eventSourceMappingProvisioners,
  ...eventRuleProvisioners,
  ...secretProvisioners,
  ...functionUrlProvisioners,
  ...stateMachineProvisioners,
  ...apiGatewayProvisioners,
};
