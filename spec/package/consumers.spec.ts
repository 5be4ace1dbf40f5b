// The packed tarball, installed into throwaway CommonJS and ESM projects, compiled with tsc
// (module nodenext) and run with node: what `npm install rx-token-http` gives an app.
// The projects get the tarball's files in node_modules/rx-token-http and links to this
// repository's rxjs, Angular and @types/node: no registry, no network but 127.0.0.1.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball, packageEntries, root, type PackageEntry } from '../../scripts/ci/pack.js';

const run = promisify(execFile);
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
/** What an app would have installed beside the package: its dependencies and peers (every entry is loaded). */
const linked = [
  ...Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }),
  ...['@angular/compiler', 'tslib', '@types/node'],
].filter((name, index, all) => all.indexOf(name) === index && existsSync(join(root, 'node_modules', name)));
// Outside an Angular build (no linker), Angular's partially compiled classes need the JIT compiler.
const angularJit = "import '@angular/compiler';";

let work: string;
let installed: string;
let files: string[];
let entries: PackageEntry[];
let server: Server;
let apiUrl: string;

/** An API that accepts only the refreshed token: a consumer that gets data went through a refresh. */
function startApi(): Promise<void> {
  server = createServer((request, response) => {
    const ok = request.headers.authorization === 'Bearer a2';
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', ...(ok ? {} : { 'www-authenticate': 'Bearer error="invalid_token"' }) });
    response.end(JSON.stringify(ok ? { orders: ['teapot'] } : { error: 'invalid_token' }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

/** A project folder with the tarball installed, as `npm install` would lay it out. */
function project(name: string, type: 'commonjs' | 'module', sources: Record<string, string>): string {
  const dir = join(work, name);
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, 'rx-token-http'), { recursive: true });
  for (const dependency of linked) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dependency), join(modules, dependency), 'dir');
  }
  // A copy, not a link: node resolves a package's own imports (rxjs) from its real path.
  cpSync(installed, join(modules, 'rx-token-http'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022'],
        types: ['node'],
        strict: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'out',
      },
      include: ['src'],
    }),
  );
  mkdirSync(join(dir, 'src'));
  for (const [file, text] of Object.entries(sources)) writeFileSync(join(dir, 'src', file), text);
  return dir;
}

async function compileAndRun(dir: string, main: string): Promise<Record<string, unknown>> {
  await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((error: { stdout: string }) => {
    throw new Error(`tsc failed in ${dir}:\n${error.stdout}`);
  });
  const { stdout, stderr } = await run(process.execPath, [join(dir, 'out', main)], {
    cwd: dir,
    env: { ...process.env, API_URL: apiUrl },
    timeout: 20_000,
  });
  return { ...JSON.parse(stdout.trim().split('\n').pop() ?? '{}'), stderr };
}

/** What each consumer does with the root entry: a session and a client that refreshes on a 401. */
const useRootEntry = (rx: string, rxjs: string) => `
  const session = ${rx}.createTokenSession({
    tokens: { accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() + 3_600_000 },
    refresh: () => ${rxjs}.of({ accessToken: 'a2', refreshToken: 'r2', expiresAt: Date.now() + 3_600_000 }),
  });
  const client = ${rx}.createHttpClient({ baseUrl: process.env.API_URL!, session });
  const body = await ${rxjs}.firstValueFrom(client.get<{ orders: string[] }>('/orders'));
  const failure = await ${rxjs}.firstValueFrom(${rx}.createHttpClient({ baseUrl: process.env.API_URL! }).get('/orders')).catch((error: unknown) => error);
`;

const identifier = (entry: PackageEntry) => `entry_${entry.subpath.replace(/\W/g, '_')}`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rx-token-http-consumers-'));
  const packed = packTarball(join(work, 'pack'));
  files = packed.files;
  installed = join(work, 'installed');
  mkdirSync(installed);
  await run('tar', ['-xzf', packed.tarball, '-C', installed, '--strip-components=1']);
  entries = packageEntries().ready;
  await startApi();
}, 120_000);

afterAll(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  // Concurrent: most of each is a tsc run, and there are two cores.
  describe.concurrent('as a dependency', () => {
    describe('in a CommonJS project (type: commonjs, module: nodenext)', () => {
      it('compiles import = require() of every entry, and runs a client and session under node', async () => {
        const subpaths = entries.filter((entry) => entry.subpath !== '.');
        const dir = project('cjs-consumer', 'commonjs', {
          'main.ts': `${angularJit}
import rx = require('rx-token-http');
import rxjs = require('rxjs');
${subpaths.map((entry) => `import ${identifier(entry)} = require('${entry.specifier}');`).join('\n')}

async function main(): Promise<void> {
    ${useRootEntry('rx', 'rxjs')}
    const loaded = { ${subpaths.map((entry) => `'${entry.specifier}': Object.keys(${identifier(entry)}).length`).join(', ')} };
    const plainRequire = typeof require('rx-token-http').createHttpClient;
    console.log(JSON.stringify({ body, failure: failure instanceof rx.HttpError ? failure.status : String(failure), loaded, plainRequire }));
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
        });

        const result = await compileAndRun(dir, 'main.js');

        expect(readFileSync(join(dir, 'out/main.js'), 'utf8')).toContain(`require("rx-token-http")`);
        expect(result).toMatchObject({ body: { orders: ['teapot'] }, failure: 401, plainRequire: 'function' });
        expect(result.stderr).toBe(''); // no ExperimentalWarning for require(esm)
        for (const entry of subpaths) expect((result.loaded as Record<string, number>)[entry.specifier]).toBeGreaterThan(0);
      }, 60_000);
    });

    describe('in an ESM project (type: module, module: nodenext)', () => {
      it('compiles import of every entry, and runs a client and session under node', async () => {
        const subpaths = entries.filter((entry) => entry.subpath !== '.');
        const dir = project('esm-consumer', 'module', {
          'main.ts': `${angularJit}
import * as rx from 'rx-token-http';
import * as rxjs from 'rxjs';
${subpaths.map((entry) => `import * as ${identifier(entry)} from '${entry.specifier}';`).join('\n')}

${useRootEntry('rx', 'rxjs')}
const loaded = { ${subpaths.map((entry) => `'${entry.specifier}': Object.keys(${identifier(entry)}).length`).join(', ')} };
console.log(JSON.stringify({ body, failure: failure instanceof rx.HttpError ? failure.status : String(failure), loaded }));
`,
        });

        const result = await compileAndRun(dir, 'main.js');

        expect(result).toMatchObject({ body: { orders: ['teapot'] }, failure: 401 });
        for (const entry of subpaths) expect((result.loaded as Record<string, number>)[entry.specifier]).toBeGreaterThan(0);
      }, 60_000);
    });
  });

  it('packs from a fresh clone: `prepack` builds dist/ for every entry (a clone has none)', () => {
    for (const entry of entries) {
      expect(files).toContain(entry.js.replace(/^\.\//, ''));
      expect(files).toContain(entry.types.replace(/^\.\//, ''));
    }
  });

  it('has source maps whose sources are in the tarball', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      return sources.map((source) => posix.join(posix.dirname(map), source)).filter((source) => !existsSync(join(installed, source)));
    });
    expect(missing).toEqual([]);
  });
});
