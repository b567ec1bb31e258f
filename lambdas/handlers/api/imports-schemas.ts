import { z } from 'zod';

/** An import job as GET /imports/{id} and the POST routes answer it (presentImport). */
const signedUrl = z.object({ url: z.string(), expiresAt: z.string() });
export const importResponse = z
  .object({
    id: z.string(),
    status: z.enum(['awaiting-upload', 'processing', 'done', 'failed']),
    reason: z.string().nullable().describe('why the file was refused (status failed)'),
    retryOf: z.string().nullable().describe('the import whose rejected rows this one re-submits'),
    createdAt: z.string(),
    rows: z.number().int().nullable().describe('data rows in the file, once validated'),
    accepted: z.number().int(),
    rejected: z.number().int(),
    duplicate: z.number().int(),
    pending: z.number().int().nullable(),
    upload: signedUrl
      .extend({ method: z.literal('PUT') })
      .nullable()
      .describe('where to PUT the CSV (15 minutes), while the import awaits its file'),
    errorReport: signedUrl.nullable().describe('the error CSV (line, reason, row), once done'),
  })
  .meta({ id: 'Import' });
