// Certificates made the way users make them: with the openssl command line, in a temporary directory.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class OpenSsl {
  readonly dir = mkdtempSync(join(tmpdir(), "kluis-openssl-"));

  run(...args: string[]): string {
    return execFileSync("openssl", args, { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] }).toString("utf8");
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  write(name: string, content: string | Buffer): string {
    writeFileSync(this.path(name), content);
    return this.path(name);
  }

  /** A CA key and self-signed CA certificate (ca.key, ca.pem), valid for `days`. */
  makeCa(days = 30): void {
    this.run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      String(days),
      "-subj",
      "/CN=Test Root CA",
    );
  }

  /** A leaf key and certificate signed by the CA: `${name}.key`, `${name}.pem`, valid for `days`. */
  makeLeaf(name: string, keyAlg: string[] = ["-newkey", "rsa:2048"], days = 30): void {
    this.run(
      "req",
      "-new",
      ...keyAlg,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}.example.com`,
    );
    this.signCsr(`${name}.csr`, `${name}.pem`, days);
  }

  signCsr(csr: string, out: string, days = 30): void {
    this.write(
      "ext.cnf",
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    this.run(
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      out,
      "-days",
      String(days),
      "-extfile",
      "ext.cnf",
    );
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
