#!/usr/bin/env bash
# Runs a command as on a machine that never installed a browser: every system Chromium and the
# system NSS/NSPR libraries are hidden and /tmp is empty, so the browser (and the libraries it
# links against) can only come from the @sparticuz/chromium npm package.
# Needs root for a private mount namespace:
#   sudo unshare -m --propagation private scripts/no-system-browser.sh \
#     npx vitest run test/integration/packaged-browser.test.ts test/e2e/dashboard.test.ts
set -euo pipefail
for f in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -e "$f" ]; then mount --bind /dev/null "$f"; fi
done
if [ -d /usr/lib/chromium ]; then mount -t tmpfs tmpfs /usr/lib/chromium; fi
for lib in libnss3.so libnssutil3.so libsmime3.so libnspr4.so libplc4.so libplds4.so libexpat.so.1; do
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
    if [ -e "$dir/$lib" ]; then mount --bind /dev/null "$dir/$lib"; fi
  done
done
mount -t tmpfs tmpfs /tmp
exec "$@"
