// assertNever: the last line of an exhaustive switch over a union (the compiler flags a missing case).
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
