// The tamper-evident history's infrastructure: the audit key, the write-once digest bucket, the digest
// function's narrow grants, and the IAM side of "nothing in the app can change or delete an event".
// IAM has no condition key on a write's ConditionExpression (dynamodb:Attributes, ReturnValues, Select,
// LeadingKeys, EnclosingOperation... only), so it cannot force attribute_not_exists: the events table's
// resource policy denies every change, and these tests check that no role is granted one.
import { describe, expect, it } from 'vitest';
import { EVENT_CHANGING_ACTIONS } from '../../lib/event-store.ts';
import {
  actionsOf,
  allows,
  allStatements,
  dynamoStatements,
  logicalId,
  ofType,
  resource,
  stack,
  statementsOfRole,
  synthesizeStack,
  template,
  touches,
} from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('the audit infrastructure', () => {
  it('generates the audit key at deploy (no value in the template) and outputs its ARN and the bucket', () => {
    const key = resource(logicalId(stack.audit.key)).Properties;
    expect(key.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(key).not.toHaveProperty('SecretString');
    const outputs = Object.keys(template.toJSON().Outputs ?? {});
    expect(outputs).toEqual(expect.arrayContaining(['AuditKeySecretArn', 'AuditDigestBucketName']));
  });

  it('writes digests to a bucket with Object Lock in COMPLIANCE mode, versioned, encrypted, private', () => {
    const bucket = resource(logicalId(stack.audit.bucket));
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('runs the digest on a schedule, with PutObject under digests/ and a Scan of the events table only', () => {
    const fnId = logicalId(stack.audit.function.function);
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(fnId),
    );
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(1 hour)']);
    const statements = statementsOfRole(logicalId(stack.audit.function.role));
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]?.Resource)).toContain('/digests/*');
    const events = logicalId(stack.eventStore.eventsTable);
    const onEvents = dynamoStatements(statements)
      .filter((s) => touches(s, events))
      .flatMap(actionsOf);
    expect(onEvents).toEqual(['dynamodb:Scan']);
  });

  it('lets no role in the stack update or delete an event, and no grant on a table uses a * action', () => {
    const events = logicalId(stack.eventStore.eventsTable);
    const changers = allStatements().filter(
      ({ statement }) =>
        touches(statement, events) && EVENT_CHANGING_ACTIONS.some((a) => allows(statement, a)),
    );
    expect(changers).toEqual([]);
    const tables = ofType('AWS::DynamoDB::GlobalTable').map(([id]) => id);
    expect(tables.length).toBeGreaterThan(3);
    // A table grant: a statement allowing DynamoDB actions on a table (or on every resource).
    const starred = allStatements()
      .map(({ statement }) => statement)
      .filter((s) => dynamoStatements([s]).length > 0 && tables.some((t) => touches(s, t)))
      .filter((s) => actionsOf(s).some((a) => a.includes('*')));
    expect(starred).toEqual([]);
  });

  it('keeps the deny of every event change on the events table itself, for every principal', () => {
    const table = resource(logicalId(stack.eventStore.eventsTable)).Properties;
    expect(JSON.stringify(table)).toContain('EventsAreAppendOnly');
    for (const action of EVENT_CHANGING_ACTIONS) expect(JSON.stringify(table)).toContain(action);
  });
});
