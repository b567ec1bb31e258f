/** The `default` of an exhaustive switch: a new union member that is not handled fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case ${JSON.stringify(value)}`);
}
