import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { MultipartUploads, UploadedPart } from '../domain/exports.ts';

/** Export files in one bucket: multipart uploads, and presigned GET URLs. */
export class S3ExportUploads implements MultipartUploads {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  async start(key: string): Promise<string> {
    const contentType = key.endsWith('.gz') ? 'application/gzip' : 'text/csv; charset=utf-8';
    const { UploadId } = await this.#client.send(
      new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error(`S3 gave no upload id for ${key}`);
    return UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const { ETag } = await this.#client.send(
      new UploadPartCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
      }),
    );
    if (!ETag) throw new Error(`S3 gave no ETag for part ${partNumber} of ${key}`);
    return ETag;
  }

  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
  }

  async finished(key: string): Promise<{ readonly parts: number } | null> {
    try {
      // Asking for part 1 answers the part count of an object made by a multipart upload.
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key, PartNumber: 1 }),
      );
      return { parts: head.PartsCount ?? 1 };
    } catch (error) {
      if (error instanceof NotFound) return null;
      throw error;
    }
  }

  /** A GET URL for the file, valid `expiresInSeconds`. */
  presignedGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
