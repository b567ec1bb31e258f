import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ChunkJob, ImportFiles } from '../domain/imports-ports.ts';

/**
 * An import's files in one bucket (keys start with the tenant). The client must be built with
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: otherwise a presigned PUT URL carries the checksum of
 * an empty body and every upload to it is refused.
 */
export class S3ImportFiles implements ImportFiles {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(options: { readonly client: S3Client; readonly bucketName: string }) {
    this.#s3 = options.client;
    this.#bucket = options.bucketName;
  }

  uploadUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.#s3, new PutObjectCommand({ Bucket: this.#bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  downloadUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      this.#s3,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ResponseContentType: 'text/csv; charset=utf-8',
      }),
      { expiresIn: expiresInSeconds },
    );
  }

  async read(key: string): Promise<{ etag: string; body: AsyncIterable<Uint8Array> }> {
    const object = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    const body = object.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new Error(`s3://${this.#bucket}/${key} has no body`);
    return { etag: object.ETag ?? '', body };
  }

  async readRange(key: string, range: { start: number; end: number }, etag: string): Promise<string> {
    if (range.end <= range.start) return '';
    const object = await this.#s3.send(
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Range: `bytes=${range.start}-${range.end - 1}`,
        IfMatch: etag,
      }),
    );
    return (await object.Body?.transformToString('utf-8')) ?? '';
  }

  async write(key: string, text: string): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: text,
        ContentType: 'text/csv; charset=utf-8',
      }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async readText(key: string): Promise<string> {
    const object = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    return (await object.Body?.transformToString('utf-8')) ?? '';
  }
}

/** Chunk jobs onto the chunk queue, ten to a batch; a batch entry that fails throws (the split runs again). */
export function sqsChunkSender(client: SQSClient, queueUrl: string) {
  return async (jobs: readonly ChunkJob[]): Promise<void> => {
    const { Failed } = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: jobs.map((job) => ({ Id: String(job.chunk.index), MessageBody: JSON.stringify(job) })),
      }),
    );
    if (Failed && Failed.length > 0)
      throw new Error(`${Failed.length} chunk jobs were not sent: ${Failed[0]?.Message}`);
  };
}
