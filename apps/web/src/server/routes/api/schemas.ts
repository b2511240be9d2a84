import { ErrorBody, HostName } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';

/** Path parameter :host. */
export const HostParams = T.Object({ host: HostName });

/** The error responses every authenticated route may give, for the OpenAPI document. */
export const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } as const;

/** Marks a route as needing the API token in the OpenAPI document. */
export const secured: { [name: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
