import { z } from 'zod';
import { instant } from './statement-schemas.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** POST /exports: an account's statement or the tenant's ledger for `[from, to)`, as CSV, optionally gzip. */
export const createExportBody = z
  .object({
    kind: z.enum(['account-statement', 'ledger']),
    accountId: z.string().regex(ID).optional(),
    from: instant,
    to: instant,
    format: z.literal('csv').default('csv'),
    gzip: z.boolean().default(false),
  })
  .strict()
  .refine((body) => body.from < body.to, { message: '`from` must be before `to`', path: ['to'] })
  .refine((body) => (body.kind === 'account-statement') === (body.accountId !== undefined), {
    message: 'an account-statement names its accountId; a ledger export names none',
    path: ['accountId'],
  });

/** An export job: its request, its progress and, once completed, a download link with its expiry. */
export const exportResponse = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'failed']),
  kind: z.enum(['account-statement', 'ledger']),
  accountId: z.string().optional(),
  from: z.string(),
  to: z.string(),
  format: z.literal('csv'),
  gzip: z.boolean(),
  progress: z.object({
    rows: z.number().int(),
    bytes: z.number().int(),
    parts: z.number().int(),
    percent: z.number().int().min(0).max(100),
  }),
  checksum: z.object({ rows: z.number().int(), debits: z.string(), credits: z.string() }).optional(),
  url: z.string().optional(),
  urlExpiresAt: z.string().optional(),
});
