import { CHROMIUM_ARGS } from './chromium-args.js';

export interface ChromiumBinary {
  executablePath: string;
  args: string[];
}

/**
 * The browser PDF exports and the browser tests launch: `CHROMIUM_PATH` when set (a system
 * Chromium), otherwise the headless Chromium shipped inside the `@sparticuz/chromium` npm package,
 * unpacked to a temporary folder on first use, so a fresh machine needs no system package.
 */
export async function chromiumBinary(configuredPath?: string): Promise<ChromiumBinary> {
  if (configuredPath) return { executablePath: configuredPath, args: [...CHROMIUM_ARGS] };
  const { default: packaged } = await import('@sparticuz/chromium');
  // Not the package's own flags: they are made for one page per process in a function runtime
  // (`--single-process`, and web security turned off), where this runs many pages and contexts.
  return { executablePath: await packaged.executablePath(), args: [...CHROMIUM_ARGS, '--no-zygote'] };
}
