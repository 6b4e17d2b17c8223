// errors.mjs: the error a catalog operation throws, carrying the HTTP status
// and the spec's error type, and the ErrorModel body it becomes.

export class CatalogError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

// Shorthands for the errors the catalog raises.
export const badRequest = (msg) => new CatalogError(400, 'BadRequestException', msg);
export const conflict = (msg) => new CatalogError(409, 'CommitFailedException', msg);
export const notFound = (type, msg) => new CatalogError(404, type, msg);
export const unsupported = (msg) => new CatalogError(501, 'NotImplementedException', msg);

// The IcebergErrorResponse body for a status, type and message.
export function errorBody(status, type, message) {
  return { error: { message, type, code: status } };
}
