import type { IncomingMessage } from 'node:http';

/** An uploaded file from a multipart body. */
export interface UploadedFile {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  filename: string;
  contentType: string | null;
  data: Buffer;
}

/** A request body, decoded by content type. */
export type ParsedBody =
  | { kind: 'empty' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: Record<string, string> }
  | { kind: 'multipart'; fields: Record<string, string>; files: UploadedFile[] }
  | { kind: 'invalid-json' }
  | { kind: 'too-large' }
  | { kind: 'unsupported'; contentType: string };

const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** Reads the whole body (up to 25 MiB). */
export async function readRaw(request: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and decodes a body: JSON, form-urlencoded or multipart/form-data. */
export async function readBody(request: IncomingMessage): Promise<ParsedBody> {
  const raw = await readRaw(request);
  if (raw === null) return { kind: 'too-large' };
  if (raw.length === 0) return { kind: 'empty' };
  const contentType = request.headers['content-type'] ?? '';
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'application/x-www-form-urlencoded') {
    return { kind: 'form', value: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) };
  }
  if (mime === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    const value = boundary?.[1] ?? boundary?.[2];
    if (!value) return { kind: 'unsupported', contentType };
    return { kind: 'multipart', ...parseMultipart(raw, value.trim()) };
  }
  if (mime === 'application/json' || mime === '' || mime.endsWith('+json') || mime === 'text/plain') {
    try {
      return { kind: 'json', value: JSON.parse(raw.toString('utf8')) };
    } catch {
      return { kind: 'invalid-json' };
    }
  }
  return { kind: 'unsupported', contentType };
}

/** A small multipart/form-data parser: enough for discord.js file uploads (`payload_json` + `files[n]`). */
export function parseMultipart(
  raw: Buffer,
  boundary: string,
): { fields: Record<string, string>; files: UploadedFile[] } {
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let position = raw.indexOf(delimiter);
  while (position !== -1) {
    const start = position + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    const part = raw.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next one
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? null;
      if (name !== undefined) {
        if (filename !== undefined) files.push({ field: name, filename, contentType: type, data: content });
        else fields[name] = content.toString('utf8');
      }
    }
    position = next;
  }
  return { fields, files };
}
