/** The digest function's environment (set by lib/audit.ts; the events table's comes from the event store). */
export const DIGEST_ENV = {
  /** The write-once (Object Lock) bucket digests go to. */
  bucket: 'AUDIT_DIGEST_BUCKET',
} as const;

/** Where a tenant's digests live in the bucket: `digests/<tenant>/<ISO instant>.json`. */
export const DIGEST_PREFIX = 'digests/';

/** The stack outputs audit:verify reads (lib/audit.ts sets them at the stack's top level). */
export const AUDIT_OUTPUTS = {
  keySecretArn: 'AuditKeySecretArn',
  digestBucket: 'AuditDigestBucketName',
} as const;
