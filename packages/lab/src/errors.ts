/** Error codes the lab reports; each says what went wrong and what to do about it. */
export type LabErrorCode =
  | 'FTPSCOPE_ERR_LAB_NOT_ROOT'
  | 'FTPSCOPE_ERR_LAB_MISSING_BINARY'
  | 'FTPSCOPE_ERR_LAB_BAD_INPUT'
  | 'FTPSCOPE_ERR_LAB_EXISTS'
  | 'FTPSCOPE_ERR_LAB_NOT_FOUND'
  | 'FTPSCOPE_ERR_LAB_ADDRESS_IN_USE'
  | 'FTPSCOPE_ERR_LAB_COMMAND_FAILED'
  | 'FTPSCOPE_ERR_LAB_TIMEOUT'
  | 'FTPSCOPE_ERR_LAB_ABORTED';

/** An error from the lab, with a code and a hint on how to fix it. */
export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly hint: string | undefined;

  constructor(code: LabErrorCode, message: string, hint?: string) {
    super(hint ? `${message} (${hint})` : message);
    this.name = 'LabError';
    this.code = code;
    this.hint = hint;
  }
}
