// selfish-rnn's package entry: the public API (src/api.ts), and the model families that ship with
// the library but are written on that API alone (src/families/), registered on import through the
// same public call a user's family goes through. Importing this module loads the wasm kernels
// (top-level await); it imports no package at run time.
export * from './api.js';
export * from './families/index.js';
