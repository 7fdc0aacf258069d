// Pages by the URL's hash (#/vaults/NAME/certificates): the page is one document, so navigation never reloads it
// and the tokens held in memory stay.
import { useEffect, useState } from "react";

export function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join("/")}`;

export const go = (...parts: string[]) => {
  location.hash = href(...parts);
};
