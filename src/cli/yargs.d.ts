// The part of yargs 18's API the CLI uses (yargs ships no type declarations, and @types/yargs is
// not a dependency). Loose on purpose: option values arrive as `Args` and are checked by the CLI.
declare module 'yargs' {
  export type Args = Record<string, unknown> & { _: (string | number)[]; $0: string };
  export interface OptionSpec {
    type?: 'string' | 'number' | 'boolean' | 'array';
    describe?: string;
    default?: unknown;
    defaultDescription?: string;
    choices?: readonly (string | number)[];
    alias?: string | readonly string[];
    demandOption?: boolean | string;
    requiresArg?: boolean;
    hidden?: boolean;
    group?: string;
    global?: boolean;
  }
  export interface Argv {
    scriptName(name: string): Argv;
    locale(locale: string): Argv;
    usage(text: string): Argv;
    command(cmd: string, description: string, builder: (y: Argv) => Argv, handler: (args: Args) => void | Promise<void>): Argv;
    option(key: string, spec: OptionSpec): Argv;
    positional(key: string, spec: OptionSpec): Argv;
    group(keys: readonly string[], title: string): Argv;
    example(cmd: string, description: string): Argv;
    epilogue(text: string): Argv;
    strict(enabled?: boolean): Argv;
    demandCommand(min: number, message: string): Argv;
    recommendCommands(): Argv;
    fail(fn: ((msg: string | null, err: Error | undefined, y: Argv) => void) | boolean): Argv;
    help(enabled?: boolean | string): Argv;
    alias(key: string, alias: string): Argv;
    version(version: string | false): Argv;
    wrap(columns: number | null): Argv;
    exitProcess(enabled: boolean): Argv;
    parserConfiguration(config: Record<string, boolean>): Argv;
    terminalWidth(): number;
    parseAsync(): Promise<Args>;
  }
  export default function yargs(args?: readonly string[]): Argv;
}

declare module 'yargs/helpers' {
  export function hideBin(argv: readonly string[]): string[];
}
