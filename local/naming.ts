import { createHash } from 'node:crypto';

/** Account id used in every local ARN and queue URL (the one fauxqs uses too). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A deterministic id shaped like API Gateway's (10 lowercase letters and digits) derived from `seed`. */
export function stableId(seed: string, length = 10): string {
  const digest = createHash('sha256').update(seed).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[(digest[i] ?? 0) % alphabet.length];
  return id;
}

/**
 * `<stack>-<logicalId>`, the name CloudFormation would invent, cut to `maxLength` with a hash suffix
 * so two long ids never collide.
 */
export function physicalName(stackName: string, logicalId: string, maxLength: number): string {
  const name = `${stackName}-${logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length <= maxLength) return name;
  const suffix = stableId(name, 8);
  return `${name.slice(0, maxLength - suffix.length - 1)}-${suffix}`;
}

/** Canonical ARNs (six colon-separated parts, so `Fn::Split`/`Fn::Select` over them work as on AWS). */
export const arns = {
  lambda: (region: string, name: string) => `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`,
  sqs: (region: string, name: string) => `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
  table: (region: string, name: string) => `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}`,
  stateMachine: (region: string, name: string) =>
    `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`,
  execution: (region: string, machine: string, name: string) =>
    `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:execution:${machine}:${name}`,
  role: (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}`,
  policy: (name: string) => `arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/${name}`,
  logGroup: (region: string, name: string) =>
    `arn:aws:logs:${region}:${LOCAL_ACCOUNT_ID}:log-group:${name}:*`,
  alarm: (region: string, name: string) => `arn:aws:cloudwatch:${region}:${LOCAL_ACCOUNT_ID}:alarm:${name}`,
  topic: (region: string, name: string) => `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${name}`,
  /** Secrets Manager appends six random characters to the name; locally they derive from it. */
  secret: (region: string, name: string) =>
    `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:${name}-${stableId(`secret/${name}`, 6)}`,
};

/** The last `:`-separated part of a Lambda ARN, or the input when it is already a name (qualifier dropped). */
export function functionNameFromArnOrName(value: string): string {
  const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::.+)?$/.exec(value);
  if (match?.[1]) return match[1];
  const partial = /^[^:]*:function:([^:]+)(?::.+)?$/.exec(value);
  if (partial?.[1]) return partial[1];
  return value.split(':')[0] ?? value;
}
