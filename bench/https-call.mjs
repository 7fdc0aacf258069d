// One HTTPS call that trusts a server's own CA (bench/cpu-cost.mjs, bench/instructions.mjs): { json, text } of a 2xx
// answer, otherwise a rejection with the answer's text.
import https from "node:https";

export function call(server, method, path, { token, body, form } = {}) {
  const payload = form ? new URLSearchParams(form).toString() : body && JSON.stringify(body);
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (payload) {
    headers["content-type"] = form ? "application/x-www-form-urlencoded" : "application/json";
    headers["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "localhost", port: server.port, method, path, headers, ca: server.ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () =>
        res.statusCode < 300
          ? resolve({ json: JSON.parse(text), text })
          : reject(new Error(`${method} ${path}: ${text}`)),
      );
    });
    req.on("error", reject);
    req.end(payload);
  });
}
