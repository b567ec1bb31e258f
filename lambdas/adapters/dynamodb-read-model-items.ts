import type { AttributeValue, TransactWriteItem, Update } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { GuardedCommit, RowChange } from '../domain/projections/read-model.ts';

/** The guard's Put, conditional on the version it moves from. */
export function guardItem<S>(table: string, commit: GuardedCommit<S>): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: marshall(
        {
          ...commit.attributes,
          ...commit.key,
          tenantId: commit.tenantId,
          version: commit.next.version,
          ...(commit.next.state === null ? {} : { state: commit.next.state }),
        },
        { removeUndefinedValues: true },
      ),
      ...guardCondition(commit.expectedVersion),
    },
  };
}

/** Two `add` changes to one row as one: counters summed, sets joined. */
export function sumAdds(
  a: Extract<RowChange, { kind: 'add' }>,
  b: Extract<RowChange, { kind: 'add' }>,
): Extract<RowChange, { kind: 'add' }> {
  const add: Record<string, number | readonly string[]> = { ...a.add };
  for (const [name, value] of Object.entries(b.add)) {
    const current = add[name];
    if (typeof value === 'number') add[name] = (typeof current === 'number' ? current : 0) + value;
    else add[name] = [...new Set([...((current as readonly string[] | undefined) ?? []), ...value])];
  }
  return { kind: 'add', key: a.key, set: { ...a.set, ...b.set }, add };
}

function guardCondition(expectedVersion: number): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (expectedVersion === 0) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: 'version = :expected',
    ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
  };
}

/** A row change as a transaction item: a Put of the whole row, or an Update that SETs and ADDs. */
export function changeItem(table: string, change: RowChange): TransactWriteItem {
  if (change.kind === 'put') {
    return {
      Put: {
        TableName: table,
        Item: marshall({ ...change.row, ...change.key }, { removeUndefinedValues: true }),
      },
    };
  }
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const adds: string[] = [];
  let n = 0;
  for (const [name, value] of Object.entries(change.set)) {
    names[`#n${n}`] = name;
    values[`:v${n}`] = { S: value };
    sets.push(`#n${n} = :v${n}`);
    n++;
  }
  for (const [name, value] of Object.entries(change.add)) {
    names[`#n${n}`] = name;
    values[`:v${n}`] = typeof value === 'number' ? { N: String(value) } : { SS: [...value] };
    adds.push(`#n${n} :v${n}`);
    n++;
  }
  const update: Update = {
    TableName: table,
    Key: marshall(change.key),
    UpdateExpression: [
      sets.length ? `SET ${sets.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
  return { Update: update };
}
