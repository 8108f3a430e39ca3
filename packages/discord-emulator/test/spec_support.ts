import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Discord's vendored OpenAPI 3.1 description (spec/openapi.json) turned into response validators: which spec
 * operation a request hits, and whether a response (status, JSON body, rate-limit headers) is one the spec allows.
 */

interface SpecResponse {
  $ref?: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, { schema?: unknown }>;
}
interface SpecOperation {
  operationId: string;
  responses: Record<string, SpecResponse>;
}
interface SpecDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { responses: Record<string, SpecResponse>; headers: Record<string, { schema: unknown }> };
}

/** One operation of the spec. */
export interface SpecOp {
  method: string;
  path: string;
  operationId: string;
  segments: string[];
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const specPath = fileURLToPath(new URL('../spec/openapi.json', import.meta.url));
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as SpecDocument;

// ajv-formats is CJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addFormat('snowflake', /^(0|[1-9][0-9]{0,19})$/);
ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
ajv.addFormat('int32', { type: 'number', validate: Number.isInteger });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('nonce', /^.{0,25}$/);
ajv.addSchema(spec as object, 'spec');

/** Every operation of the spec. */
export const specOperations: readonly SpecOp[] = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((m) => METHODS.includes(m))
    .map((m) => ({
      method: m.toUpperCase(),
      path,
      operationId: (item[m] as SpecOperation).operationId,
      segments: path.split('/').filter(Boolean),
    })),
);

/** The spec operation a concrete path or an emulator route pattern (`:param`) belongs to; literals win. */
export function findOperation(method: string, path: string): SpecOp | undefined {
  const parts = path.split('/').filter(Boolean);
  let best: { op: SpecOp; score: number } | undefined;
  for (const op of specOperations) {
    if (op.method !== method || op.segments.length !== parts.length) continue;
    let score = 0;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i += 1) {
      const want = op.segments[i] as string;
      const got = parts[i] as string;
      if (want.startsWith('{')) continue;
      if (want === got) score += 1;
      else ok = false;
    }
    if (ok && (!best || score > best.score)) best = { op, score };
  }
  return best?.op;
}

const pointer = (...keys: string[]) =>
  keys.map((k) => encodeURIComponent(k.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

function responseFor(op: SpecOp, status: number): { response: SpecResponse; key: string } | undefined {
  const responses =
    (spec.paths[op.path]?.[op.method.toLowerCase()] as SpecOperation | undefined)?.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`].find((k) => responses[k] !== undefined);
  if (key === undefined) return undefined;
  let response = responses[key] as SpecResponse;
  if (response.$ref) response = spec.components.responses[response.$ref.split('/').pop() as string] ?? {};
  return { response, key };
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(op: SpecOp, key: string, response: SpecResponse): ValidateFunction | undefined {
  const schema = response.content?.['application/json']?.schema as { $ref?: string } | undefined;
  if (!schema) return undefined;
  const ref = schema.$ref
    ? `spec${schema.$ref}`
    : `spec#/${pointer('paths', op.path, op.method.toLowerCase(), 'responses', key, 'content', 'application/json', 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('; ');

/**
 * The one documented gap between the spec and Discord: the spec types the `code` of a field error
 * (`errors.<field>._errors[].code`) as an integer, while Discord sends strings such as `BASE_TYPE_REQUIRED`
 * (and discord.js expects them). Field-error codes are replaced by 0 before validating; everything else of an
 * error body is checked as is.
 */
function withNumericFieldCodes(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  if (Array.isArray(body)) return body.map(withNumericFieldCodes);
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) =>
      key === '_errors' && Array.isArray(value)
        ? [key, value.map((e: object) => ({ ...e, code: 0 }))]
        : [key, key === 'code' ? value : withNumericFieldCodes(value)],
    ),
  );
}

/**
 * Problems of one response against the spec (empty when it conforms): undocumented status, body not matching
 * the schema (all `$ref`s resolved), missing or mistyped rate-limit headers the spec declares.
 */
export function checkResponse(op: SpecOp, status: number, body: unknown, headers: Headers): string[] {
  const found = responseFor(op, status);
  if (!found) return [`status ${status} is not documented for ${op.operationId}`];
  const problems: string[] = [];
  const validate = validatorFor(op, found.key, found.response);
  if (validate && !validate(status >= 400 ? withNumericFieldCodes(body) : body))
    problems.push(`body: ${describe(validate.errors)}`);
  if (!validate && body !== undefined && status !== 204) problems.push('body where the spec has none');
  for (const [name, header] of Object.entries(found.response.headers ?? {})) {
    const value = headers.get(name);
    if (value === null) {
      problems.push(`missing header ${name}`);
      continue;
    }
    const def = spec.components.headers[header.$ref?.split('/').pop() ?? ''];
    const type = (def?.schema as { type?: string } | undefined)?.type;
    if (type === 'integer' && !/^\d+$/.test(value))
      problems.push(`header ${name}=${value} is not an integer`);
    if (type === 'number' && Number.isNaN(Number(value)))
      problems.push(`header ${name}=${value} is not a number`);
  }
  return problems;
}
