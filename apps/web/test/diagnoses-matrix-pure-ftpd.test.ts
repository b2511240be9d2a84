import { serverMatrix } from './diagnoses-matrix-servers.ts';

serverMatrix('pure-ftpd');
