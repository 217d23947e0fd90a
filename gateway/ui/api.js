// The approver API, with the approver token in the Authorization header (never in a URL or
// a cookie). Failures become ApiError with the gateway's status and error message.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method, headers, cache: "no-store", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, "Cannot reach the gateway.");
  }
  let data = null;
  try { data = await res.json(); } catch (err) { data = null; }
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiError(res.status, (e && e.message) || `HTTP ${res.status}`, e && e.code);
  }
  return data;
}

// 401 or 403: the token is unknown, revoked, or not an approver's.
export function refused(err) {
  return err instanceof ApiError && (err.status === 401 || err.status === 403);
}

export function refusalText(err) {
  return err.status === 403
    ? "That credential may not read approvals: use an approver token, not an agent key."
    : "That token was not accepted.";
}
