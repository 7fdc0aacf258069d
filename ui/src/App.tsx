// The frame of every page: the header with the signed-in user, the navigation, and the page the hash names.
import { useState } from "react";
import { signIn, signOut, type Account } from "./auth";
import { Problem } from "./components";
import { href, useRoute } from "./router";
import { AuditPage } from "./pages/AuditPage";
import { CertificatePage } from "./pages/CertificatePage";
import { TimelinePage } from "./pages/TimelinePage";
import { VaultPage } from "./pages/VaultPage";
import { VaultsPage } from "./pages/VaultsPage";

function SignInScreen({ error }: { error?: unknown }) {
  return (
    <main className="sign-in">
      <h1>Kluis</h1>
      <p>A self-hosted vault server. Sign in to see your vaults.</p>
      {error !== undefined && <Problem error={error} />}
      <button type="button" className="primary" onClick={() => void signIn()}>
        Sign in
      </button>
    </main>
  );
}

function Page({ route }: { route: string[] }) {
  const [first, vault, tab, name] = route;
  if (first === "timeline") return <TimelinePage />;
  if (first === "audit") return <AuditPage />;
  if (first === "vaults" && vault && tab === "certificates" && name)
    return <CertificatePage vault={vault} name={name} />;
  if (first === "vaults" && vault) return <VaultPage vault={vault} tab={tab ?? "certificates"} />;
  return <VaultsPage />;
}

export function App({ account: signedIn, signInError }: { account?: Account; signInError?: unknown }) {
  const [account, setAccount] = useState(signedIn);
  const route = useRoute();
  if (!account) return <SignInScreen error={signInError} />;
  const current = route[0] ?? "vaults";
  const link = (to: string, label: string) => (
    <a href={href(to)} aria-current={current === to ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <a className="brand" href={href("vaults")}>
          Kluis
        </a>
        <nav aria-label="Main">
          {link("vaults", "Vaults")}
          {link("timeline", "Expiry timeline")}
          {link("audit", "Audit log")}
        </nav>
        <span className="who">
          <span>{account.userPrincipalName}</span>
          <button
            type="button"
            onClick={() => {
              signOut();
              setAccount(undefined);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}
