import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

/**
 * Reads a Dockerfile and a .dockerignore as Docker does, and replays an image's stages in a folder
 * without Docker: for the container spec (test/e2e/container.e2e-spec.ts), on machines where Docker does
 * not run. It knows the instructions our Dockerfile uses and refuses the others (and `$VARIABLES` outside
 * RUN), so a change it cannot replay faithfully fails loudly instead of being replayed wrong.
 */

export type Command =
  | { readonly form: 'exec'; readonly argv: readonly string[] }
  | { readonly form: 'shell'; readonly script: string };

interface At {
  /** The line the instruction starts on (1-based). */
  readonly line: number;
}

export type Instruction = At &
  (
    | { readonly kind: 'WORKDIR'; readonly path: string }
    | { readonly kind: 'ENV'; readonly values: Readonly<Record<string, string>> }
    | { readonly kind: 'COPY'; readonly from?: string; readonly chown?: string; readonly sources: readonly string[]; readonly destination: string }
    | { readonly kind: 'RUN'; readonly command: Command }
    | { readonly kind: 'USER'; readonly user: string }
    | { readonly kind: 'VOLUME'; readonly paths: readonly string[] }
    | { readonly kind: 'EXPOSE'; readonly ports: readonly string[] }
    | { readonly kind: 'HEALTHCHECK'; readonly options: Readonly<Record<string, string>>; readonly command: Command | 'NONE' }
    | { readonly kind: 'CMD'; readonly command: Command }
    | { readonly kind: 'ENTRYPOINT'; readonly command: Command }
  );

export type Kind = Instruction['kind'];
export type InstructionOf<K extends Kind> = Extract<Instruction, { kind: K }>;

export interface Stage extends At {
  readonly name: string;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Array<{ name: string; base: string; line: number; instructions: Instruction[] }> = [];
  for (const { line, text: instruction } of logicalLines(text)) {
    const [, word = '', rest = ''] = /^(\S+)\s*([\s\S]*)$/.exec(instruction) ?? [];
    const keyword = word.toUpperCase();
    const fail = (problem: string): never => {
      throw new Error(`Dockerfile line ${line} (${keyword}): ${problem}`);
    };
    if (keyword === 'FROM') {
      const [base, as, name, ...extra] = shellWords(rest);
      if (base === undefined || extra.length > 0 || (as !== undefined && (as.toUpperCase() !== 'AS' || name === undefined))) fail('expected FROM <image> [AS <name>]');
      stages.push({ base: base!, name: name ?? String(stages.length), line, instructions: [] });
      continue;
    }
    const stage = stages.at(-1) ?? fail('comes before the first FROM');
    if (keyword !== 'RUN' && keyword !== 'CMD' && keyword !== 'ENTRYPOINT' && keyword !== 'HEALTHCHECK' && rest.includes('$')) {
      fail('holds a $variable, which the replay does not substitute');
    }
    stage.instructions.push(parseInstruction(keyword, rest, line, fail));
  }
  if (stages.length === 0) throw new Error('Dockerfile: no FROM');
  return stages;
}

function parseInstruction(keyword: string, rest: string, line: number, fail: (problem: string) => never): Instruction {
  switch (keyword) {
    case 'WORKDIR':
      return { kind: 'WORKDIR', line, path: rest.trim() };
    case 'USER':
      return { kind: 'USER', line, user: rest.trim() };
    case 'ENV':
      return { kind: 'ENV', line, values: envValues(rest, fail) };
    case 'EXPOSE':
      return { kind: 'EXPOSE', line, ports: shellWords(rest) };
    case 'VOLUME': {
      const command = parseCommand(rest);
      return { kind: 'VOLUME', line, paths: command.form === 'exec' ? command.argv : shellWords(rest) };
    }
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT': {
      const { flags, remainder } = takeFlags(rest);
      if (Object.keys(flags).length > 0) fail(`flags the replay does not know: ${Object.keys(flags).join(', ')}`);
      const command = parseCommand(remainder);
      return keyword === 'RUN' ? { kind: 'RUN', line, command } : keyword === 'CMD' ? { kind: 'CMD', line, command } : { kind: 'ENTRYPOINT', line, command };
    }
    case 'COPY': {
      const { flags, remainder } = takeFlags(rest);
      const { from, chown, ...others } = flags;
      if (Object.keys(others).length > 0) fail(`flags the replay does not know: ${Object.keys(others).join(', ')}`);
      const command = parseCommand(remainder);
      const paths = command.form === 'exec' ? [...command.argv] : shellWords(remainder);
      const destination = paths.pop();
      if (destination === undefined || paths.length === 0) fail('expected COPY <source>... <destination>');
      if (paths.some((source) => /[*?[]/.test(source))) fail('wildcards in sources are not replayed');
      return { kind: 'COPY', line, sources: paths, destination, ...(from === undefined ? {} : { from }), ...(chown === undefined ? {} : { chown }) };
    }
    case 'HEALTHCHECK': {
      const { flags, remainder } = takeFlags(rest);
      if (remainder.trim().toUpperCase() === 'NONE') return { kind: 'HEALTHCHECK', line, options: flags, command: 'NONE' };
      const [, cmd = '', probe = ''] = /^(\S+)\s*([\s\S]*)$/.exec(remainder) ?? [];
      if (cmd.toUpperCase() !== 'CMD') fail('expected HEALTHCHECK [options] CMD <command> or HEALTHCHECK NONE');
      return { kind: 'HEALTHCHECK', line, options: flags, command: parseCommand(probe) };
    }
    default:
      return fail('an instruction the replay does not know');
  }
}

/** Joins `\` continuations; drops comment lines (also inside a continuation, as Docker does) and blank lines. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let current: { line: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && current === undefined)) return;
    current ??= { line: index + 1, text: '' };
    const continued = raw.trimEnd().endsWith('\\');
    current.text += continued ? raw.trimEnd().slice(0, -1) : raw;
    if (!continued) {
      lines.push({ line: current.line, text: current.text.trim() });
      current = undefined;
    }
  });
  if (current !== undefined) throw new Error(`Dockerfile line ${current.line}: ends inside a line continuation`);
  return lines;
}

/** The JSON (exec) form when the arguments are a JSON array of strings, else the shell form. */
function parseCommand(text: string): Command {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return { form: 'exec', argv: parsed };
    } catch {
      // Not JSON: Docker runs it in the shell form, and so do we.
    }
  }
  return { form: 'shell', script: trimmed };
}

function takeFlags(text: string): { flags: Record<string, string>; remainder: string } {
  const flags: Record<string, string> = {};
  let remainder = text.trim();
  for (let flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(remainder); flag !== null; flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(remainder)) {
    flags[flag[1]!] = flag[2] ?? 'true';
    remainder = remainder.slice(flag[0].length);
  }
  return { flags, remainder };
}

function envValues(text: string, fail: (problem: string) => never): Record<string, string> {
  const words = shellWords(text);
  if (words.length === 0) fail('expected ENV <key>=<value>...');
  if (!words[0]!.includes('=')) {
    const [, key = '', value = ''] = /^(\S+)\s+([\s\S]*)$/.exec(text.trim()) ?? [];
    return { [key]: shellWords(value).join(' ') };
  }
  return Object.fromEntries(
    words.map((word) => {
      const equals = word.indexOf('=');
      if (equals <= 0) fail(`"${word}" is not <key>=<value>`);
      return [word.slice(0, equals), word.slice(equals + 1)];
    }),
  );
}

/** Splits on blanks outside quotes: "double" (with \ escapes) and 'single' quotes, \ escapes outside them. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (char === '\\' && index + 1 < text.length) {
      word = (word ?? '') + text[++index];
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} quote in: ${text}`);
  if (word !== undefined) words.push(word);
  return words;
}

export function instructionsOf<K extends Kind>(stage: Stage, kind: K): Array<InstructionOf<K>> {
  return stage.instructions.filter((instruction): instruction is InstructionOf<K> => instruction.kind === kind);
}

export function lastOf<K extends Kind>(stage: Stage, kind: K): InstructionOf<K> | undefined {
  return instructionsOf(stage, kind).at(-1);
}

/** The stage's environment as its last instruction sees it. */
export function envOf(stage: Stage): Record<string, string> {
  return Object.assign({}, ...instructionsOf(stage, 'ENV').map((env) => env.values)) as Record<string, string>;
}

/** The command a container of the stage starts: ENTRYPOINT then CMD (exec forms; a shell form runs under `/bin/sh -c`). */
export function startCommand(stage: Stage): string[] {
  const argv = (command: Command | undefined): readonly string[] =>
    command === undefined ? [] : command.form === 'exec' ? command.argv : ['/bin/sh', '-c', command.script];
  return [...argv(lastOf(stage, 'ENTRYPOINT')?.command), ...argv(lastOf(stage, 'CMD')?.command)];
}

/** `.dockerignore` as Docker reads it: the last pattern matching a path or one of its parent folders decides. */
export class DockerIgnore {
  private readonly rules: ReadonlyArray<{ readonly exception: boolean; readonly pattern: RegExp }>;

  constructor(text: string) {
    this.rules = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exception = line.startsWith('!');
        const cleaned = posix.normalize(exception ? line.slice(1).trim() : line).replace(/^\/+|\/+$/g, '');
        return { exception, pattern: dockerPattern(cleaned) };
      });
  }

  get hasExceptions(): boolean {
    return this.rules.some((rule) => rule.exception);
  }

  ignores(path: string): boolean {
    const parts = path.split('/');
    const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const rule of this.rules) if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = !rule.exception;
    return ignored;
  }
}

/** Docker's pattern syntax (moby/patternmatcher): `*` and `?` within one folder, `**` across folders, `[...]`, `\` escapes. */
function dockerPattern(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*' && pattern[index + 1] === '*') {
      index += pattern[index + 2] === '/' ? 2 : 1;
      source += index === pattern.length - 1 ? '.*' : '(.*/)?';
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end < 0) throw new Error(`.dockerignore: unterminated [ in ${pattern}`);
      source += `[${pattern.slice(index + 1, end)}]`;
      index = end;
    } else if (char === '\\' && index + 1 < pattern.length) {
      source += escapeRegExp(pattern[++index]!);
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\*?/]/g, '\\$&');
}

/** The files Docker would send as the build context: every file under `root` that `.dockerignore` keeps. */
export function buildContext(root: string, ignore: DockerIgnore): Set<string> {
  const files = new Set<string>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const ignored = ignore.ignores(path);
      if (entry.isDirectory()) {
        if (!ignored || ignore.hasExceptions) walk(path);
      } else if (!ignored) {
        files.add(path);
      }
    }
  };
  walk('');
  return files;
}

export interface SkippedCommand {
  readonly stage: string;
  readonly line: number;
  readonly command: string;
  readonly reason: string;
}

export interface ReplayOptions {
  /** The checkout the build context is read from, and the context's files. */
  readonly contextRoot: string;
  readonly context: ReadonlySet<string>;
  /** Where each stage's file system is laid out: `<into>/<stage name>/<absolute path in the image>`. */
  readonly into: string;
  /** Why a RUN line cannot run outside Docker, or undefined when it can. */
  readonly dockerOnly: (script: string) => string | undefined;
  /** Variables a RUN sees besides the stage's ENV (PATH, HOME: this machine's stand-in for the base image's). */
  readonly hostEnv: Readonly<Record<string, string>>;
  readonly runTimeoutMs: number;
}

/**
 * Lays out the stages one after another in folders: WORKDIR creates its folder, COPY copies from the
 * build context (or from an earlier stage's folder with --from), RUN runs with the stage's ENV in its
 * WORKDIR, except the Docker-only lines, which are returned with their reasons.
 */
export class StageReplay {
  readonly skipped: SkippedCommand[] = [];
  readonly ran: Array<{ stage: string; line: number; command: string }> = [];

  constructor(private readonly options: ReplayOptions) {}

  rootOf(stage: Stage): string {
    return join(this.options.into, stage.name);
  }

  /** Where an absolute path of the image lies in the replay's folder. */
  hostPath(stage: Stage, imagePath: string): string {
    if (!posix.isAbsolute(imagePath)) throw new Error(`${imagePath} is not an absolute path of the image`);
    return join(this.rootOf(stage), imagePath);
  }

  /** The last WORKDIR, as an absolute path of the image. */
  workdirOf(stage: Stage, until = Infinity): string {
    return instructionsOf(stage, 'WORKDIR')
      .filter((workdir) => workdir.line < until)
      .reduce((current, workdir) => posix.resolve(current, workdir.path), '/');
  }

  /**
   * The stage's ENV as the replayed process sees it: a value naming a folder of the image (under a
   * WORKDIR or a VOLUME) points to that folder in the replay.
   */
  processEnv(stage: Stage): Record<string, string> {
    const folders = [...instructionsOf(stage, 'WORKDIR').map((workdir) => posix.resolve('/', workdir.path)), ...instructionsOf(stage, 'VOLUME').flatMap((volume) => volume.paths)];
    const inImage = (value: string): boolean => folders.some((folder) => value === folder || value.startsWith(`${folder}/`));
    return Object.fromEntries(Object.entries(envOf(stage)).map(([key, value]) => [key, inImage(value) ? this.hostPath(stage, value) : value]));
  }

  async build(stages: readonly Stage[]): Promise<void> {
    for (const stage of stages) await this.buildStage(stage, stages);
  }

  private async buildStage(stage: Stage, stages: readonly Stage[]): Promise<void> {
    mkdirSync(this.rootOf(stage), { recursive: true });
    const env: Record<string, string> = {};
    for (const instruction of stage.instructions) {
      const workdir = this.workdirOf(stage, instruction.line + 1);
      switch (instruction.kind) {
        case 'WORKDIR':
          mkdirSync(this.hostPath(stage, workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(env, instruction.values);
          break;
        case 'COPY':
          this.copy(stage, stages, instruction, workdir);
          break;
        case 'RUN':
          await this.run(stage, instruction, workdir, env);
          break;
        case 'USER':
        case 'VOLUME':
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'CMD':
        case 'ENTRYPOINT':
          break; // settings of the image, read by the spec; nothing to lay out
      }
    }
  }

  private copy(stage: Stage, stages: readonly Stage[], copy: InstructionOf<'COPY'>, workdir: string): void {
    const destination = posix.resolve(workdir, copy.destination);
    const intoFolder = copy.destination.endsWith('/') || copy.sources.length > 1;
    for (const source of copy.sources) {
      const target = intoFolder ? posix.join(destination, posix.basename(source)) : destination;
      if (copy.from !== undefined) {
        const from = stages.find((candidate) => candidate.name === copy.from);
        if (from === undefined || from.line >= stage.line) throw new Error(`Dockerfile line ${copy.line}: no earlier stage named ${copy.from}`);
        const origin = this.hostPath(from, posix.resolve('/', source));
        const isFolder = statSync(origin).isDirectory();
        cpSync(origin, this.hostPath(stage, isFolder ? destination : target), { recursive: true });
      } else {
        this.copyFromContext(stage, copy, posix.normalize(source).replace(/^\/+|\/+$/g, ''), destination, target);
      }
    }
  }

  /** A file is copied to `target`; a folder's kept files into `destination`, as Docker copies a folder's contents. */
  private copyFromContext(stage: Stage, copy: InstructionOf<'COPY'>, source: string, destination: string, target: string): void {
    const place = (file: string, imagePath: string): void => {
      mkdirSync(dirname(this.hostPath(stage, imagePath)), { recursive: true });
      cpSync(join(this.options.contextRoot, file), this.hostPath(stage, imagePath));
    };
    if (this.options.context.has(source)) return place(source, target);
    const inFolder = [...this.options.context].filter((file) => file.startsWith(`${source}/`));
    if (inFolder.length === 0) throw new Error(`Dockerfile line ${copy.line}: COPY ${source}: not in the build context (missing, or left out by .dockerignore)`);
    for (const file of inFolder) place(file, posix.join(destination, file.slice(source.length + 1)));
  }

  private async run(stage: Stage, run: InstructionOf<'RUN'>, workdir: string, env: Record<string, string>): Promise<void> {
    const text = run.command.form === 'exec' ? run.command.argv.join(' ') : run.command.script;
    const reason = this.options.dockerOnly(text);
    if (reason !== undefined) {
      this.skipped.push({ stage: stage.name, line: run.line, command: text, reason });
      return;
    }
    const [file, ...args] = run.command.form === 'exec' ? run.command.argv : ['/bin/sh', '-c', run.command.script];
    await new Promise<void>((done, fail) => {
      execFile(
        file!,
        args,
        { cwd: this.hostPath(stage, workdir), env: { ...this.options.hostEnv, ...env }, timeout: this.options.runTimeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderr) => (error ? fail(new Error(`Dockerfile line ${run.line} (RUN ${text}) failed: ${error.message}\n${stderr.slice(-4000)}`)) : done()),
      );
    });
    this.ran.push({ stage: stage.name, line: run.line, command: text });
  }
}
