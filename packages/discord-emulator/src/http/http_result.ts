import type { ServerResponse } from 'node:http';

/** What a route handler returns; written to the socket by {@link writeResult}. */
export interface HttpResult {
  status: number;
  /** JSON body (serialized). */
  json?: unknown;
  /** HTML body. */
  html?: string;
  /** Raw bytes with their content type. */
  bytes?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

/** A JSON result. */
export function json(status: number, body: unknown, headers?: Record<string, string>): HttpResult {
  return headers ? { status, json: body, headers } : { status, json: body };
}

/** A 204 No Content result. */
export function noContent(): HttpResult {
  return { status: 204 };
}

/** A 302 redirect. */
export function redirect(location: string): HttpResult {
  return { status: 302, headers: { location } };
}

/** Writes a result. */
export function writeResult(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string> = { ...result.headers };
  let payload: Buffer | string | undefined;
  if (result.json !== undefined) {
    payload = JSON.stringify(result.json);
    headers['content-type'] = 'application/json';
  } else if (result.html !== undefined) {
    payload = result.html;
    headers['content-type'] = 'text/html; charset=utf-8';
  } else if (result.bytes !== undefined) {
    payload = result.bytes.data;
    headers['content-type'] = result.bytes.contentType;
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(result.status, headers);
  res.end(payload);
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
