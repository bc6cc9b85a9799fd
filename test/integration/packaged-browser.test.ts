import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumBinary } from '../../src/http/dashboard/chromium-binary.js';

describe('the packaged browser', () => {
  it('when no CHROMIUM_PATH is set, then it comes from the npm package with its own NSS libraries first on the library path, and prints a PDF', async () => {
    const binary = await chromiumBinary();
    const lib = binary.env?.LD_LIBRARY_PATH?.split(':')[0] ?? '';
    expect(binary.executablePath).not.toBe('/usr/bin/chromium');
    for (const name of ['libnss3.so', 'libnspr4.so', 'libnssutil3.so'])
      expect(existsSync(path.join(lib, name))).toBe(true);
    // The dynamic linker resolves them from the package, not from a system browser's dependencies.
    const linked = spawnSync('ldd', [binary.executablePath], { env: binary.env, encoding: 'utf8' }).stdout;
    expect(linked).toContain(`libnss3.so => ${path.join(lib, 'libnss3.so')}`);
    expect(linked).toContain(`libnspr4.so => ${path.join(lib, 'libnspr4.so')}`);
    expect(linked).not.toContain('not found');
    const browser = await chromium.launch({ ...binary, timeout: 60_000 });
    try {
      const page = await browser.newPage();
      await page.setContent('<h1>Readout</h1>');
      const pdf = await page.pdf();
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('when CHROMIUM_PATH is set, then that browser is used with the environment left as it is', async () => {
    const binary = await chromiumBinary('/opt/some/chromium');
    expect(binary.executablePath).toBe('/opt/some/chromium');
    expect(binary.env).toBeUndefined();
  });
});
