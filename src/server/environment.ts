// The `export` lines a client shell needs to reach this server with the official SDKs of every runtime.
import { JAVA_TRUST_STORE_PASSWORD } from "./client-trust.js";
import type { ServerInfo } from "./data-dir.js";

const quote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;

/** The JVM splits JAVA_TOOL_OPTIONS on blanks; a path holding any is put in double quotes, which it unwraps. */
const jvmOption = (name: string, value: string) =>
  /[\s"']/.test(value) ? `"-D${name}=${value.replaceAll('"', '\\"')}"` : `-D${name}=${value}`;

/**
 * TLS trust for each runtime, none losing the system's CAs: Python's requests (REQUESTS_CA_BUNDLE) and aiohttp,
 * Go and .NET on Linux (SSL_CERT_FILE) replace their roots with the bundle; Node adds NODE_EXTRA_CA_CERTS to its
 * own; Java reads the trust store named by JAVA_TOOL_OPTIONS, which every JVM picks up. The JVM ignores HTTPS_PROXY
 * (and Azure's Java SDK reads it only with -Djava.net.useSystemProxies=true), so the proxy goes there too, as the
 * JVM's own https.proxyHost/https.proxyPort, which the SDK's HTTP clients and the JDK's all honour.
 * With the CONNECT proxy, everything (vault hosts and login.microsoftonline.com) goes through HTTPS_PROXY, so the
 * SDKs' defaults work with the server's tenant. Without it, the SDKs reach the token endpoint directly on this
 * server's port, using tenant `adfs` (which skips MSAL's instance discovery on login.microsoftonline.com).
 */
export function clientEnvironment(info: ServerInfo): string {
  const bundle = info.caBundleFile ?? info.caFile;
  const vars: [string, string][] = [
    ["REQUESTS_CA_BUNDLE", bundle],
    ["SSL_CERT_FILE", bundle],
    ["NODE_EXTRA_CA_CERTS", info.caFile],
  ];
  if (info.javaTrustStoreFile) {
    const options = [
      jvmOption("javax.net.ssl.trustStore", info.javaTrustStoreFile),
      jvmOption("javax.net.ssl.trustStoreType", "PKCS12"),
      jvmOption("javax.net.ssl.trustStorePassword", JAVA_TRUST_STORE_PASSWORD),
    ];
    if (info.proxyPort)
      options.push(jvmOption("https.proxyHost", "127.0.0.1"), jvmOption("https.proxyPort", String(info.proxyPort)));
    vars.push(["JAVA_TOOL_OPTIONS", options.join(" ")]);
  }
  vars.push(["KLUIS_URL", info.url]);
  if (info.proxyPort) {
    vars.push(["HTTPS_PROXY", `http://127.0.0.1:${info.proxyPort}`], ["AZURE_TENANT_ID", info.tenantId]);
  } else {
    vars.push(["AZURE_AUTHORITY_HOST", info.url], ["AZURE_TENANT_ID", "adfs"]);
  }
  return vars.map(([k, v]) => `export ${k}=${quote(v)}`).join("\n");
}
