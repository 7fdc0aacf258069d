import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { completeSignIn } from "./auth";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
// A return from the sign-in page is completed before anything renders, so no page runs without its tokens.
completeSignIn().then(
  (account) => root.render(<StrictMode>{<App account={account} />}</StrictMode>),
  (error: unknown) => root.render(<StrictMode>{<App signInError={error} />}</StrictMode>),
);
