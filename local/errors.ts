/** An error in the template or the local setup that stops the runtime from starting. */
export class LocalRuntimeError extends Error {
  override name = 'LocalRuntimeError';
}

/** A template problem tied to one resource; the message names its logical id and type. */
export class TemplateError extends LocalRuntimeError {
  override name = 'TemplateError';
  readonly logicalId: string;

  constructor(logicalId: string, type: string | undefined, message: string) {
    super(`${logicalId}${type ? ` (${type})` : ''}: ${message}`);
    this.logicalId = logicalId;
  }
}
