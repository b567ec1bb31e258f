import type { S3Event } from 'aws-lambda';
import { validateUpload } from '../../application/imports-work.ts';
import { importsApp } from '../../composition/imports.ts';
import { logger } from '../../shared/api.ts';

/**
 * The import validator, invoked by S3 when a source file is uploaded: checks it early and splits it into
 * chunk jobs. A bad file fails its import (with the reason) and the invocation succeeds; only an
 * unexpected error throws, and Lambda retries the (asynchronous) invocation.
 */
export const handler = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) {
    const result = await validateUpload(importsApp(), record.s3.object.key);
    logger.info('Import upload', { key: record.s3.object.key, ...result });
  }
};
