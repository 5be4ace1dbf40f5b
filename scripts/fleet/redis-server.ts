import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** A `redis-server` this test run started, on 127.0.0.1 and a free port, without persistence. */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM; its data is gone: no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Runs a command on a throwaway connection (RESP over a socket), for assertions: `CLIENT LIST`, `PUBSUB NUMSUB`. */
  command(...args: string[]): Promise<string>;
}

const INSTALL_HINT = 'redis-server is not installed: run `bash scripts/ci/setup-redis.sh` (apt-get install -y redis-server) to run the Redis specs';

/** The `redis-server` on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

/**
 * Whether the Redis specs run here: always in CI (where a missing redis-server makes them fail,
 * not skip), elsewhere only when redis-server is installed (with a message saying how otherwise).
 */
export function redisSpecsEnabled(): boolean {
  if (process.env['CI'] === 'true') return true;
  if (findRedisServer()) return true;
  console.warn(`[spec/redis] skipped: ${INSTALL_HINT}`);
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a private redis-server; throws (failing the spec) when it is not installed. */
export async function startRedisServer(): Promise<TestRedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error(INSTALL_HINT);
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const spawned = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    let stderr = '';
    spawned.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    for (let i = 0; i < 200; i++) {
      if (spawned.exitCode !== null) throw new Error(`redis-server exited (${spawned.exitCode}): ${stderr}`);
      if ((await command('PING').catch(() => '')) === '+PONG') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not answer PING on port ${port} within 5 s`);
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  function command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      let reply = '';
      socket.setTimeout(2000, () => socket.destroy(new Error('redis command timed out')));
      socket.on('error', reject);
      socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
      socket.on('data', (chunk) => {
        reply += chunk.toString();
        if (complete(reply)) {
          socket.end();
          resolve(reply.trimEnd());
        }
      });
    });
  }

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, command };
}

// Enough RESP to know a simple, error, integer or bulk reply (or an array of those) is whole.
function complete(reply: string): boolean {
  const type = reply[0];
  if (type === '+' || type === '-' || type === ':') return reply.endsWith('\r\n');
  if (type === '$') {
    const header = reply.indexOf('\r\n');
    if (header < 0) return false;
    const length = Number(reply.slice(1, header));
    return length < 0 || Buffer.byteLength(reply) >= header + 2 + length + 2;
  }
  if (type === '*') return reply.endsWith('\r\n') && parseArray(reply) !== undefined;
  return false;
}

function parseArray(reply: string): number | undefined {
  let position = 0;
  const readLine = () => {
    const end = reply.indexOf('\r\n', position);
    if (end < 0) return undefined;
    const line = reply.slice(position, end);
    position = end + 2;
    return line;
  };
  const readValue = (): boolean => {
    const line = readLine();
    if (line === undefined) return false;
    const kind = line[0];
    if (kind === '$') {
      const length = Number(line.slice(1));
      if (length < 0) return true;
      if (reply.length < position + length + 2) return false;
      position += length + 2;
      return true;
    }
    if (kind === '*') {
      const count = Number(line.slice(1));
      for (let i = 0; i < count; i++) if (!readValue()) return false;
      return true;
    }
    return true;
  };
  return readValue() ? position : undefined;
}
