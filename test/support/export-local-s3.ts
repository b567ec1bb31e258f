import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';

/**
 * An S3 client of the local S3 (fauxqs, at the SQS emulator's endpoint): path-style, and checksums only
 * where required (a presigned PUT would otherwise carry the CRC32 of an empty body).
 */
export function localS3Client(endpoint: string, region: string): S3Client {
  return new S3Client({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}
