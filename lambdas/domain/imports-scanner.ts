/** One pass over an import file's bytes: encoding check, header, sample, and the split into chunks. */
import type { ChunkRange, NumberedLine } from './imports.ts';

const NEWLINE = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/** What a scan of the whole file found. */
export interface FileScan {
  readonly header: string | undefined;
  /** The first data lines, for the early check. */
  readonly sample: readonly NumberedLine[];
  /** Non-empty data lines. */
  readonly rows: number;
  readonly chunks: readonly ChunkRange[];
  /** Set when the bytes are not UTF-8. */
  readonly encodingError: string | undefined;
}

/**
 * Reads a file's bytes once, in order, in constant memory (besides the chunk list): checks that they
 * are UTF-8 (a BOM is tolerated), keeps the header and the first `sampleSize` data lines, counts the
 * non-empty data lines and cuts them into chunks of `rowsPerChunk` by byte range.
 */
export class FileScanner {
  readonly #rowsPerChunk: number;
  readonly #sampleSize: number;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  #offset = 0;
  #line = 1;
  #lineStart = 0;
  /** Bytes of the current line, kept only while it is the header or a sample line. */
  #pending: Uint8Array[] = [];
  #header: string | undefined;
  #sample: NumberedLine[] = [];
  #rows = 0;
  #chunks: ChunkRange[] = [];
  #chunkStart = -1;
  #chunkFirstLine = 0;
  #chunkRows = 0;
  #encodingError: string | undefined;
  #lastByte = 0;

  constructor(rowsPerChunk: number, sampleSize: number) {
    this.#rowsPerChunk = rowsPerChunk;
    this.#sampleSize = sampleSize;
  }

  push(bytes: Uint8Array): void {
    if (this.#encodingError === undefined) {
      try {
        this.#decoder.decode(bytes, { stream: true });
      } catch {
        this.#encodingError = `the file is not UTF-8 (an invalid byte sequence before byte ${this.#offset + bytes.length})`;
      }
    }
    let from = 0;
    if (this.#offset === 0 && BOM.every((b, i) => bytes[i] === b)) {
      from = BOM.length;
      this.#lineStart = BOM.length;
    }
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, from);
      const keep = this.#keeping();
      if (nl < 0) {
        if (keep) this.#pending.push(bytes.slice(from));
        break;
      }
      if (keep) this.#pending.push(bytes.slice(from, nl + 1));
      const cr = (nl > 0 ? bytes[nl - 1] : this.#lastByte) === CR ? 1 : 0;
      const end = this.#offset + nl + 1;
      this.#endLine(end, end - this.#lineStart - 1 - cr);
      from = nl + 1;
    }
    if (bytes.length > 0) this.#lastByte = bytes[bytes.length - 1] ?? 0;
    this.#offset += bytes.length;
  }

  end(): FileScan {
    if (this.#encodingError === undefined) {
      try {
        this.#decoder.decode();
      } catch {
        this.#encodingError = 'the file is not UTF-8 (it ends inside a character)';
      }
    }
    if (this.#offset > this.#lineStart) this.#endLine(this.#offset, this.#offset - this.#lineStart);
    this.#closeChunk();
    return {
      header: this.#header,
      sample: this.#sample,
      rows: this.#rows,
      chunks: this.#chunks,
      encodingError: this.#encodingError,
    };
  }

  #keeping(): boolean {
    return this.#line === 1 || this.#sample.length < this.#sampleSize;
  }

  /** A line ends at byte `end`; `length` is its length without the line break. */
  #endLine(end: number, length: number): void {
    const start = this.#lineStart;
    const text = this.#keeping() && this.#encodingError === undefined ? lineText(this.#pending) : undefined;
    this.#pending = [];
    if (this.#line === 1) this.#header = text;
    else if (length > 0) {
      if (text !== undefined && this.#sample.length < this.#sampleSize)
        this.#sample.push({ line: this.#line, text });
      this.#rows++;
      if (this.#chunkStart < 0) {
        this.#chunkStart = start;
        this.#chunkFirstLine = this.#line;
      }
      this.#chunkRows++;
    }
    this.#line++;
    this.#lineStart = end;
    if (this.#chunkRows === this.#rowsPerChunk) this.#closeChunk(end);
  }

  #closeChunk(end = this.#offset): void {
    if (this.#chunkStart < 0) return;
    this.#chunks.push({
      index: this.#chunks.length,
      start: this.#chunkStart,
      end,
      firstLine: this.#chunkFirstLine,
      lines: this.#line - this.#chunkFirstLine,
    });
    this.#chunkStart = -1;
    this.#chunkRows = 0;
  }
}

function lineText(parts: readonly Uint8Array[]): string {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  for (const part of parts) text += decoder.decode(part, { stream: true });
  return stripLineBreak(text + decoder.decode());
}

/** A line without its `\n` or `\r\n`. */
export const stripLineBreak = (text: string): string => text.replace(/\r?\n$/, '');

/** The numbered lines of a chunk's bytes (decoded), skipping none: empty lines keep their numbers. */
export function chunkLines(text: string, firstLine: number): NumberedLine[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => ({
    line: firstLine + i,
    text: line.endsWith('\r') ? line.slice(0, -1) : line,
  }));
}
