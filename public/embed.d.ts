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
   * embed it (add it to the app's allowed origins); `unavailable`: the flow's server refused to
   * start it now (too many starts, or an error; try again later); `network_error`: the flow's
   * server cannot be reached, or the flow's own files did not arrive (try again).
   */
  type: "flow_not_found" | "origin_not_allowed" | "unavailable" | "network_error";
  /** The same, in English words for logs. */
  message: string;
}

/**
 * The variables of one theme (README "Theming"), each optional. Colours: `#rgb`, `#rrggbb`,
 * `rgb()` or `hsl()`; lengths in px, rem or em within each variable's range; text must keep
 * 4.5:1 contrast on what it is drawn on, the focus ring and fields' borders 3:1 (README
 * "Contrast").
 */
export interface ThemeVariables {
  colorPrimary?: string;
  colorPrimaryText?: string;
  colorBackground?: string;
  colorSurface?: string;
  colorText?: string;
  colorTextSecondary?: string;
  colorDanger?: string;
  colorSuccess?: string;
  colorBorder?: string;
  colorFocus?: string;
  /** Names of letters, digits, spaces and hyphens, comma-separated. */
  fontFamily?: string;
  /** 12px to 24px. */
  fontSizeBase?: string;
  /** 100 to 900 in hundreds. */
  fontWeightBold?: string;
  /** 0 to 32px. */
  borderRadius?: string;
  /** 0 to 32px. */
  buttonBorderRadius?: string;
  inputBorderColor?: string;
  /** 2px to 8px. */
  spacingUnit?: string;
  /** `none` or up to two shadows in px with a colour. */
  cardShadow?: string;
}

/**
 * A look laid over the app's own (`appearance` of `GET /api/v2/app`). The flow server checks
 * it with the same rules (`logoUrl` and `appName` belong to the app's settings only) and,
 * when it breaks one, keeps the app's look and logs why in the browser console.
 */
export interface Appearance {
  theme?: "light" | "dark" | "auto";
  variables?: ThemeVariables;
  /** The dark theme's variables (`theme` `dark` or `auto`). */
  darkVariables?: ThemeVariables;
}

export interface EmbedOptions {
  /** The flow's `link` (an absolute http(s) URL). */
  link: string;
  /** The element, or a CSS selector of it, to put the iframe in. */
  container: Element | string;
  /** The flow's language (`en`, `es`, `es-MX`); else the link's, the browser's, English. */
  locale?: string;
  /** The flow's look over the app's own, applied before its first paint. */
  appearance?: Appearance;
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
  /**
   * Return `false` to stay; otherwise this page goes to `message.url`. Either way the flow does
   * not move this page itself (the SDK tells it this page decides).
   */
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
  /**
   * Removes the iframe and stops listening, but for a second more to a `redirect` the flow
   * posted already (with `completed`), which is still followed (and `onRedirect` called for
   * it). Messages are heard only from the link's flow (`flow_id`).
   */
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
