/**
 * payout-flows embed SDK (`embed.js`, served beside this file): `PayoutFlows.embed(options)`
 * puts a flow in an iframe and hands its window messages to your callbacks. The README,
 * "Embedding a flow", documents each message and when it comes.
 */

/** A step's name, as in the flow's `steps`. */
export type StepName =
  | "compliance"
  | "id-verification"
  | "background-check"
  | "manage-payments"
  | "manage-payouts"
  | "payout"
  | "redirect";

/** What every message carries. */
interface MessageBase {
  source: "payout-flows";
  version: 1;
  flow_id: string;
}

/** A message from the flow, told apart by `type`. */
export type FlowMessage = MessageBase &
  (
    | { type: "ready" }
    | { type: "resize"; height: number }
    | { type: "step_completed"; step: StepName; status: "completed" | "completed-saved" }
    | { type: "completed" }
    | { type: "redirect"; url: string }
    | { type: "exit" }
    | { type: "error"; message: string; code?: string }
    | { type: "session_expired" }
  );

/** The message of one `type`. */
export type FlowMessageOf<T extends FlowMessage["type"]> = Extract<FlowMessage, { type: T }>;

/** Why a flow could not start (`onLoadError`). */
export interface LoadError {
  /**
   * `flow_not_found`: no flow has this link; `origin_not_allowed`: this page's origin may not
   * embed it (add it to the app's allowed origins); `network_error`: the flow's server cannot
   * be reached.
   */
  type: "flow_not_found" | "origin_not_allowed" | "network_error";
  /** The same, in English words for logs. */
  message: string;
}

export interface EmbedOptions {
  /** The flow's `link` (an absolute http(s) URL). */
  link: string;
  /** The element, or a CSS selector of it, to put the iframe in. */
  container: Element | string;
  /** The flow's language (`en`, `es`, `es-MX`); else the link's, the browser's, English. */
  locale?: string;
  /**
   * How long (ms) after the frame loads the flow may take to start before `onLoadError`
   * looks for why (default 10000).
   */
  loadTimeout?: number;
  /** Every message, before its own callback. */
  onMessage?(message: FlowMessage): void;
  onReady?(message: FlowMessageOf<"ready">): void;
  /** The iframe is already resized to `height`. */
  onResize?(message: FlowMessageOf<"resize">): void;
  onStepCompleted?(message: FlowMessageOf<"step_completed">): void;
  onCompleted?(message: FlowMessageOf<"completed">): void;
  /** Return `false` to stay; otherwise this page goes to `message.url`. */
  onRedirect?(message: FlowMessageOf<"redirect">): boolean | void;
  onExit?(message: FlowMessageOf<"exit">): void;
  onError?(message: FlowMessageOf<"error">): void;
  onSessionExpired?(message: FlowMessageOf<"session_expired">): void;
  /** The flow could not start; called at most once, never after `onReady`. */
  onLoadError?(error: LoadError): void;
}

export interface EmbeddedFlow {
  /** The flow's iframe. */
  iframe: HTMLIFrameElement;
  /**
   * Shows the flow in `locale` from now on (a `set_locale` message to the flow's origin; sent
   * once the flow is ready when called before); the current screen is drawn again in it.
   */
  setLocale(locale: string): void;
  /** Removes the iframe and stops listening. */
  destroy(): void;
}

export interface PayoutFlowsSdk {
  embed(options: EmbedOptions): EmbeddedFlow;
  version: 1;
}

declare global {
  interface Window {
    PayoutFlows: PayoutFlowsSdk;
  }
  const PayoutFlows: PayoutFlowsSdk;
}
