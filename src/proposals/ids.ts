import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Short, sortable-enough, unguessable ids: prefix + 48-bit time + 60 random bits in Crockford base32. */
export function newId(prefix: 'inc' | 'prp' | 'exe'): string {
  let t = Date.now();
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(8);
  let rand = '';
  for (let i = 0; i < 12; i++) rand += ALPHABET[bytes[i % 8]! % 32]!;
  return `${prefix}_${time}${rand}`;
}
