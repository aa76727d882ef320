// Giving the event loop a turn between training steps, so progress events, Ctrl-C and a page's
// or worker's messages get through while a run trains.
//
// The cheapest macrotask differs by platform: Node has setImmediate; browsers and Deno clamp
// nested setTimeout(0) to ~4 ms, which halved tokens/s for small models, but a MessageChannel
// message is delivered as the next task at once. Each yield uses its own channel and closes both
// ports, so no open port keeps a Node or Deno process alive after training.

type Immediate = (f: () => void) => unknown;

/** Resolves on the next macrotask (not a microtask: I/O, timers and messages run in between). */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => { immediate(resolve); });
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        port2.close();
        resolve();
      };
      port2.postMessage(null);
    });
  }
  return new Promise((resolve) => { setTimeout(resolve, 0); });
}
