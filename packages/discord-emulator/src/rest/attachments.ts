import type { EmulatorContext } from '../domain/context.js';
import type { UploadedFile } from '../http/read_body.js';
import type { AttachmentRecord } from '../state/records.js';

interface PayloadAttachment {
  id: string | number;
  filename?: string | null | undefined;
  description?: string | null | undefined;
}

/**
 * Stores uploaded files and returns the message attachments: each `attachments[i].id` names the upload field
 * `files[<id>]`; existing attachment ids (`keep`) are carried over on edits.
 */
export function storeAttachments(
  ctx: EmulatorContext,
  channelId: string,
  payload: readonly PayloadAttachment[] | null | undefined,
  files: readonly UploadedFile[],
  keep: readonly AttachmentRecord[] = [],
): AttachmentRecord[] {
  const result: AttachmentRecord[] = [];
  const used = new Set<UploadedFile>();
  for (const entry of payload ?? []) {
    const id = String(entry.id);
    const existing = keep.find((a) => a.id === id);
    if (existing) {
      result.push(existing);
      continue;
    }
    const file = files.find((f) => f.field === `files[${id}]`) ?? files.find((f) => f.field === `file${id}`);
    if (!file) continue;
    used.add(file);
    result.push(store(ctx, channelId, file, entry.filename ?? file.filename, entry.description ?? null));
  }
  for (const file of files) {
    if (!used.has(file)) result.push(store(ctx, channelId, file, file.filename, null));
  }
  return result;
}

function store(
  ctx: EmulatorContext,
  channelId: string,
  file: UploadedFile,
  filename: string,
  description: string | null,
): AttachmentRecord {
  const id = ctx.ids.next();
  ctx.state.putFile({
    id,
    channel_id: channelId,
    filename,
    content_type: file.contentType,
    data_base64: file.data.toString('base64'),
  });
  return { id, filename, description, content_type: file.contentType, size: file.data.length };
}
