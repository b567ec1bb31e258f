import { stableId } from '../naming.ts';
import type { PlannedResource } from '../template.ts';
import type { ResourceValues } from '../values.ts';
import { type ProvisionContext, type Provisioner, property } from './provisioner.ts';

/** Properties that change nothing the local runtime must do (names, tags, access settings it does not check). */
const BUCKET_READ = ['BucketName', 'Tags', 'PublicAccessBlockConfiguration', 'OwnershipControls'];

/** Accepted so that the production template runs, but not emulated by fauxqs: printed once as a notice. */
const BUCKET_NOT_EMULATED: Readonly<Record<string, string>> = {
  BucketEncryption: 'objects are stored unencrypted',
  VersioningConfiguration: 'no object versions are kept',
  ObjectLockEnabled: 'objects are not locked',
  ObjectLockConfiguration: 'objects are not locked',
  LifecycleConfiguration: 'lifecycle rules are not enforced',
  CorsConfiguration: 'CORS is not enforced',
  LoggingConfiguration: 'no access logs are written',
  AccessControl: 'ACLs are not enforced',
  IntelligentTieringConfigurations: 'storage classes are not emulated',
  InventoryConfigurations: 'no inventory is written',
  MetricsConfigurations: 'no metrics locally',
  AnalyticsConfigurations: 'no analytics locally',
  AccelerateConfiguration: 'no transfer acceleration locally',
  ReplicationConfiguration: 'objects are not replicated',
  WebsiteConfiguration: 'no website endpoint locally',
  NotificationConfiguration: 'only notifications declared by Custom::S3BucketNotifications are delivered',
};

/**
 * The name the template gives, else a deterministic one shaped like CloudFormation's
 * (`<stack>-<logicalid>-<suffix>`, lowercase, at most 63 characters, valid as a bucket name).
 */
export function bucketName(ctx: ProvisionContext, r: PlannedResource): string {
  const given = property<string>(ctx, r, 'BucketName');
  if (given) return given;
  const base = `${ctx.stackName}-${r.logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const suffix = stableId(`bucket/${ctx.stackName}/${r.logicalId}`, 12);
  return `${base.slice(0, 63 - suffix.length - 1).replace(/-$/, '')}-${suffix}`;
}

/** `AWS::S3::Bucket`: a bucket of fauxqs' S3 (same endpoint as SQS, path-style). */
function provisionBucket(r: PlannedResource, ctx: ProvisionContext): ResourceValues {
  const name = bucketName(ctx, r);
  ctx.services.sqs.createBucket(name);
  for (const [key, reason] of Object.entries(BUCKET_NOT_EMULATED)) {
    if (r.properties[key] !== undefined) ctx.log(`note: ${r.logicalId}: ${key} is accepted but ${reason}`);
  }
  return {
    ref: name,
    attributes: {
      Arn: `arn:aws:s3:::${name}`,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${ctx.region}.amazonaws.com`,
      DualStackDomainName: `${name}.s3.dualstack.${ctx.region}.amazonaws.com`,
      WebsiteURL: `http://${name}.s3-website-${ctx.region}.amazonaws.com`,
    },
  };
}

export const s3BucketProvisioners: Readonly<Record<string, Provisioner>> = {
  'AWS::S3::Bucket': {
    properties: { allowed: [...BUCKET_READ, ...Object.keys(BUCKET_NOT_EMULATED)] },
    provision: provisionBucket,
  },
  'AWS::S3::BucketPolicy': {
    skipped: 'no IAM locally',
    provision: (r) => ({ ref: r.logicalId, attributes: {} }),
  },
};
