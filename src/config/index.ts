export * from './model';
export { loadConfigFile, loadConfigText, resolveConfigPath, DEFAULT_CONFIG_FILE } from './loader';
export { displayPointer } from './config-path';
export { formatListenAddress } from './listen-address';
export { CONFIG_SCHEMA_PATH } from './schema';
