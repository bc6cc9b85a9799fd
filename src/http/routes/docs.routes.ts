import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';
import { html } from '../dashboard/html.js';
import { openApiDocument } from '../openapi.js';

/** The viewer (Swagger UI) comes from its npm package and is served from here: no CDN. */
const viewerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const VIEWER_FILES: Record<string, { file: string; type: string }> = {
  'swagger-ui.css': { file: 'swagger-ui.css', type: 'text/css' },
  'swagger-ui-bundle.js': { file: 'swagger-ui-bundle.js', type: 'text/javascript' },
};

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

function page(version: string): string {
  return String(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nudgelab API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<noscript><main style="font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem">
<h1>Nudgelab API</h1>
<p>The interactive viewer needs JavaScript. The full description is at <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send keys as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
${operationList(openApiDocument(version))}
</main></noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body></html>`);
}

export function docsRoutes(version: string): Router {
  const router = Router();
  const cache = new Map<string, Buffer>();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(version));
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page(version));
  });
  router.get('/docs/assets/init.js', (_req, res) => {
    res.type('text/javascript').setHeader('Cache-Control', 'public, max-age=3600').send(INIT);
  });
  router.get('/docs/assets/:name', (req, res, next) => {
    const asset = VIEWER_FILES[String(req.params.name)];
    if (!asset) return next();
    let body = cache.get(asset.file);
    if (!body) {
      body = readFileSync(path.join(viewerDir, asset.file));
      cache.set(asset.file, body);
    }
    res.type(asset.type).setHeader('Cache-Control', 'public, max-age=86400').send(body);
  });
  return router;
}
