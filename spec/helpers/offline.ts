// A browser's network state for specs in Node: `navigator.onLine` and the `online` event on the
// global object, put in place by `online()` (a browser's, online) or `goOffline()`, and taken
// away by `restore()`. Without them the library runs as in Node, where no wait for the network
// can begin.
export function offlineNetwork() {
  const global = globalThis as { navigator?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const listeners = new Set<() => void>();
  let onLine = true;
  const network = {
    get listening() {
      return listeners.size;
    },
    online() {
      Object.defineProperty(globalThis, 'navigator', { value: { get onLine() { return onLine; } }, configurable: true, writable: true });
      global.addEventListener = (type: string, listener: () => void) => type === 'online' && listeners.add(listener);
      global.removeEventListener = (type: string, listener: () => void) => type === 'online' && listeners.delete(listener);
    },
    goOffline() {
      onLine = false;
      Object.defineProperty(globalThis, 'navigator', { value: { get onLine() { return onLine; } }, configurable: true, writable: true });
      global.addEventListener = (type: string, listener: () => void) => type === 'online' && listeners.add(listener);
      global.removeEventListener = (type: string, listener: () => void) => type === 'online' && listeners.delete(listener);
    },
    goOnline() {
      onLine = true;
      [...listeners].forEach((listener) => listener());
    },
    restore() {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete global.navigator;
      delete global.addEventListener;
      delete global.removeEventListener;
      listeners.clear();
    },
  };
  return network;
}
