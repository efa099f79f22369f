/*!
 * payout-flows embed SDK: embeds a payout flow in your page. No dependencies; ES5.
 * Types: embed.d.ts beside this file. Docs: the README, "Embedding a flow".
 *
 *   var flow = PayoutFlows.embed({
 *     link: flowLink,                     // the flow's `link` (POST /api/v2/flows)
 *     container: "#payouts",              // an element or a selector
 *     locale: "es",                       // optional
 *     appearance: { theme: "dark" },      // optional, over the app's own look
 *     onCompleted: function (msg) { refreshPayouts(); },
 *     onLoadError: function (err) { showFallback(err.type); }
 *   });
 *   flow.setLocale("en"); flow.destroy();
 *
 * Callbacks get each message ({ source: "payout-flows", version: 1, type, flow_id, ... }),
 * accepted only from the flow's exact origin, this iframe's window and the link's flow:
 * onMessage (every one), onReady, onResize (the iframe is already resized), onStepCompleted, onCompleted, onRedirect
 * (return false to stay; else this page goes to msg.url: the flow, told by this SDK, leaves
 * that to this page), onExit, onError, onSessionExpired.
 * onLoadError({ type, message }) when the flow cannot start: "flow_not_found",
 * "origin_not_allowed" (add this page's origin to the app's allowed origins), "unavailable"
 * (try again later) or "network_error"; origin_not_allowed and network_error are also found
 * options.loadTimeout ms (default 10000) after the frame loads without the flow starting, by a no-cors fetch of the
 * flow server's /healthz (allow its origin in your connect-src).
 * appearance ({ theme, variables, darkVariables }, README "Theming") travels in the flow's URL;
 * the flow server applies it only if it passes the app settings' rules (no logoUrl or appName).
 */
(function (global) {
  "use strict";

  var SOURCE = "payout-flows";
  var CALLBACKS = {
    ready: "onReady",
    resize: "onResize",
    step_completed: "onStepCompleted",
    completed: "onCompleted",
    redirect: "onRedirect",
    exit: "onExit",
    error: "onError",
    session_expired: "onSessionExpired"
  };
  var LOAD_ERRORS = {
    flow_not_found: "no flow has this link",
    origin_not_allowed: "this page's origin may not embed the flow",
    unavailable: "the flow's server cannot start the flow now; try again later",
    network_error: "the flow's server or its files cannot be reached"
  };

  // The frame's name for screen readers, in the flow's language.
  function frameTitle(locale) {
    return /^es(?![a-z])/i.test(locale || "") ? "Flujo de pago" : "Payout flow";
  }

  function isHttpUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url);
  }

  function call(fn, msg) {
    if (typeof fn !== "function") return undefined;
    try {
      return fn(msg);
    } catch (e) {
      if (global.console && global.console.error) global.console.error(e);
      return undefined;
    }
  }

  function embed(options) {
    if (!options || !isHttpUrl(options.link)) {
      throw new Error("PayoutFlows.embed: options.link must be an http(s) flow link");
    }
    var container = options.container;
    if (typeof container === "string") container = document.querySelector(container);
    if (!container || typeof container.appendChild !== "function") {
      throw new Error("PayoutFlows.embed: options.container must be an element or a selector");
    }

    var src = new URL(options.link);
    var flowOrigin = src.origin;
    // Every app's flows share the origin: another flow sent into the frame is not heard.
    var flowId = (/\/flow\/([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})\/?$/i.exec(src.pathname) || [])[1];
    // Which origin embeds the flow: its server checks it against the app's allow-list.
    src.searchParams.set("host_origin", global.location.origin);
    if (typeof options.locale === "string" && options.locale) {
      src.searchParams.set("locale", options.locale);
    }
    // This page navigates on `redirect` (or stays: onRedirect returns false), not the flow.
    src.searchParams.set("host_navigates", "1");
    if (options.appearance && typeof options.appearance === "object") {
      src.searchParams.set("appearance", JSON.stringify(options.appearance));
    }

    var iframe = document.createElement("iframe");
    iframe.src = src.toString();
    iframe.title = frameTitle(options.locale);
    iframe.setAttribute("allow", "camera");
    iframe.setAttribute(
      "sandbox",
      "allow-scripts allow-same-origin allow-forms allow-popups " +
        "allow-top-navigation-by-user-activation"
    );
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.display = "block";

    var ready = false;
    var failed = false;
    var timer = null;
    // destroy()'s frame window: its `redirect` may still be on its way.
    var destroyed = null;
    // The latest locale asked for: sent at every `ready`, and at once when ready.
    var locale = null;

    function post(message) {
      if (iframe.contentWindow) iframe.contentWindow.postMessage(message, flowOrigin);
    }

    function loadError(type) {
      if (ready || failed) return;
      failed = true;
      global.clearTimeout(timer);
      call(options.onLoadError, { type: type, message: LOAD_ERRORS[type] });
    }

    // Loaded but not started in time: this page may not frame it, or its server is down
    // (/healthz tells which).
    function onFrameLoad() {
      if (ready || failed || timer) return;
      var wait = typeof options.loadTimeout === "number" ? options.loadTimeout : 10000;
      timer = global.setTimeout(function () {
        if (typeof global.fetch !== "function") return loadError("origin_not_allowed");
        global.fetch(flowOrigin + "/healthz", { mode: "no-cors", cache: "no-store" }).then(
          function () { loadError("origin_not_allowed"); },
          function () { loadError("network_error"); }
        );
      }, wait);
    }

    function onMessage(event) {
      if (event.origin !== flowOrigin) return;
      // A removed cross-site frame's last messages may come with no source.
      var gone = destroyed && flowId && event.source === null;
      if (event.source !== (destroyed || iframe.contentWindow) && !gone) return;
      var msg = event.data;
      if (!msg || typeof msg !== "object" || msg.source !== SOURCE) return;
      if (flowId && String(msg.flow_id).toLowerCase() !== flowId.toLowerCase()) return;
      if (destroyed && msg.type !== "redirect") return;

      if (msg.type === "load_error") {
        var known = Object.prototype.hasOwnProperty.call(LOAD_ERRORS, msg.error);
        return loadError(known ? msg.error : "network_error");
      }
      if (msg.type === "ready") {
        ready = true;
        global.clearTimeout(timer);
        if (locale) post({ type: "set_locale", locale: locale });
      }
      if (msg.type === "resize" && typeof msg.height === "number" && msg.height >= 0) {
        iframe.style.height = Math.ceil(msg.height) + "px";
      }
      call(options.onMessage, msg);
      var result = call(options[CALLBACKS[msg.type]], msg);
      if (msg.type === "redirect" && result !== false && isHttpUrl(msg.url)) {
        global.location.assign(msg.url);
      }
    }

    global.addEventListener("message", onMessage);
    iframe.addEventListener("load", onFrameLoad);
    container.appendChild(iframe);

    return {
      iframe: iframe,
      setLocale: function (next) {
        if (typeof next !== "string" || !next) return;
        locale = next;
        iframe.title = frameTitle(next);
        if (ready) post({ type: "set_locale", locale: locale });
      },
      // The frame goes at once; no callback runs after this (not even a load check under way)
      // but, for a second, for a `redirect` the flow posted already (with `completed`).
      destroy: function () {
        if (destroyed) return;
        failed = true;
        global.clearTimeout(timer);
        destroyed = iframe.contentWindow || {};
        if (iframe.parentNode) iframe.parentNode.removeChild(iframe);
        global.setTimeout(function () {
          global.removeEventListener("message", onMessage);
        }, 1000);
      }
    };
  }

  global.PayoutFlows = { embed: embed, version: 1 };
})(window);
