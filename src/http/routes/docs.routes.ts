import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { html } from '../dashboard/html.js';
import { openApiDocument } from '../openapi.js';
import { defineRoute, media, type Route } from '../route.js';

/** The viewer (Swagger UI) comes from its npm package and is served from here: no CDN. */
const viewerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// A Map, so names such as `__proto__` or `constructor` find nothing.
const VIEWER_FILES = new Map<string, { file: string; type: 'text/css' | 'text/javascript' }>([
  ['swagger-ui.css', { file: 'swagger-ui.css', type: 'text/css' }],
  ['swagger-ui-bundle.js', { file: 'swagger-ui-bundle.js', type: 'text/javascript' }],
]);

/** Kept out of the page so the page needs no inline script. */
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: true,
  });
});
`;

interface Operation {
  summary?: string;
  tags?: string[];
  'x-roles'?: string[];
}

/** Every operation as plain HTML, so the page says something without JavaScript too. */
function operationList(doc: Record<string, unknown>) {
  const paths = doc.paths as Record<string, Record<string, Operation>>;
  const rows = Object.entries(paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(
      ([method, op]) =>
        html`<li><code>${method.toUpperCase()} ${p}</code> — ${op.summary ?? ''}${op['x-roles'] ? ` (roles: ${op['x-roles'].join(', ')})` : ''}</li>`,
    ),
  );
  return html`<ul>${rows}</ul>`;
}

function page(doc: Record<string, unknown>): string {
  return String(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nudgelab API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<noscript><main style="font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem">
<h1>Nudgelab API</h1>
<p>The interactive viewer needs JavaScript. The full description is at <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send keys as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
${operationList(doc)}
</main></noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body></html>`);
}

/** The API description, built on request from the routes the app mounted (`routes()`). */
export function docsRoutes(version: string, routes: () => readonly Route[]): Route[] {
  const cache = new Map<string, Buffer>();
  return [
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      tag: 'health',
      summary: 'The API description (OpenAPI 3.1), generated from the route declarations',
      access: { via: 'none' },
      responses: { 200: z.record(z.string(), z.unknown()) },
    }).handle(() => ({ status: 200, body: openApiDocument(version, routes()) })),
    defineRoute({
      method: 'get',
      path: '/docs',
      tag: 'health',
      summary: 'The API described as a page',
      access: { via: 'none' },
      responses: {
        200: media(
          'text/html',
          'The Swagger UI viewer of /openapi.json, with a plain list without JavaScript',
        ),
      },
    }).handle(() => ({ status: 200, body: page(openApiDocument(version, routes())) })),
    defineRoute({
      method: 'get',
      path: '/docs/assets/init.js',
      tag: 'health',
      summary: 'The script that starts the API viewer',
      access: { via: 'none' },
      responses: { 200: media('text/javascript', 'A script') },
      hidden: true,
    }).handle(() => ({
      status: 200,
      body: INIT,
      headers: { 'Cache-Control': 'public, max-age=3600' },
    })),
    defineRoute({
      method: 'get',
      path: '/docs/assets/:name',
      tag: 'health',
      summary: "The API viewer's script and style sheet (Swagger UI, served from its npm package)",
      access: { via: 'none' },
      params: z.object({ name: z.string().max(40) }),
      responses: { 200: media('text/javascript', 'A script or a style sheet') },
      errors: ['route_not_found'],
      hidden: true,
    }).handle(({ params }) => {
      const asset = VIEWER_FILES.get(params.name);
      if (!asset) throw new DomainError('route_not_found');
      let body = cache.get(asset.file);
      if (!body) {
        body = readFileSync(path.join(viewerDir, asset.file));
        cache.set(asset.file, body);
      }
      return {
        status: 200,
        type: asset.type,
        body,
        headers: { 'Cache-Control': 'public, max-age=86400' },
      };
    }),
  ];
}
