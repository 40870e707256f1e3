// eslint-disable-next-line @typescript-eslint/no-require-imports -- read at run time: package.json lies outside the build's rootDir
export const PROX_VERSION: string = (require('../package.json') as { version: string }).version;
