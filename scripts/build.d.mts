/** The repository root and its dist/ folder. */
export const root: string;
export const dist: string;
/** True when `<base>/dist` is missing or older than a source, a build configuration or the build script. */
export function isStale(base?: string): boolean;
/** Compiles src/ to dist/; returns the milliseconds it took. */
export function build(): number;
/** Builds when stale. */
export function ensureBuilt(): void;
