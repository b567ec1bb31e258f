// Expiry on time (issue 11, item 4): the schedule, the sparse index and the sweep's least privilege.
import { describe, expect, it } from 'vitest';
import { TRANSFER_VIEW_INDEXES } from '../../lambdas/domain/projections/transfer-view.ts';
import {
  actionsOf,
  dynamoStatements,
  logicalId,
  ofType,
  resource,
  stack,
  statementsOfRole,
  synthesizeStack,
} from './stack-under-test.ts';

synthesizeStack({ bundling: false });

const sweep = () => stack.expirySweep;
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('the expiry sweep', () => {
  it('runs every minute from an enabled EventBridge rule targeting the sweep function', () => {
    const rule = resource(logicalId(sweep().rule)).Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.State).toBe('ENABLED');
    const targets = rule.Targets as { Arn: unknown; RetryPolicy?: unknown }[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual(arnOf(logicalId(sweep().function.function)));
    // Only EventBridge, from this rule, may invoke it.
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) =>
      JSON.stringify(p.Properties.FunctionName).includes(`"${logicalId(sweep().function.function)}"`),
    );
    expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
    // The sweep's is the one rule that targets the sweep function.
    const sweepRules = ofType('AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(`"${logicalId(sweep().function.function)}"`),
    );
    expect(sweepRules.map(([id]) => id)).toEqual([logicalId(sweep().rule)]);
  });

  it('gives both transfer view tables the sparse by-expiry GSI with only the keys the sweep reads', () => {
    for (const table of [
      stack.readModels.tables['transfer-view'].blue,
      stack.readModels.tables['transfer-view'].green,
    ]) {
      const indexes = resource(logicalId(table)).Properties.GlobalSecondaryIndexes as Record<
        string,
        unknown
      >[];
      expect(indexes).toEqual([
        {
          IndexName: 'by-expiry',
          KeySchema: [
            { AttributeName: 'expiryShard', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenantId', 'transferId'] },
        },
      ]);
    }
  });

  it('lets the sweep load and append to the ledger and Query the expiry index, nothing more', () => {
    const roleId = logicalId(sweep().function.role);
    const statements = dynamoStatements(statementsOfRole(roleId));
    const grants = statements.flatMap((s) =>
      (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(
        (r) => `${actionsOf(s).sort().join(',')} ${JSON.stringify(r)}`,
      ),
    );
    const events = logicalId(stack.eventStore.eventsTable);
    const snapshots = logicalId(stack.eventStore.snapshotsTable);
    const pointers = logicalId(stack.readModels.pointers);
    const index = (id: string) =>
      JSON.stringify({ 'Fn::Join': ['', [arnOf(id), `/index/${TRANSFER_VIEW_INDEXES.byExpiry.name}`]] });
    const { blue, green } = stack.readModels.tables['transfer-view'];
    expect(grants.sort()).toEqual(
      [
        `dynamodb:ConditionCheckItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query ${JSON.stringify(arnOf(events))}`,
        `dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query ${JSON.stringify(arnOf(snapshots))}`,
        `dynamodb:GetItem ${JSON.stringify(arnOf(pointers))}`,
        `dynamodb:Query ${index(logicalId(blue))}`,
        `dynamodb:Query ${index(logicalId(green))}`,
      ].sort(),
    );
  });
});
