import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildContext,
  DockerIgnore,
  envOf,
  instructionsOf,
  lastOf,
  parseDockerfile,
  shellWords,
  StageReplay,
  startCommand,
  type Command,
  type Stage,
} from '../support/dockerfile';
import { eventually } from '../support/eventually';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { ACME_TENANT, PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';

/**
 * The container, without Docker (it does not run on this machine): the Dockerfile's own lines are read
 * and replayed in a temporary folder (test/support/dockerfile.ts): the build stage's COPY and RUN lines
 * (one `npm ci`, better-sqlite3 compiled from source, the TypeScript build, the prune), the runtime
 * stage assembled from its COPY lines, then its CMD started with its ENV, probed with its HEALTHCHECK,
 * asked one lookup and stopped with SIGTERM, as `docker stop` does.
 *
 * The lines only Docker can run are listed below with the reason; everything else is run as written.
 */
const ROOT = resolve(__dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** RUN lines of the Dockerfile that only Docker can run, and why the replay does without them. */
const DOCKER_ONLY: ReadonlyArray<{ readonly label: string; readonly command: RegExp; readonly reason: string }> = [
  {
    label: 'apt-get install python3 make g++',
    command: /^apt-get update\s+&& apt-get install -y --no-install-recommends python3 make g\+\+\s+&& rm -rf \/var\/lib\/apt\/lists\/\*$/,
    reason: 'installs python3, make and g++ into the base image as root with apt; this machine has them on its PATH (checked below)',
  },
  {
    label: 'mkdir the tenants mount point and DATA_DIR, chown DATA_DIR',
    command: /^mkdir -p \/app\/tenants \/var\/lib\/connector-gateway\s+&& chown node:node \/var\/lib\/connector-gateway$/,
    reason:
      'creates the tenants mount point and DATA_DIR at absolute paths of the image and gives DATA_DIR to the USER (root only); ' +
      'the replay makes both folders in its own tree, as the mounts would',
  },
];

function dockerOnlyReason(script: string): string | undefined {
  return DOCKER_ONLY.find((entry) => entry.command.test(script))?.reason;
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const dockerIgnore = new DockerIgnore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const build = stageNamed('build');
const runtime = stages.at(-1)!;
const runtimeEnv = envOf(runtime);

function stageNamed(name: string): Stage {
  const stage = stages.find((candidate) => candidate.name === name);
  if (stage === undefined) throw new Error(`The Dockerfile has no stage named ${name}`);
  return stage;
}

function runScripts(): string[] {
  return stages.flatMap((stage) => instructionsOf(stage, 'RUN').map((run) => commandText(run.command)));
}

function commandText(command: Command): string {
  return command.form === 'exec' ? command.argv.join(' ') : command.script;
}

function healthcheckArgv(): readonly string[] {
  const healthcheck = lastOf(runtime, 'HEALTHCHECK');
  if (healthcheck === undefined || healthcheck.command === 'NONE') throw new Error('The runtime stage has no HEALTHCHECK');
  if (healthcheck.command.form !== 'exec') throw new Error('The HEALTHCHECK is not in the exec (JSON) form');
  return healthcheck.command.argv;
}

function run(file: string, args: readonly string[], options: { cwd: string; env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { ...options, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("the replay's reader of Dockerfiles and .dockerignore files", () => {
  it('joins continued lines, drops comments, and tells the exec form from the shell form', () => {
    const [first, second] = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'FROM node:20 AS build',
        'RUN apt-get update \\',
        '# a comment inside a continuation',
        ' && echo done',
        'ENV A=1 B="two words" C=three\\ words',
        'ENV LEGACY some value',
        'COPY --from=build --chown=node:node /app/dist ./dist',
        'FROM node:20',
        'HEALTHCHECK --interval=5s CMD ["node", "-e", "1"]',
        'CMD node main.js',
      ].join('\n'),
    );
    expect(first!.name).toBe('build');
    expect(second!.name).toBe('1');
    expect(lastOf(first!, 'RUN')?.command).toEqual({ form: 'shell', script: 'apt-get update  && echo done' });
    expect(envOf(first!)).toEqual({ A: '1', B: 'two words', C: 'three words', LEGACY: 'some value' });
    expect(lastOf(first!, 'COPY')).toMatchObject({ from: 'build', chown: 'node:node', sources: ['/app/dist'], destination: './dist' });
    expect(lastOf(second!, 'HEALTHCHECK')).toMatchObject({ options: { interval: '5s' }, command: { form: 'exec', argv: ['node', '-e', '1'] } });
    expect(startCommand(second!)).toEqual(['/bin/sh', '-c', 'node main.js']);
  });

  it('refuses what it cannot replay faithfully, naming the line', () => {
    expect(() => parseDockerfile('FROM node:20\nADD x y')).toThrow('Dockerfile line 2 (ADD): an instruction the replay does not know');
    expect(() => parseDockerfile('FROM node:20\nWORKDIR $HOME')).toThrow('Dockerfile line 2 (WORKDIR): holds a $variable');
    expect(() => parseDockerfile('FROM node:20\nCOPY src/*.ts ./')).toThrow('wildcards in sources are not replayed');
  });

  it('splits words as a shell does', () => {
    expect(shellWords(`a "b c" 'd "e"' f\\ g`)).toEqual(['a', 'b c', 'd "e"', 'f g']);
  });

  it('ignores as Docker does: a parent folder, ** across folders, the last matching pattern deciding', () => {
    const ignore = new DockerIgnore('# comment\n/node_modules/\n**/*.spec.ts\n*.md\ndocs\n!docs/keep.md\n');
    expect(ignore.ignores('node_modules/a/b.js')).toBe(true);
    expect(ignore.ignores('src/a/b.spec.ts')).toBe(true);
    expect(ignore.ignores('x.spec.ts')).toBe(true);
    expect(ignore.ignores('README.md')).toBe(true);
    expect(ignore.ignores('src/README.md')).toBe(false);
    expect(ignore.ignores('docs/other.md')).toBe(true);
    expect(ignore.ignores('docs/keep.md')).toBe(false);
    expect(ignore.ignores('src/main.ts')).toBe(false);
  });
});

describe('the Dockerfile and its build context', () => {
  it('builds on node:20-bookworm-slim and runs on the same image, so the compiled better-sqlite3 fits its Node', () => {
    expect(stages.map((stage) => stage.base)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
  });

  it('sends no secret, local state, installed or built files, and no tests to the build', () => {
    for (const path of ['.env', '.env.production', 'tenants/acme.env', 'tenants/book.csv', 'data/outbox.sqlite', 'node_modules/typescript/package.json', 'dist/main.js', '.git/HEAD', 'test/e2e/lookup.e2e-spec.ts', 'src/layers.spec.ts']) {
      expect([path, dockerIgnore.ignores(path)]).toEqual([path, true]);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts', 'scripts/built.js', 'templates/pipedrive.yaml']) {
      expect([path, dockerIgnore.ignores(path)]).toEqual([path, false]);
    }
    const context = [...buildContext(ROOT, dockerIgnore)];
    expect(context.filter((file) => /^(node_modules|dist|\.git|test|tenants|data)\/|^\.env$|\.spec\.ts$/.test(file))).toEqual([]);
    expect(context).toContain('src/main.ts');
  });

  it('runs as a user other than root', () => {
    const user = lastOf(runtime, 'USER')?.user;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('keeps DATA_DIR on a volume, in a folder owned by that user, and TENANTS_DIR as a folder to mount under the WORKDIR', () => {
    const volumes = instructionsOf(runtime, 'VOLUME').flatMap((volume) => volume.paths);
    expect(volumes).toContain(runtimeEnv.DATA_DIR);
    const user = lastOf(runtime, 'USER')!.user;
    const owning = runScripts().find((script) => script.includes(`chown ${user}`));
    expect(owning).toContain(runtimeEnv.DATA_DIR);
    expect(owning).toContain(runtimeEnv.TENANTS_DIR);
    expect(runtimeEnv.TENANTS_DIR!.startsWith(`${resolve('/', lastOf(runtime, 'WORKDIR')!.path)}/`)).toBe(true);
    expect(runtimeEnv.NODE_ENV).toBe('production');
  });

  it('exposes the port it listens on', () => {
    expect(instructionsOf(runtime, 'EXPOSE').flatMap((expose) => expose.ports)).toEqual([runtimeEnv.PORT]);
  });

  it('starts node with the flags of `npm run start:prod`, in the exec form so signals reach node', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const startProd = shellWords(scripts['start:prod']!);
    expect(startProd[0]).toBe('exec');
    expect(lastOf(runtime, 'CMD')?.command.form).toBe('exec');
    expect(lastOf(runtime, 'ENTRYPOINT')).toBeUndefined();
    expect(startCommand(runtime)).toEqual(startProd.slice(1));
  });

  it('probes /health with node itself, in the exec form', () => {
    const argv = healthcheckArgv();
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toContain("path: '/health'");
  });

  it.each(DOCKER_ONLY)('leaves one RUN line to Docker only: $label ($reason)', ({ command }) => {
    expect(runScripts().filter((script) => command.test(script))).toHaveLength(1);
  });

  it('finds on this machine the build tools the apt-get line installs in the image', async () => {
    const aptLine = runScripts().find((script) => script.includes('apt-get install'))!;
    const packages = shellWords(aptLine.slice(aptLine.indexOf('apt-get install')).split('&&')[0]!).slice(2).filter((word) => !word.startsWith('-'));
    expect(packages).toEqual(['python3', 'make', 'g++']);
    for (const tool of packages) expect([tool, (await run('/bin/sh', ['-c', `command -v ${tool}`], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } })).code]).toEqual([tool, 0]);
  });
});

describe('the image, replayed from the Dockerfile (e2e)', () => {
  const into = mkdtempSync(join(tmpdir(), 'gateway-image-'));
  const replay = new StageReplay({
    contextRoot: ROOT,
    context: buildContext(ROOT, dockerIgnore),
    into,
    dockerOnly: dockerOnlyReason,
    // The base image's PATH and HOME stand in as this machine's; npm takes the packages from its cache
    // when it has them (as `--prefer-offline`), so the one `npm ci` needs the network only for what is missing.
    hostEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), npm_config_prefer_offline: 'true' },
    runTimeoutMs: 480_000,
  });
  const workdir = (): string => replay.hostPath(runtime, replay.workdirOf(runtime));
  const env = (): Record<string, string> => replay.processEnv(runtime);

  // One `npm ci` compiling better-sqlite3 from source, the TypeScript build and the prune: minutes.
  beforeAll(() => replay.build(stages), 600_000);
  afterAll(() => rmSync(into, { recursive: true, force: true }));

  it('ran every RUN line as written but the Docker-only ones', () => {
    expect(replay.skipped.map((skipped) => skipped.reason)).toEqual(DOCKER_ONLY.map((entry) => entry.reason));
    expect(replay.ran.map((ran) => ran.command)).toEqual(runScripts().filter((script) => dockerOnlyReason(script) === undefined));
    expect(replay.ran.map((ran) => ran.command)).toEqual(expect.arrayContaining([expect.stringContaining('npm ci'), 'npm run build', expect.stringContaining('npm prune --omit=dev')]));
    // Compiled here by node-gyp (its Makefile), not a prebuilt binary fetched by prebuild-install.
    const betterSqlite = join(replay.hostPath(build, replay.workdirOf(build)), 'node_modules/better-sqlite3');
    expect(existsSync(join(betterSqlite, 'build/Makefile'))).toBe(true);
    expect(existsSync(join(betterSqlite, 'build/Release/better_sqlite3.node'))).toBe(true);
  });

  it("holds the built files, package.json, scripts/built.js and every production package, but no dev dependency, sources or tests", () => {
    const tenantsMount = replay.hostPath(runtime, runtimeEnv.TENANTS_DIR!);
    expect(readdirSync(workdir()).filter((name) => join(workdir(), name) !== tenantsMount).sort()).toEqual(['dist', 'node_modules', 'package.json', 'scripts', 'templates']);
    expect(existsSync(join(workdir(), 'templates/pipedrive.yaml'))).toBe(true);
    expect(readdirSync(join(workdir(), 'scripts'))).toEqual(['built.js']);
    expect(existsSync(join(workdir(), 'dist/main.js'))).toBe(true);
    expect(existsSync(join(workdir(), 'dist/check.js'))).toBe(true);
    expect(readdirSync(join(workdir(), 'dist'), { recursive: true }).filter((file) => String(file).includes('.spec.'))).toEqual([]);

    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
    const installed = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
    const devOnly = installed.filter(([, entry]) => entry.dev === true).map(([path]) => path);
    const production = installed.filter(([, entry]) => !entry.dev && !entry.optional && !entry.devOptional).map(([path]) => path);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/typescript', 'node_modules/jest', 'node_modules/ts-jest']));
    expect(devOnly.filter((path) => existsSync(join(workdir(), path)))).toEqual([]);
    expect(production.filter((path) => !existsSync(join(workdir(), path)))).toEqual([]);
    expect(existsSync(join(workdir(), 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  });

  it('starts with its CMD and ENV, turns healthy, answers a lookup, keeps the outbox in DATA_DIR and stops cleanly on SIGTERM', async () => {
    const tenants = replay.hostPath(runtime, runtimeEnv.TENANTS_DIR!); // the folder `-v ./tenants:/app/tenants:ro` mounts
    mkdirSync(tenants, { recursive: true });
    writeFileSync(join(tenants, 'acme.env'), ACME_TENANT);
    writeFileSync(join(tenants, 'book.csv'), PHONE_BOOK_CSV);
    mkdirSync(env().DATA_DIR!, { recursive: true }); // the volume
    // Published on a free port of 127.0.0.1 of this machine instead of the image's 0.0.0.0:3000.
    const port = await freePort();
    const containerEnv = { ...env(), HOST: '127.0.0.1', PORT: String(port) };
    const [healthcheck, ...healthcheckArgs] = healthcheckArgv();
    const probe = async (): Promise<number> => (await run(healthcheck!, healthcheckArgs, { cwd: workdir(), env: { PATH: process.env.PATH ?? '', ...containerEnv } })).code;

    expect(await probe()).not.toBe(0); // nothing listens yet
    const [command, ...args] = startCommand(runtime);
    const gateway = new GatewayProcess(command!, args, { cwd: workdir(), env: containerEnv, port });
    try {
      await eventually(async () => (await probe()) === 0, 60_000);
      const answer = await fetch(`${gateway.url}/lookup?PhoneNumber=41789072228`, { headers: { 'X-Execution-Token': TOKEN } });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as Array<{ Name: string }>).map((card) => card.Name)).toEqual(['Anna Muster']);
      expect(existsSync(join(env().DATA_DIR!, 'outbox.sqlite'))).toBe(true);
    } finally {
      expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(gateway.messages()).toContain('Stopped (SIGTERM)');
    expect(gateway.stderr).toBe('');
  }, 120_000);

  it('runs `npm run check` in the image', async () => {
    const tenants = replay.hostPath(runtime, runtimeEnv.TENANTS_DIR!);
    mkdirSync(tenants, { recursive: true });
    writeFileSync(join(tenants, 'acme.env'), ACME_TENANT);
    writeFileSync(join(tenants, 'book.csv'), PHONE_BOOK_CSV);
    const home = join(into, 'home'); // the image's user's home, not this machine's
    mkdirSync(home, { recursive: true });
    const check = await run(NPM, ['run', 'check', '--silent'], { cwd: workdir(), env: { PATH: process.env.PATH ?? '', HOME: home, ...env() } });
    expect(check.stdout).toMatch(/^acme\s+directory\s+ok: searched in \d+ ms$/m);
    expect(check.code).toBe(0);
  }, 120_000);
});

describe('compose.yaml', () => {
  interface Service {
    image?: string;
    build?: string | { context?: string; dockerfile?: string };
    command?: string | string[];
    environment?: Record<string, string | number> | string[];
    env_file?: string | Array<string | { path: string; required?: boolean }>;
    volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
    ports?: Array<string | { target: number }>;
    healthcheck?: { test?: string | string[] };
    restart?: string;
    depends_on?: string[] | Record<string, { condition?: string }>;
  }
  interface ComposeFile {
    services: Record<string, Service>;
    volumes?: Record<string, unknown>;
  }

  // js-yaml is a dependency of @nestjs/swagger (one of ours): found from there, not installed for this test.
  const yaml = createRequire(require.resolve('@nestjs/swagger'))('js-yaml') as { load(text: string): unknown };
  const compose = yaml.load(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as ComposeFile;
  const gateway = compose.services.gateway!;
  const environment = (service: Service): Record<string, string> =>
    Array.isArray(service.environment)
      ? Object.fromEntries(service.environment.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))
      : Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value)]));
  const command = (service: Service): string[] => (typeof service.command === 'string' ? shellWords(service.command) : (service.command ?? []));

  it('builds the gateway from the Dockerfile here', () => {
    expect(compose.services).toHaveProperty('gateway');
    expect(typeof gateway.build === 'string' ? gateway.build : gateway.build?.context).toBe('.');
    if (typeof gateway.build === 'object' && gateway.build.dockerfile !== undefined) expect(gateway.build.dockerfile).toBe('Dockerfile');
  });

  it('points REDIS_URL at its Redis 7 service, which keeps every write (appendonly yes, noeviction)', () => {
    const redisUrl = new URL(environment(gateway).REDIS_URL!);
    expect(redisUrl.protocol).toBe('redis:');
    const redis = compose.services[redisUrl.hostname];
    expect(redis?.image).toMatch(/^redis:7(\.|$)/);
    expect(redisUrl.port === '' ? '6379' : redisUrl.port).toBe('6379');
    const args = command(redis!).join(' ');
    expect(args).toMatch(/--appendonly yes\b/);
    expect(args).toMatch(/--maxmemory-policy noeviction\b/);
    expect(redis?.volumes?.some((volume) => typeof volume === 'string' && volume.endsWith(':/data'))).toBe(true);
  });

  it("keeps the image's folders and port, whatever the env file says", () => {
    const settings = environment(gateway);
    for (const key of ['PORT', 'TENANTS_DIR', 'DATA_DIR']) expect([key, settings[key]]).toEqual([key, runtimeEnv[key]]);
    const published = (gateway.ports ?? []).map((port) => (typeof port === 'string' ? port.split(':').at(-1) : String(port.target)));
    expect(published).toEqual([runtimeEnv.PORT]);
  });

  it('puts DATA_DIR on a named volume and mounts the tenants folder read-only', () => {
    const volumes = (gateway.volumes ?? []).map((volume) => (typeof volume === 'string' ? volume : `${volume.source}:${volume.target}${volume.read_only ? ':ro' : ''}`));
    const dataVolume = volumes.find((volume) => volume.split(':')[1] === runtimeEnv.DATA_DIR);
    expect(dataVolume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(dataVolume!.split(':')[0]);
    expect(volumes).toContain(`./tenants:${runtimeEnv.TENANTS_DIR}:ro`);
  });

  it('reads the global settings from an env file', () => {
    const files = [gateway.env_file ?? []].flat().map((file) => (typeof file === 'string' ? file : file.path));
    expect(files).toEqual(['.env']);
  });

  it("checks health with the Dockerfile's HEALTHCHECK and Redis's ping, restarts both, and starts the gateway once Redis is healthy", () => {
    expect(gateway.healthcheck?.test).toEqual(['CMD', ...healthcheckArgv()]);
    const redis = compose.services.redis!;
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    for (const service of [gateway, redis]) expect(['always', 'unless-stopped', 'on-failure']).toContain(service.restart);
    expect(gateway.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });
});
