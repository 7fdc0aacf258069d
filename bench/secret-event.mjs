// A served secret call's AuditEvent (Azure Monitor's shape) as src/audit/hook.ts makes it, for the bench scripts that
// write audit entries of their own: bench/audit-write.mjs and bench/minimal-vault.mjs.

/** `operation` on the secret `id` in the vault "default", by `caller` ({ appId, objectId }), answered with `status`. */
export const secretEvent = ({ time, operation, caller, ip, correlationId, id, clientInfo = null, status }) => ({
  time: new Date(time).toISOString(),
  resourceId:
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kluis/providers/Microsoft.KeyVault/vaults/default",
  operationName: operation,
  operationVersion: "7.5",
  category: "AuditEvent",
  resultType: "Success",
  resultSignature: "OK",
  resultDescription: null,
  durationMs: 1,
  callerIpAddress: ip,
  correlationId,
  identity: {
    claim: { appid: caller.appId, "http://schemas.microsoft.com/identity/claims/objectidentifier": caller.objectId },
  },
  properties: { id, clientInfo, httpStatusCode: status },
});
