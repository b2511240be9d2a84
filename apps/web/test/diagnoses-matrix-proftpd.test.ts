import { serverMatrix } from './diagnoses-matrix-servers.ts';

serverMatrix('proftpd');
