import { z } from 'zod';
import { openApiDocument } from '../openapi.js';
import { defineRoute, media, type Route } from '../route.js';

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nudgelab API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2933}
h1{font-size:1.6rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
.op{margin:.6rem 0;padding:.5rem .8rem;border:1px solid #e3e7ea;border-radius:6px}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase;font-size:.8rem}
code{font-size:.9rem}.roles{color:#6b7780;font-size:.85rem}
details pre{background:#f6f8f9;padding:.6rem;overflow:auto;font-size:.8rem}
</style></head><body>
<h1>Nudgelab API</h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send keys as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const byTag={};
  for(const [p,ops] of Object.entries(doc.paths)) for(const [m,op] of Object.entries(ops)) (byTag[op.tags[0]]??=[]).push({p,m,op});
  const root=document.getElementById('ops'); root.textContent='';
  for(const [tag,list] of Object.entries(byTag)){
    const h=document.createElement('h2'); h.textContent=tag; root.append(h);
    for(const {p,m,op} of list){
      const d=document.createElement('div'); d.className='op';
      const head=document.createElement('div');
      const mm=document.createElement('span'); mm.className='m'; mm.textContent=m;
      const code=document.createElement('code'); code.textContent=p;
      const s=document.createElement('span'); s.textContent=' — '+op.summary;
      head.append(mm,code,s); d.append(head);
      if(op['x-roles']){const r=document.createElement('div'); r.className='roles'; r.textContent='roles: '+op['x-roles'].join(', '); d.append(r);}
      const det=document.createElement('details'); const sum=document.createElement('summary'); sum.textContent='schemas';
      const pre=document.createElement('pre'); pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      det.append(sum,pre); d.append(det); root.append(d);
    }
  }
});
</script></body></html>`;

/** The API description, built on request from the routes the app mounted (`routes()`). */
export function docsRoutes(version: string, routes: () => readonly Route[]): Route[] {
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
      responses: { 200: media('text/html', 'A page that reads /openapi.json') },
    }).handle(() => ({ status: 200, body: page })),
  ];
}
