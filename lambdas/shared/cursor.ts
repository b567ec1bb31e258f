import type { z } from 'zod';
import { ApiError } from './problems.ts';

/** An opaque cursor: base64url of the JSON position. Clients pass it back unchanged. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Decodes and validates a cursor this API issued; anything else is a 400. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError(
      400,
      'invalid-cursor',
      'The cursor is not one this API issued; start again without it.',
    );
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ApiError(
      400,
      'invalid-cursor',
      'The cursor is not one this API issued; start again without it.',
    );
  }
  return result.data;
}
