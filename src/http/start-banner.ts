/** What a person starting the service reads first: where to go, and the key to get in with. */
export interface StartBannerInput {
  host: string;
  port: number;
  /** The secret of an admin key created by this start; shown here and never again. */
  firstAdminSecret?: string;
  /** Set when no key was made because one is configured or already stored. */
  keyNote?: string;
}

/** A wildcard address is where the service listens, not where a browser can reach it. */
function browsableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export function startBanner(input: StartBannerInput): string {
  const base = `http://${browsableHost(input.host)}:${input.port}`;
  const lines = [
    '',
    'Nudgelab is running.',
    `  API        ${base}/v1`,
    `  API docs   ${base}/docs`,
    `  Dashboard  ${base}/dashboard`,
  ];
  if (input.firstAdminSecret) {
    lines.push(
      '',
      'No admin key existed, so one was created. It is shown only this once; keep it safe:',
      `  ${input.firstAdminSecret}`,
      'Use it as "Authorization: Bearer <key>" on /v1, or sign in to the dashboard with it.',
      'Make keys for apps and viewers with: npm run keys -- create --role app --name web-shop',
    );
  } else if (input.keyNote) {
    lines.push('', input.keyNote);
  }
  return `${lines.join('\n')}\n\n`;
}
