/**
 * The one way every command line reads its options (node:util parseArgs, long `--name value`
 * options): `--help` or `-h` prints the usage and exits 0 before anything else happens; an
 * unknown or malformed option is one line on stderr and exit code 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends Options> {
  /** How the tool is called, for the one-line errors: "npm run sync". */
  name: string;
  usage: string;
  options: O;
  allowPositionals?: boolean;
}

export type CliResult<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>;

export function wantsHelp(argv: readonly string[]): boolean {
  // Anything after "--" is a value, not an option.
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  return options.includes('--help') || options.includes('-h');
}

/** The first sentence of a parseArgs error, with the tool's name and where to look. */
export function argumentError(name: string, err: Error): string {
  const first = err.message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? err.message;
  return `${name}: ${first} (see ${name} -- --help)`;
}

export function parseCli<O extends Options>(spec: CliSpec<O>, argv = process.argv.slice(2)): CliResult<O> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({
      args: argv,
      options: spec.options,
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    }) as CliResult<O>;
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${argumentError(spec.name, err)}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** A refused command line that parsed (a missing argument, too many files): one line, exit 2. */
export function usageError(name: string, message: string): never {
  process.stderr.write(`${name}: ${message} (see ${name} -- --help)\n`);
  process.exit(2);
}

/**
 * Said on stderr when a tool is about to read stdin from a terminal, where it would otherwise
 * seem to hang.
 */
export function stdinNotice(name: string, what: string, isTTY: boolean | undefined): string | null {
  if (!isTTY) return null;
  return `${name}: reading ${what} from stdin; type or paste it and end with Ctrl-D, or give a file (see ${name} -- --help)`;
}
