// Debian's Chromium, headless, driven by playwright-core (which downloads nothing). It trusts a test server's CA the
// way a person's browser would: the CA is imported into the NSS database of a temporary HOME with certutil; TLS
// errors are never ignored.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "./kluis.js";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of each page, kept as test artifacts (gitignored). */
export const SCREENSHOTS = resolve(ROOT, "test-artifacts/ui");

export interface TestBrowser {
  browser: Browser;
  dispose(): Promise<void>;
}

export async function launchBrowser(caFile: string): Promise<TestBrowser> {
  for (const tool of [CHROMIUM, "/usr/bin/certutil"])
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: apt-get install chromium libnss3-tools (scripts/test-prerequisites.sh)`);
  const home = mkdtempSync(join(tmpdir(), "kluis-browser-home-"));
  const nssdb = join(home, ".pki/nssdb");
  mkdirSync(nssdb, { recursive: true });
  execFileSync("certutil", ["-N", "-d", `sql:${nssdb}`, "--empty-password"]);
  execFileSync("certutil", ["-A", "-d", `sql:${nssdb}`, "-n", "Kluis test CA", "-t", "C,,", "-i", caFile]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox cannot start as root.
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
    env: { ...process.env, HOME: home },
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser,
    async dispose() {
      await browser.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
