import { channelSchema } from '../schemas/common.schema.js';
import type { AssignmentRequest } from './assignment.schema.js';

const KEY = /^[a-z0-9][a-z0-9._-]*$/;
const CHANNELS: ReadonlySet<string> = new Set(channelSchema.options);
const FIELDS: ReadonlySet<string> = new Set([
  'customerId',
  'touchpoint',
  'touchpoints',
  'channel',
  'attributes',
]);

const isKey = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 2 && v.length <= 80 && KEY.test(v);

const isScalar = (v: unknown): boolean =>
  (typeof v === 'string' && v.length <= 500) || (typeof v === 'number' && Number.isFinite(v));

function isAttributeValue(v: unknown): boolean {
  if (v === null || typeof v === 'boolean' || isScalar(v)) return true;
  return Array.isArray(v) && v.length <= 100 && v.every(isScalar);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The common shape of an assignment request, checked without building a schema parse: the
 * assignment path runs on every page view. It only ever accepts what `assignmentRequestSchema`
 * accepts (a test checks this); anything else returns null and goes through the schema, which
 * names each failing field.
 */
export function quickAssignmentRequest(body: unknown): AssignmentRequest | null {
  if (!isPlainObject(body)) return null;
  for (const key in body) if (!FIELDS.has(key)) return null;
  const { customerId, touchpoint, touchpoints, channel, attributes } = body;
  if (typeof customerId !== 'string' || customerId.length < 1 || customerId.length > 200) return null;
  if (typeof channel !== 'string' || !CHANNELS.has(channel)) return null;
  if ((touchpoint === undefined) === (touchpoints === undefined)) return null;
  if (touchpoint !== undefined && !isKey(touchpoint)) return null;
  if (
    touchpoints !== undefined &&
    !(
      Array.isArray(touchpoints) &&
      touchpoints.length >= 1 &&
      touchpoints.length <= 50 &&
      touchpoints.every(isKey)
    )
  ) {
    return null;
  }
  if (attributes !== undefined) {
    if (!isPlainObject(attributes) || Object.getPrototypeOf(attributes) !== Object.prototype) return null;
    for (const [name, value] of Object.entries(attributes)) {
      if (name.length > 100 || !isAttributeValue(value)) return null;
    }
  }
  const out: AssignmentRequest = {
    customerId,
    channel: channel as AssignmentRequest['channel'],
    attributes: (attributes ?? {}) as AssignmentRequest['attributes'],
  };
  if (touchpoint !== undefined) out.touchpoint = touchpoint as string;
  if (touchpoints !== undefined) out.touchpoints = touchpoints as string[];
  return out;
}
