export type LogFields = Readonly<Record<string, unknown>>;

/** Structured operational log. Implementations must not throw and must be cheap when a level is off. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const Logger = Symbol.for('prox.Logger');
