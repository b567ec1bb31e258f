// Least privilege of the stack's roles: what each route and worker may do to the tables (no bundling:
// only IAM and wiring are read).
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteGrant, type RouteSpec } from '../../lib/routes.ts';
import {
  actionsOf,
  allows,
  allStatements,
  dynamoStatements,
  FORBIDDEN_ON_EVENTS,
  logicalId,
  ofType,
  resource,
  routeFunction,
  sandbox,
  stack,
  statementsOfRole,
  synthesizeStack,
  touches,
  WRITES,
} from './stack-under-test.ts';

synthesizeStack({ bundling: false });

/** The routes granted `grant`, as `METHOD path`. */
const routesGranted = (grant: RouteGrant) =>
  ROUTES.filter((r) => r.grants.includes(grant))
    .map((r) => `${r.method} ${r.path}`)
    .sort();
const isWrite = (r: RouteSpec) => r.grants.includes('append-events');
const isRead = (r: RouteSpec) => !isWrite(r) && r.grants.includes('read-events');

describe('least privilege', () => {
  it('declares the grants that would hurt on exactly these routes', () => {
    expect(routesGranted('append-events')).toEqual([
      'POST /accounts',
      'POST /accounts/{id}/deposits',
      'POST /accounts/{id}/freeze',
      'POST /accounts/{id}/unfreeze',
      'POST /accounts/{id}/withdrawals',
      'POST /payments',
      'POST /payments/{id}/refunds',
      'POST /transfers',
      'POST /transfers/{id}/post',
      'POST /transfers/{id}/void',
    ]);
    expect(routesGranted('idempotency')).toEqual(routesGranted('append-events'));
    // It writes the endpoints table (never the ledger) and stores no response: its answer holds a secret.
    expect(routesGranted('register-webhook-endpoints')).toEqual(['POST /merchants/{id}/webhook-endpoints']);
    expect(routesGranted('read-webhook-endpoints')).toEqual(['GET /merchants/{id}/webhook-endpoints']);
    expect(routesGranted('read-deliveries')).toEqual(['GET /merchants/{id}/deliveries']);
    expect(routesGranted('start-payments')).toEqual(['POST /payments']);
    expect(routesGranted('call-processor')).toEqual(['POST /payments/{id}/refunds']);
    expect(routesGranted('receive-processor-webhooks')).toEqual(['POST /webhooks/processor']);
  });

  it('lets only POST /payments start the saga and only the refunds route call the processor', () => {
    const machineId = logicalId(stack.paymentSaga.stateMachine);
    const starters = allStatements()
      .filter(({ statement }) => allows(statement, 'states:StartExecution') && touches(statement, machineId))
      .map(({ roleId }) => roleId);
    const payments = ROUTES.find((r) => r.method === 'POST' && r.path === '/payments');
    if (!payments) throw new Error('no POST /payments route');
    expect(starters).toEqual([routeFunction(payments).roleId]);
    const secretId = logicalId(sandbox().secret);
    const callers = ROUTES.filter((r) =>
      statementsOfRole(routeFunction(r).roleId).some(
        (s) => allows(s, 'secretsmanager:GetSecretValue') && touches(s, secretId),
      ),
    ).map((r) => `${r.method} ${r.path}`);
    expect(callers).toEqual(['POST /payments/{id}/refunds']);
  });

  it('lets no role update, delete or batch-write the events table', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    const offending = allStatements()
      .filter(({ statement }) => touches(statement, eventsId))
      .flatMap(({ roleId, statement }) =>
        FORBIDDEN_ON_EVENTS.filter((action) => allows(statement, action)).map(
          (action) => `${roleId}: ${action}`,
        ),
      );
    expect(offending).toEqual([]);
    // Managed policies are invisible to the scan above, so only API Gateway's logging one may appear.
    const managed = ofType('AWS::IAM::Role').flatMap(([, role]) =>
      ((role.Properties.ManagedPolicyArns ?? []) as unknown[]).map((arn) => JSON.stringify(arn)),
    );
    expect(
      managed.filter((arn) => !arn.includes('service-role/AmazonAPIGatewayPushToCloudWatchLogs')),
    ).toEqual([]);
  });

  it('has the events table itself deny every principal any change or delete of an event', () => {
    // A TableV2 is a global table: the policy sits on its (one) replica.
    const { Replicas } = resource(logicalId(stack.eventStore.eventsTable)).Properties as {
      Replicas: { ResourcePolicy?: { PolicyDocument: { Statement: unknown[] } } }[];
    };
    expect(Replicas).toHaveLength(1);
    expect(Replicas[0]?.ResourcePolicy?.PolicyDocument.Statement).toEqual([
      {
        Sid: 'EventsAreAppendOnly',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: expect.arrayContaining([...FORBIDDEN_ON_EVENTS]),
        Resource: '*',
      },
    ]);
  });

  it('lets write routes append to and read the events table, nothing more', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    for (const route of ROUTES.filter(isWrite)) {
      const { roleId } = routeFunction(route);
      const actions = dynamoStatements(statementsOfRole(roleId))
        .filter((s) => touches(s, eventsId))
        .flatMap(actionsOf)
        .sort();
      expect(actions, roleId).toEqual([
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ]);
    }
  });

  it('lets read routes write nothing and reach only the event store and the read models they serve', () => {
    const eventsId = logicalId(stack.eventStore.eventsTable);
    const snapshotsId = logicalId(stack.eventStore.snapshotsTable);
    const pointersId = logicalId(stack.readModels.pointers);
    const reads = ROUTES.filter(isRead);
    expect(reads.length).toBeGreaterThan(0);
    const arn = (id: string) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
    // The webhook tables are granted by their constructs and checked in test/infra/workers.test.ts.
    const webhookTables = [
      stack.notifications.endpoints,
      stack.notifications.deliveries,
      stack.processorWebhooks.inbox,
      // The export jobs too: test/infra/exports.test.ts.
      stack.exports.jobs,
    ];
    const webhookIds = webhookTables.map((t) => logicalId(t));
    for (const route of reads) {
      const { roleId } = routeFunction(route);
      const dynamo = dynamoStatements(statementsOfRole(roleId)).filter(
        (s) => !webhookIds.some((id) => touches(s, id)),
      );
      expect(
        dynamo.flatMap((s) => WRITES.filter((w) => allows(s, w))),
        roleId,
      ).toEqual([]);
      expect([...new Set(dynamo.flatMap(actionsOf))].sort(), roleId).toEqual([
        'dynamodb:GetItem',
        'dynamodb:Query',
      ]);
      const views = (route.readModels ?? []).flatMap((m) => [
        logicalId(stack.readModels.tables[m].blue),
        logicalId(stack.readModels.tables[m].green),
      ]);
      const all = dynamo.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
      // GSIs of the views they serve (the payment view's lists) are named, never `index/*`.
      const indexes = all.map((r) => JSON.stringify(r)).filter((r) => r.includes('/index/'));
      for (const index of indexes) expect(index, roleId).toMatch(/\/index\/[a-z-]+"/);
      const reached = all.filter((r) => !JSON.stringify(r).includes('/index/'));
      expect([...new Set(reached.map((r) => JSON.stringify(r)))].sort(), roleId).toEqual(
        [eventsId, snapshotsId, ...views, ...(views.length > 0 ? [pointersId] : [])].map(arn).sort(),
      );
    }
  });

  it('gives the idempotency table to write routes and the queue workers only, with the four Powertools item actions', () => {
    const idempotencyId = logicalId(stack.idempotency.table);
    const writeRoles = new Set([
      ...ROUTES.filter((r) => r.grants.includes('idempotency')).map((r) => routeFunction(r).roleId),
      logicalId(stack.processorWebhooks.worker.role),
      logicalId(stack.notifications.worker.role),
    ]);
    const holders = allStatements().filter(
      ({ statement }) => dynamoStatements([statement]).length > 0 && touches(statement, idempotencyId),
    );
    expect(new Set(holders.map((h) => h.roleId))).toEqual(writeRoles);
    for (const { roleId, statement } of holders) {
      expect(actionsOf(statement).sort(), roleId).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
    }
  });

  it('attaches no AWS managed policy to function roles', () => {
    for (const route of ROUTES) {
      const { roleId } = routeFunction(route);
      expect(resource(roleId).Properties.ManagedPolicyArns, roleId).toBeUndefined();
    }
  });
});
