import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerCommand, WorkerMessage } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** One forked fleet member. */
export interface FleetWorker {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Sends a command and resolves with the worker's answer (rejects with its error, or after `limit` ms). */
  send<T = unknown>(command: WorkerCommand, limit?: number): Promise<T>;
  /** Notices the worker sends on its own (`token-call`, `token-answered`). */
  onNotice(listener: (type: string) => void): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/** Forks a worker (TypeScript through tsx) and waits until it is ready for commands. */
export async function startWorker(): Promise<FleetWorker> {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; timer: ReturnType<typeof setTimeout> }>();
  const noticeListeners: ((type: string) => void)[] = [];
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const { reject, timer } of pending.values()) {
      clearTimeout(timer);
      reject(new Error(`fleet worker ${child.pid} exited`));
    }
    pending.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fleet worker exited before it was ready (${code})`)));
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        if (!waiter) return;
        pending.delete(message.id);
        clearTimeout(waiter.timer);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new Error(message.error));
      } else for (const listener of noticeListeners) listener(message.type);
    });
  });
  await ready;
  return {
    pid: child.pid as number,
    process: child,
    exited,
    onNotice: (listener) => void noticeListeners.push(listener),
    send<T>(command: WorkerCommand, limit = 30_000): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`fleet worker ${child.pid} did not answer ${command.type} within ${limit} ms`));
        }, limit);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        child.send({ ...command, id });
      });
    },
  };
}

/** Several workers at once. */
export async function startFleet(size: number): Promise<FleetWorker[]> {
  return Promise.all(Array.from({ length: size }, () => startWorker()));
}

/** Ends every worker still alive: a polite dispose, then SIGKILL for the ones that do not go. */
export async function stopFleet(workers: readonly FleetWorker[]): Promise<void> {
  await Promise.all(
    workers.map(async (worker) => {
      if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
      if (worker.process.signalCode === null) worker.process.kill('SIGCONT');
      await worker.send({ type: 'dispose' }, 3000).catch(() => undefined);
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), 3000);
      await worker.exited;
      clearTimeout(timer);
    }),
  );
}
