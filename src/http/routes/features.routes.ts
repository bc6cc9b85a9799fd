import { z } from 'zod';
import type { CompiledPayload } from '../../domain/assignment/compiled.types.js';
import { type SdkPayload, sdkPayload } from '../../domain/assignment/sdk-payload.js';
import { DomainError } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { defineRoute, empty, JsonText, type Route } from '../route.js';

const params = z.object({ clientKey: z.string().min(1).max(200) });
const featuresSchema = z.object({
  features: z.record(z.string(), z.unknown()).describe('empty when the client key has encryption on'),
  encryptedFeatures: z
    .string()
    .optional()
    .describe('client keys with encryption: the features, AES-128-CBC, for the SDK `decryptionKey`'),
});

/**
 * `GET /api/features/:clientKey`: the compiled payload for GrowthBook SDKs (the path the SDKs
 * call under their `apiHost`), cut to the client key's scope. Client keys are cached by the keys
 * service (cleared there on revoke), so SDK polling costs no database round trip; the ETag lets an
 * unchanged payload answer 304 with no body.
 */
export function featuresRoutes(services: Services): Route[] {
  // One cut per scope and payload build; a new build replaces them all.
  let builtFrom: CompiledPayload | undefined;
  const cuts = new Map<string, SdkPayload>();
  return [
    defineRoute({
      method: 'get',
      path: '/api/features/:clientKey',
      tag: 'assignments',
      summary: "GrowthBook features payload for SDKs, limited to the client key's scope (ETag, 304)",
      description:
        "The GrowthBook features payload of the client key's scope, for GrowthBook SDKs evaluating locally; the client key (`sdk-...`) in the path is the credential. ETag and 304.",
      // The client key in the path is the credential: SDKs send no API key.
      access: { via: 'none' },
      params,
      responses: { 200: featuresSchema, 304: empty('Not modified since the ETag sent') },
      errors: ['not_found'],
    }).handle(async ({ params, req }) => {
      const key = await services.apiKeys.byClientKey(params.clientKey);
      if (!key) throw new DomainError('not_found', 'Unknown or revoked client key.');
      const compiled = await services.capture.assignments.compiled();
      if (builtFrom !== compiled) {
        builtFrom = compiled;
        cuts.clear();
      }
      // A protected payload is the key's own (its encryption key, its salt); plain ones are shared per scope.
      const scopeId = key.sdk ? `key:${key.id}` : JSON.stringify(key.scope ?? {});
      let payload = cuts.get(scopeId);
      if (!payload) {
        payload = sdkPayload(compiled, key.scope, key.sdk);
        if (cuts.size > 1000) cuts.clear();
        cuts.set(scopeId, payload);
      }
      const headers = {
        ETag: payload.etag,
        // Private: each client key has its own cut, so a shared cache must not hand one to another.
        'Cache-Control': 'private, max-age=30, stale-while-revalidate=60',
        Vary: 'Origin',
        'Access-Control-Allow-Origin': '*',
      };
      if (req.get('if-none-match') === payload.etag) return { status: 304, headers };
      return { status: 200, headers, body: new JsonText<z.input<typeof featuresSchema>>(payload.json) };
    }),
  ];
}
