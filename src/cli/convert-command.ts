import { convertFile } from '../app/tools/convert-command';

/** `prox convert FILE`; returns the exit code. */
export function runConvert(file: string): Promise<number> {
  return convertFile(file, { out: (s) => console.log(s), err: (s) => console.error(s) });
}
