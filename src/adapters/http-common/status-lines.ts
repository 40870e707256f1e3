import { STATUS_CODES } from 'node:http';

const lines: string[] = [];

/** `"200 OK"`: uWS wants the reason phrase with the code. Built once per code. */
export function statusLine(status: number): string {
  let line = lines[status];
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    lines[status] = line;
  }
  return line;
}
