// Options objects from plain JavaScript: a misspelt name (`momentun`) would otherwise be ignored
// and the default used without a word. Every public function taking an options object checks it here.

/**
 * Throws a TypeError if `opts` is not a plain object (undefined is fine) or has a key outside
 * `allowed`; the message names the function, the unknown keys and the accepted ones.
 */
export function checkOptions(where: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`selfish-rnn: ${where}: options must be an object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  const unknown = Object.keys(opts).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const list = unknown.map((k) => `'${k}'`).join(', ');
    throw new TypeError(`selfish-rnn: ${where}: unknown option${unknown.length > 1 ? 's' : ''} ${list} (options: ${allowed.join(', ')})`);
  }
}
