// Values from a file, quoted for a message: a tensor name, a dtype or a shape read from a damaged
// or hostile file can be any size (one was 789 kB), and a message is one line a person reads.

/** JSON of `value` (a string in quotes), cut to `max` characters with its full length said. */
export function quoted(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** Names for a message, as they are (cut when huge), at most `count` of them. */
export function nameList(names: readonly string[], count = 12, max = 80): string {
  const one = (n: string) => (n.length <= max ? n : `${n.slice(0, max)}… (${n.length} characters)`);
  const shown = names.slice(0, count).map(one).join(', ');
  return names.length > count ? `${shown}, … (${names.length - count} more)` : shown;
}
