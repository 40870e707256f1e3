export { supportsReusePort } from '../http-common/reuse-port';
