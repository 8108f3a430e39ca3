import type { z } from 'zod';
import { Errors, invalidFormBody } from '../errors.js';
import type { UploadedFile } from '../http/read_body.js';
import type { RestRequest } from './rest_types.js';

/** A validated JSON body plus files uploaded next to it (multipart `payload_json` + `files[n]`). */
export interface ValidatedBody<T> {
  value: T;
  files: UploadedFile[];
}

/** Decodes the request body (JSON or multipart) and validates it; throws Discord's 50109 / 50035 errors. */
export function validateBody<S extends z.ZodType>(
  request: RestRequest,
  schema: S,
): ValidatedBody<z.output<S>> {
  const body = request.body;
  let value: unknown;
  let files: UploadedFile[] = [];
  switch (body.kind) {
    case 'json':
      value = body.value;
      break;
    case 'empty':
      value = {};
      break;
    case 'form':
      value = body.value;
      break;
    case 'multipart': {
      files = body.files;
      const payload = body.fields['payload_json'];
      if (payload === undefined) value = { ...body.fields };
      else {
        try {
          value = JSON.parse(payload);
        } catch {
          throw Errors.invalidJson();
        }
      }
      break;
    }
    case 'invalid-json':
      throw Errors.invalidJson();
    case 'too-large':
      throw Errors.entityTooLarge();
    case 'unsupported':
      throw Errors.invalidField([], 'CONTENT_TYPE_INVALID', `Unsupported content type ${body.contentType}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidFormBody(parsed.error);
  return { value: parsed.data, files };
}
