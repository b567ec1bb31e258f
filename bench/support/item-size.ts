/** DynamoDB's item size rules (names plus values), to compare event item layouts. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A number's size: about one byte per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** The size of one attribute value. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.NULL !== undefined || value.BOOL !== undefined) return 1;
  if (value.M !== undefined) {
    return (
      3 +
      Object.entries(value.M).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name) + valueSize(v), 0)
    );
  }
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  throw new Error(`No size rule for ${JSON.stringify(value)}`);
}

/** The size of an item: every attribute's name and value. */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

/** The logical content: the values alone, each once (no names, nothing repeated from the key). */
export function logicalSize(values: readonly AttributeValue[]): number {
  return values.reduce((sum, value) => sum + valueSize(value), 0);
}
